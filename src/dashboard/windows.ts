/**
 * The time windows the dashboard shows: a preset (last 24 h, 7 d, 30 d) or a custom range of
 * UTC days, each with the width of its chart buckets. Buckets are whole UTC hours or days, so
 * each point is one group of GET /admin/usage?group_by=hour (or day) for the same window.
 */
const HOUR_MS = 3600_000;
const DAY_MS = 86_400_000;
/** A custom range's longest span: a dashboard is not an export (CSV or the ledger export is). */
const MAX_CUSTOM_DAYS = 400;
/** Past a week, hourly points are too many to read (and to table): daily ones. */
const HOURLY_UP_TO_MS = 7 * DAY_MS;

export const RANGES = {
  "24h": { label: "last 24 hours", span: 24 * HOUR_MS, bucket: "hour" },
  "7d": { label: "last 7 days", span: 7 * DAY_MS, bucket: "hour" },
  "30d": { label: "last 30 UTC days (today's included)", span: 30 * DAY_MS, bucket: "day" },
} as const;
export type RangeName = keyof typeof RANGES;
export type Bucket = "hour" | "day";

export interface ChartWindow {
  range: RangeName | "custom";
  /** [from, to), milliseconds since the epoch. */
  from: number;
  to: number;
  bucket: Bucket;
  /** A custom range's days as the form sent them (YYYY-MM-DD, `to` inclusive). */
  days?: { from: string; to: string };
}

export function rangeName(value: string | undefined): RangeName {
  return value === "7d" || value === "30d" ? value : "24h";
}

function bucketMs(bucket: Bucket): number {
  return bucket === "hour" ? HOUR_MS : DAY_MS;
}

/** A preset ending at the next whole bucket (hour, or for daily points the next UTC midnight). */
export function rangeWindow(range: RangeName, now = Date.now()): ChartWindow {
  const { span, bucket } = RANGES[range];
  const step = bucketMs(bucket);
  const to = Math.ceil(now / step) * step;
  return { range, from: to - span, to, bucket };
}

const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/** The last day a range may include: its end (the next midnight) must still be a four-digit-year instant the API takes. */
const LAST_DAY = Date.UTC(9999, 11, 30);

function dayStart(value: string | undefined): number | null {
  if (value === undefined || !DAY_PATTERN.test(value)) return null;
  const at = Date.parse(`${value}T00:00:00Z`);
  // Date.parse rolls 2026-02-31 over to March: only a day that reads back the same is one.
  if (Number.isNaN(at) || at > LAST_DAY) return null;
  return new Date(at).toISOString().slice(0, 10) === value ? at : null;
}

export class WindowError extends Error {}

/** A custom range of UTC days, `to` inclusive; a WindowError says what is wrong with the form. */
export function customWindow(fromDay: string | undefined, toDay: string | undefined): ChartWindow {
  const from = dayStart(fromDay);
  const last = dayStart(toDay);
  if (from === null || last === null) throw new WindowError("A custom range needs a From and a To day (YYYY-MM-DD, UTC).");
  if (last < from) throw new WindowError("The To day is before the From day.");
  const to = last + DAY_MS;
  if (to - from > MAX_CUSTOM_DAYS * DAY_MS) {
    throw new WindowError(`A custom range is at most ${MAX_CUSTOM_DAYS} days; use the CSV or the ledger export for longer.`);
  }
  return { range: "custom", from, to, bucket: bucketFor(to - from), days: { from: fromDay as string, to: toDay as string } };
}

/** The window a page's query asks for: `range=custom&from=…&to=…`, else a preset. */
export function windowOf(query: { range?: string; from?: string; to?: string }, now = Date.now()): ChartWindow {
  if (query.range === "custom") return customWindow(query.from, query.to);
  return rangeWindow(rangeName(query.range), now);
}

/** The bucket a window of this span is drawn in: hours up to a week, days beyond. */
function bucketFor(spanMs: number): Bucket {
  return spanMs <= HOURLY_UP_TO_MS ? "hour" : "day";
}

/**
 * The window a CSV link names by its instants (the page's window, exactly): bounded like a
 * custom range, so a hand-made link cannot ask for more than a page could show.
 */
export function instantsWindow(fromText: string | undefined, toText: string | undefined): ChartWindow {
  const from = fromText === undefined ? Number.NaN : Date.parse(fromText);
  const to = toText === undefined ? Number.NaN : Date.parse(toText);
  if (Number.isNaN(from) || Number.isNaN(to) || to <= from) throw new WindowError("The CSV link needs a from before its to.");
  if (to - from > MAX_CUSTOM_DAYS * DAY_MS) throw new WindowError(`A CSV download covers at most ${MAX_CUSTOM_DAYS} days.`);
  return { range: "custom", from, to, bucket: bucketFor(to - from) };
}

/** Every bucket's start in the window, in order. */
export function bucketStarts(window: ChartWindow): number[] {
  const step = bucketMs(window.bucket);
  const starts: number[] = [];
  for (let at = window.from; at < window.to; at += step) starts.push(at);
  return starts;
}

/** The GET /admin/usage filter of a window: its instants, and a team or key. */
export function windowQuery(window: ChartWindow, filter: { teamId?: string; keyId?: string } = {}) {
  return { from: new Date(window.from).toISOString(), to: new Date(window.to).toISOString(), ...filter };
}
