// bench/ledger.mjs's tables, printed to stdout.
import { D1_CAP_BYTES, fmtBytes, fmtDays, RATES, rollupRowsPerHour } from "./ledger-capacity.mjs";
import { fmt, table } from "./stats.mjs";

const n = (value) => Math.round(value).toLocaleString("en");
const ms = (s) => `${fmt(s.median, 1)} (${fmt(s.min, 1)}–${fmt(s.max, 1)})`;

function storageTable(title, ledger) {
  const s = ledger.storage;
  const rows = s.btrees.map((b) => [b.name, n(b.rows), fmt(b.bytesPerRow, 1), fmt(b.payloadPerRow, 1), `${fmt(b.fill * 100, 0)} %`]);
  rows.push(["= raw row: usage_events + 3 indexes", n(s.rawRows), fmt(s.rawBytesPerRow, 1), "", ""]);
  rows.push(["= roll-up row: usage_hourly + 2 indexes", n(s.rollupRows), fmt(s.rollupBytesPerRow, 1), "", ""]);
  return [
    `\n## ${title}: bytes per row (dbstat, page size ${s.pageSize})`,
    table(["b-tree", "rows", "bytes/row", "payload/row", "fill"], rows),
    `database ${fmtBytes(s.databaseBytes)}; ${fmt(ledger.requestsPerSecond, 2)} requests/s: ${fmt(s.rawRowsPerHour, 0)} raw rows and ` +
      `${fmt(s.rollupRowsPerHour, 0)} roll-up rows per hour (${fmt(s.rawRowsPerHour / s.rollupRowsPerHour, 1)} raw rows per roll-up row); ` +
      `loaded at ${n(ledger.load.rowsPerSecond)} rows/s (node:sqlite into the file, triggers on)`,
  ].join("\n");
}

const QUERY_NAMES = {
  apiByModel: "API group_by=model (roll-ups)",
  apiByDay: "API group_by=day (roll-ups)",
  apiByModelEdges: "API group_by=model, 20 min cut off each end",
  rawByModel: "raw SQL by model (the old code's)",
  rawByDay: "raw SQL by day",
  rawByModelEdges: "raw SQL by model, 20 min cut off each end",
  rollupSqlByModel: "roll-up SQL by model, team_id = ? (index)",
  rollupSqlByDay: "roll-up SQL by day, team_id = ? (index)",
};

function queryTable(scale) {
  const q = scale.queries;
  const rows = [
    ["baseline: D1 SELECT 1", "", fmt(q.baseline.d1Select1.firstMs, 1), ms(q.baseline.d1Select1)],
    ["baseline: API, a team with no rows", "", fmt(q.baseline.apiEmptyTeam.firstMs, 1), ms(q.baseline.apiEmptyTeam)],
  ];
  for (const team of q.teams) {
    for (const [key, label] of Object.entries(QUERY_NAMES)) {
      const t = team.timings[key];
      rows.push([`${team.team} (${fmt(team.share * 100, 1)} %): ${label}`, n(team.rawRows), fmt(t.firstMs, 1), ms(t)]);
    }
  }
  return [
    `\n## ${n(scale.rows)} raw rows: one team's month (${q.from} – ${q.to}), ms in workerd, ${q.reps} runs after the first`,
    table(["query", "rows in the month", "first", "median (min–max)"], rows),
  ].join("\n");
}

function consumerTable(data) {
  const rate = (c) => (c.rounds > 1 ? `${n(c.rowsPerSecond)} (${n(c.rowsPerSecondMin)}–${n(c.rowsPerSecondMax)})` : n(c.rowsPerSecond));
  const line = (label, c) => [
    label,
    c.rollups ? "yes" : "no",
    c.notes ? "note + record" : "record",
    String(c.concurrency),
    n(c.requests),
    rate(c),
    fmt(c.msPerBatch, 2),
  ];
  const rows = data.consumer.map((c) => line(String(c.batchSize), c));
  for (const scale of data.scales)
    rows.push(line(`${scale.consumer.batchSize}, on ${n(scale.rows)} rows`, { rollups: true, ...scale.consumer }));
  return [
    "\n## Insert rate through the consumer (the worker's queue() handler, one D1 batch per queue batch), records/s",
    `(the median of ${data.consumer[0].rounds} round(s), with their range; on a loaded ledger: one round)`,
    table(["batch", "roll-ups", "messages", "at once", "requests", "rows/s", "ms/batch"], rows),
    `queue() of an empty batch from Node (the call's own cost, in ms/batch above): ${fmt(data.queueCallMs, 2)} ms`,
    ...data.d1Bulk.map(
      (b) =>
        `D1 binding in workerd (driver), ${b.rowsPerStatement}-row INSERTs × ${b.statementsPerBatch} per batch(), roll-up triggers ${b.rollups ? "on" : "off"}: ` +
        `${n(b.rowsPerSecond)} rows/s (${n(b.rows)} rows)`,
    ),
  ].join("\n");
}

function exportTable(data) {
  const e = data.exportLedger;
  if (!e) return "\n## Export: src/ledger/export.ts is not in this tree; not measured";
  const x = e.export;
  const p = e.prune;
  return [
    `\n## Export to R2 and retention: ${n(e.rows)} rows at ${e.requestsPerSecond} requests/s (${fmt(e.storage.rawRowsPerHour, 0)} rows per hour)`,
    table(
      ["step", "cron runs", "hours", "rows", "s", "s / 1M rows", "bytes", "bytes / 1M rows"],
      [
        [
          "export (gzip NDJSON + manifest)",
          n(x.cronRuns),
          n(x.hours),
          n(x.rows),
          fmt(x.seconds, 1),
          fmt(x.secondsPerMillionRows, 1),
          fmtBytes(x.bytes),
          fmtBytes(x.bytesPerMillionRows),
        ],
        ["retention (verify, delete)", n(p.cronRuns), "", n(p.rows), fmt(p.seconds, 1), fmt(p.secondsPerMillionRows, 1), "", ""],
      ],
    ),
    `${n(x.partObjects)} parts (${fmtBytes(x.partBytes)}) and ${n(x.manifestObjects)} manifests (${fmtBytes(x.manifestBytes)}); ` +
      `NDJSON ${fmtBytes(x.ndjsonBytes)} before gzip (${fmt(x.compression, 1)}×); ${fmt(x.bytesPerRow, 1)} bytes per row in R2`,
  ].join("\n");
}

function capacityTable(data) {
  const sz = data.sizing;
  const bySink = new Map();
  for (const row of data.capacity) {
    if (!bySink.has(row.retention)) bySink.set(row.retention, []);
    bySink.get(row.retention).push(fmtDays(row.daysToCap));
  }
  const notes = RATES.map((r) => {
    const c = data.capacity.find((row) => row.rate === r);
    const fits = D1_CAP_BYTES / (r * 3600 * sz.rawBytesPerRow);
    return (
      `${r} req/s: raw ${fmtBytes(c.rawBytesPerDay)}/day, roll-ups ${fmtBytes(c.rollupBytesPerDay)}/day (${n(rollupRowsPerHour(r))} rows/h); ` +
      `the most raw rows D1 holds: ${fmt(fits, 1)} h of them; writes ${fmt(c.writeLoad * 100, 1)} % of the consumer's local rate (batches of 100)`
    );
  });
  return [
    `\n## Days to the 10 GB cap (raw row ${fmt(sz.rawBytesPerRow, 1)} B from the ${n(sz.fromRows)}-row ledger, roll-up row ${fmt(sz.rollupBytesPerRow, 1)} B from ${sz.rollupFrom})`,
    table(
      ["sink and retention", ...RATES.map((r) => `${r} req/s`)],
      [...bySink].map(([label, cells]) => [label, ...cells]),
    ),
    ...notes,
    sz.measuredRollupRowsPerHourAt10 === null
      ? ""
      : `roll-up rows per hour measured at 10 req/s (Zipf teams and keys): ${n(sz.measuredRollupRowsPerHourAt10)}; assumed above: at most 9,000`,
  ].join("\n");
}

export function printReport(data) {
  const m = data.machine;
  console.log(
    `# bench:ledger${data.quick ? " (quick)" : ""} ${data.at}\n${m.cores} cores (${m.cpu}), ${m.memoryGb} GB, ${m.platform}, Node ${m.node}, ` +
      `${m.workerd}, miniflare ${m.miniflare}, wrangler ${m.wrangler}, commit ${m.gitCommit}${m.srcDirty ? " (src/ or migrations/ changed)" : ""}; ` +
      `load average ${m.loadavg.join(" ")} at the start, ${data.loadavgAtEnd.join(" ")} at the end; ${fmt(data.seconds, 0)} s`,
  );
  for (const scale of data.scales) console.log(storageTable(`${n(scale.rows)} raw rows over two months`, scale));
  if (data.exportLedger) console.log(storageTable(`${n(data.exportLedger.rows)} raw rows at 10 requests/s`, data.exportLedger));
  console.log(consumerTable(data));
  for (const scale of data.scales) console.log(queryTable(scale));
  console.log(exportTable(data));
  console.log(capacityTable(data));
}
