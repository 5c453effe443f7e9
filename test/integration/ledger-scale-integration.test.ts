import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { insertPriceStatement } from "../../src/db/prices";
import { HOUR_MS, hourStart, manifestKey } from "../../src/ledger/hours";
import { interruptedRecord } from "../../src/ledger/sweep";
import type { UsageRecord } from "../../src/metering/usage-record";
import { adminJson } from "../helpers/admin";
import { deliver, exportedRecords, exportRow, manifestOf, pastHour, rawRows, runCron } from "../helpers/ledger";

/**
 * The ledger at scale, end to end inside workerd: 100,000 records through the real queue
 * consumer (worker.queue, batches of 100, some batches delivered twice), the Cron Trigger
 * (worker.scheduled) exporting every closed hour to R2 and pruning the raw rows, and the
 * admin API's totals before and after.
 */

const RECORDS = 100_000;
const HOURS = [9, 8, 7, 6, 5].map((ago) => pastHour(ago));
const TEAMS = ["team_a", "team_b", "team_c", "team_d"];
/** llama-3.3-70b is priced by the consumer (a price in force for a month), llama-3.1-8b by the producer, the rest not at all. */
const MODELS = ["llama-3.3-70b", "llama-3.1-8b", "mixtral-8x7b", null] as const;
const OUTCOMES = [
  { outcome: "completed", status: 200, usage_source: "upstream" },
  { outcome: "completed", status: 200, usage_source: "upstream" },
  { outcome: "client_aborted", status: 200, usage_source: "estimated" },
  { outcome: "upstream_error", status: 502, usage_source: "estimated" },
  { outcome: "rejected", status: 400, usage_source: "none" },
] as const;
/** Requests first recorded as the sweep's `interrupted` stand-in, then superseded by their final record. */
const SUPERSEDED = 100;
const REDELIVERED_BATCHES = 30;
/** The cron runs an hour after the load: past the settle time of rows recorded just now. */
const LATER = Date.now() + HOUR_MS;

function record(i: number): UsageRecord {
  const hour = HOURS[i % HOURS.length] as (typeof HOURS)[number];
  const team = TEAMS[i % TEAMS.length] as string;
  const model = MODELS[Math.floor(i / 7) % MODELS.length] ?? null;
  const shape = OUTCOMES[Math.floor(i / 3) % OUTCOMES.length] as (typeof OUTCOMES)[number];
  const tokens = shape.usage_source === "none" ? { p: 0, c: 0 } : { p: 10 + (i % 97), c: shape.outcome === "completed" ? 1 + (i % 41) : 3 };
  const base: UsageRecord = {
    request_id: `req-${String(i).padStart(6, "0")}-${crypto.randomUUID()}`,
    team_id: team,
    key_id: `${team}_key_${i % 2}`,
    endpoint: "/v1/chat/completions",
    model,
    stream: i % 2 === 0,
    status: shape.status,
    outcome: shape.outcome,
    finish_reason: shape.outcome === "completed" ? "stop" : null,
    prompt_tokens: tokens.p,
    completion_tokens: tokens.c,
    total_tokens: tokens.p + tokens.c,
    cached_tokens: tokens.p > 20 ? 4 : 0,
    reasoning_tokens: 0,
    usage_source: shape.usage_source,
    started_at: hour.at((Math.floor(i / HOURS.length) * 179) % HOUR_MS),
    ttfb_ms: shape.usage_source === "none" ? null : 100 + (i % 50),
    duration_ms: 500 + (i % 1000),
  };
  return model === "llama-3.1-8b" ? { ...base, cost_micro_usd: tokens.p + 2 * tokens.c, price_id: "price_producer" } : base;
}

function standIn(final: UsageRecord): UsageRecord {
  const { reserved: _, ...row } = interruptedRecord({ kind: "started", ...final, prompt_tokens: 40, costs_tokens: true });
  return row;
}

interface TotalsPage {
  data: Record<string, unknown>[];
  next_cursor: string | null;
}

async function totals(groupBy: string | null): Promise<Record<string, unknown>[]> {
  const from = new Date(hourStart((HOURS[0] as (typeof HOURS)[number]).hour)).toISOString();
  const to = new Date(hourStart((HOURS.at(-1) as (typeof HOURS)[number]).hour) + HOUR_MS).toISOString();
  const rows: Record<string, unknown>[] = [];
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({
      from,
      to,
      limit: "1000",
      ...(groupBy ? { group_by: groupBy } : {}),
      ...(cursor ? { cursor } : {}),
    });
    const page: TotalsPage = await adminJson<TotalsPage>("GET", `/usage?${query}`);
    rows.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor !== null);
  return rows;
}

async function allRawRows(): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for (const hour of HOURS) rows.push(...(await rawRows(hour.hour)));
  return rows;
}

/** Every object of the exports with its ETag and upload time: unchanged objects were not written again. */
async function objectStates(): Promise<string[]> {
  const states: string[] = [];
  for (const hour of HOURS) {
    const keys = [manifestKey(hour.hour), ...(await manifestOf(hour.hour)).parts.map((p) => p.key)];
    for (const key of keys) {
      const head = await env.LEDGER_BUCKET.head(key);
      states.push(`${key} ${head?.etag} ${head?.uploaded.getTime()}`);
    }
  }
  return states;
}

describe("the ledger at scale", () => {
  it("loads 100,000 records through the consumer, exports and prunes them, and keeps every total and every record", {
    timeout: 120_000,
  }, async () => {
    const started = Date.now();
    await insertPriceStatement(env.DB, {
      id: "price_scale_test",
      model: "llama-3.3-70b",
      input_pico_per_token: 590_000,
      cached_input_pico_per_token: 295_000,
      output_pico_per_token: 790_000,
      max_output_tokens: 8192,
      context_window: null,
      effective_from: new Date(Date.now() - 30 * 86_400_000).toISOString(),
      created_at: new Date(Date.now() - 30 * 86_400_000).toISOString(),
    }).run();

    const records = Array.from({ length: RECORDS }, (_, i) => record(i));
    await deliver(records.slice(0, SUPERSEDED).map(standIn));
    const batches: UsageRecord[][] = [];
    for (let at = 0; at < RECORDS; at += 100) batches.push(records.slice(at, at + 100));
    for (const batch of batches) await deliver(batch);
    for (let i = 0; i < REDELIVERED_BATCHES; i++) await deliver(batches[(i * 37) % batches.length] as UsageRecord[]);
    const loaded = Date.now();

    const before = await allRawRows();
    expect(before).toHaveLength(RECORDS);
    expect(new Set(before.map((row) => row.request_id))).toEqual(new Set(records.map((r) => r.request_id)));
    expect(before.filter((row) => row.outcome === "interrupted")).toEqual([]);
    expect(new Set(before.map((row) => (row.cost_micro_usd === null ? "unpriced" : row.price_id)))).toEqual(
      new Set(["unpriced", "price_producer", "price_scale_test"]),
    );
    const totalsBefore = { none: await totals(null), teamModel: await totals("team,model") };
    expect(totalsBefore.none[0]).toMatchObject({ requests: RECORDS });

    // Export: a few hours per run, so the backlog takes more than one run.
    await runCron(LATER);
    const afterFirstRun = await Promise.all(HOURS.map((h) => exportRow(h.hour)));
    expect(afterFirstRun.filter((row) => row?.exported_at).length).toBeLessThan(HOURS.length);
    await runCron(LATER);
    for (const hour of HOURS) expect((await exportRow(hour.hour))?.exported_at, hour.hour).not.toBeNull();
    expect(await allRawRows()).toHaveLength(RECORDS);

    // A second export run changes nothing: no object written again, no export row changed.
    const objectsBefore = await objectStates();
    const exportRowsBefore = await Promise.all(HOURS.map((h) => exportRow(h.hour)));
    await runCron(LATER);
    expect(await objectStates()).toEqual(objectsBefore);
    expect(await Promise.all(HOURS.map((h) => exportRow(h.hour)))).toEqual(exportRowsBefore);
    const exported = Date.now();

    // Retention with nothing kept: every verified hour's raw rows go.
    await runCron(LATER, { RAW_RETENTION_DAYS: "0" });
    expect(await allRawRows()).toEqual([]);
    for (const hour of HOURS) expect((await exportRow(hour.hour))?.pruned_at, hour.hour).not.toBeNull();
    const pruned = Date.now();

    expect(await totals(null)).toEqual(totalsBefore.none);
    expect(await totals("team,model")).toEqual(totalsBefore.teamModel);

    const archived: Record<string, unknown>[] = [];
    for (const hour of HOURS) archived.push(...(await exportedRecords(hour.hour)));
    expect(archived).toHaveLength(RECORDS);
    expect(archived).toEqual(before.map((row) => ({ ...row, stream: row.stream === 1 })));

    await runCron(LATER, { RAW_RETENTION_DAYS: "0" });
    expect(await objectStates()).toEqual(objectsBefore);

    console.log(
      JSON.stringify({
        message: "ledger scale test timings (ms)",
        load: loaded - started,
        export: exported - loaded,
        prune: pruned - exported,
        check: Date.now() - pruned,
      }),
    );
  });
});
