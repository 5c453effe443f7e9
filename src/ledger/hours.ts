/**
 * The ledger's export unit is a UTC hour of started_at, written as its first 13 characters
 * ("2026-12-01T13"), the same key as the roll-ups (usage_hourly). Stored times are
 * toISOString() strings, so an hour's rows are the text range [hour, next hour).
 */
export const HOUR_MS = 3_600_000;

const HOUR_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}$/;

export function isHour(text: string): boolean {
  return HOUR_PATTERN.test(text) && !Number.isNaN(hourStart(text));
}

export function hourOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 13);
}

export function hourStart(hour: string): number {
  return Date.parse(`${hour}:00:00.000Z`);
}

export function nextHour(hour: string): string {
  return hourOf(hourStart(hour) + HOUR_MS);
}

/** R2 keys of an hour, Hive-style (date=…/hour=…) so that DuckDB and Spark read the partitions as columns. */
export function hourPrefix(hour: string): string {
  return `usage/v1/date=${hour.slice(0, 10)}/hour=${hour.slice(11, 13)}`;
}

export function partKey(hour: string, index: number): string {
  return `${hourPrefix(hour)}/part-${String(index).padStart(5, "0")}.ndjson.gz`;
}

export function manifestKey(hour: string): string {
  return `${hourPrefix(hour)}/manifest.json`;
}
