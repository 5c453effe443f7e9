import type { RateLimits } from "./policy";
import type { WindowState } from "./rate-window";

/** One limit's figures for OpenAI's x-ratelimit-* headers. */
export interface RateFigure {
  limit: number;
  remaining: number;
  /** Milliseconds until the window is back to its full allowance. */
  resetMs: number;
}

export interface RateLimitState {
  requests: RateFigure | null;
  tokens: RateFigure | null;
}

interface ScopeWindow {
  limits: RateLimits;
  state: WindowState;
}

function tightest(figures: RateFigure[]): RateFigure | null {
  return figures.reduce<RateFigure | null>((best, figure) => (best === null || figure.remaining < best.remaining ? figure : best), null);
}

/** Of the key's and the team's windows, the figures of the limit closest to refusing, for each of requests and tokens. */
export function rateLimitState(windows: ScopeWindow[], nowMs: number, windowMs: number): RateLimitState | null {
  const requests: RateFigure[] = [];
  const tokens: RateFigure[] = [];
  for (const { limits, state } of windows) {
    const resetMs = state.newestAt === null ? 0 : Math.max(0, state.newestAt + windowMs - nowMs);
    if (limits.requestsPerMinute !== null) {
      requests.push({ limit: limits.requestsPerMinute, remaining: Math.max(0, limits.requestsPerMinute - state.requests), resetMs });
    }
    if (limits.tokensPerMinute !== null) {
      tokens.push({ limit: limits.tokensPerMinute, remaining: Math.max(0, limits.tokensPerMinute - state.tokens), resetMs });
    }
  }
  if (requests.length === 0 && tokens.length === 0) return null;
  return { requests: tightest(requests), tokens: tightest(tokens) };
}

/** OpenAI writes durations as "1s", "6m0s", "20ms" (Go's time.Duration format). */
export function formatResetDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.ceil(ms))}ms`;
  const seconds = Math.ceil(ms / 1000);
  const minutes = Math.floor(seconds / 60);
  return minutes > 0 ? `${minutes}m${seconds % 60}s` : `${seconds}s`;
}

/** OpenAI's rate-limit headers (https://platform.openai.com/docs/guides/rate-limits), for every response of a limited key. */
export function rateLimitHeaders(state: RateLimitState | null): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [kind, figure] of [
    ["requests", state?.requests],
    ["tokens", state?.tokens],
  ] as const) {
    if (!figure) continue;
    headers[`x-ratelimit-limit-${kind}`] = String(figure.limit);
    headers[`x-ratelimit-remaining-${kind}`] = String(figure.remaining);
    headers[`x-ratelimit-reset-${kind}`] = formatResetDuration(figure.resetMs);
  }
  return headers;
}
