// A ledger of N rows in a fresh local D1: schema and tenants through D1 (Miniflare), then
// the rows straight into the database's SQLite file (workerd stopped), then dbstat.
import path from "node:path";
import { prepareLedgerDb, startLedgerGateway } from "./ledger-gateway.mjs";
import { ledgerRows } from "./ledger-rows.mjs";
import { btreeBytes, bulkInsert, count, d1File, fileBytes, openSqlite } from "./ledger-sqlite.mjs";

const TABLES = ["usage_events", "usage_hourly"];

/** What each b-tree holds per row of its table. */
function perRow(stats, rawRows, rollupRows) {
  return stats.btrees.map((b) => {
    const rows = b.table === "usage_events" ? rawRows : rollupRows;
    return { ...b, rows, bytesPerRow: b.bytes / rows, payloadPerRow: b.payload / rows, fill: 1 - b.unused / b.bytes };
  });
}

/** The ledger's storage: rows, roll-up rows per hour, bytes per b-tree and per row. */
function storageOf(db, file, emptyBytes) {
  const rawRows = count(db, "SELECT COUNT(*) FROM usage_events");
  const rollupRows = count(db, "SELECT COUNT(*) FROM usage_hourly");
  const hours = count(db, "SELECT COUNT(DISTINCT hour) FROM usage_hourly");
  const sums = db
    .prepare("SELECT (SELECT SUM(total_tokens) FROM usage_events) AS raw, (SELECT SUM(total_tokens) FROM usage_hourly) AS rollup")
    .get();
  if (sums.raw !== sums.rollup) throw new Error(`roll-up tokens ${sums.rollup} ≠ raw tokens ${sums.raw}`);
  const stats = btreeBytes(db, TABLES);
  const btrees = perRow(stats, rawRows, rollupRows);
  const sum = (table) => btrees.filter((b) => b.table === table).reduce((n, b) => n + b.bytesPerRow, 0);
  return {
    rawRows,
    rollupRows,
    hours,
    rawRowsPerHour: rawRows / hours,
    rollupRowsPerHour: rollupRows / hours,
    pageSize: stats.pageSize,
    databaseBytes: stats.databaseBytes,
    fileBytesGrowth: fileBytes(file) - emptyBytes,
    rawBytesPerRow: sum("usage_events"),
    rollupBytesPerRow: sum("usage_hourly"),
    btrees,
  };
}

/**
 * Creates the ledger under `persistDir` (D1 database "ledger", worker "gateway") with `rows`
 * rows spread over [fromMs, toMs), and returns the load's rate and the storage figures.
 */
export async function loadLedger({ script, persistDir, rows, fromMs, toMs, world, log }) {
  const mf = await startLedgerGateway({ script, persistDir, workers: [{ name: "gateway", database: "ledger" }] });
  await prepareLedgerDb(await mf.getD1Database("DB", "gateway"), world);
  await mf.dispose();

  const file = d1File(persistDir);
  const emptyBytes = fileBytes(file);
  const db = await openSqlite(file);
  log(`${rows.toLocaleString("en")} rows into ${path.relative(persistDir, file)}`);
  const load = bulkInsert(db, ledgerRows({ count: rows, fromMs, toMs, world }), {
    onProgress: (n, ms) => n % 1_000_000 === 0 && log(`  ${n.toLocaleString("en")} rows, ${Math.round((n / ms) * 1000)} rows/s`),
  });
  log("  dbstat");
  const storage = storageOf(db, file, emptyBytes);
  db.close();
  return {
    load: { rows: load.rows, ms: load.ms, rowsPerSecond: (load.rows / load.ms) * 1000 },
    storage,
    requestsPerSecond: rows / ((toMs - fromMs) / 1000),
  };
}

/** The gateway (and driver) on a ledger loadLedger made. */
export function startOnLedger({ script, persistDir, vars }) {
  return startLedgerGateway({ script, persistDir, workers: [{ name: "gateway", database: "ledger" }], vars });
}
