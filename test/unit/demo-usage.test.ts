import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { BAD_UPSTREAM_HOUR, HOUR_MS } from "../../scripts/lib/demo-traffic.mjs";
import { DEMO_PRICES, DEMO_TEAMS, seedDemoUsage } from "../../scripts/lib/demo-usage.mjs";
import { priceRecords } from "../../src/metering/pricing";
import { type UsageRecord, UsageRecordSchema } from "../../src/metering/usage-record";

/**
 * The demo usage `npm run dev` seeds (scripts/lib/demo-usage.mjs), applied to this file's D1
 * exactly as dev.mjs applies it through wrangler: statement by statement, rows back.
 * The tests share the database and run in order; the last one moves the clock on.
 */
const NOW = Date.UTC(2026, 11, 1, 15, 20, 0);
const CURRENT_HOUR = Date.UTC(2026, 11, 1, 15);
/**
 * An operator's own prices for one demo model, from 10 h before NOW: the demo must use them, not
 * add one. Two versions with the same effective_from: the greater id is in force.
 */
const OPERATOR_PRICE = {
  id: "price_operator_qwen_b",
  model: "qwen-3-32b",
  effective_from: new Date(NOW - 10 * HOUR_MS).toISOString(),
};
const OPERATOR_TIED_PRICE_ID = "price_operator_qwen_a";

type Row = Omit<UsageRecord, "stream"> & { stream: number; cost_micro_usd: number | null; price_id: string | null; recorded_at: number };

async function execute(statements: string[]): Promise<Record<string, unknown>[][]> {
  const results = await env.DB.batch(statements.map((statement) => env.DB.prepare(statement)));
  return results.map((result) => result.results as Record<string, unknown>[]);
}

async function rows(): Promise<Row[]> {
  const { results } = await env.DB.prepare("SELECT * FROM usage_events ORDER BY request_id").all<Row>();
  return results;
}

const SUMS = `COUNT(*) AS requests, SUM(prompt_tokens) AS prompt_tokens, SUM(completion_tokens) AS completion_tokens,
  SUM(total_tokens) AS total_tokens, SUM(cached_tokens) AS cached_tokens, SUM(reasoning_tokens) AS reasoning_tokens,
  IFNULL(SUM(cost_micro_usd), 0) AS cost_micro_usd, SUM(cost_micro_usd IS NULL) AS unpriced_requests,
  SUM(usage_source = 'estimated') AS estimated_requests`;

async function rollupFromRaw() {
  const { results } = await env.DB.prepare(
    `SELECT substr(started_at, 1, 13) AS hour, team_id, key_id, IFNULL(model, char(0)) AS model, outcome, ${SUMS}
     FROM usage_events GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5`,
  ).all();
  return results;
}

async function rollupAsKept() {
  const { results } = await env.DB.prepare(
    `SELECT hour, team_id, key_id, model, outcome, requests, prompt_tokens, completion_tokens, total_tokens, cached_tokens,
       reasoning_tokens, cost_micro_usd, unpriced_requests, estimated_requests
     FROM usage_hourly ORDER BY 1, 2, 3, 4, 5`,
  ).all();
  return results;
}

const asRecord = (row: Row): UsageRecord => UsageRecordSchema.parse({ ...row, stream: row.stream === 1 });

let firstRun: { records: number };

beforeAll(async () => {
  const insertPrice = env.DB.prepare(
    `INSERT INTO prices (id, model, input_pico_per_token, cached_input_pico_per_token, output_pico_per_token, max_output_tokens,
       context_window, effective_from, created_at) VALUES (?1, ?2, ?3, ?3, ?4, 8192, NULL, ?5, ?5)`,
  );
  await env.DB.batch([
    insertPrice.bind(OPERATOR_TIED_PRICE_ID, OPERATOR_PRICE.model, 900_000, 1_900_000, OPERATOR_PRICE.effective_from),
    insertPrice.bind(OPERATOR_PRICE.id, OPERATOR_PRICE.model, 400_000, 800_000, OPERATOR_PRICE.effective_from),
  ]);
  firstRun = await seedDemoUsage(execute, NOW);
});

describe("demo usage for npm run dev", () => {
  it("writes the 24 whole hours before now and the current one, for several teams, keys, models and outcomes, and nothing after now", async () => {
    const all = await rows();
    expect(all.length).toBe(firstRun.records);
    expect(all.length).toBeGreaterThan(1000);
    expect(all.length).toBeLessThan(5000);
    const hours = new Set(all.map((row) => row.started_at.slice(0, 13)));
    expect(hours.size).toBe(25);
    expect(Math.min(...all.map((row) => Date.parse(row.started_at)))).toBeGreaterThanOrEqual(CURRENT_HOUR - 24 * HOUR_MS);
    expect(all.every((row) => row.recorded_at <= NOW && Date.parse(row.started_at) + row.duration_ms <= NOW)).toBe(true);
    expect(new Set(all.map((row) => row.team_id))).toEqual(new Set(DEMO_TEAMS.map((team) => team.id)));
    expect(new Set(all.map((row) => row.key_id)).size).toBe(DEMO_TEAMS.flatMap((team) => team.keys).length);
    expect(new Set(all.map((row) => row.model))).toEqual(new Set(DEMO_PRICES.map((price) => price.model)));
    expect(new Set(all.map((row) => row.endpoint))).toEqual(new Set(["/v1/chat/completions", "/v1/embeddings"]));
    expect(new Set(all.map((row) => row.stream))).toEqual(new Set([0, 1]));
    const outcomes = new Set(all.map((row) => row.outcome));
    for (const outcome of ["completed", "client_aborted", "rejected", "upstream_error", "upstream_unreachable"])
      expect(outcomes).toContain(outcome);
    expect(all.filter((row) => row.outcome === "rejected").every((row) => row.status === 429)).toBe(true);
    // Quieter at night than at midday.
    const inHour = (hour: number) => all.filter((row) => new Date(row.started_at).getUTCHours() === hour).length;
    expect(inHour(13)).toBeGreaterThan(4 * inHour(3));
  });

  it("writes rows that parse as usage records, with UUIDv7 request ids whose time is their started_at", async () => {
    for (const row of await rows()) {
      const record = asRecord(row);
      expect(record.total_tokens).toBe(record.prompt_tokens + record.completion_tokens);
      expect(record.cached_tokens).toBeLessThanOrEqual(record.prompt_tokens);
      expect(record.reasoning_tokens).toBeLessThanOrEqual(record.completion_tokens);
      expect(record.request_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(Number.parseInt(record.request_id.replaceAll("-", "").slice(0, 12), 16)).toBe(Date.parse(record.started_at));
    }
  });

  it("keeps the hourly roll-up equal to the raw rows", async () => {
    expect(await rollupAsKept()).toEqual(await rollupFromRaw());
  });

  it("prices every row as the gateway's own pricing does, and adds no price for a model the operator priced already", async () => {
    const all = await rows();
    const repriced = await priceRecords(
      env.DB,
      all.map((row) => ({ ...asRecord(row), cost_micro_usd: undefined, price_id: undefined })),
    );
    expect(all.map((row) => [row.cost_micro_usd, row.price_id])).toEqual(
      repriced.map((record) => [record.cost_micro_usd, record.price_id]),
    );

    const { results: qwenPrices } = await env.DB.prepare("SELECT id FROM prices WHERE model = ? ORDER BY id")
      .bind(OPERATOR_PRICE.model)
      .all();
    expect(qwenPrices).toEqual([{ id: OPERATOR_TIED_PRICE_ID }, { id: OPERATOR_PRICE.id }]);
    const qwen = all.filter((row) => row.model === OPERATOR_PRICE.model);
    const before = qwen.filter((row) => row.started_at < OPERATOR_PRICE.effective_from);
    expect(before.length).toBeGreaterThan(0);
    expect(before.every((row) => row.cost_micro_usd === null && row.price_id === null)).toBe(true);
    expect(qwen.filter((row) => row.started_at >= OPERATOR_PRICE.effective_from).every((row) => row.price_id === OPERATOR_PRICE.id)).toBe(
      true,
    );
    expect(all.filter((row) => row.model !== OPERATOR_PRICE.model).every((row) => row.cost_micro_usd !== null)).toBe(true);
  });

  it("has one bad upstream hour, and a revoked key whose traffic stops when it was revoked", async () => {
    const all = await rows();
    const failedShare = (hour: number) => {
      const inHour = all.filter((row) => new Date(row.started_at).getUTCHours() === hour);
      return inHour.filter((row) => row.outcome === "upstream_error" || row.outcome === "upstream_unreachable").length / inHour.length;
    };
    expect(failedShare(BAD_UPSTREAM_HOUR)).toBeGreaterThan(0.3);
    expect(failedShare(BAD_UPSTREAM_HOUR + 2)).toBeLessThan(0.05);

    const revoked = await env.DB.prepare("SELECT id, revoked_at, last_used_at FROM api_keys WHERE revoked_at IS NOT NULL").all<{
      id: string;
      revoked_at: string;
      last_used_at: string;
    }>();
    expect(revoked.results.map((key) => key.id)).toEqual(["key_demo_support_staging"]);
    const [key] = revoked.results;
    const used = all.filter((row) => row.key_id === key?.id);
    expect(used.length).toBeGreaterThan(0);
    expect(used.every((row) => key !== undefined && row.started_at < key.revoked_at)).toBe(true);
    expect(key?.last_used_at).toBe(
      used
        .map((row) => row.started_at)
        .sort()
        .at(-1),
    );
  });

  it("writes nothing twice when it runs again in the same hour (no new row, the roll-up unchanged)", async () => {
    const [before, rollup] = [await rows(), await rollupAsKept()];
    const { results: keysBefore } = await env.DB.prepare("SELECT * FROM api_keys ORDER BY id").all();

    await expect(seedDemoUsage(execute, NOW)).resolves.toEqual(firstRun);

    expect(await rows()).toEqual(before);
    expect(await rollupAsKept()).toEqual(rollup);
    const { results: keysAfter } = await env.DB.prepare("SELECT * FROM api_keys ORDER BY id").all();
    expect(keysAfter).toEqual(keysBefore);
  });

  // Last: it moves the clock on and archives a team.
  it("tops up the new hours on a start the next day, keeps the old rows as they were, and gives an archived team no new traffic", async () => {
    const before = await rows();
    const archivedAt = new Date(NOW + 30 * 60_000).toISOString();
    await env.DB.batch([
      env.DB.prepare("UPDATE teams SET archived_at = ?1 WHERE id = 'team_demo_data'").bind(archivedAt),
      env.DB.prepare("UPDATE api_keys SET revoked_at = ?1 WHERE team_id = 'team_demo_data' AND revoked_at IS NULL").bind(archivedAt),
    ]);
    const later = NOW + 20 * HOUR_MS;

    await seedDemoUsage(execute, later);

    const after = await rows();
    const byId = new Map(after.map((row) => [row.request_id, row]));
    for (const row of before) expect(byId.get(row.request_id)).toEqual(row);
    const old = new Set(before.map((row) => row.request_id));
    const added = after.filter((row) => !old.has(row.request_id));
    expect(new Set(added.map((row) => row.started_at.slice(0, 13))).size).toBeGreaterThanOrEqual(20);
    expect(added.every((row) => Date.parse(row.started_at) >= CURRENT_HOUR && row.recorded_at <= later)).toBe(true);
    expect(added.filter((row) => row.team_id === "team_demo_data").every((row) => row.started_at < archivedAt)).toBe(true);
    expect(added.some((row) => row.team_id === "team_demo_search")).toBe(true);
    expect(await rollupAsKept()).toEqual(await rollupFromRaw());
  });
});
