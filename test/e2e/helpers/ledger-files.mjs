/**
 * The exports' side of the e2e suite: rows written into a stopped gateway's local D1, and
 * exports copied out of its local R2 as the README says (`wrangler r2 object get --local`),
 * then read back with Node's own gunzip. Typed by ledger-files.d.mts beside this file.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { gunzipSync } from "node:zlib";
import { runWrangler } from "../../../scripts/lib/wrangler.mjs";
import { COLUMNS as LEDGER_COLUMNS } from "../../../src/db/usage-events.ts";

/** The ledger's columns (src/db/usage-events.ts, the one list), then recorded_at. */
const COLUMNS = [...LEDGER_COLUMNS, "recorded_at"];

const sql = (value) => (value === null ? "NULL" : typeof value === "number" ? String(value) : `'${String(value).replaceAll("'", "''")}'`);

/** Inserts ledger rows (objects with every column) with `wrangler d1 execute --local`. */
export async function seedLedgerRows(state, rows) {
  const values = rows.map((row) => `(${COLUMNS.map((c) => sql(row[c])).join(", ")})`).join(",\n");
  await runWrangler(state.app, [
    ...["d1", "execute", "DB", "--local", "--persist-to", state.persistDir],
    ...["--command", `INSERT INTO usage_events (${COLUMNS.join(", ")}) VALUES ${values};`],
  ]);
}

/** Copies each object of the bucket to `dir/<key>`, as an operator would; returns the local paths. */
export async function copyOutObjects(state, keys, dir) {
  const paths = [];
  for (const key of keys) {
    const path = join(dir, key);
    await mkdir(dirname(path), { recursive: true });
    await runWrangler(state.app, [
      "r2",
      "object",
      "get",
      `tensoras-ledger/${key}`,
      "--local",
      "--persist-to",
      state.persistDir,
      "--file",
      path,
    ]);
    paths.push(path);
  }
  return paths;
}

export async function fileSha256(path) {
  return createHash("sha256")
    .update(await readFile(path))
    .digest("hex");
}

/** A part file's NDJSON lines, gunzipped by Node's zlib. */
export async function gzipLines(path) {
  const text = gunzipSync(await readFile(path)).toString("utf8");
  return text.slice(0, -1).split("\n");
}
