// Days until one D1 database reaches its 10 GB cap, from the bytes bench/ledger.mjs measured,
// for each raw sink and retention (src/ledger/ledger-config.ts: LEDGER_RAW_SINK, RAW_RETENTION_DAYS,
// RAW_WINDOW_HOURS). D1 receives every raw row with either sink (it deduplicates and counts the
// roll-up); what differs is how long raw rows stay. Roll-ups are kept for ever.
import { ROLLUP_COMBINATIONS } from "./ledger-rows.mjs";

/** D1's cap per database, taken as 10^10 bytes (the smaller reading of "10 GB"). */
export const D1_CAP_BYTES = 10 * 10 ** 9;
export const RATES = [10, 100, 1000];

/**
 * A raw hour is pruned only once it ended the retention ago and its export verified: the
 * hour's own length plus the 5-minute cron keep about an hour more than the setting.
 */
const PRUNE_LAG_DAYS = 1 / 24;

export const SINKS = [
  { sink: "d1", label: "d1, kept for ever", windowDays: null },
  { sink: "d1", label: "d1, RAW_RETENTION_DAYS=365", windowDays: 365 },
  { sink: "d1", label: "d1, RAW_RETENTION_DAYS=90 (default)", windowDays: 90 },
  { sink: "d1", label: "d1, RAW_RETENTION_DAYS=30", windowDays: 30 },
  { sink: "d1", label: "d1, RAW_RETENTION_DAYS=7", windowDays: 7 },
  { sink: "r2", label: "r2, RAW_WINDOW_HOURS=48 (default)", windowDays: 2 },
  { sink: "r2", label: "r2, RAW_WINDOW_HOURS=12", windowDays: 0.5 },
];

/**
 * Roll-up rows written per hour at `rate` requests/s: every active (team, key, model, outcome)
 * of the hour has one, so at most ROLLUP_COMBINATIONS (the stated assumption: 50 teams × 10
 * keys each, 6 models, 3 outcomes = 9,000), and never more than the hour's requests.
 */
export function rollupRowsPerHour(rate) {
  return Math.min(rate * 3600, ROLLUP_COMBINATIONS);
}

/** Days to the cap; null if never (a window whose plateau fits and no roll-up growth). */
export function daysToCap({ rate, rawBytesPerRow, rollupBytesPerRow, windowDays, capBytes = D1_CAP_BYTES }) {
  const rawPerDay = rate * 86_400 * rawBytesPerRow;
  const rollupPerDay = rollupRowsPerHour(rate) * 24 * rollupBytesPerRow;
  const growth = rawPerDay + rollupPerDay;
  if (windowDays === null) return capBytes / growth;
  const window = windowDays + PRUNE_LAG_DAYS;
  if (growth * window >= capBytes) return capBytes / growth;
  // Past the window the raw part stays at its plateau (freed pages are reused); roll-ups grow on.
  return rollupPerDay === 0 ? null : (capBytes - rawPerDay * window) / rollupPerDay;
}

/**
 * Not built: a projection for "beyond" in docs/capacity.md. Hourly roll-ups older than
 * `hourlyDays` folded into daily ones (one row per team, key, model, outcome and day), the raw
 * rows kept `windowDays`. A daily row is taken to cost what an hourly one does.
 */
export function daysToCapWithDailyRollups({ rate, rawBytesPerRow, rollupBytesPerRow, windowDays, hourlyDays, capBytes = D1_CAP_BYTES }) {
  const rawPlateau = rate * 86_400 * (windowDays + PRUNE_LAG_DAYS) * rawBytesPerRow;
  const hourlyPerDay = rollupRowsPerHour(rate) * 24 * rollupBytesPerRow;
  const dailyPerDay = Math.min(rate * 86_400, ROLLUP_COMBINATIONS) * rollupBytesPerRow;
  const settled = rawPlateau + hourlyPerDay * hourlyDays;
  if (settled >= capBytes) return daysToCap({ rate, rawBytesPerRow, rollupBytesPerRow, windowDays, capBytes });
  return hourlyDays + (capBytes - settled) / dailyPerDay;
}

/** The capacity table: for each sink and rate, days to the cap and the size of each part at a year. */
export function capacityPlan({ rawBytesPerRow, rollupBytesPerRow, writeRowsPerSecond }) {
  const rows = [];
  for (const s of SINKS) {
    for (const rate of RATES) {
      const days = daysToCap({ rate, rawBytesPerRow, rollupBytesPerRow, windowDays: s.windowDays });
      const rawPlateau = s.windowDays === null ? null : rate * 86_400 * (s.windowDays + PRUNE_LAG_DAYS) * rawBytesPerRow;
      rows.push({
        sink: s.sink,
        retention: s.label,
        windowDays: s.windowDays,
        rate,
        rawBytesPerDay: rate * 86_400 * rawBytesPerRow,
        rollupBytesPerDay: rollupRowsPerHour(rate) * 24 * rollupBytesPerRow,
        rawPlateauBytes: rawPlateau,
        daysToCap: days,
        // One D1 database has one writer: the share of the consumer's measured local rate this rate needs.
        writeLoad: writeRowsPerSecond ? rate / writeRowsPerSecond : null,
      });
    }
  }
  for (const [hours, windowDays] of [
    [48, 2],
    [12, 0.5],
  ]) {
    for (const rate of RATES) {
      rows.push({
        sink: "r2",
        retention: `r2, ${hours} h raw, roll-ups folded to daily after 35 days (projection, not built)`,
        windowDays,
        rate,
        daysToCap: daysToCapWithDailyRollups({ rate, rawBytesPerRow, rollupBytesPerRow, windowDays, hourlyDays: 35 }),
        writeLoad: writeRowsPerSecond ? rate / writeRowsPerSecond : null,
        projection: true,
      });
    }
  }
  return rows;
}

export function fmtDays(days) {
  if (days === null) return "never";
  if (days < 1) return `${(days * 24).toFixed(1)} h`;
  if (days < 10) return `${days.toFixed(1)} d`;
  if (days > 3650) return `${(days / 365).toFixed(0)} y`;
  return `${Math.round(days)} d`;
}

export function fmtBytes(bytes) {
  if (bytes === null || bytes === undefined) return "–";
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${Math.round(bytes)} B`;
}
