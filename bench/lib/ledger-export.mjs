// Export time and compressed bytes per million rows: the worker's own Cron Trigger handler
// (src/ledger/scheduled.ts: sweep, export of closed hours to R2, retention), run through
// Miniflare's getWorker(name).scheduled() until a million rows (or the whole ledger) went out,
// then the R2 bucket listed for the bytes it holds.
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const HOUR_MS = 3_600_000;
const CRON = "*/5 * * * *";

export function exportAvailable() {
  return existsSync(path.join(ROOT, "src/ledger/export.ts"));
}

async function exported(db) {
  return db
    .prepare(
      `SELECT COUNT(*) AS hours, IFNULL(SUM(rows), 0) AS rows, IFNULL(SUM(parts), 0) AS parts
       FROM ledger_exports WHERE exported_at IS NOT NULL AND stale = 0`,
    )
    .first();
}

/** Every object under the export prefix: parts and manifests apart. */
async function bucketBytes(bucket) {
  const out = { partObjects: 0, partBytes: 0, manifestObjects: 0, manifestBytes: 0 };
  let cursor;
  do {
    const page = await bucket.list({ prefix: "usage/v1/", cursor, limit: 1000 });
    for (const object of page.objects) {
      if (object.key.endsWith(".ndjson.gz")) {
        out.partObjects++;
        out.partBytes += object.size;
      } else if (object.key.endsWith("manifest.json")) {
        out.manifestObjects++;
        out.manifestBytes += object.size;
      }
    }
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return out;
}

/**
 * Runs the cron as at `endMs` + 2 h (every hour of the ledger closed; nothing old enough for
 * retention to prune) until at least `minRows` rows are exported or no hour is left.
 */
export async function measureExport(mf, { endMs, minRows = 1_000_000 }) {
  const worker = await mf.getWorker("gateway");
  const db = await mf.getD1Database("DB", "gateway");
  const bucket = await mf.getR2Bucket("LEDGER_BUCKET", "gateway");
  const scheduledTime = new Date(endMs + 2 * HOUR_MS);
  let runs = 0;
  let state = await exported(db);
  const started = performance.now();
  for (;;) {
    const result = await worker.scheduled({ scheduledTime, cron: CRON });
    if (result.outcome !== "ok") throw new Error(`the cron run failed: ${JSON.stringify(result)}`);
    runs++;
    const next = await exported(db);
    const done = next.hours === state.hours || next.rows >= minRows;
    state = next;
    if (done) break;
  }
  const ms = performance.now() - started;
  const ndjson = await db
    .prepare(
      `SELECT IFNULL(SUM(json_extract(p.value, '$.ndjson_bytes')), 0) AS ndjson, IFNULL(SUM(json_extract(p.value, '$.bytes')), 0) AS gzip
       FROM ledger_exports x, json_each(x.manifest, '$.parts') p WHERE x.exported_at IS NOT NULL`,
    )
    .first();
  // The manifests' row count against the raw rows of the hours they cover: a difference is an export defect.
  const raw = await db
    .prepare(
      "SELECT COUNT(*) AS n FROM usage_events WHERE started_at < ? AND substr(started_at, 1, 13) IN (SELECT hour FROM ledger_exports)",
    )
    .bind(new Date(endMs).toISOString())
    .first();
  if (raw.n !== state.rows)
    console.error(`[bench:ledger] WARNING: the manifests count ${state.rows} rows; D1 holds ${raw.n} in those hours`);
  const objects = await bucketBytes(bucket);
  const bytes = objects.partBytes + objects.manifestBytes;
  return {
    cronRuns: runs,
    hours: state.hours,
    rows: state.rows,
    rawRowsInHours: raw.n,
    parts: state.parts,
    seconds: ms / 1000,
    secondsPerMillionRows: (ms / 1000 / state.rows) * 1e6,
    ...objects,
    bytes,
    ndjsonBytes: ndjson.ndjson,
    compression: ndjson.ndjson / ndjson.gzip,
    bytesPerRow: bytes / state.rows,
    bytesPerMillionRows: (bytes / state.rows) * 1e6,
  };
}

/**
 * Retention after the export: the cron run again with RAW_RETENTION_DAYS=0 (the worker started
 * so by the caller), until no raw row of the exported hours is left: each hour's export is
 * verified against D1 (src/ledger/verify.ts), then its rows deleted in chunks. The roll-ups
 * must not move.
 */
export async function measurePrune(mf, { endMs }) {
  const worker = await mf.getWorker("gateway");
  const db = await mf.getD1Database("DB", "gateway");
  const rawLeft = async () =>
    (await db.prepare("SELECT COUNT(*) AS n FROM usage_events WHERE started_at < ?").bind(new Date(endMs).toISOString()).first()).n;
  const rollupTokens = async () => (await db.prepare("SELECT SUM(total_tokens) AS t FROM usage_hourly").first()).t;
  const before = await rawLeft();
  const tokensBefore = await rollupTokens();
  const scheduledTime = new Date(endMs + 2 * HOUR_MS);
  let runs = 0;
  let left = before;
  const started = performance.now();
  while (left > 0) {
    const result = await worker.scheduled({ scheduledTime, cron: CRON });
    if (result.outcome !== "ok") throw new Error(`the cron run failed: ${JSON.stringify(result)}`);
    runs++;
    const now = await rawLeft();
    if (now === left) throw new Error(`retention made no progress: ${now} raw rows left`);
    left = now;
  }
  const ms = performance.now() - started;
  if ((await rollupTokens()) !== tokensBefore) throw new Error("pruning raw rows changed the roll-ups");
  return { cronRuns: runs, rows: before, seconds: ms / 1000, secondsPerMillionRows: (ms / 1000 / before) * 1e6 };
}
