import { insertUsageEventStatement } from "../db/usage-events";
import { clearRecordedNotesStatement, overdueStartedNotes } from "../db/usage-started";
import type { Env } from "../env";
import { settleReserved } from "../metering/apply-usage";
import { fallbackUsage } from "../metering/estimate";
import { priceRecords } from "../metering/pricing";
import type { StartedNote, UsageRecord } from "../metering/usage-record";

/**
 * Longer than the longest request: UPSTREAM_TIMEOUT_MS (5 min) for headers, then a
 * stream of any length while the client reads. An hour covers every stream this
 * gateway has been seen to carry; a request still streaming after it and recorded
 * later supersedes its `interrupted` row.
 */
export const DEFAULT_INTERRUPTED_AFTER_SECONDS = 3600;
/** Notes closed per D1 batch, and batches per run: bounded work for one cron invocation. */
const SWEEP_CHUNK = 200;
const MAX_CHUNKS_PER_RUN = 50;

export function interruptedAfterSeconds(env: Env): number {
  const configured = Number(env.INTERRUPTED_AFTER_SECONDS);
  return Number.isFinite(configured) && configured > 0 ? configured : DEFAULT_INTERRUPTED_AFTER_SECONDS;
}

/**
 * What is known of a request whose isolate died: its prompt, estimated when it was
 * forwarded; no answer is known to have reached the client (status 0), no timing.
 */
export function interruptedRecord(note: StartedNote): UsageRecord {
  const { usage, usageSource } = fallbackUsage(note.costs_tokens ? () => note.prompt_tokens : undefined);
  return {
    request_id: note.request_id,
    team_id: note.team_id,
    key_id: note.key_id,
    endpoint: note.endpoint,
    model: note.model,
    stream: note.stream,
    status: 0,
    outcome: "interrupted",
    finish_reason: null,
    ...usage,
    usage_source: usageSource,
    started_at: note.started_at,
    ttfb_ms: null,
    duration_ms: 0,
    reserved: note.reserved ?? false,
  };
}

/**
 * Closes every started request that has had no final record for INTERRUPTED_AFTER_SECONDS
 * as `interrupted` (the isolate died mid-request), priced, and settles the reservation it
 * held. Idempotent: a row already written for a request is kept (a final record is never
 * replaced by the sweep's stand-in). Returns how many it closed.
 */
export async function sweepInterrupted(env: Env, now = Date.now()): Promise<number> {
  const cutoff = new Date(now - interruptedAfterSeconds(env) * 1000).toISOString();
  let closed = 0;
  for (let chunk = 0; chunk < MAX_CHUNKS_PER_RUN; chunk++) {
    const notes = await overdueStartedNotes(env.DB, cutoff, SWEEP_CHUNK);
    if (notes.length > 0) {
      const records = await priceRecords(env.DB, notes.map(interruptedRecord));
      // Settled first: should the write then fail, the next run settles again (a no-op) and writes.
      await settleReserved(env, records);
      await env.DB.batch(records.map((record) => insertUsageEventStatement(env.DB, record, now)));
      closed += notes.length;
    }
    await clearRecordedNotesStatement(env.DB, cutoff).run();
    if (notes.length < SWEEP_CHUNK) break;
  }
  if (closed > 0) console.warn(JSON.stringify({ message: "started requests closed as interrupted", count: closed, cutoff }));
  return closed;
}
