import type { Operator } from "../admin/operator";
import type { UsageTotals } from "../db/usage-summary";
import type { Env } from "../env";
import type { ChartLine } from "./chart-lines";
import { type Series, usageRows } from "./overview-data";
import { bucketStarts, type ChartWindow, windowQuery } from "./windows";

/** Lines a split chart draws at most: the largest groups, then one line for all the others. */
const SPLIT_LINES = 6;

const PALETTE = ["#2563eb", "#dc2626", "#15803d", "#9333ea", "#ea580c", "#0891b2", "#6b7280"];

export interface Split {
  lines: ChartLine[];
  columns: Record<string, number[]>;
  /** Why the chart has no lines: no usage, or too many groups for its buckets. */
  notDrawn?: string;
}

type Group = "team" | "model";
type Measure = "requests" | "cost_micro_usd";

function groupOf(row: UsageTotals, group: Group): { id: string; label: string } {
  if (group === "team") return { id: row.team_id ?? "", label: row.team_name ?? row.team_id ?? "" };
  return { id: row.model ?? "\u0000", label: row.model ?? "(no model)" };
}

/** Rows one split chart may read (groups × buckets): past this it is not drawn; the tables have the figures. */
const MAX_SPLIT_ROWS = 10_000;

const byTotal = (a: Ranked, b: Ranked) => b.total - a.total || b.requests - a.requests || (a.id < b.id ? -1 : 1);

interface Ranked {
  id: string;
  label: string;
  total: number;
  requests: number;
}

/**
 * One measure over time split by team or by model: the groups ranked over the whole window
 * from `groups`, GET /admin/usage?group_by=team (or model) for the same window (the page's own
 * table, asked once), then their points from
 * group_by=hour,team (or day, model). The SPLIT_LINES largest are a line each and the rest
 * one "others" line (all of them when only one more), so a bucket's lines add up to its
 * total. Columns are named by position (split_team_0…), never by a name a caller chose.
 */
export async function splitSeries(
  env: Env,
  operator: Operator,
  window: ChartWindow,
  filter: { teamId?: string; keyId?: string },
  split: { group: Group; measure: Measure; groups: Promise<UsageTotals[]> },
): Promise<Split> {
  const { group, measure } = split;
  const query = windowQuery(window, filter);
  const groups = await split.groups;
  const starts = bucketStarts(window);
  const noun = group === "team" ? "teams" : "models";
  if (groups.length === 0) return { lines: [], columns: {}, notDrawn: "No usage in this range." };
  if (groups.length * starts.length > MAX_SPLIT_ROWS) {
    return { lines: [], columns: {}, notDrawn: `Too many ${noun} to draw over this range; the table by ${group} below has the figures.` };
  }
  const ranked: Ranked[] = groups.map((row) => ({ ...groupOf(row, group), total: row[measure], requests: row.requests })).sort(byTotal);
  const shown = ranked.length <= SPLIT_LINES + 1 ? ranked : ranked.slice(0, SPLIT_LINES);
  const lineOf = new Map(shown.map((entry, i) => [entry.id, i]));
  const lines: ChartLine[] = shown.map((entry, i) => ({ label: entry.label, key: `split_${group}_${i}`, stroke: PALETTE[i] ?? "#000" }));
  const othersKey = `split_${group}_others`;
  if (ranked.length > shown.length) {
    lines.push({ label: `${ranked.length - shown.length} other ${noun}`, key: othersKey, stroke: PALETTE[SPLIT_LINES] ?? "#000" });
  }

  const rows = await usageRows(env, operator, query, `${window.bucket},${group}`);
  const index = new Map(starts.map((start, i) => [start, i]));
  const columns: Record<string, number[]> = Object.fromEntries(lines.map((line) => [line.key, starts.map(() => 0)]));
  const scale = measure === "cost_micro_usd" ? 1e6 : 1;
  for (const row of rows) {
    const i = index.get(Date.parse(window.bucket === "hour" ? (row.hour ?? "") : `${row.day}T00:00:00Z`));
    const line = lineOf.get(groupOf(row, group).id);
    const column = columns[line === undefined ? othersKey : `split_${group}_${line}`];
    if (i === undefined || column === undefined) continue;
    column[i] = (column[i] ?? 0) + row[measure];
  }
  for (const line of lines) columns[line.key] = (columns[line.key] ?? []).map((value) => value / scale);
  return { lines, columns };
}

/** The series with a split chart's lines, columns and (when not drawn) its reason; CHART_LINES itself is never written. */
export function withSplit(series: Series, chart: string, split: Split): Series {
  return {
    ...series,
    lines: { ...series.lines, [chart]: split.lines },
    columns: { ...series.columns, ...split.columns },
    notDrawn: split.notDrawn === undefined ? series.notDrawn : { ...series.notDrawn, [chart]: split.notDrawn },
  };
}
