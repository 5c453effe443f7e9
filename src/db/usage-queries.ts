import type { PricedRecord } from "../metering/usage-record";

export interface UsageFilter {
  teamId?: string;
  keyId?: string;
  /** Inclusive, ISO-8601 as stored (toISOString). */
  from?: string;
  /** Exclusive. */
  to?: string;
}

const FILTER_SQL =
  "(?1 IS NULL OR team_id = ?1) AND (?2 IS NULL OR key_id = ?2) AND (?3 IS NULL OR started_at >= ?3) AND (?4 IS NULL OR started_at < ?4)";

function filterValues(filter: UsageFilter): (string | null)[] {
  return [filter.teamId ?? null, filter.keyId ?? null, filter.from ?? null, filter.to ?? null];
}

/** A ledger row as listed: the record, with its team's and key's names beside their ids. */
export type ListedRecord = PricedRecord & { team_name: string | null; key_name: string | null };
type UsageRow = Omit<ListedRecord, "stream"> & { stream: number };

/** What the events listing shows of a row: the record as recorded (recorded_at is the ledger's own bookkeeping). */
const EVENT_COLUMNS = `request_id, team_id, key_id, endpoint, model, stream, status, outcome, finish_reason, prompt_tokens,
  completion_tokens, total_tokens, cached_tokens, reasoning_tokens, usage_source, started_at, ttfb_ms, duration_ms,
  cost_micro_usd, price_id, (SELECT name FROM teams WHERE id = usage_events.team_id) AS team_name,
  (SELECT name FROM api_keys WHERE id = usage_events.key_id) AS key_name`;

/** Ledger rows in request-time order, after the (started_at, request_id) of the previous page. */
export async function listUsageEvents(
  db: D1Database,
  filter: UsageFilter,
  limit: number,
  after?: { at: string; id: string },
): Promise<ListedRecord[]> {
  const { results } = await db
    .prepare(
      `SELECT ${EVENT_COLUMNS} FROM usage_events WHERE ${FILTER_SQL} AND (?5 IS NULL OR (started_at, request_id) > (?5, ?6))
       ORDER BY started_at, request_id LIMIT ?7`,
    )
    .bind(...filterValues(filter), after?.at ?? null, after?.id ?? null, limit)
    .all<UsageRow>();
  return results.map((row) => ({ ...row, stream: row.stream === 1 }));
}

const LAG_SQL = `MAX(0, recorded_at - (CAST(ROUND((julianday(started_at) - 2440587.5) * 86400000) AS INTEGER) + duration_ms))`;
const LAG_ROWS = "FROM usage_events WHERE started_at >= ?1 AND recorded_at IS NOT NULL AND outcome <> 'interrupted'";

/**
 * How long rows take to reach the ledger: from a request's end (started_at + duration)
 * to the row's recorded_at, over rows started since `since` (the started_at index
 * keeps this a range read). The sweep's `interrupted` rows are left out: their delay
 * is the threshold, not lag.
 */
export async function ledgerLag(
  db: D1Database,
  since: string,
): Promise<{ rows: number; p50: number | null; max: number | null; lastRecordedAt: number | null }> {
  const summary = await db
    .prepare(`SELECT COUNT(*) AS rows, MAX(${LAG_SQL}) AS max, MAX(recorded_at) AS last ${LAG_ROWS}`)
    .bind(since)
    .first<{ rows: number; max: number | null; last: number | null }>();
  const rows = summary?.rows ?? 0;
  if (rows === 0) return { rows: 0, p50: null, max: null, lastRecordedAt: null };
  const median = await db
    .prepare(`SELECT ${LAG_SQL} AS lag ${LAG_ROWS} ORDER BY lag LIMIT 1 OFFSET ?2`)
    .bind(since, Math.floor((rows - 1) / 2))
    .first<{ lag: number }>();
  return { rows, p50: median?.lag ?? null, max: summary?.max ?? null, lastRecordedAt: summary?.last ?? null };
}
