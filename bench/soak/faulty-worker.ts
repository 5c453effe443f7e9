/**
 * The gateway as built (src/index.ts's default export), behind bindings that fail at
 * seeded rates: the soak's fault injection (`npm run soak`, bench/soak/run.mjs).
 *
 * - fetch: USAGE_QUEUE.send fails (every attempt for some messages, so the producer
 *   falls back to writing D1 directly; single attempts for others; and some sends
 *   enqueue and then report failure, so the same message reaches the ledger twice).
 *   D1 is not wrapped here: the direct fallback has no retry of its own, and a queue
 *   and D1 that both fail is the one case the design leaves to the log line.
 * - queue: the consumer crashes before a batch, acks are lost after the write (the
 *   message is redelivered: idempotency), and D1 batches fail before or after commit.
 * - scheduled: D1 batches fail the same way (the sweep must be safe to run again).
 *
 * Retry delays the consumer asks for are scaled (10 s -> 1 s by default) so that a run
 * stays short; the backoff itself is unit-tested. `/__soak/faults` (POST) changes the
 * rates at run time (the soak fails every queue send before it kills the runtime) and
 * `/__soak/stats` (GET) reports what was injected and what the queue still holds.
 * Test-only: never deployed.
 */
import type { Env } from "../../src/env";
import worker from "../../src/index";

/** The gateway's handlers as any Worker's: the wrapper passes what the platform passes. */
const gateway: ExportedHandler<Env> = worker;

function handler<K extends "fetch" | "queue" | "scheduled">(name: K): NonNullable<ExportedHandler<Env>[K]> {
  const found = gateway[name];
  if (!found) throw new Error(`soak: src/index.ts exports no ${name} handler`);
  return found;
}

interface SoakFaults {
  seed: number;
  /** Share of messages whose every send fails: the producer writes them to D1 directly. */
  queueSendDead: number;
  /** Share of send attempts that fail (the producer retries). */
  queueSendTransient: number;
  /** Share of send attempts that enqueue and then report failure (a duplicate follows). */
  queueSendAmbiguous: number;
  /** Every send fails: set before the soak kills the runtime (see run.mjs). */
  queueSendFailAll: boolean;
  /** Share of batches the consumer crashes on before doing anything. */
  consumerCrash: number;
  /** Share of acks lost after the row committed: the message comes again. */
  ackLost: number;
  /** Share of consumer and sweep D1 batches that fail without writing. */
  d1FailBefore: number;
  /** Share that commit and then report failure. */
  d1FailAfter: number;
  retryDelayScale: number;
}

type SoakEnv = Env & { SOAK_FAULTS?: string };

const ZERO: SoakFaults = {
  seed: 1,
  queueSendDead: 0,
  queueSendTransient: 0,
  queueSendAmbiguous: 0,
  queueSendFailAll: false,
  consumerCrash: 0,
  ackLost: 0,
  d1FailBefore: 0,
  d1FailAfter: 0,
  retryDelayScale: 1,
};

let faults: SoakFaults | null = null;
const stats = {
  sendAttempts: 0,
  sendFailed: 0,
  sendAmbiguous: 0,
  sendOk: 0,
  sendsInFlight: 0,
  batches: 0,
  messages: 0,
  redelivered: 0,
  consumerCrashes: 0,
  acksLost: 0,
  acked: 0,
  retried: 0,
  d1Failed: 0,
  d1FailedAfterCommit: 0,
  scheduledRuns: 0,
};
/** Messages enqueued and not yet acked, by `kind:request_id`: what a kill now would lose. */
const outstanding = new Map<string, number>();
/** Failed attempts so far per message, so that each attempt draws its own fault. */
const attemptsByKey = new Map<string, number>();

function faultsFor(env: SoakEnv): SoakFaults {
  faults ??= { ...ZERO, ...(env.SOAK_FAULTS ? (JSON.parse(env.SOAK_FAULTS) as Partial<SoakFaults>) : {}) };
  return faults;
}

/** FNV-1a over the text, then a final mix: a uniform draw in [0, 1) that depends only on (seed, text). */
function draw(seed: number, text: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  return h / 2 ** 32;
}

/** A seeded sequence for decisions that have no stable key (batches). */
let sequence = 0;
let d1Calls = 0;
function next(f: SoakFaults, what: string): number {
  return draw(f.seed, `${what}:${sequence++}`);
}

function messageKey(body: unknown): string {
  const b = body as { kind?: unknown; request_id?: unknown } | null;
  return `${typeof b?.kind === "string" ? b.kind : "record"}:${String(b?.request_id)}`;
}

function addOutstanding(key: string, delta: number): void {
  const count = (outstanding.get(key) ?? 0) + delta;
  if (count > 0) outstanding.set(key, count);
  else outstanding.delete(key);
}

function injected(what: string): Error {
  return new Error(`soak: injected ${what}`);
}

function faultyQueue(queue: Env["USAGE_QUEUE"], f: SoakFaults): Env["USAGE_QUEUE"] {
  async function send(body: Parameters<Env["USAGE_QUEUE"]["send"]>[0], options?: QueueSendOptions): Promise<void> {
    const key = messageKey(body);
    const attempt = attemptsByKey.get(key) ?? 0;
    attemptsByKey.set(key, attempt + 1);
    stats.sendAttempts++;
    if (
      f.queueSendFailAll ||
      draw(f.seed, `dead:${key}`) < f.queueSendDead ||
      draw(f.seed, `send:${key}:${attempt}`) < f.queueSendTransient
    ) {
      stats.sendFailed++;
      throw injected("queue send failure");
    }
    const ambiguous = draw(f.seed, `ambiguous:${key}:${attempt}`) < f.queueSendAmbiguous;
    stats.sendsInFlight++;
    try {
      await queue.send(body, options);
    } finally {
      stats.sendsInFlight--;
    }
    stats.sendOk++;
    addOutstanding(key, 1);
    attemptsByKey.delete(key);
    if (ambiguous) {
      stats.sendAmbiguous++;
      throw injected("queue send failure after the message was enqueued");
    }
  }
  return new Proxy(queue, {
    get(target, prop) {
      if (prop === "send") return send;
      if (prop === "sendBatch") throw injected("use of sendBatch (the soak wraps send only)");
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

function faultyDb(db: D1Database, f: SoakFaults): D1Database {
  async function batch<T>(statements: D1PreparedStatement[]): Promise<D1Result<T>[]> {
    // The first write of each runtime fails, and the third commits then fails: every run has both.
    const call = ++d1Calls;
    if (next(f, "d1-before") < f.d1FailBefore || (f.d1FailBefore > 0 && call === 1)) {
      stats.d1Failed++;
      throw injected("D1 write failure");
    }
    const results = await db.batch<T>(statements);
    if (next(f, "d1-after") < f.d1FailAfter || (f.d1FailAfter > 0 && call === 3)) {
      stats.d1FailedAfterCommit++;
      throw injected("D1 failure after commit");
    }
    return results;
  }
  return new Proxy(db, {
    get(target, prop) {
      if (prop === "batch") return batch;
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

function scaledDelay(f: SoakFaults, options?: QueueRetryOptions): QueueRetryOptions | undefined {
  if (options?.delaySeconds === undefined) return options;
  return { ...options, delaySeconds: Math.max(1, Math.round(options.delaySeconds * f.retryDelayScale)) };
}

function wrapMessage(message: Message<unknown>, f: SoakFaults): Message<unknown> {
  const key = messageKey(message.body);
  let done = false;
  return {
    id: message.id,
    timestamp: message.timestamp,
    body: message.body,
    attempts: message.attempts,
    ack() {
      if (done) return;
      done = true;
      if (draw(f.seed, `ack:${message.id}:${message.attempts}`) < f.ackLost) {
        stats.acksLost++;
        message.retry({ delaySeconds: 1 });
        return;
      }
      stats.acked++;
      addOutstanding(key, -1);
      message.ack();
    },
    retry(options?: QueueRetryOptions) {
      if (done) return;
      done = true;
      stats.retried++;
      message.retry(scaledDelay(f, options));
    },
  };
}

async function queue(batch: MessageBatch<unknown>, env: SoakEnv, ctx: ExecutionContext): Promise<void> {
  const f = faultsFor(env);
  stats.batches++;
  stats.messages += batch.messages.length;
  stats.redelivered += batch.messages.filter((m) => m.attempts > 1).length;
  // The second batch of each runtime always crashes, so that every run has one.
  if (next(f, "crash") < f.consumerCrash || (f.consumerCrash > 0 && stats.batches === 2)) {
    stats.consumerCrashes++;
    throw injected("consumer crash");
  }
  const messages = batch.messages.map((m) => wrapMessage(m, f));
  const wrapped: MessageBatch<unknown> = {
    queue: batch.queue,
    metadata: batch.metadata,
    messages,
    ackAll: () => {
      for (const m of messages) m.ack();
    },
    retryAll: (options?: QueueRetryOptions) => {
      for (const m of messages) m.retry(options);
    },
  };
  await handler("queue")(wrapped, { ...env, DB: faultyDb(env.DB, f) }, ctx);
}

async function fetch(request: Request<unknown, IncomingRequestCfProperties>, env: SoakEnv, ctx: ExecutionContext): Promise<Response> {
  const f = faultsFor(env);
  const { pathname } = new URL(request.url);
  if (pathname === "/__soak/stats") return Response.json({ ...stats, outstanding: outstanding.size, faults: f });
  if (pathname === "/__soak/faults" && request.method === "POST") {
    Object.assign(f, (await request.json()) as Partial<SoakFaults>);
    return Response.json(f);
  }
  // Which soak requests reached the Worker at all (a client abort can come before that).
  const index = request.headers.get("x-soak-index");
  if (index !== null) console.log(JSON.stringify({ message: "soak: request entered", i: Number(index) }));
  return handler("fetch")(request, { ...env, USAGE_QUEUE: faultyQueue(env.USAGE_QUEUE, f) }, ctx);
}

async function scheduled(controller: ScheduledController, env: SoakEnv, ctx: ExecutionContext): Promise<void> {
  const f = faultsFor(env);
  stats.scheduledRuns++;
  await handler("scheduled")(controller, { ...env, DB: faultyDb(env.DB, f) }, ctx);
}

// The gateway's Durable Object classes (budgets and rate limits), as src/index.ts exports them.
export * from "../../src/index";
export default { fetch, queue, scheduled } satisfies ExportedHandler<SoakEnv>;
