// The gateway's local D1: schema from migrations/, one team and one key seeded; for the
// spend-control figures, a price for the bench model and a second team under a budget.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** src/auth/key-format.ts, compiled for Node (it has no imports, by design). */
async function loadKeyFormat() {
  const out = await esbuild.build({
    entryPoints: [path.join(ROOT, "src/auth/key-format.ts")],
    bundle: true,
    write: false,
    format: "esm",
    platform: "node",
    logLevel: "error",
  });
  return import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0].text).toString("base64")}`);
}

/** A CREATE TRIGGER's body holds `;`s: its pieces are joined back up to its END. */
function joinTriggers(pieces) {
  const out = [];
  let trigger = null;
  for (const piece of pieces) {
    if (trigger !== null) {
      trigger += `;\n${piece}`;
      if (/^END$/i.test(piece)) {
        out.push(trigger);
        trigger = null;
      }
    } else if (/^CREATE\s+(TEMP\s+|TEMPORARY\s+)?TRIGGER\b/i.test(piece)) trigger = piece;
    else out.push(piece);
  }
  if (trigger !== null) throw new Error(`a CREATE TRIGGER in migrations/ has no END: ${trigger.slice(0, 80)}`);
  return out;
}

/** SQL statements of every migration, in order (comments dropped, split on `;`, triggers whole). */
function migrationStatements() {
  const dir = path.join(ROOT, "migrations");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .sort()
    .flatMap((f) =>
      joinTriggers(
        readFileSync(path.join(dir, f), "utf8")
          .split("\n")
          .map((line) => line.replace(/--.*$/, ""))
          .join("\n")
          .split(";")
          .map((s) => s.trim())
          .filter(Boolean),
      ),
    );
}

/** Applies every migration in order (an empty database). */
export async function applyMigrations(db) {
  for (const sql of migrationStatements()) await db.prepare(sql).run();
}

/** Applies the migrations and seeds a team and a key; returns the plaintext key. */
export async function prepareGatewayDb(db) {
  await applyMigrations(db);
  const { generateKey, hashKey, displayPrefix } = await loadKeyFormat();
  const key = generateKey();
  const now = new Date().toISOString();
  await db.batch([
    db.prepare("INSERT INTO teams (id, name, created_at, updated_at) VALUES (?, ?, ?, ?)").bind("team_bench", "bench", now, now),
    db
      .prepare("INSERT INTO api_keys (id, team_id, name, key_hash, prefix, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
      .bind("key_bench", "team_bench", "bench", await hashKey(key), displayPrefix(key), now, now),
  ]);
  return key;
}

/** The bench model's price (USD per million tokens × 10^6 = pico-USD per token, as in migrations/0004_prices.sql). */
export const BENCH_PRICE = {
  model: "llama-3.3-70b",
  inputPicoPerToken: 590_000,
  cachedInputPicoPerToken: 295_000,
  outputPicoPerToken: 790_000,
  maxOutputTokens: 8192,
  contextWindow: 131_072,
};

/**
 * Seeds the bench model's price (in force from a minute ago; the same for every key, so
 * the plain key's records are priced too) and a team under a budget large enough that
 * nothing is refused, with one key; returns the plaintext key. Every request of that key
 * reserves its worst case in the team's object before it is forwarded and settles after.
 * `keyLimits` ({requests_per_minute, tokens_per_minute}) adds the key's own rate limits.
 */
export async function seedBudgetedTeam(
  db,
  { teamId = "team_budget", keyId = "key_budget", limitMicroUsd = 10 ** 13, keyLimits = null } = {},
) {
  const { generateKey, hashKey, displayPrefix } = await loadKeyFormat();
  const key = generateKey();
  const now = new Date().toISOString();
  const from = new Date(Date.now() - 60_000).toISOString();
  const p = BENCH_PRICE;
  await db.batch([
    db
      .prepare(
        `INSERT OR IGNORE INTO prices (id, model, input_pico_per_token, cached_input_pico_per_token, output_pico_per_token,
           max_output_tokens, context_window, effective_from, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .bind(
        "price_bench",
        p.model,
        p.inputPicoPerToken,
        p.cachedInputPicoPerToken,
        p.outputPicoPerToken,
        p.maxOutputTokens,
        p.contextWindow,
        from,
        from,
      ),
    db
      .prepare("INSERT INTO teams (id, name, budget, created_at, updated_at) VALUES (?, ?, ?, ?, ?)")
      .bind(teamId, teamId, JSON.stringify({ limit_micro_usd: limitMicroUsd, period: "month" }), now, now),
    db
      .prepare("INSERT INTO api_keys (id, team_id, name, key_hash, prefix, limits, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
      .bind(keyId, teamId, "bench budget", await hashKey(key), displayPrefix(key), keyLimits && JSON.stringify(keyLimits), now, now),
  ]);
  return key;
}
