/**
 * The demo team and key for local development. The plaintext key lives in
 * `.wrangler/demo-key.txt` (gitignored) so restarts print the same key; the database
 * only ever holds its hash, as in production.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { displayPrefix, generateKey, hashKey, isWellFormedKey } from "../../src/auth/key-format.ts";

export const DEMO_TEAM_ID = "team_demo";
export const DEMO_KEY_ID = "key_demo";

/** Reads the stored demo key, or makes and stores a new one. */
export async function loadOrCreateDemoKey(rootDir) {
  const path = join(rootDir, ".wrangler", "demo-key.txt");
  if (existsSync(path)) {
    const stored = (await readFile(path, "utf8")).trim();
    if (isWellFormedKey(stored)) return { key: stored, created: false };
  }
  const key = generateKey();
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${key}\n`, { mode: 0o600 });
  return { key, created: true };
}

const sql = (value) => (value === null ? "NULL" : `'${String(value).replaceAll("'", "''")}'`);

/**
 * SQL that leaves the demo team and key in place, idempotently. A wiped database gets
 * both back; an archived demo team is un-archived, and an existing key row gets the stored
 * key's hash and is made usable again (un-revoked, no expiry) so the printed curl works,
 * keeping its history columns.
 */
export async function demoSeedSql(key, now = new Date().toISOString()) {
  const team = [DEMO_TEAM_ID, "Demo team", "{}", now, now].map(sql).join(", ");
  const keyRow = [
    DEMO_KEY_ID,
    DEMO_TEAM_ID,
    "Demo key",
    await hashKey(key),
    displayPrefix(key),
    null,
    null,
    null,
    '{"source":"npm run dev"}',
    now,
    now,
    null,
  ]
    .map(sql)
    .join(", ");
  return [
    `INSERT OR IGNORE INTO teams (id, name, metadata, created_at, updated_at) VALUES (${team});`,
    // An archived demo team is brought back too (no key may be written for an archived team).
    `UPDATE teams SET archived_at = NULL WHERE id = ${sql(DEMO_TEAM_ID)} AND archived_at IS NOT NULL;`,
    "INSERT INTO api_keys (id, team_id, name, key_hash, prefix, models, expires_at, revoked_at, metadata, created_at, updated_at, last_used_at)",
    `VALUES (${keyRow})`,
    "ON CONFLICT(id) DO UPDATE SET team_id = excluded.team_id, key_hash = excluded.key_hash, prefix = excluded.prefix,",
    "revoked_at = NULL, expires_at = NULL, updated_at = excluded.updated_at",
    "WHERE api_keys.key_hash IS NOT excluded.key_hash OR api_keys.revoked_at IS NOT NULL OR api_keys.expires_at IS NOT NULL",
    "OR api_keys.team_id IS NOT excluded.team_id;",
  ].join(" ");
}
