import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { GatewayError } from "../errors";
import { costMicroUsd } from "../pricing/cost";
import { priceInForce } from "../pricing/price-store";
import { reserveLimits } from "./client";
import { hasAnyBudget } from "./policy";
import { rateLimitHeaders } from "./rate-state";
import { worstCaseTokens } from "./worst-case";

export interface LimitedRequest {
  model: string | null;
  /** Present for requests that cost tokens (chat, completions, embeddings). */
  tokens?: { bodyBytes: number; body: Record<string, unknown>; generates: boolean };
}

function notPriced(model: string | null, why: string): GatewayError {
  return new GatewayError(403, "model_not_priced", `The model "${model ?? ""}" has no price, and ${why}; an operator must set one first.`, {
    param: "model",
  });
}

function asksForOutputBound(body: Record<string, unknown>): boolean {
  return [body.max_completion_tokens, body.max_tokens].some(
    (value) => typeof value === "number" && Number.isSafeInteger(value) && value > 0,
  );
}

/**
 * Holds the request to its key's and team's budgets and rate limits before it is
 * forwarded: its worst-case cost and tokens are reserved in the team's object (429
 * when they do not fit, 503 when the object cannot be asked; nothing reaches upstream
 * either way). Keys and teams with neither never call the object.
 */
export async function holdLimits(c: Context<AppEnv>, request: LimitedRequest): Promise<void> {
  const policy = c.get("apiKey").limits;
  if (policy === null) return;
  const startedAt = c.get("startedAt");
  let cost = 0;
  let tokens = 0;
  if (request.tokens) {
    const price = request.model === null ? null : await priceInForce(c.env.DB, request.model, startedAt);
    // A budget is never bypassed by an unknown cost, nor a token limit by an unbounded output.
    if (price === null && hasAnyBudget(policy)) throw notPriced(request.model, "this key is under a budget");
    const tokenLimited = policy.scopes.some((scope) => scope.limits?.tokensPerMinute != null);
    if (price === null && tokenLimited && request.tokens.generates && !asksForOutputBound(request.tokens.body)) {
      throw notPriced(request.model, "this key has a tokens-per-minute limit and the request sets no max_tokens");
    }
    const worst = worstCaseTokens({
      ...request.tokens,
      maxOutputTokens: price?.maxOutputTokens ?? 0,
      contextWindow: price?.contextWindow ?? null,
    });
    tokens = worst.prompt + worst.completion;
    if (price) {
      // The worst case whether or not the prompt is served from cache (a cached price may exceed the input price).
      const uncached = costMicroUsd({ prompt_tokens: worst.prompt, cached_tokens: 0, completion_tokens: worst.completion }, price);
      const cached = costMicroUsd({ prompt_tokens: worst.prompt, cached_tokens: worst.prompt, completion_tokens: worst.completion }, price);
      cost = Math.max(uncached, cached);
    }
  }
  const rate = await reserveLimits(c.env, policy, { requestId: c.get("requestId"), nowMs: startedAt, costMicroUsd: cost, tokens });
  c.get("meter").reserved = true;
  c.set("rateLimit", rate);
}

/** OpenAI's x-ratelimit-* headers on every response of a limited key (the gateway's limits, not upstream's). */
export function rateLimitResponseHeaders(): MiddlewareHandler<AppEnv> {
  return async function rateLimitResponseHeaders(c, next) {
    await next();
    const rate = c.get("rateLimit");
    if (!rate) return;
    for (const [name, value] of Object.entries(rateLimitHeaders(rate))) c.res.headers.set(name, value);
  };
}
