/**
 * Demo usage for `npm run dev`: a few teams and keys, prices for the mock's models, and the
 * last 24 whole UTC hours plus the current one of traffic (scripts/lib/demo-traffic.mjs), so
 * that /dashboard shows a living picture on first start.
 *
 *   seedDemoUsage(execute, now?) -> { records }   runs it all through `execute`
 *
 * `execute(statements)` runs SQL statements in order and resolves with each one's rows:
 * `wrangler d1 execute --local --file` in dev.mjs (scripts/lib/local-d1.mjs), `env.DB.batch` in
 * the unit test. Idempotent: fixed ids, INSERT OR IGNORE, request ids that are a function of
 * (hour, index), so a restart in the same hour writes nothing twice (the roll-up trigger fires
 * only on a real insert) and a restart the next day tops up the new hours. Nobody knows the
 * demo keys' secrets: only the hash of a fresh random key is stored.
 */
import { displayPrefix, generateKey, hashKey } from "../../src/auth/key-format.ts";
import { COLUMNS } from "../../src/db/usage-events.ts";
import { UsageRecordSchema } from "../../src/metering/usage-record.ts";
import { costMicroUsd } from "../../src/pricing/cost.ts";
import { parseMillionths } from "../../src/pricing/decimal.ts";
import { DEMO_PRICES, DEMO_TEAMS } from "./demo-catalogue.mjs";
import { demoObjectId, demoRequest, HOUR_MS, requestsInHour } from "./demo-traffic.mjs";

export { DEMO_PRICES, DEMO_TEAMS };

const METADATA = '{"source":"npm run dev demo"}';
/** Hours before now's whole hour at which the revoked demo key was revoked (when first seeded). */
const REVOKED_HOURS_AGO = 6;
/** Rows per INSERT: a statement stays far below D1's 100 KB statement limit. */
const ROWS_PER_STATEMENT = 100;

const DEMO_KEY_IDS = DEMO_TEAMS.flatMap((team) => team.keys.map((key) => key.id));

/** A SQL literal: the values here are ours (ids, names, ISO times, integers), quoted all the same. */
function sql(value) {
  if (value === null) return "NULL";
  if (typeof value === "number") return String(value);
  if (typeof value === "boolean") return value ? "1" : "0";
  return `'${String(value).replaceAll("'", "''")}'`;
}
const list = (values) => values.map(sql).join(", ");
const iso = (ms) => new Date(ms).toISOString();
const wholeHour = (ms) => Math.floor(ms / HOUR_MS) * HOUR_MS;

/**
 * Teams, keys and prices, each only if absent. They date from the start of the seeded window,
 * as if they had been there all along; a price is added only for a model with none at all, so
 * an operator's own prices are never shadowed.
 */
export async function demoSetupStatements(now = Date.now()) {
  const since = iso(wholeHour(now) - 24 * HOUR_MS);
  const revokedAt = iso(wholeHour(now) - REVOKED_HOURS_AGO * HOUR_MS + 23 * 60_000);
  const statements = DEMO_TEAMS.map(
    (team) =>
      `INSERT OR IGNORE INTO teams (id, name, metadata, created_at, updated_at) VALUES (${list([team.id, team.name, METADATA, since, since])});`,
  );
  for (const team of DEMO_TEAMS) {
    for (const key of team.keys) {
      const secret = generateKey();
      const revoked = key.revoked ? revokedAt : null;
      const values = [key.id, team.id, key.name, await hashKey(secret), displayPrefix(secret), revoked, METADATA];
      const limits = key.limits ? JSON.stringify(key.limits) : null;
      // Not for an archived (or missing) team: the api_keys trigger would abort the whole file.
      statements.push(
        "INSERT OR IGNORE INTO api_keys (id, team_id, name, key_hash, prefix, revoked_at, metadata, limits, created_at, updated_at) " +
          `SELECT ${list([...values, limits, since, revoked ?? since])} ` +
          `WHERE EXISTS (SELECT 1 FROM teams WHERE id = ${sql(team.id)} AND archived_at IS NULL);`,
      );
    }
  }
  for (const price of DEMO_PRICES) {
    const [input, cached, output] = price.usd.map(parseMillionths);
    const id = `price_${demoObjectId(Date.parse(since), price.model)}`;
    statements.push(
      "INSERT INTO prices (id, model, input_pico_per_token, cached_input_pico_per_token, output_pico_per_token, max_output_tokens, context_window, effective_from, created_at) " +
        `SELECT ${list([id, price.model, input, cached, output, price.maxOutput, price.context, since, since])} ` +
        `WHERE NOT EXISTS (SELECT 1 FROM prices WHERE model = ${sql(price.model)});`,
    );
  }
  return statements;
}

/** What the usage depends on, read after the setup: the demo models' prices and the demo keys as stored. */
export const DEMO_STATE_QUERIES = [
  "SELECT id, model, input_pico_per_token, cached_input_pico_per_token, output_pico_per_token, effective_from FROM prices " +
    `WHERE model IN (${list(DEMO_PRICES.map((price) => price.model))});`,
  "SELECT k.id, k.team_id, k.created_at, k.revoked_at, k.expires_at, t.archived_at FROM api_keys AS k JOIN teams AS t ON t.id = k.team_id " +
    `WHERE k.id IN (${list(DEMO_KEY_IDS)});`,
];

/** Whether the key could make a request at `at` (ms): created, not yet revoked, expired or archived. */
function keyActiveAt(key, at) {
  const ends = [key.revoked_at, key.expires_at, key.archived_at].filter((end) => end !== null).map((end) => Date.parse(end));
  return Date.parse(key.created_at) <= at && ends.every((end) => at < end);
}

/**
 * The price version in force for `model` at `startedAt` (ISO), chosen as
 * src/pricing/price-store.ts does: the greatest effective_from <= t, ties to the greatest id.
 */
function priceInForce(prices, model, startedAt) {
  let best = null;
  for (const price of prices) {
    if (price.model !== model || price.effective_from > startedAt) continue;
    const later =
      best === null || price.effective_from > best.effective_from || (price.effective_from === best.effective_from && price.id > best.id);
    if (later) best = price;
  }
  return best;
}

/** The record priced as src/metering/pricing.ts's priceRecord does, with src/pricing/cost.ts's own function. */
function priced(record, prices) {
  const price = record.model === null ? null : priceInForce(prices, record.model, record.started_at);
  const cost = price
    ? costMicroUsd(record, {
        inputPicoPerToken: price.input_pico_per_token,
        cachedInputPicoPerToken: price.cached_input_pico_per_token,
        outputPicoPerToken: price.output_pico_per_token,
      })
    : null;
  return { ...record, cost_micro_usd: cost, price_id: price?.id ?? null };
}

/**
 * The demo records of the 24 whole UTC hours before `now` and of its own hour, as far as the
 * ledger would hold them by `now`, for the keys in `state` while each was usable; and the SQL
 * that writes them (each new row counted once by the roll-up trigger) and moves the keys' last use.
 */
export function demoUsageStatements(state, now = Date.now()) {
  const keys = new Map(state.keys.map((key) => [key.id, key]));
  const records = [];
  for (let hour = wholeHour(now) - 24 * HOUR_MS; hour <= now; hour += HOUR_MS) {
    const count = requestsInHour(hour);
    for (let index = 0; index < count; index++) {
      const { record, recordedAt } = demoRequest(hour, index);
      const key = keys.get(record.key_id);
      if (recordedAt > now || !key || !keyActiveAt(key, Date.parse(record.started_at))) continue;
      const row = priced({ ...record, team_id: key.team_id }, state.prices);
      UsageRecordSchema.parse(row);
      records.push({ ...row, recorded_at: recordedAt });
    }
  }
  const columns = [...COLUMNS, "recorded_at"];
  const statements = [];
  for (let at = 0; at < records.length; at += ROWS_PER_STATEMENT) {
    const rows = records.slice(at, at + ROWS_PER_STATEMENT).map((record) => `(${list(columns.map((column) => record[column]))})`);
    // DO NOTHING on the request id only: any other constraint failure is an error, not a skip.
    statements.push(`INSERT INTO usage_events (${columns.join(", ")}) VALUES ${rows.join(", ")} ON CONFLICT(request_id) DO NOTHING;`);
  }
  const lastUsed = new Map();
  for (const record of records) if ((lastUsed.get(record.key_id) ?? "") < record.started_at) lastUsed.set(record.key_id, record.started_at);
  for (const [keyId, usedAt] of lastUsed) {
    statements.push(
      `UPDATE api_keys SET last_used_at = ${sql(usedAt)} WHERE id = ${sql(keyId)} AND (last_used_at IS NULL OR last_used_at < ${sql(usedAt)});`,
    );
  }
  return { statements, records };
}

/** Seeds the demo teams, keys, prices and usage; resolves with how many demo records the window holds. */
export async function seedDemoUsage(execute, now = Date.now()) {
  const results = await execute([...(await demoSetupStatements(now)), ...DEMO_STATE_QUERIES]);
  const [prices, keys] = results.slice(-DEMO_STATE_QUERIES.length);
  const { statements, records } = demoUsageStatements({ prices, keys }, now);
  if (statements.length > 0) await execute(statements);
  return { records: records.length };
}
