import type { Operator } from "../admin/operator";
import type { UsageTotals } from "../db/usage-summary";
import type { Env } from "../env";
import { adminJson } from "./admin-client";

/** The ranges the overview offers: the bucket width of its charts, and how many buckets. */
export const RANGES = {
  "24h": { buckets: 24, stepMs: 3600_000 },
  "7d": { buckets: 28, stepMs: 6 * 3600_000 },
  "30d": { buckets: 30, stepMs: 86_400_000 },
} as const;
export type RangeName = keyof typeof RANGES;

export function rangeName(value: string | undefined): RangeName {
  return value === "7d" || value === "30d" ? value : "24h";
}

export interface UsageQuery {
  from: string;
  to: string;
  teamId?: string;
  keyId?: string;
}

/** The window of a range ending at the next whole hour, so that buckets fall on hours (roll-ups). */
export function rangeWindow(range: RangeName, now = Date.now()): { from: number; to: number } {
  const { buckets, stepMs } = RANGES[range];
  const to = Math.ceil(now / 3600_000) * 3600_000;
  return { from: to - buckets * stepMs, to };
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

export interface Series {
  /** Bucket starts, seconds since the epoch (uPlot's x axis). */
  t: number[];
  requests: number[];
  tokens: number[];
  prompt: number[];
  completion: number[];
  cost_usd: number[];
}

/** One GET /admin/usage per bucket: each point is exactly what the API answers for that window. */
export async function usageSeries(
  env: Env,
  operator: Operator,
  range: RangeName,
  base: Omit<UsageQuery, "from" | "to">,
  now = Date.now(),
): Promise<Series> {
  const { buckets, stepMs } = RANGES[range];
  const { from } = rangeWindow(range, now);
  const starts = Array.from({ length: buckets }, (_, i) => from + i * stepMs);
  const totals = await Promise.all(
    starts.map(async function bucketTotals(start) {
      const query = { ...base, from: new Date(start).toISOString(), to: new Date(start + stepMs).toISOString() };
      const [row] = await usageRows(env, operator, query, "", 1);
      return row;
    }),
  );
  const pick = (f: (row: UsageTotals) => number) => totals.map((row) => (row === undefined ? 0 : f(row)));
  return {
    t: starts.map((s) => s / 1000),
    requests: pick((r) => r.requests),
    tokens: pick((r) => r.total_tokens),
    prompt: pick((r) => r.prompt_tokens),
    completion: pick((r) => r.completion_tokens),
    cost_usd: pick((r) => r.cost_micro_usd / 1e6),
  };
}

/** The n rows largest by `by`, ties in the API's order. */
export function topRows(rows: UsageTotals[], by: "cost_micro_usd" | "requests", n = 10): UsageTotals[] {
  return [...rows].sort((a, b) => b[by] - a[by]).slice(0, n);
}

export function formatUsd(microUsd: number): string {
  return `$${(microUsd / 1e6).toFixed(6)}`;
}
