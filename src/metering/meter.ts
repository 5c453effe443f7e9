import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { recordUsage } from "./producer";
import { NO_TOKENS, type TokenUsage } from "./usage";
import type { Outcome, UsageRecord, UsageSource } from "./usage-record";

export interface MeterResult {
  status: number;
  outcome: Outcome;
  usage: TokenUsage;
  usageSource: UsageSource;
  finishReason?: string | null;
  /** Date.now() of the first byte from upstream, if any came. */
  firstByteAt?: number | null;
}

/**
 * The usage record of one authenticated request, settled exactly once. The
 * request path fills in what it learns (model, stream); whoever finishes the
 * request (the handler, the error path or a stream's end) settles it.
 */
export class RequestMeter {
  model: string | null = null;
  stream = false;
  /** Set when a response body is still being read: its reader settles the meter. */
  deferred = false;
  /** How the request ends if it ends in an error thrown before any response. */
  failure: { outcome: Outcome; usageSource: UsageSource; usage: TokenUsage } | null = null;
  private settled = false;

  constructor(
    private readonly base: { requestId: string; teamId: string; keyId: string; endpoint: string; startedAt: number },
    private readonly sink: (record: UsageRecord) => void,
  ) {}

  settle(result: MeterResult): void {
    if (this.settled) return;
    this.settled = true;
    const firstByteAt = result.firstByteAt ?? null;
    this.sink({
      request_id: this.base.requestId,
      team_id: this.base.teamId,
      key_id: this.base.keyId,
      endpoint: this.base.endpoint,
      model: this.model,
      stream: this.stream,
      status: result.status,
      outcome: result.outcome,
      finish_reason: result.finishReason ?? null,
      ...result.usage,
      usage_source: result.usageSource,
      started_at: new Date(this.base.startedAt).toISOString(),
      ttfb_ms: firstByteAt === null ? null : Math.max(0, firstByteAt - this.base.startedAt),
      duration_ms: Math.max(0, Date.now() - this.base.startedAt),
    });
  }

  get isSettled(): boolean {
    return this.settled;
  }
}

/**
 * Runs after authentication: gives the request its meter, and settles it when
 * the handler finished without handing it to a body reader (rejections, errors).
 */
export function metering(): MiddlewareHandler<AppEnv> {
  return async function metering(c, next) {
    const apiKey = c.get("apiKey");
    const meter = new RequestMeter(
      { requestId: c.get("requestId"), teamId: apiKey.teamId, keyId: apiKey.id, endpoint: c.req.path, startedAt: c.get("startedAt") },
      (record) => c.executionCtx.waitUntil(recordUsage(c.env, record)),
    );
    c.set("meter", meter);
    await next();
    if (meter.deferred || meter.isSettled) return;
    const failure = meter.failure ?? { outcome: "rejected", usageSource: "none", usage: NO_TOKENS };
    meter.settle({ status: c.res.status, ...failure });
  };
}
