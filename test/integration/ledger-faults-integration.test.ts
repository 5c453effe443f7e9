import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { insertUsageEventStatement } from "../../src/db/usage-events";
import worker from "../../src/index";
import type { PricedRecord } from "../../src/metering/usage-record";
import { adminCall, adminJson } from "../helpers/admin";
import { chat, mockUpstream, seedKey, waitForUsage } from "../helpers/gateway";
import { usageRecord } from "../helpers/usage-record";

afterEach(() => vi.restoreAllMocks());

async function startedRow(requestId: string): Promise<Record<string, unknown> | null> {
  return env.DB.prepare("SELECT * FROM usage_started WHERE request_id = ?").bind(requestId).first();
}

async function waitFor<T>(probe: () => Promise<T | null>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function deliverDead(bodies: unknown[]): Promise<string[]> {
  const batch = createMessageBatch(
    "tensoras-usage-dlq",
    bodies.map((body, i) => ({ id: `dead-${crypto.randomUUID()}-${i}`, timestamp: new Date(), attempts: 11, body })),
  );
  await worker.queue(batch, env);
  const result = await getQueueResult(batch, createExecutionContext());
  expect(result.retryMessages).toEqual([]);
  return batch.messages.map((m) => m.id);
}

describe("the started note", () => {
  it("is durable while the upstream call is still waiting for its answer, and is cleared by the final record", async () => {
    const { key } = await seedKey();
    let noteSeenByUpstream: Record<string, unknown> | null = null;
    // Upstream answers only once the note is in D1: the note goes beside the call, not after it.
    mockUpstream(async (call) => {
      const requestId = call.headers.get("x-request-id") ?? "";
      noteSeenByUpstream = await waitFor(() => startedRow(requestId));
      return Response.json({
        choices: [{ message: { content: "ok" }, finish_reason: "stop" }],
        usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 },
      });
    });

    const res = await chat(key, { model: "llama-3.3-70b", messages: [{ role: "user", content: "x".repeat(400) }] });
    expect(res.status).toBe(200);
    const requestId = res.headers.get("x-request-id") ?? "";
    await res.text();

    expect(noteSeenByUpstream).toMatchObject({ request_id: requestId, model: "llama-3.3-70b", stream: 0, costs_tokens: 1 });
    // The prompt is estimated at forward time, for the sweep: 400 characters and a message's allowance.
    expect(Number((noteSeenByUpstream as unknown as { prompt_tokens: number }).prompt_tokens)).toBeGreaterThanOrEqual(100);
    expect(await waitForUsage(requestId)).toMatchObject({ outcome: "completed", total_tokens: 6 });
    await waitFor(async () => ((await startedRow(requestId)) === null ? true : null));
  });

  it("is not sent for a request refused before forwarding", async () => {
    const { key } = await seedKey({ models: ["llama-3.1-8b"] });
    const calls = mockUpstream(() => new Response("never"));

    const res = await chat(key, { model: "llama-3.3-70b", messages: [] });
    expect(res.status).toBe(403);
    const requestId = res.headers.get("x-request-id") ?? "";

    expect(await waitForUsage(requestId)).toMatchObject({ outcome: "rejected" });
    expect(calls).toHaveLength(0);
    expect(await startedRow(requestId)).toBeNull();
  });
});

describe("dead letters", () => {
  it("parks every dead-lettered message in usage_dead_letters, replays it idempotently, and shows the count in /admin/health", async () => {
    const { keyId, teamId } = await seedKey();
    const records: PricedRecord[] = [usageRecord({ key_id: keyId, team_id: teamId }), usageRecord({ key_id: keyId, team_id: teamId })];
    const poison = { not: "a record" };
    const before = await adminJson<{ dead_letters: { count: number } }>("GET", "/health");

    await deliverDead([...records, poison]);

    const parked = await adminJson<{ status: string; dead_letters: { count: number } }>("GET", "/health");
    expect(parked.dead_letters.count).toBe(before.dead_letters.count + 3);
    expect(parked.status).toBe("degraded");
    for (const record of records) {
      expect(await env.DB.prepare("SELECT 1 FROM usage_events WHERE request_id = ?").bind(record.request_id).first()).toBeNull();
    }

    // One of them also reached the ledger another way: replay must not count it twice.
    await insertUsageEventStatement(env.DB, records[0] as PricedRecord).run();
    const replay = await adminJson<{ replayed: number; failed: { error: string }[]; remaining: number }>("POST", "/usage/replay", {});

    expect(replay.replayed).toBeGreaterThanOrEqual(2);
    expect(replay.failed.some((f) => /invalid usage record/.test(f.error))).toBe(true);
    for (const record of records) expect(await waitForUsage(record.request_id)).toMatchObject({ total_tokens: 14 });
    // With no body at all, as `curl -X POST` sends it.
    const again = await adminJson<{ replayed: number }>("POST", "/usage/replay");
    expect(again.replayed).toBe(0);
    const count = await env.DB.prepare("SELECT COUNT(*) AS n FROM usage_events WHERE key_id = ?").bind(keyId).first<{ n: number }>();
    expect(count?.n).toBe(2);
  });

  it("parks a dead letter once when the dead-letter queue delivers it twice", async () => {
    const { keyId, teamId } = await seedKey();
    const record = usageRecord({ key_id: keyId, team_id: teamId });
    const batch = createMessageBatch("tensoras-usage-dlq", [{ id: "dead-twice", timestamp: new Date(), attempts: 11, body: record }]);
    await worker.queue(batch, env);
    await worker.queue(
      createMessageBatch("tensoras-usage-dlq", [{ id: "dead-twice", timestamp: new Date(), attempts: 12, body: record }]),
      env,
    );

    const row = await env.DB.prepare("SELECT COUNT(*) AS n FROM usage_dead_letters WHERE message_id = 'dead-twice'").first<{ n: number }>();
    expect(row?.n).toBe(1);
  });
});

describe("GET /admin/health", () => {
  it("reports the oldest open started request and the ledger's lag from recorded rows", async () => {
    const { key } = await seedKey();
    mockUpstream(() => Response.json({ choices: [], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }));
    const res = await chat(key, { model: "llama-3.3-70b", messages: [] });
    await waitForUsage(res.headers.get("x-request-id") ?? "");
    const oldStart = new Date(Date.now() - 7200_000).toISOString();
    await env.DB.prepare(
      "INSERT INTO usage_started (request_id, team_id, key_id, endpoint, model, stream, started_at, prompt_tokens, costs_tokens) VALUES (?, 't', 'k', '/v1/chat/completions', NULL, 0, ?, 1, 1)",
    )
      .bind(`old-${crypto.randomUUID()}`, oldStart)
      .run();

    const health = await adminJson<{
      status: string;
      ledger: { lag_ms: { rows: number; p50: number | null; max: number | null }; last_recorded_at: string | null };
      started_requests: { oldest_started_at: string; oldest_age_seconds: number; interrupted_after_seconds: number };
    }>("GET", "/health");

    expect(health.started_requests.oldest_started_at).toBe(oldStart);
    expect(health.started_requests.oldest_age_seconds).toBeGreaterThanOrEqual(7199);
    expect(health.started_requests.interrupted_after_seconds).toBe(3600);
    // Overdue: the sweep has not run yet.
    expect(health.status).toBe("degraded");
    expect(health.ledger.lag_ms.rows).toBeGreaterThanOrEqual(1);
    expect(health.ledger.lag_ms.p50).toBeGreaterThanOrEqual(0);
    expect(health.ledger.lag_ms.max).toBeLessThan(60_000);
    expect(health.ledger.last_recorded_at).not.toBeNull();
  });

  it("needs the admin token", async () => {
    const res = await adminCall("GET", "/health", undefined, null);
    expect(res.status).toBe(401);
  });
});
