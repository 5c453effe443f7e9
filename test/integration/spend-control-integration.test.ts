import { createExecutionContext, createMessageBatch, env, evictDurableObject, getQueueResult } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import { PROMPT_TOKENS_BASE, PROMPT_TOKENS_PER_MESSAGE } from "../../src/limits/worst-case";
import { adminJson } from "../helpers/admin";
import { chat, GATEWAY, mockUpstream, seedKey, waitForUsage } from "../helpers/gateway";
import { usageRecord } from "../helpers/usage-record";

afterEach(() => vi.restoreAllMocks());

interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

const completion = (prompt: number, completionTokens: number) =>
  Response.json({
    choices: [{ message: { content: "ok" }, finish_reason: "stop" }],
    usage: { prompt_tokens: prompt, completion_tokens: completionTokens, total_tokens: prompt + completionTokens },
  });

/** A model priced at 1 USD per Mtok for input, cached input and output: one token costs one micro-USD. */
async function priceOneMicroPerToken(maxOutput = 1000): Promise<string> {
  const model = `budget-model-${crypto.randomUUID()}`;
  await adminJson("PUT", `/prices/${model}`, {
    input_usd_per_mtok: "1",
    output_usd_per_mtok: "1",
    max_output_tokens: maxOutput,
  });
  return model;
}

/** The documented worst case of a one-message chat body with max_tokens, at one micro-USD a token. */
function worstCaseMicroUsd(body: Record<string, unknown>, maxTokens: number): number {
  return new TextEncoder().encode(JSON.stringify(body)).byteLength + PROMPT_TOKENS_PER_MESSAGE + PROMPT_TOKENS_BASE + maxTokens;
}

function usd(micro: number): string {
  return (micro / 1e6).toFixed(6);
}

/** An upstream that answers only when `open()` is called: every admitted request is in flight at once. */
function gatedUpstream(answer: () => Response) {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  const calls = mockUpstream(async () => {
    await gate;
    return answer();
  });
  return { calls, open };
}

async function ledgerCost(teamId: string): Promise<{ n: number; cost: number }> {
  const row = await env.DB.prepare(
    "SELECT COUNT(*) AS n, COALESCE(SUM(cost_micro_usd), 0) AS cost FROM usage_events WHERE team_id = ? AND outcome = 'completed'",
  )
    .bind(teamId)
    .first<{ n: number; cost: number }>();
  return row as { n: number; cost: number };
}

async function waitForLedger(teamId: string, n: number): Promise<{ n: number; cost: number }> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const totals = await ledgerCost(teamId);
    if (totals.n >= n || Date.now() > deadline) return totals;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function raceThroughBudget(keys: string[], model: string, admitted: number, total: number) {
  const body = { model, max_tokens: 10, messages: [{ role: "user", content: "hello budget" }] };
  const { calls, open } = gatedUpstream(() => completion(5, 2));
  let refused = 0;
  const responses = Array.from({ length: total }, (_, i) =>
    chat(keys[i % keys.length] as string, body).then(async (res) => {
      if (res.status === 429) {
        refused++;
        // Every refusal is in: the admitted ones may now finish (and settle).
        if (refused === total - admitted) open();
      }
      return res;
    }),
  );
  const settled = await Promise.all(responses);
  return { settled, calls, body };
}

describe("budgets under concurrency", () => {
  it("lets exactly 50 of 200 concurrent requests reach upstream when the team budget fits 50 worst cases, and refuses 150 with budget_exceeded", async () => {
    const model = await priceOneMicroPerToken();
    const { key, teamId } = await seedKey();
    const worst = worstCaseMicroUsd({ model, max_tokens: 10, messages: [{ role: "user", content: "hello budget" }] }, 10);
    await adminJson("PATCH", `/teams/${teamId}`, { budget: { limit_usd: usd(50 * worst), period: "month" } });

    const { settled, calls } = await raceThroughBudget([key], model, 50, 200);

    expect(calls).toHaveLength(50);
    expect(settled.filter((res) => res.status === 200)).toHaveLength(50);
    const refusals = settled.filter((res) => res.status === 429);
    expect(refusals).toHaveLength(150);
    const body = (await refusals[0]?.json()) as ErrorBody;
    expect(body.error).toMatchObject({ type: "insufficient_quota", code: "budget_exceeded" });
    expect(Number(refusals[0]?.headers.get("retry-after"))).toBeGreaterThan(0);

    // Spend is the ledger's cost: 50 answers of 7 tokens, at one micro-USD a token.
    const ledger = await waitForLedger(teamId, 50);
    expect(ledger).toEqual({ n: 50, cost: 50 * 7 });
    const team = await waitForSpend(teamId, "0.00035");
    expect(team.budget).toMatchObject({ spent_usd: "0.00035", reserved_usd: "0.00", period: "month" });
    const rejected = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM usage_events WHERE team_id = ? AND outcome = 'rejected' AND status = 429",
    )
      .bind(teamId)
      .first<{ n: number }>();
    expect(rejected?.n).toBe(150);
  });

  it("holds the team budget when two keys of the team race for it", async () => {
    const model = await priceOneMicroPerToken();
    const first = await seedKey();
    const second = await seedKey();
    await env.DB.prepare("UPDATE api_keys SET team_id = ? WHERE id = ?").bind(first.teamId, second.keyId).run();
    const worst = worstCaseMicroUsd({ model, max_tokens: 10, messages: [{ role: "user", content: "hello budget" }] }, 10);
    await adminJson("PATCH", `/teams/${first.teamId}`, { budget: { limit_usd: usd(20 * worst), period: "total" } });

    const { calls } = await raceThroughBudget([first.key, second.key], model, 20, 60);

    expect(calls).toHaveLength(20);
    await waitForLedger(first.teamId, 20);
    const byKey = await env.DB.prepare(
      "SELECT key_id, COUNT(*) AS n FROM usage_events WHERE team_id = ? AND outcome = 'completed' GROUP BY key_id",
    )
      .bind(first.teamId)
      .all<{ key_id: string; n: number }>();
    expect(byKey.results.reduce((sum, row) => sum + row.n, 0)).toBe(20);
  });

  it("still holds the budget after the team's object is evicted and restarted", async () => {
    const model = await priceOneMicroPerToken();
    const { key, teamId } = await seedKey();
    const body = { model, max_tokens: 10, messages: [{ role: "user", content: "hello budget" }] };
    const worst = worstCaseMicroUsd(body, 10);
    await adminJson("PATCH", `/teams/${teamId}`, { budget: { limit_usd: usd(3 * worst), period: "total" } });
    const { calls, open } = gatedUpstream(() => completion(5, 2));
    const inFlight = [chat(key, body), chat(key, body), chat(key, body)];
    await vi.waitFor(() => expect(calls).toHaveLength(3));

    await evictDurableObject(env.TEAM_LIMITS.getByName(teamId));
    const fourth = await chat(key, body);

    expect(fourth.status).toBe(429);
    open();
    expect((await Promise.all(inFlight)).map((res) => res.status)).toEqual([200, 200, 200]);
    expect(calls).toHaveLength(3);
  });

  it("refuses a model with no price under a budget with 403 model_not_priced, sending nothing upstream", async () => {
    const { key, teamId } = await seedKey();
    await adminJson("PATCH", `/teams/${teamId}`, { budget: { limit_usd: "100.00", period: "day" } });
    const calls = mockUpstream(() => completion(1, 1));

    const res = await chat(key, { model: `unpriced-${crypto.randomUUID()}`, messages: [] });

    expect(res.status).toBe(403);
    expect(((await res.json()) as ErrorBody).error).toMatchObject({ code: "model_not_priced", param: "model" });
    expect(calls).toHaveLength(0);
    expect(await waitForUsage(res.headers.get("x-request-id") ?? "")).toMatchObject({ outcome: "rejected", status: 403 });
  });

  it("settles the reservation to the record's cost, shown on the key with its period", async () => {
    const model = await priceOneMicroPerToken();
    const { key, keyId } = await seedKey();
    await adminJson("PATCH", `/keys/${keyId}`, { budget: { limit_usd: "1.00", period: "day" } });
    mockUpstream(() => completion(30, 12));

    const res = await chat(key, { model, max_tokens: 100, messages: [{ role: "user", content: "hi" }] });
    expect(res.status).toBe(200);
    const record = await waitForUsage(res.headers.get("x-request-id") ?? "");

    expect(record).toMatchObject({ cost_micro_usd: 42, outcome: "completed" });
    const view = await adminJson<{ budget: Record<string, unknown> }>("GET", `/keys/${keyId}`);
    const tomorrow = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate() + 1));
    expect(view.budget).toEqual({
      limit_usd: "1.00",
      period: "day",
      spent_usd: "0.000042",
      reserved_usd: "0.00",
      resets_at: tomorrow.toISOString(),
    });
  });

  it("lets the queue consumer settle a reservation the request path never settled (a crash), once", async () => {
    const { keyId, teamId } = await seedKey();
    const stub = env.TEAM_LIMITS.getByName(teamId);
    const scopes = [{ scope: "team", budget: { limitMicroUsd: 1000, period: "total" as const }, limits: null }];
    await stub.reserve({ requestId: "crashed", nowMs: Date.now(), scopes, costMicroUsd: 900, tokens: 10 });
    const record = { ...usageRecord({ key_id: keyId, team_id: teamId, request_id: "crashed" }), cost_micro_usd: 25, reserved: true };

    for (const attempt of [1, 2]) {
      const batch = createMessageBatch("tensoras-usage", [{ id: `m${attempt}`, timestamp: new Date(), attempts: attempt, body: record }]);
      await worker.queue(batch, env);
      expect((await getQueueResult(batch, createExecutionContext())).retryMessages).toEqual([]);
    }

    expect(await stub.budgetStatus("team", "total", Date.now())).toMatchObject({ spentMicroUsd: 25, reservedMicroUsd: 0 });
  });

  it("fails closed with 503 limits_unavailable when the team's object cannot be reached, sending nothing upstream", async () => {
    const { key, teamId } = await seedKey();
    await adminJson("PATCH", `/teams/${teamId}`, { limits: { requests_per_minute: 100 } });
    const calls = mockUpstream(() => completion(1, 1));
    vi.spyOn(console, "error").mockImplementation(() => {});
    const broken = { getByName: () => ({ reserve: () => Promise.reject(new Error("object unreachable")) }) };

    const request = new Request(`${GATEWAY}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
    const res = await worker.fetch(request, { ...env, TEAM_LIMITS: broken as unknown as typeof env.TEAM_LIMITS }, createExecutionContext());

    expect(res.status).toBe(503);
    expect(((await res.json()) as ErrorBody).error.code).toBe("limits_unavailable");
    expect(calls).toHaveLength(0);
  });

  it("never calls the object for a key and team with neither budget nor limits", async () => {
    const { key } = await seedKey();
    mockUpstream(() => completion(1, 1));
    const broken = { getByName: () => ({ reserve: () => Promise.reject(new Error("must not be called")) }) };

    const request = new Request(`${GATEWAY}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
    const res = await worker.fetch(request, { ...env, TEAM_LIMITS: broken as unknown as typeof env.TEAM_LIMITS }, createExecutionContext());

    expect(res.status).toBe(200);
    expect(res.headers.get("x-ratelimit-limit-requests")).toBeNull();
  });
});

describe("rate limits", () => {
  it("admits requests_per_minute requests, then answers 429 rate_limit_exceeded of type requests with Retry-After and OpenAI's headers", async () => {
    const { key, keyId } = await seedKey();
    await adminJson("PATCH", `/keys/${keyId}`, { limits: { requests_per_minute: 3 } });
    mockUpstream(() => Response.json({ object: "list", data: [] }, { headers: { "x-ratelimit-limit-requests": "999999" } }));
    const call = () =>
      worker.fetch(new Request(`${GATEWAY}/v1/models`, { headers: { authorization: `Bearer ${key}` } }), env, createExecutionContext());

    const admitted = [await call(), await call(), await call()];
    const refused = await call();

    expect(admitted.map((res) => res.status)).toEqual([200, 200, 200]);
    // The gateway's own limits replace whatever upstream said of its own.
    expect(admitted.map((res) => res.headers.get("x-ratelimit-limit-requests"))).toEqual(["3", "3", "3"]);
    expect(admitted.map((res) => res.headers.get("x-ratelimit-remaining-requests"))).toEqual(["2", "1", "0"]);
    expect(admitted[0]?.headers.get("x-ratelimit-reset-requests")).toMatch(/^\d+(m\d+)?s$|^\d+ms$/);
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as ErrorBody).error).toMatchObject({ type: "requests", code: "rate_limit_exceeded" });
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers.get("retry-after"))).toBeLessThanOrEqual(60);
    expect(refused.headers.get("x-ratelimit-remaining-requests")).toBe("0");
  });

  it("reserves tokens at the worst case and refuses with type tokens when tokens_per_minute would be passed", async () => {
    const model = await priceOneMicroPerToken(500);
    const { key, keyId } = await seedKey();
    await adminJson("PATCH", `/keys/${keyId}`, { limits: { tokens_per_minute: 1000 } });
    const { calls, open } = gatedUpstream(() => completion(5, 2));
    const body = { model, messages: [{ role: "user", content: "x" }] };

    // No max_tokens: the price's max_output_tokens (500) is the bound, so one in flight fits and a second does not.
    const first = chat(key, body);
    await vi.waitFor(() => expect(calls).toHaveLength(1));
    const second = await chat(key, body);
    expect(second.status).toBe(429);
    expect(((await second.json()) as ErrorBody).error).toMatchObject({ type: "tokens", code: "rate_limit_exceeded" });

    open();
    const done = await first;
    expect(done.status).toBe(200);
    expect(Number(done.headers.get("x-ratelimit-limit-tokens"))).toBe(1000);
    await waitForUsage(done.headers.get("x-request-id") ?? "");
    // Settled to the 7 tokens it used: the worst case held is given back, and the next one fits.
    const third = await chat(key, body);
    expect(third.status).toBe(200);
  });
});

async function waitForSpend(teamId: string, spent: string): Promise<{ budget: Record<string, unknown> }> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const team = await adminJson<{ budget: Record<string, unknown> }>("GET", `/teams/${teamId}`);
    if (team.budget?.spent_usd === spent || Date.now() > deadline) return team;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
