import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { noteStarted, recordUsage } from "./producer";
import { NO_TOKENS, type TokenUsage } from "./usage";
import {
  ledgerModelName,
  ledgerText,
  MAX_ENDPOINT_LENGTH,
  type Outcome,
  type StartedNote,
  type UsageRecord,
  type UsageSource,
} from "./usage-record";

export interface MeterResult {
  status: number;
  outcome: Outcome;
  usage: TokenUsage;
  usageSource: UsageSource;
  finishReason?: string | null;
  /** Date.now() of the first byte from upstream, if any came. */
  firstByteAt?: number | null;
}

interface MeterBase {
  requestId: string;
  teamId: string;
  keyId: string;
  endpoint: string;
  startedAt: number;
}

interface MeterSinks {
  record: (record: UsageRecord) => void;
  started: (note: StartedNote) => void;
}

/**
 * The usage record of one authenticated request, settled exactly once. The
 * request path fills in what it learns (model, stream); whoever finishes the
 * request (the handler, the error path or a stream's end) settles it.
 */
export class RequestMeter {
  stream = false;
  /** Set when a response body is still being read: its reader settles the meter. */
  deferred = false;
  /** The request holds a reservation in its team's limits object: the record settles it. */
  reserved = false;
  /** How the request ends if it ends in an error thrown before any response. */
  failure: { outcome: Outcome; usageSource: UsageSource; usage: TokenUsage } | null = null;
  /** Resolves once the record is handed to the ledger: the request is kept alive (waitUntil) until then. */
  readonly settledPromise: Promise<void>;
  private settled = false;
  private resolveSettled!: () => void;
  private modelName: string | null = null;

  constructor(
    private readonly base: MeterBase,
    private readonly sinks: MeterSinks,
  ) {
    this.settledPromise = new Promise((resolve) => {
      this.resolveSettled = resolve;
    });
  }

  /** The model the caller named, bounded and cleaned once, here, for the ledger and every export. */
  get model(): string | null {
    return this.modelName;
  }

  set model(name: string | null) {
    this.modelName = ledgerModelName(name);
  }

  /** What the note and the record both say of the request. */
  private identity() {
    return {
      request_id: this.base.requestId,
      team_id: this.base.teamId,
      key_id: this.base.keyId,
      endpoint: this.base.endpoint,
      model: this.modelName,
      stream: this.stream,
      started_at: new Date(this.base.startedAt).toISOString(),
      reserved: this.reserved,
    };
  }

  /** The request is about to be forwarded: note it durably, in case its record never comes. */
  noteStarted(promptTokens: number, costsTokens: boolean): void {
    if (this.settled) return;
    this.sinks.started({
      kind: "started",
      ...this.identity(),
      prompt_tokens: costsTokens ? promptTokens : 0,
      costs_tokens: costsTokens,
    });
  }

  settle(result: MeterResult): void {
    if (this.settled) return;
    this.settled = true;
    const firstByteAt = result.firstByteAt ?? null;
    try {
      this.sinks.record({
        ...this.identity(),
        status: result.status,
        outcome: result.outcome,
        finish_reason: result.finishReason ?? null,
        ...result.usage,
        usage_source: result.usageSource,
        ttfb_ms: firstByteAt === null ? null : Math.max(0, firstByteAt - this.base.startedAt),
        duration_ms: Math.max(0, Date.now() - this.base.startedAt),
      });
    } finally {
      this.resolveSettled();
    }
  }

  get isSettled(): boolean {
    return this.settled;
  }
}

/**
 * Runs after authentication: gives the request its meter, and settles it when
 * the handler finished without handing it to a body reader (rejections, errors).
 *
 * The meter's settling is registered with ctx.waitUntil before anything awaits
 * upstream: Workers cancel work that is not under waitUntil when the client goes
 * away (a non-streamed request waiting for headers), and that must not cancel the record.
 */
export function metering(): MiddlewareHandler<AppEnv> {
  return async function metering(c, next) {
    const apiKey = c.get("apiKey");
    const waitUntil = (work: Promise<unknown>) => c.executionCtx.waitUntil(work);
    const meter = new RequestMeter(
      {
        requestId: c.get("requestId"),
        teamId: apiKey.teamId,
        keyId: apiKey.id,
        endpoint: ledgerText(c.req.path, MAX_ENDPOINT_LENGTH),
        startedAt: c.get("startedAt"),
      },
      { record: (record) => waitUntil(recordUsage(c.env, record)), started: (note) => waitUntil(noteStarted(c.env, note)) },
    );
    waitUntil(meter.settledPromise);
    c.set("meter", meter);
    await next();
    if (meter.deferred || meter.isSettled) return;
    const failure = meter.failure ?? { outcome: "rejected", usageSource: "none", usage: NO_TOKENS };
    meter.settle({ status: c.res.status, ...failure });
  };
}
