import type { Env } from "../env";
import { GatewayError } from "../errors";
import { fallbackUsage } from "../metering/estimate";
import type { RequestMeter } from "../metering/meter";
import { NO_TOKENS } from "../metering/usage";
import { upstreamRequestHeaders } from "./headers";

export const DEFAULT_UPSTREAM_TIMEOUT_MS = 300_000;
const DEFAULT_BASE_URL = "https://api.tensoras.ai";

export function upstreamTimeoutMs(env: Env): number {
  const configured = Number(env.UPSTREAM_TIMEOUT_MS);
  return Number.isFinite(configured) && configured > 0 ? configured : DEFAULT_UPSTREAM_TIMEOUT_MS;
}

/** Same path and query under TENSORAS_BASE_URL (which may carry a path prefix of its own). */
export function upstreamUrl(env: Env, incoming: URL): string {
  const base = (env.TENSORAS_BASE_URL || DEFAULT_BASE_URL).replace(/\/+$/, "");
  return `${base}${incoming.pathname}${incoming.search}`;
}

export interface UpstreamCall {
  request: Request;
  requestId: string;
  body: BodyInit | null;
  meter: RequestMeter;
  /** The prompt's tokens, estimated, for a request that reached Tensoras but got no answer; absent where nothing costs tokens. */
  estimatePromptTokens?: () => number;
}

export interface UpstreamResponse {
  response: Response;
  headersAt: number;
  /** Aborts the upstream request (the client left: generation costs money). */
  abort: () => void;
}

/**
 * Sends the request to Tensoras with the gateway's key. Waits for the response
 * headers at most UPSTREAM_TIMEOUT_MS (504); a network failure is a 502. Both are
 * metered: a timed-out request may have cost prompt tokens, so it is estimated.
 */
export async function callTensoras(env: Env, call: UpstreamCall): Promise<UpstreamResponse> {
  if (!env.TENSORAS_API_KEY) {
    call.meter.failure = { outcome: "upstream_unreachable", usageSource: "none", usage: NO_TOKENS };
    throw new GatewayError(502, "upstream_not_configured", "The gateway has no Tensoras API key configured.");
  }
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, upstreamTimeoutMs(env));
  const incoming = call.request;
  try {
    const response = await fetch(upstreamUrl(env, new URL(incoming.url)), {
      method: incoming.method,
      headers: upstreamRequestHeaders(incoming.headers, { apiKey: env.TENSORAS_API_KEY, requestId: call.requestId }),
      body: call.body,
      signal: controller.signal,
    });
    return { response, headersAt: Date.now(), abort: () => controller.abort() };
  } catch {
    // The error text is not passed on: it may name internal addresses.
    if (timedOut) {
      call.meter.failure = { outcome: "upstream_error", ...fallbackUsage(call.estimatePromptTokens) };
      throw new GatewayError(504, "upstream_timeout", "Tensoras did not answer in time.");
    }
    call.meter.failure = { outcome: "upstream_unreachable", usageSource: "none", usage: NO_TOKENS };
    throw new GatewayError(502, "upstream_unreachable", "Tensoras could not be reached.");
  } finally {
    clearTimeout(timer);
  }
}
