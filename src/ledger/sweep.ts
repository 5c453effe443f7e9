import { closeInterruptedStatements } from "../db/usage-started";
import type { Env } from "../env";

/**
 * Longer than the longest request: UPSTREAM_TIMEOUT_MS (5 min) for headers, then a
 * stream of any length while the client reads. An hour covers every stream this
 * gateway has been seen to carry; a request still streaming after it and recorded
 * later supersedes its `interrupted` row.
 */
export const DEFAULT_INTERRUPTED_AFTER_SECONDS = 3600;
/** Notes closed per D1 batch, and batches per run: bounded work for one cron invocation. */
const SWEEP_CHUNK = 500;
const MAX_CHUNKS_PER_RUN = 40;

export function interruptedAfterSeconds(env: Env): number {
  const configured = Number(env.INTERRUPTED_AFTER_SECONDS);
  return Number.isFinite(configured) && configured > 0 ? configured : DEFAULT_INTERRUPTED_AFTER_SECONDS;
}

/**
 * Closes every started request that has had no final record for INTERRUPTED_AFTER_SECONDS
 * as `interrupted` (the isolate died mid-request). Idempotent: a note is turned into a
 * row once, and a row already written for it is kept. Returns how many it closed.
 */
export async function sweepInterrupted(env: Env, now = Date.now()): Promise<number> {
  const cutoff = new Date(now - interruptedAfterSeconds(env) * 1000).toISOString();
  let closed = 0;
  for (let chunk = 0; chunk < MAX_CHUNKS_PER_RUN; chunk++) {
    const [insert] = await env.DB.batch(closeInterruptedStatements(env.DB, cutoff, SWEEP_CHUNK, now));
    const written = insert?.meta.changes ?? 0;
    closed += written;
    if (written < SWEEP_CHUNK) break;
  }
  if (closed > 0) console.warn(JSON.stringify({ message: "started requests closed as interrupted", count: closed, cutoff }));
  return closed;
}
