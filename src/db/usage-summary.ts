import type { UsageFilter } from "./usage-queries";

/**
 * Usage totals at any scale: whole UTC hours inside the range come from the hourly
 * roll-up (usage_hourly, kept exact by triggers in the raw row's own transaction), and
 * only the partial hours at the range's edges from raw rows. The result is the sum of
 * the raw rows, whether or not old raw rows have since been exported and pruned, as
 * long as the range's edges fall on whole hours for pruned periods.
 */

/** Each group's field in a totals row. */
export const GROUP_COLUMNS = { team: "team_id", key: "key_id", model: "model", day: "day", hour: "hour", outcome: "outcome" } as const;
export type GroupBy = keyof typeof GROUP_COLUMNS;

/** Each group's column in the union of roll-ups and raw rows (below). */
const SOURCE_COLUMNS: Record<GroupBy, string> = {
  team: "team_id",
  key: "key_id",
  model: "model_key",
  day: "day",
  hour: "hour_start",
  outcome: "outcome",
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

type GroupValue = string | null;
export type UsageTotals = Partial<Record<(typeof GROUP_COLUMNS)[GroupBy] | "team_name" | "key_name", GroupValue>> &
  Record<(typeof TOTAL_COLUMNS)[number], number>;

/** A NULL model cannot be compared in a keyset: char(0), which no recorded model holds (control characters are replaced). */
const NO_MODEL = "char(0)";

/**
 * Each filter is written only when given (`team_id = ?1`), else as a no-op on its parameter
 * (`?1 IS NULL`): an `(?1 IS NULL OR team_id = ?1)` keeps SQLite from using the (team_id,
 * hour) index, and measured over 10M rows (npm run bench:ledger) scanned every roll-up row.
 */
function rollupSource(filter: UsageFilter, hours: { from: boolean; to: boolean }): string {
  return `SELECT team_id, key_id, model AS model_key, substr(hour, 1, 10) AS day, hour || ':00:00Z' AS hour_start, outcome, requests, prompt_tokens,
    completion_tokens, total_tokens, cached_tokens, reasoning_tokens, cost_micro_usd, unpriced_requests
  FROM usage_hourly
  WHERE ${filter.teamId === undefined ? "?1 IS NULL" : "team_id = ?1"} AND ${filter.keyId === undefined ? "?2 IS NULL" : "key_id = ?2"}
    AND ?3 AND ${hours.from ? "hour >= ?4" : "?4 IS NULL"} AND ${hours.to ? "hour < ?5" : "?5 IS NULL"}`;
}

function rawSource(filter: UsageFilter): string {
  return `SELECT team_id, key_id, IFNULL(model, ${NO_MODEL}) AS model_key, substr(started_at, 1, 10) AS day,
    substr(started_at, 1, 13) || ':00:00Z' AS hour_start, outcome, 1 AS requests,
    prompt_tokens, completion_tokens, total_tokens, cached_tokens, reasoning_tokens, IFNULL(cost_micro_usd, 0) AS cost_micro_usd,
    cost_micro_usd IS NULL AS unpriced_requests
  FROM usage_events
  WHERE ${filter.teamId === undefined ? "?1 IS NULL" : "team_id = ?1"} AND ${filter.keyId === undefined ? "?2 IS NULL" : "key_id = ?2"}
    AND ((started_at >= ?6 AND started_at < ?7) OR (started_at >= ?8 AND started_at < ?9))`;
}

const HOUR_MS = 3600_000;

/** "2026-12-01T13" for the hour holding `atMs`. */
function hourKey(atMs: number): string {
  return new Date(atMs).toISOString().slice(0, 13);
}

function iso(atMs: number): string {
  return new Date(atMs).toISOString();
}

/**
 * The parameters: [team, key, use roll-ups (0/1), first whole hour, end hour (exclusive),
 * raw edge before the first whole hour [from, start), raw edge after [end, to)].
 */
function rangeParameters(filter: UsageFilter): (string | number | null)[] {
  const from = filter.from === undefined ? null : Date.parse(filter.from);
  const to = filter.to === undefined ? null : Date.parse(filter.to);
  const firstWhole = from === null ? null : Math.ceil(from / HOUR_MS) * HOUR_MS;
  const endWhole = to === null ? null : Math.floor(to / HOUR_MS) * HOUR_MS;
  const team = filter.teamId ?? null;
  const key = filter.keyId ?? null;
  if (from !== null && to !== null && (firstWhole as number) >= (endWhole as number)) {
    // Within one hour or less: raw rows only, [from, to).
    return [team, key, 0, null, null, iso(from), iso(to), "", ""];
  }
  return [
    team,
    key,
    1,
    firstWhole === null ? null : hourKey(firstWhole),
    endWhole === null ? null : hourKey(endWhole),
    from === null ? "" : iso(from),
    firstWhole === null ? "" : iso(firstWhole),
    endWhole === null ? "" : iso(endWhole),
    to === null ? "" : iso(to),
  ];
}

export interface SummaryPage {
  limit: number;
  /** The group values of the last row of the previous page. */
  after?: GroupValue[];
}

/**
 * Totals per group (team, key, model, day, hour, outcome), with team and key names beside their ids,
 * in group order, a page at a time (limit + 1 rows are read to tell whether more follow).
 */
export async function summarizeUsage(db: D1Database, filter: UsageFilter, groupBy: GroupBy[], page?: SummaryPage): Promise<UsageTotals[]> {
  const groups = [...new Set(groupBy)];
  const keys = groups.map((g) => SOURCE_COLUMNS[g]);
  const params = rangeParameters(filter);
  const after = page?.after;
  const afterClause = after && keys.length > 0 ? `WHERE (${keys.join(", ")}) > (${keys.map((_, i) => `?${10 + i}`).join(", ")})` : "";
  const afterValues = after && keys.length > 0 ? after.map((value, i) => (keys[i] === "model_key" ? (value ?? "\u0000") : value)) : [];
  const limitClause = page ? `LIMIT ${Math.max(1, Math.floor(page.limit)) + 1}` : "";
  const select = keys.map((k) => `${k}, `).join("");
  const grouped = `SELECT ${select}SUM(requests) AS requests, SUM(prompt_tokens) AS prompt_tokens,
      SUM(completion_tokens) AS completion_tokens, SUM(total_tokens) AS total_tokens, SUM(cached_tokens) AS cached_tokens,
      SUM(reasoning_tokens) AS reasoning_tokens, SUM(cost_micro_usd) AS cost_micro_usd, SUM(unpriced_requests) AS unpriced_requests
    FROM (${rollupSource(filter, { from: params[3] !== null, to: params[4] !== null })} UNION ALL ${rawSource(filter)}) ${keys.length > 0 ? `GROUP BY ${keys.join(", ")}` : ""}`;
  const names = [
    groups.includes("team") ? "(SELECT name FROM teams WHERE id = g.team_id) AS team_name" : null,
    groups.includes("key") ? "(SELECT name FROM api_keys WHERE id = g.key_id) AS key_name" : null,
  ].filter((column): column is string => column !== null);
  const sql = `SELECT g.*${names.map((n) => `, ${n}`).join("")} FROM (${grouped}) g ${afterClause}
    ${keys.length > 0 ? `ORDER BY ${keys.join(", ")}` : ""} ${limitClause}`;
  const { results } = await db
    .prepare(sql)
    .bind(...params, ...afterValues)
    .all<Record<string, GroupValue | number>>();
  return results.map((row) => totalsOf(row, groups));
}

function totalsOf(row: Record<string, GroupValue | number>, groups: GroupBy[]): UsageTotals {
  const out: Record<string, GroupValue | number> = {};
  for (const g of groups) {
    if (g === "model") out.model = row.model_key === "\u0000" ? null : (row.model_key as GroupValue);
    else out[GROUP_COLUMNS[g]] = row[SOURCE_COLUMNS[g]] as GroupValue;
    if (g === "team") out.team_name = (row.team_name as GroupValue) ?? null;
    if (g === "key") out.key_name = (row.key_name as GroupValue) ?? null;
  }
  for (const total of TOTAL_COLUMNS) out[total] = Number(row[total] ?? 0);
  return out as UsageTotals;
}

/** The group values of a totals row, for the next page's cursor. */
export function groupPosition(row: UsageTotals, groupBy: GroupBy[]): GroupValue[] {
  return [...new Set(groupBy)].map((g) => row[GROUP_COLUMNS[g]] ?? null);
}
