import type { Operator } from "../admin/operator";
import type { UsageTotals } from "../db/usage-summary";
import type { Env } from "../env";
import type { ChartLine } from "./chart-lines";
import { usageRows } from "./overview-data";
import { bucketStarts, type ChartWindow, windowQuery } from "./windows";

/** Lines a split chart draws at most: the largest groups, then one line for all the others. */
export const SPLIT_LINES = 6;

const PALETTE = ["#2563eb", "#dc2626", "#15803d", "#9333ea", "#ea580c", "#0891b2", "#6b7280"];

export interface Split {
  lines: ChartLine[];
  columns: Record<string, number[]>;
}

type Group = "team" | "model";
type Measure = "requests" | "cost_micro_usd";

function groupOf(row: UsageTotals, group: Group): { id: string; label: string } {
  if (group === "team") return { id: row.team_id ?? "", label: row.team_name ?? row.team_id ?? "" };
  return { id: row.model ?? "\u0000", label: row.model ?? "(no model)" };
}

/**
 * One measure over time split by team or by model, from one GET /admin/usage?group_by=hour,team
 * (or day, model): the SPLIT_LINES largest groups over the window, each its own line, the rest
 * summed as "others", so the lines of a bucket add up to its total. Columns are named by
 * position (split_team_0…), never by a name a caller chose.
 */
export async function splitSeries(
  env: Env,
  operator: Operator,
  window: ChartWindow,
  filter: { teamId?: string; keyId?: string },
  group: Group,
  measure: Measure,
): Promise<Split> {
  const rows = await usageRows(env, operator, windowQuery(window, filter), `${window.bucket},${group}`);
  const totals = new Map<string, { label: string; total: number; requests: number }>();
  for (const row of rows) {
    const { id, label } = groupOf(row, group);
    const entry = totals.get(id) ?? { label, total: 0, requests: 0 };
    entry.total += row[measure];
    entry.requests += row.requests;
    totals.set(id, entry);
  }
  const ranked = [...totals].sort(([a, x], [b, y]) => y.total - x.total || y.requests - x.requests || (a < b ? -1 : 1));
  const shown = ranked.slice(0, SPLIT_LINES);
  const lineOf = new Map(shown.map(([id], i) => [id, i]));
  const others = ranked.length > SPLIT_LINES;
  const lines: ChartLine[] = shown.map(([, entry], i) => ({
    label: entry.label,
    key: `split_${group}_${i}`,
    stroke: PALETTE[i] ?? "#000",
  }));
  if (others)
    lines.push({ label: `${ranked.length - SPLIT_LINES} others`, key: `split_${group}_others`, stroke: PALETTE[SPLIT_LINES] ?? "#000" });

  const starts = bucketStarts(window);
  const index = new Map(starts.map((start, i) => [start, i]));
  const columns: Record<string, number[]> = Object.fromEntries(lines.map((line) => [line.key, starts.map(() => 0)]));
  const scale = measure === "cost_micro_usd" ? 1e6 : 1;
  for (const row of rows) {
    const i = index.get(Date.parse(window.bucket === "hour" ? (row.hour ?? "") : `${row.day}T00:00:00Z`));
    const line = lineOf.get(groupOf(row, group).id);
    const column = columns[line === undefined ? `split_${group}_others` : `split_${group}_${line}`];
    if (i === undefined || column === undefined) continue;
    column[i] = (column[i] ?? 0) + row[measure];
  }
  for (const line of lines) columns[line.key] = (columns[line.key] ?? []).map((value) => value / scale);
  return { lines, columns };
}
