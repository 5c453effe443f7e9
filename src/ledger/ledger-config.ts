import type { Env } from "../env";
import { interruptedAfterSeconds } from "./sweep";

/** Days of raw rows D1 keeps with the d1 sink (README: Exports and retention). */
export const DEFAULT_RAW_RETENTION_DAYS = 90;
/** Hours of raw rows D1 keeps with the r2 sink: two days of the events listing. */
export const DEFAULT_RAW_WINDOW_HOURS = 48;
/**
 * An hour is exported once it ended INTERRUPTED_AFTER_SECONDS plus this long ago: by then
 * the sweep (every 5 minutes) has closed its lost requests, and a record that failed its
 * first write has had its queue retries (backoff capped at 15 minutes, ~66 minutes in all)
 * for anything that ended within the hour's last minutes. Whatever lands later still is
 * caught (the hour goes stale) and re-exported before any of it is pruned.
 */
export const EXPORT_SETTLE_SECONDS = 1800;

export type RawSink = "d1" | "r2";

function nonNegative(value: string | undefined, fallback: number): number {
  const parsed = Number(value);
  return value !== undefined && value.trim() !== "" && Number.isFinite(parsed) && parsed >= 0 ? parsed : fallback;
}

export function rawSink(env: Env): RawSink {
  return env.LEDGER_RAW_SINK?.trim().toLowerCase() === "r2" ? "r2" : "d1";
}

/** How long D1 keeps raw rows (by started_at): an hour's rows may be pruned once the hour ended this long ago. */
export function rawKeepMs(env: Env): number {
  if (rawSink(env) === "r2") return nonNegative(env.RAW_WINDOW_HOURS, DEFAULT_RAW_WINDOW_HOURS) * 3_600_000;
  return nonNegative(env.RAW_RETENTION_DAYS, DEFAULT_RAW_RETENTION_DAYS) * 86_400_000;
}

/** How long after an hour's end it is exported. */
export function exportDelayMs(env: Env): number {
  return (interruptedAfterSeconds(env) + EXPORT_SETTLE_SECONDS) * 1000;
}
