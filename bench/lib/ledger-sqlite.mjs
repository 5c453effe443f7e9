// The local D1 database as a file: Miniflare keeps each D1 database as a SQLite file under
// its persist directory. bench/ledger.mjs opens it with Node's own node:sqlite (Node 22 ships
// SQLite with the dbstat table) while workerd is stopped, to load millions of rows fast and to
// read what each table and index takes on disk, which D1 itself will not say (PRAGMA
// page_count is refused inside D1).
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { ROW_COLUMNS, rowValues } from "./ledger-rows.mjs";

/** The one D1 database file under a persist directory (Miniflare names it by a hash of the database id). */
export function d1File(persistDir) {
  const dir = path.join(persistDir, "d1", "miniflare-D1DatabaseObject");
  const files = readdirSync(dir).filter((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite");
  if (files.length !== 1) throw new Error(`expected one D1 database in ${dir}, found ${files.length}`);
  return path.join(dir, files[0]);
}

/** Bytes of the file and its WAL, as they are on disk now. */
export function fileBytes(file) {
  let bytes = 0;
  for (const suffix of ["", "-wal"]) {
    try {
      bytes += statSync(file + suffix).size;
    } catch {
      // no WAL
    }
  }
  return bytes;
}

export async function openSqlite(file) {
  const { DatabaseSync } = await import("node:sqlite");
  return new DatabaseSync(file);
}

const INSERT_ROW = `INSERT INTO usage_events (${ROW_COLUMNS.join(", ")}) VALUES (${ROW_COLUMNS.map(() => "?").join(", ")})`;

/**
 * Inserts rows straight into the database file, one transaction per `perTransaction` rows,
 * triggers on (so usage_hourly fills as the consumer's writes fill it). Not the gateway's
 * write path: a way to reach 10M rows in minutes; the consumer's rate is measured apart.
 */
export function bulkInsert(db, rows, { perTransaction = 100_000, onProgress } = {}) {
  // A loading session's own settings (not kept in the file): the page cache holds the indexes
  // whose inserts land all over (team, key), and nothing waits for the disk.
  db.exec("PRAGMA synchronous = OFF");
  db.exec("PRAGMA cache_size = -1000000");
  const insert = db.prepare(INSERT_ROW);
  let inserted = 0;
  let open = false;
  const started = performance.now();
  for (const row of rows) {
    if (!open) {
      db.exec("BEGIN");
      open = true;
    }
    insert.run(...rowValues(row));
    inserted++;
    if (inserted % perTransaction === 0) {
      db.exec("COMMIT");
      open = false;
      onProgress?.(inserted, performance.now() - started);
    }
  }
  if (open) db.exec("COMMIT");
  db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  return { rows: inserted, ms: performance.now() - started };
}

/** Every b-tree (table or index) of these tables with its pages, bytes, payload and entries, from dbstat. */
export function btreeBytes(db, tables) {
  const names = db
    .prepare(
      `SELECT name, tbl_name FROM sqlite_schema WHERE type IN ('table', 'index') AND tbl_name IN (${tables.map(() => "?").join(", ")})`,
    )
    .all(...tables);
  const pageSize = db.prepare("PRAGMA page_size").get().page_size;
  const out = [];
  for (const { name, tbl_name } of names) {
    const stat = db
      .prepare("SELECT SUM(pgsize) AS bytes, SUM(payload) AS payload, SUM(unused) AS unused, COUNT(*) AS pages FROM dbstat WHERE name = ?")
      .get(name);
    const entries = db.prepare("SELECT SUM(ncell) AS cells FROM dbstat WHERE name = ? AND pagetype = 'leaf'").get(name);
    out.push({
      name,
      table: tbl_name,
      pages: stat.pages,
      bytes: stat.bytes ?? 0,
      payload: stat.payload ?? 0,
      unused: stat.unused ?? 0,
      leafCells: entries.cells ?? 0,
    });
  }
  const total = db.prepare("PRAGMA page_count").get().page_count * pageSize;
  return { pageSize, databaseBytes: total, btrees: out };
}

export function count(db, sql, ...params) {
  return Number(Object.values(db.prepare(sql).get(...params))[0]);
}
