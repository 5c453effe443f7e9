import type { Operator } from "../admin/operator";
import type { UsageTotals } from "../db/usage-summary";
import type { Env } from "../env";
import { OUTCOMES, type Outcome } from "../metering/usage-record";
import { adminJson } from "./admin-client";
import { CHART_LINES, FAILED_OUTCOMES } from "./chart-lines";
import { type Bucket, bucketStarts, type ChartWindow, type RangeName, rangeWindow } from "./windows";

export interface UsageQuery {
  from: string;
  to: string;
  teamId?: string;
  keyId?: string;
}

/** The GET /admin/usage query string of a filter: the same one the page's CSV link and the tests use. */
export function usageSearch(query: UsageQuery, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams({ from: query.from, to: query.to, ...extra });
  if (query.teamId) params.set("team_id", query.teamId);
  if (query.keyId) params.set("key_id", query.keyId);
  return params.toString();
}

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface UsagePage {
  data: UsageTotals[];
  next_cursor: string | null;
  error?: { message: string };
}

/** Every group of one GET /admin/usage summary, following its cursor (bounded: a dashboard is not an export). */
export async function usageRows(env: Env, operator: Operator, query: UsageQuery, groupBy: string, maxPages = 10): Promise<UsageTotals[]> {
  const rows: UsageTotals[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < maxPages; page++) {
    const extra: Record<string, string> = { limit: "1000" };
    if (groupBy) extra.group_by = groupBy;
    if (cursor) extra.cursor = cursor;
    const { status, body } = await adminJson<UsagePage>(env, operator, "GET", `/usage?${usageSearch(query, extra)}`);
    if (status !== 200) throw new ApiFailure(status, body.error?.message ?? "The usage query failed.");
    rows.push(...body.data);
    cursor = body.next_cursor;
    if (cursor === null) break;
  }
  return rows;
}

/** The charts' columns: bucket starts, and one number per bucket for each line of CHART_LINES. */
export interface Series {
  /** Bucket starts, seconds since the epoch (uPlot's x axis). */
  t: number[];
  bucket: Bucket;
  columns: Record<string, number[]>;
  lines: typeof CHART_LINES;
}

/** A percentage with two decimals, 0 for an empty bucket. */
function percent(part: number, whole: number): number {
  return whole === 0 ? 0 : Math.round((part / whole) * 10_000) / 100;
}

/**
 * The window's buckets from one GET /admin/usage?group_by=hour,outcome (or day,outcome):
 * every point is the sum of the API's rows for its bucket, so the charts add up to the totals.
 */
export async function usageSeries(
  env: Env,
  operator: Operator,
  window: ChartWindow | RangeName,
  base: Omit<UsageQuery, "from" | "to">,
  now = Date.now(),
): Promise<Series> {
  const w = typeof window === "string" ? rangeWindow(window, now) : window;
  const query = { ...base, from: new Date(w.from).toISOString(), to: new Date(w.to).toISOString() };
  const rows = await usageRows(env, operator, query, `${w.bucket},outcome`);
  const starts = bucketStarts(w);
  const index = new Map(starts.map((start, i) => [start, i]));
  const column = () => starts.map(() => 0);
  const columns: Record<string, number[]> = {};
  for (const name of ["requests", "tokens", "prompt", "completion", "cached", "reasoning", "cost_micro_usd", "failed", ...OUTCOMES]) {
    columns[name] = column();
  }
  const add = (name: string, i: number, value: number) => {
    (columns[name] as number[])[i] = ((columns[name] as number[])[i] ?? 0) + value;
  };
  for (const row of rows) {
    const start = Date.parse(w.bucket === "hour" ? (row.hour ?? "") : `${row.day}T00:00:00Z`);
    const i = index.get(start);
    if (i === undefined) continue;
    add("requests", i, row.requests);
    add("tokens", i, row.total_tokens);
    add("prompt", i, row.prompt_tokens);
    add("completion", i, row.completion_tokens);
    add("cached", i, row.cached_tokens);
    add("reasoning", i, row.reasoning_tokens);
    add("cost_micro_usd", i, row.cost_micro_usd);
    if (row.outcome) add(row.outcome, i, row.requests);
    if (row.outcome && FAILED_OUTCOMES.includes(row.outcome as Outcome)) add("failed", i, row.requests);
  }
  const requests = columns.requests as number[];
  columns.cost_usd = (columns.cost_micro_usd as number[]).map((micro) => micro / 1e6);
  columns.failed_pct = (columns.failed as number[]).map((n, i) => percent(n, requests[i] ?? 0));
  columns.rejected_pct = (columns.rejected as number[]).map((n, i) => percent(n, requests[i] ?? 0));
  return { t: starts.map((s) => s / 1000), bucket: w.bucket, columns, lines: CHART_LINES };
}

/** The n rows largest by `by`, ties in the API's order. */
export function topRows(rows: UsageTotals[], by: "cost_micro_usd" | "requests", n = 10): UsageTotals[] {
  return [...rows].sort((a, b) => b[by] - a[by]).slice(0, n);
}

export function formatUsd(microUsd: number): string {
  return `$${(microUsd / 1e6).toFixed(6)}`;
}
