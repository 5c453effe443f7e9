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

type UsageRow = Omit<PricedRecord, "stream"> & { stream: number };

/** What the events listing shows of a row: the record as recorded (recorded_at is the ledger's own bookkeeping). */
const EVENT_COLUMNS = `request_id, team_id, key_id, endpoint, model, stream, status, outcome, finish_reason, prompt_tokens,
  completion_tokens, total_tokens, cached_tokens, reasoning_tokens, usage_source, started_at, ttfb_ms, duration_ms,
  cost_micro_usd, price_id`;

/** Ledger rows in request-time order, after the (started_at, request_id) of the previous page. */
export async function listUsageEvents(
  db: D1Database,
  filter: UsageFilter,
  limit: number,
  after?: { at: string; id: string },
): Promise<PricedRecord[]> {
  const { results } = await db
    .prepare(
      `SELECT ${EVENT_COLUMNS} FROM usage_events WHERE ${FILTER_SQL} AND (?5 IS NULL OR (started_at, request_id) > (?5, ?6))
       ORDER BY started_at, request_id LIMIT ?7`,
    )
    .bind(...filterValues(filter), after?.at ?? null, after?.id ?? null, limit)
    .all<UsageRow>();
  return results.map((row) => ({ ...row, stream: row.stream === 1 }));
}

export const GROUP_COLUMNS = { team: "team_id", key: "key_id", model: "model", day: "day" } as const;
export type GroupBy = keyof typeof GROUP_COLUMNS;

const GROUP_SQL: Record<GroupBy, string> = {
  team: "team_id",
  key: "key_id",
  model: "model",
  day: "substr(started_at, 1, 10) AS day",
};

export const TOTAL_COLUMNS = [
  "requests",
  "prompt_tokens",
  "completion_tokens",
  "total_tokens",
  "cached_tokens",
  "reasoning_tokens",
  "cost_micro_usd",
  "unpriced_requests",
] as const;

export type UsageTotals = Partial<Record<(typeof GROUP_COLUMNS)[GroupBy], string | null>> & Record<(typeof TOTAL_COLUMNS)[number], number>;

/** Totals per group, summed by D1 from the same rows the events listing returns. */
export async function summarizeUsage(db: D1Database, filter: UsageFilter, groupBy: GroupBy[]): Promise<UsageTotals[]> {
  const groups = [...new Set(groupBy)];
  const selectGroups = groups.map((g) => `${GROUP_SQL[g]}, `).join("");
  const groupClause =
    groups.length > 0
      ? `GROUP BY ${groups.map((g) => GROUP_COLUMNS[g]).join(", ")} ORDER BY ${groups.map((g) => GROUP_COLUMNS[g]).join(", ")}`
      : "";
  const { results } = await db
    .prepare(
      `SELECT ${selectGroups}COUNT(*) AS requests,
         COALESCE(SUM(prompt_tokens), 0) AS prompt_tokens, COALESCE(SUM(completion_tokens), 0) AS completion_tokens,
         COALESCE(SUM(total_tokens), 0) AS total_tokens, COALESCE(SUM(cached_tokens), 0) AS cached_tokens,
         COALESCE(SUM(reasoning_tokens), 0) AS reasoning_tokens,
         COALESCE(SUM(cost_micro_usd), 0) AS cost_micro_usd, COALESCE(SUM(cost_micro_usd IS NULL), 0) AS unpriced_requests
       FROM usage_events WHERE ${FILTER_SQL} ${groupClause}`,
    )
    .bind(...filterValues(filter))
    .all<UsageTotals>();
  return results;
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
