// npm run bench:ledger [-- --quick] [--rows 1000000,10000000] [--consumer-rows 20000] [--export-rows 1000000]
//                      [--reps 7] [--keep DIR]
//
// The ledger's capacity figures for docs/capacity.md, on local D1 (workerd through Miniflare's
// API, the gateway as built, D1 persisted to a temporary directory):
//   1. bytes per raw row (table and each index) and per roll-up row, read with dbstat from the
//      D1 database's SQLite file (D1 refuses PRAGMA page_count);
//   2. insert rate through the real consumer (the worker's queue() handler, one D1 batch per
//      queue batch) per batch size, with the roll-up triggers and with a schema copy without them;
//   3. one team's month by model and by day: GET /admin/usage (roll-ups) against the raw-only SQL;
//   4. export time and compressed bytes per million rows, and the prune after it: the worker's own
//      cron (scheduled()) over a ledger at 10 requests/s, when src/ledger/export.ts exists;
// then days to the 10 GB cap per sink and retention. The 1M and 10M ledgers are loaded straight
// into the SQLite file (node:sqlite, 100k rows per transaction, triggers on), not through the
// queue: the consumer's own rate is measured apart, on fewer rows.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { buildGateway } from "./lib/build.mjs";
import { capacityPlan } from "./lib/ledger-capacity.mjs";
import { measureConsumer, measureD1Bulk, queueCallBaseline } from "./lib/ledger-consumer.mjs";
import { exportAvailable, measureExport, measurePrune } from "./lib/ledger-export.mjs";
import { prepareLedgerDb, startLedgerGateway } from "./lib/ledger-gateway.mjs";
import { loadLedger, startOnLedger } from "./lib/ledger-load.mjs";
import { measureQueries } from "./lib/ledger-queries.mjs";
import { printReport } from "./lib/ledger-report.mjs";
import { tenants } from "./lib/ledger-rows.mjs";
import { runMain } from "./lib/processes.mjs";
import { machine, writeResults } from "./lib/report.mjs";

const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    rows: { type: "string" },
    "consumer-rows": { type: "string" },
    "export-rows": { type: "string" },
    reps: { type: "string" },
    keep: { type: "string" },
  },
});
const QUICK = args.quick;
const SCALES = (args.rows ?? (QUICK ? "100000" : "1000000,10000000")).split(",").map(Number);
const CONSUMER_ROWS = Number(args["consumer-rows"] ?? (QUICK ? 1_000 : 20_000));
const EXPORT_ROWS = Number(args["export-rows"] ?? (QUICK ? 100_000 : 1_000_000));
const REPS = Number(args.reps ?? (QUICK ? 3 : 7));
const ROUNDS = QUICK ? 1 : 3;
const BATCH_SIZES = [10, 50, 100];
// The query ledgers span two months; the query reads the second one, aligned on whole hours.
const RANGE = { from: Date.parse("2026-10-01T00:00:00Z"), to: Date.parse("2026-12-01T00:00:00Z") };
const MONTH = { from: "2026-11-01T00:00:00.000Z", to: "2026-12-01T00:00:00.000Z" };
// The export ledger: EXPORT_ROWS at 10 requests/s, so that its hours are of a real size (36,000 rows).
const EXPORT_RATE = 10;

const world = tenants();
const log = (line) => console.error(`[bench:ledger] ${line}`);

/** One consumer case over its rounds: the median round's figures, with the spread of rows/s. */
function summarizeRuns(runs) {
  const sorted = [...runs].sort((a, b) => a.rowsPerSecond - b.rowsPerSecond);
  const median = sorted[Math.floor(sorted.length / 2)];
  return { ...median, rounds: runs.length, rowsPerSecondMin: sorted[0].rowsPerSecond, rowsPerSecondMax: sorted.at(-1).rowsPerSecond };
}

/** Phase 1: the consumer's insert rate per batch size, with and without the roll-up triggers. */
async function consumerPhase(script, root) {
  const workers = [
    { name: "gateway", database: "ledger-rollup" },
    { name: "gw-no-rollup", database: "ledger-no-rollup" },
    { name: "gw-d1-bulk", database: "ledger-d1-bulk" },
  ];
  const mf = await startLedgerGateway({ script, persistDir: path.join(root, "consumer"), workers });
  for (const w of workers) await prepareLedgerDb(await mf.getD1Database("DB", w.name), world);
  const noRollup = await mf.getD1Database("DB", "gw-no-rollup");
  for (const trigger of ["usage_events_rollup_insert", "usage_events_rollup_update"])
    await noRollup.prepare(`DROP TRIGGER ${trigger}`).run();
  let seed = 100;
  const run = (worker, options) => measureConsumer(mf, worker, { requests: CONSUMER_ROWS, seed: seed++, world, ...options });
  // Warm-up: isolates, prepared statements, D1's page cache.
  for (const w of ["gateway", "gw-no-rollup"]) await measureConsumer(mf, w, { requests: 500, batchSize: 100, seed: seed++, world });
  const queueCallMs = await queueCallBaseline(mf, "gateway");
  const cases = [
    ...BATCH_SIZES.flatMap((batchSize) => [
      { worker: "gateway", batchSize },
      { worker: "gw-no-rollup", batchSize },
    ]),
    { worker: "gateway", batchSize: 100, notes: true },
    { worker: "gateway", batchSize: 100, concurrency: 4 },
  ];
  // Rounds over every case in turn: the machine is shared, so a burst of other work spreads over all cases.
  const runs = cases.map(() => []);
  for (let round = 1; round <= ROUNDS; round++) {
    log(`consumer: round ${round} of ${ROUNDS}`);
    for (const [i, { worker, ...options }] of cases.entries()) runs[i].push(await run(worker, options));
  }
  const results = cases.map((c, i) => ({ rollups: c.worker === "gateway", ...summarizeRuns(runs[i]) }));
  log("D1 bulk load through the binding (DESIGN.md's method)");
  const d1Bulk = [
    { rollups: true, ...(await measureD1Bulk(mf, "gw-d1-bulk", { rows: CONSUMER_ROWS * 5, seed: seed++, world })) },
    { rollups: false, ...(await measureD1Bulk(mf, "gw-no-rollup", { rows: CONSUMER_ROWS * 5, seed: seed++, world })) },
  ];
  await mf.dispose();
  return { consumer: results, queueCallMs, d1Bulk };
}

/** Phase 2, per scale: the ledger, its bytes, one team's month queried, and the consumer on it. */
async function scalePhase(script, root, rows) {
  const persistDir = path.join(root, `scale-${rows}`);
  const ledger = await loadLedger({ script, persistDir, rows, fromMs: RANGE.from, toMs: RANGE.to, world, log });
  const mf = await startOnLedger({ script, persistDir });
  const byShare = [...world.teams].sort((a, b) => b.share - a.share);
  const teams = [
    { label: "largest team", id: byShare[0].id, share: byShare[0].share },
    { label: "10th team", id: byShare[9].id, share: byShare[9].share },
  ];
  log("  queries");
  const queries = await measureQueries(mf, { teams, ...MONTH, reps: REPS });
  log("  consumer on this ledger (batches of 100, roll-ups on)");
  const consumer = await measureConsumer(mf, "gateway", { requests: CONSUMER_ROWS, batchSize: 100, seed: 900 + rows, world });
  await mf.dispose();
  if (!args.keep) rmSync(persistDir, { recursive: true, force: true });
  return { rows, ...ledger, queries, consumer };
}

/** Phase 3: export every hour of a ledger at 10 requests/s through the cron, then prune it all. */
async function exportPhase(script, root) {
  const persistDir = path.join(root, "export");
  const fromMs = RANGE.to - (EXPORT_ROWS / EXPORT_RATE) * 1000;
  const ledger = await loadLedger({ script, persistDir, rows: EXPORT_ROWS, fromMs, toMs: RANGE.to, world, log });
  let mf = await startOnLedger({ script, persistDir });
  log("  export: the cron until every hour went out");
  const exported = await measureExport(mf, { endMs: RANGE.to, minRows: Number.POSITIVE_INFINITY });
  await mf.dispose();
  mf = await startOnLedger({ script, persistDir, vars: { RAW_RETENTION_DAYS: "0" } });
  log("  retention: the cron with RAW_RETENTION_DAYS=0 until no raw row is left");
  const pruned = await measurePrune(mf, { endMs: RANGE.to });
  await mf.dispose();
  if (!args.keep) rmSync(persistDir, { recursive: true, force: true });
  return { rows: EXPORT_ROWS, requestsPerSecond: EXPORT_RATE, ...ledger, export: exported, prune: pruned };
}

/**
 * The bytes the capacity plan uses: per raw row (table + its indexes) from the largest ledger;
 * per roll-up row from the 10 requests/s ledger when there is one (its hours are full-size).
 */
function sizing(scales, exportLedger) {
  const largest = scales.at(-1).storage;
  const rollups = (exportLedger ?? scales.at(-1)).storage;
  return {
    fromRows: largest.rawRows,
    rawBytesPerRow: largest.rawBytesPerRow,
    rollupBytesPerRow: rollups.rollupBytesPerRow,
    rollupFrom: exportLedger ? `${exportLedger.rows} rows at ${exportLedger.requestsPerSecond} requests/s` : `${largest.rawRows} rows`,
    measuredRollupRowsPerHourAt10: exportLedger ? rollups.rollupRowsPerHour : null,
  };
}

function packageVersion(name) {
  return JSON.parse(readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url), "utf8")).version;
}

async function main() {
  const root = args.keep ?? mkdtempSync(path.join(os.tmpdir(), "bench-ledger-"));
  const at = new Date().toISOString();
  const machineAtStart = { ...machine(), wrangler: packageVersion("wrangler") };
  log(`${QUICK ? "quick" : "full"} run: ledgers of ${SCALES.join(", ")} rows; ${CONSUMER_ROWS} rows per consumer case; D1 under ${root}`);
  const started = Date.now();
  const script = await buildGateway();
  const consumer = await consumerPhase(script, root);
  const scales = [];
  for (const rows of SCALES) scales.push(await scalePhase(script, root, rows));
  const exportLedger = exportAvailable() ? await exportPhase(script, root) : null;
  const size = sizing(scales, exportLedger);
  const writeRate = consumer.consumer.find((c) => c.rollups && c.batchSize === 100 && !c.notes && c.concurrency === 1);
  const data = {
    at,
    quick: QUICK,
    machine: machineAtStart,
    loadavgAtEnd: os.loadavg().map((v) => Math.round(v * 100) / 100),
    seconds: (Date.now() - started) / 1000,
    method: {
      consumer: "worker.queue() of Miniflare's getWorker(): the gateway's queue handler, called with message batches directly",
      queries: "timed inside workerd by a driver worker: GET /admin/usage through a service binding, raw SQL through the D1 binding",
      load: "node:sqlite into the D1 database's persisted SQLite file, 100k rows per transaction, triggers on",
      bytes: "dbstat (SUM(pgsize) per b-tree) on the same file",
      export: "the worker's scheduled() (sweep, export, retention) until every hour was exported; then again with RAW_RETENTION_DAYS=0",
      consumerRows: CONSUMER_ROWS,
      consumerRounds: ROUNDS,
      reps: REPS,
      range: { from: new Date(RANGE.from).toISOString(), to: new Date(RANGE.to).toISOString() },
      month: MONTH,
    },
    ...consumer,
    scales,
    exportLedger,
    sizing: size,
    capacity: capacityPlan({ ...size, writeRowsPerSecond: writeRate.rowsPerSecond }),
  };
  printReport(data);
  console.log(`\nresults: ${writeResults(QUICK ? "ledger-quick-" : "ledger-", data)}`);
  if (!args.keep) rmSync(root, { recursive: true, force: true });
}

await runMain(main);
