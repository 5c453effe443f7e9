import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import type { PricedRecord } from "../../src/metering/usage-record";
import { adminJson } from "../helpers/admin";
import { usageRecord } from "../helpers/usage-record";

const SUMS = `COUNT(*) AS requests, SUM(prompt_tokens) AS prompt_tokens, SUM(completion_tokens) AS completion_tokens,
  SUM(total_tokens) AS total_tokens, SUM(cached_tokens) AS cached_tokens, SUM(reasoning_tokens) AS reasoning_tokens,
  IFNULL(SUM(cost_micro_usd), 0) AS cost_micro_usd, SUM(cost_micro_usd IS NULL) AS unpriced_requests,
  SUM(usage_source = 'estimated') AS estimated_requests`;

/** The roll-up as it should be: recomputed from the raw rows of one team. */
async function rollupFromRaw(teamId: string) {
  const { results } = await env.DB.prepare(
    `SELECT substr(started_at, 1, 13) AS hour, key_id, IFNULL(model, char(0)) AS model, outcome, ${SUMS}
     FROM usage_events WHERE team_id = ? GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
  )
    .bind(teamId)
    .all();
  return results;
}

async function rollupAsKept(teamId: string) {
  const { results } = await env.DB.prepare(
    `SELECT hour, key_id, model, outcome, requests, prompt_tokens, completion_tokens, total_tokens, cached_tokens, reasoning_tokens,
       cost_micro_usd, unpriced_requests, estimated_requests
     FROM usage_hourly WHERE team_id = ? ORDER BY 1, 2, 3, 4`,
  )
    .bind(teamId)
    .all();
  return results;
}

async function deliver(records: unknown[]): Promise<void> {
  const batch = createMessageBatch(
    "tensoras-usage",
    records.map((body, i) => ({ id: `m-${crypto.randomUUID()}-${i}`, timestamp: new Date(), attempts: 1, body })),
  );
  await worker.queue(batch, env);
  expect((await getQueueResult(batch, createExecutionContext())).retryMessages).toEqual([]);
}

const HOUR = 3600_000;
const BASE = Date.UTC(2025, 5, 1);

const arbitraryRecord = (teamId: string) =>
  fc
    .record({
      minute: fc.integer({ min: 0, max: 4 * 60 - 1 }),
      key: fc.constantFrom("k1", "k2"),
      model: fc.constantFrom("llama-3.3-70b", "qwen-3-32b", null),
      outcome: fc.constantFrom("completed", "client_aborted", "upstream_error", "interrupted"),
      prompt: fc.nat({ max: 5000 }),
      completion: fc.nat({ max: 5000 }),
      cost: fc.option(fc.nat({ max: 10_000_000 }), { nil: null }),
      estimated: fc.boolean(),
    })
    .map(
      (r): PricedRecord =>
        usageRecord({
          team_id: teamId,
          key_id: `${teamId}-${r.key}`,
          model: r.model,
          outcome: r.outcome as PricedRecord["outcome"],
          started_at: new Date(BASE + r.minute * 60_000 + 123).toISOString(),
          prompt_tokens: r.prompt,
          completion_tokens: r.completion,
          total_tokens: r.prompt + r.completion,
          cached_tokens: Math.floor(r.prompt / 3),
          reasoning_tokens: Math.floor(r.completion / 5),
          usage_source: r.estimated ? "estimated" : "upstream",
          cost_micro_usd: r.cost,
          price_id: r.cost === null ? null : "price_x",
        }),
    );

describe("the hourly roll-up", () => {
  it("equals the sum of the raw rows to the token under redelivered, out-of-order and superseding batches", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc
          .integer({ min: 1, max: 1_000_000 })
          .chain((seed) =>
            fc.tuple(fc.constant(seed), fc.array(arbitraryRecord(`team-p${seed}-${run++}`), { minLength: 1, maxLength: 40 })),
          ),
        fc.array(fc.nat(), { minLength: 1, maxLength: 6 }),
        async ([, records], splits) => {
          const teamId = records[0]?.team_id as string;
          // Batches of random sizes, each delivered, then redelivered in reverse order.
          const batches: PricedRecord[][] = [];
          let at = 0;
          for (const split of splits) {
            const size = 1 + (split % 10);
            batches.push(records.slice(at, at + size));
            at += size;
          }
          if (at < records.length) batches.push(records.slice(at));
          for (const batch of batches) if (batch.length > 0) await deliver(batch);
          for (const batch of [...batches].reverse()) if (batch.length > 0) await deliver([...batch].reverse());
          // An interrupted stand-in superseded by its final record moves its figures.
          const superseding = records
            .filter((record) => record.outcome === "interrupted")
            .map((record) => ({
              ...record,
              outcome: "completed",
              completion_tokens: record.completion_tokens + 7,
              total_tokens: record.total_tokens + 7,
            }));
          if (superseding.length > 0) await deliver(superseding);

          expect(await rollupAsKept(teamId)).toEqual(await rollupFromRaw(teamId));
        },
      ),
      { numRuns: 15 },
    );
  });

  it("keeps its figures when raw rows are deleted (retention after export)", async () => {
    const teamId = `team-prune-${crypto.randomUUID()}`;
    const records = Array.from({ length: 20 }, (_, i) =>
      usageRecord({
        team_id: teamId,
        key_id: "k",
        started_at: new Date(BASE + i * 10 * 60_000).toISOString(),
        prompt_tokens: i,
        total_tokens: i + 3,
      }),
    );
    await deliver(records);
    const before = await rollupAsKept(teamId);

    await env.DB.prepare("DELETE FROM usage_events WHERE team_id = ?").bind(teamId).run();

    expect(await rollupAsKept(teamId)).toEqual(before);
    expect(before.length).toBeGreaterThan(1);
  });
});

describe("GET /admin/usage from roll-ups", () => {
  it("equals the raw sum for ranges that start and end inside hours, and still after whole hours of raw rows are pruned", async () => {
    const teamId = `team-range-${crypto.randomUUID()}`;
    const records = Array.from({ length: 48 }, (_, i) =>
      usageRecord({
        team_id: teamId,
        key_id: `k${i % 3}`,
        model: i % 4 === 0 ? null : "llama-3.3-70b",
        started_at: new Date(BASE + i * 7 * 60_000 + 17_000).toISOString(),
        prompt_tokens: 10 + i,
        completion_tokens: 2 * i,
        total_tokens: 10 + 3 * i,
        cost_micro_usd: i % 5 === 0 ? null : 100 + i,
      }),
    );
    await deliver(records);
    const sum = (from: number, to: number) => {
      const inRange = records.filter((r) => Date.parse(r.started_at) >= from && Date.parse(r.started_at) < to);
      return {
        requests: inRange.length,
        prompt_tokens: inRange.reduce((s, r) => s + r.prompt_tokens, 0),
        total_tokens: inRange.reduce((s, r) => s + r.total_tokens, 0),
        cost_micro_usd: inRange.reduce((s, r) => s + (r.cost_micro_usd ?? 0), 0),
        unpriced_requests: inRange.filter((r) => r.cost_micro_usd === null).length,
      };
    };
    const ranges: [number, number][] = [
      [BASE + 13 * 60_000, BASE + 5 * HOUR + 41 * 60_000],
      [BASE, BASE + 6 * HOUR],
      [BASE + HOUR + 1, BASE + HOUR + 59 * 60_000],
      [BASE + 59 * 60_000, BASE + 2 * HOUR + 30 * 60_000],
    ];
    const ask = (from: number, to: number) =>
      adminJson<{ data: Record<string, number>[] }>(
        "GET",
        `/usage?team_id=${teamId}&from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`,
      );
    for (const [from, to] of ranges) expect((await ask(from, to)).data[0], `${from}..${to}`).toMatchObject(sum(from, to));

    // Hours 1 to 4 whole are pruned from raw: the roll-ups answer for them.
    await env.DB.prepare("DELETE FROM usage_events WHERE team_id = ? AND started_at >= ? AND started_at < ?")
      .bind(teamId, new Date(BASE + HOUR).toISOString(), new Date(BASE + 5 * HOUR).toISOString())
      .run();
    expect((await ask(BASE + 13 * 60_000, BASE + 5 * HOUR + 41 * 60_000)).data[0]).toMatchObject(
      sum(BASE + 13 * 60_000, BASE + 5 * HOUR + 41 * 60_000),
    );
  });

  it("pages grouped totals with a cursor: every group once, in order, as the CSV holds them all", async () => {
    const teamId = `team-pages-${crypto.randomUUID()}`;
    const models = ["m-a", "m-b", "m-c", "m-d", "m-e", null];
    await deliver(
      models.map((model, i) =>
        usageRecord({ team_id: teamId, key_id: "k", model, prompt_tokens: i, started_at: new Date(BASE).toISOString() }),
      ),
    );
    const seen: (string | null)[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { data: { model: string | null }[]; next_cursor: string | null } = await adminJson(
        "GET",
        `/usage?team_id=${teamId}&group_by=model&limit=2${cursor ? `&cursor=${cursor}` : ""}`,
      );
      seen.push(...page.data.map((row) => row.model));
      cursor = page.next_cursor;
      pages++;
    } while (cursor !== null && pages < 10);

    expect(pages).toBe(3);
    expect(seen).toEqual([null, "m-a", "m-b", "m-c", "m-d", "m-e"]);
  });
});
