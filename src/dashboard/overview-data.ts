import type { Operator } from "../admin/operator";
import type { UsageTotals } from "../db/usage-summary";
import type { Env } from "../env";
import { OUTCOMES, type Outcome } from "../metering/usage-record";
import { formatMillionths } from "../pricing/decimal";
import { adminJson } from "./admin-client";
import { CHART_LINES, type ChartLine, FAILED_OUTCOMES } from "./chart-lines";
import { type Bucket, bucketStarts, type ChartWindow, windowQuery } from "./windows";

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
    if (cursor === null) return rows;
  }
  // Never a silent part of the answer: a page that cannot show every group says so.
  throw new ApiFailure(400, `More than ${maxPages * 1000} groups to show on one page: narrow the range or the team, or use the CSV.`);
}

/** The charts' columns: bucket starts, and one number per bucket for each line of each chart. */
export interface Series {
  /** Bucket starts, seconds since the epoch (uPlot's x axis). */
  t: number[];
  bucket: Bucket;
  columns: Record<string, number[]>;
  /** Each chart's lines: CHART_LINES, and the split charts' (by team, by model) when drawn. */
  lines: Record<string, ChartLine[]>;
  /** Charts that are not drawn, and why (a split chart with no usage, or too many groups). */
  notDrawn?: Record<string, string>;
}

/** A percentage with two decimals, 0 for an empty bucket. */
function percent(part: number, whole: number): number {
  return whole === 0 ? 0 : Math.round((part / whole) * 10_000) / 100;
}

const SUMMED = {
  requests: "requests",
  tokens: "total_tokens",
  prompt: "prompt_tokens",
  completion: "completion_tokens",
  cached: "cached_tokens",
  reasoning: "reasoning_tokens",
} as const satisfies Record<string, keyof UsageTotals>;

const isOutcome = (value: unknown): value is Outcome => (OUTCOMES as readonly unknown[]).includes(value);

/**
 * The window's buckets from one GET /admin/usage?group_by=hour,outcome (or day,outcome):
 * every point is the sum of the API's rows for its bucket, so the charts add up to the totals.
 */
export async function usageSeries(
  env: Env,
  operator: Operator,
  window: ChartWindow,
  filter: { teamId?: string; keyId?: string },
): Promise<Series> {
  const rows = await usageRows(env, operator, windowQuery(window, filter), `${window.bucket},outcome`);
  const starts = bucketStarts(window);
  const index = new Map(starts.map((start, i) => [start, i]));
  const zeros = () => starts.map(() => 0);
  const sums = Object.fromEntries(Object.keys(SUMMED).map((name) => [name, zeros()])) as Record<keyof typeof SUMMED, number[]>;
  const byOutcome = Object.fromEntries(OUTCOMES.map((outcome) => [outcome, zeros()])) as Record<Outcome, number[]>;
  const costMicro = zeros();
  const failed = zeros();
  for (const row of rows) {
    // Buckets and groups are the same whole hours or days; a row outside them cannot occur.
    const i = index.get(Date.parse(window.bucket === "hour" ? (row.hour ?? "") : `${row.day}T00:00:00Z`));
    if (i === undefined) continue;
    for (const name of Object.keys(SUMMED) as (keyof typeof SUMMED)[]) sums[name][i] = (sums[name][i] ?? 0) + row[SUMMED[name]];
    costMicro[i] = (costMicro[i] ?? 0) + row.cost_micro_usd;
    if (!isOutcome(row.outcome)) continue;
    byOutcome[row.outcome][i] = (byOutcome[row.outcome][i] ?? 0) + row.requests;
    if (FAILED_OUTCOMES.includes(row.outcome)) failed[i] = (failed[i] ?? 0) + row.requests;
  }
  const share = (counts: number[]) => counts.map((n, i) => percent(n, sums.requests[i] ?? 0));
  const columns: Record<string, number[]> = {
    ...sums,
    ...byOutcome,
    cost_usd: costMicro.map((micro) => micro / 1e6),
    failed_pct: share(failed),
    rejected_pct: share(byOutcome.rejected),
  };
  return { t: starts.map((start) => start / 1000), bucket: window.bucket, columns, lines: CHART_LINES };
}

/** The n rows largest by `by`, ties in the API's order. */
export function topRows(rows: UsageTotals[], by: "cost_micro_usd" | "requests", n = 10): UsageTotals[] {
  return [...rows].sort((a, b) => b[by] - a[by]).slice(0, n);
}

/** Integer micro-USD as dollars to the micro-dollar, exactly (no float): $0.000042. */
export function formatUsd(microUsd: number): string {
  return `$${formatMillionths(microUsd, 6)}`;
}
