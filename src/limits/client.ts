import type { Env } from "../env";
import { GatewayError } from "../errors";
import type { LimitPolicy } from "./policy";
import { type RateLimitState, rateLimitHeaders } from "./rate-state";
import type { ReserveResult, SettleRequest } from "./team-limits";

export interface Reservation {
  requestId: string;
  nowMs: number;
  costMicroUsd: number;
  tokens: number;
}

function refusalError(result: Extract<ReserveResult, { ok: false }>): GatewayError {
  const headers = rateLimitHeaders(result.rate);
  if (result.retryAfterMs !== null) {
    // RFC 9110 §10.2.3 gives whole seconds; OpenAI's SDKs read retry-after-ms first, to the millisecond.
    headers["retry-after"] = String(Math.max(1, Math.ceil(result.retryAfterMs / 1000)));
    headers["retry-after-ms"] = String(Math.ceil(result.retryAfterMs));
  }
  const whose = result.scope === "team" ? "this key's team" : "this key";
  if (result.refusal === "budget") {
    return new GatewayError(429, "budget_exceeded", `The request's worst-case cost does not fit in what is left of ${whose}'s budget.`, {
      type: "insufficient_quota",
      headers,
    });
  }
  const what = result.refusal === "requests" ? "requests" : "tokens";
  return new GatewayError(
    429,
    "rate_limit_exceeded",
    `Rate limit of ${what} per minute reached for ${whose}; retry after the time in Retry-After.`,
    {
      type: what,
      headers,
    },
  );
}

/**
 * Reserves the request's worst case in its team's object, against every budget and
 * rate limit of the key and the team, before anything is sent upstream. Fails closed:
 * if the object cannot be reached, the request is refused (503), never let through
 * unmetered against a limit. Returns the figures for the x-ratelimit-* headers.
 */
export async function reserveLimits(env: Env, policy: LimitPolicy, reservation: Reservation): Promise<RateLimitState | null> {
  let result: ReserveResult;
  try {
    result = await env.TEAM_LIMITS.getByName(policy.teamId).reserve({ ...reservation, scopes: policy.scopes });
  } catch (err) {
    console.error(
      JSON.stringify({ message: "limits object unreachable; request refused", request_id: reservation.requestId, error: String(err) }),
    );
    throw new GatewayError(
      503,
      "limits_unavailable",
      "The gateway could not check this key's budget or rate limits; nothing was sent. Retry shortly.",
      {
        headers: { "retry-after": "1" },
      },
    );
  }
  if (!result.ok) throw refusalError(result);
  return result.rate;
}

/** Turns reservations into real cost and tokens. Idempotent; a failure is repaired by the queue consumer. */
export async function settleLimits(env: Env, teamId: string, settles: SettleRequest[]): Promise<void> {
  if (settles.length === 0) return;
  await env.TEAM_LIMITS.getByName(teamId).settleMany(settles);
}
