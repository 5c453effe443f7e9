import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import type { UsageRecord } from "../../src/metering/usage-record";
import { seedKey } from "../helpers/gateway";
import { usageRecord as baseUsageRecord } from "../helpers/usage-record";

const QUEUE = "tensoras-usage";

afterEach(() => vi.restoreAllMocks());

function usageRecord(keyId: string, teamId: string, overrides: Partial<UsageRecord> = {}): UsageRecord {
  return baseUsageRecord({ key_id: keyId, team_id: teamId, ...overrides });
}

/** Delivers bodies as one queue batch to the worker's queue handler; returns what it acked and retried. */
async function deliver(bodies: unknown[]) {
  const messages = bodies.map((body, i) => ({ id: `msg-${i}`, timestamp: new Date(), attempts: 1, body }));
  const batch = createMessageBatch(QUEUE, messages);
  // getQueueResult does not report a retry's delay: record it on the way.
  const delays: Record<string, number | undefined> = {};
  for (const message of batch.messages) {
    const retry = message.retry.bind(message);
    message.retry = (options?: QueueRetryOptions) => {
      delays[message.id] = options?.delaySeconds;
      retry(options);
    };
  }
  const ctx = createExecutionContext();
  // The handler is consumeUsageBatch(batch, env); the context only collects the result.
  await worker.queue(batch, env);
  const result = await getQueueResult(batch, ctx);
  return { ...result, delays, acked: [...result.explicitAcks].sort(), retried: result.retryMessages.map((m) => m.msgId).sort() };
}

async function rowsForKey(keyId: string): Promise<Record<string, unknown>[]> {
  const { results } = await env.DB.prepare("SELECT * FROM usage_events WHERE key_id = ? ORDER BY request_id").bind(keyId).all();
  return results;
}

async function totalsForKey(keyId: string): Promise<{ n: number; total: number }> {
  const row = await env.DB.prepare("SELECT COUNT(*) AS n, COALESCE(SUM(total_tokens), 0) AS total FROM usage_events WHERE key_id = ?")
    .bind(keyId)
    .first<{ n: number; total: number }>();
  return row as { n: number; total: number };
}

async function lastUsedAt(keyId: string): Promise<string | null> {
  const row = await env.DB.prepare("SELECT last_used_at FROM api_keys WHERE id = ?").bind(keyId).first<{ last_used_at: string | null }>();
  return row?.last_used_at ?? null;
}

const ids = (n: number) => Array.from({ length: n }, (_, i) => `msg-${i}`).sort();

describe("usage queue consumer", () => {
  it("writes a batch of valid records as one row each, every field as sent, and acks them all", async () => {
    const { keyId, teamId } = await seedKey();
    const records = [
      usageRecord(keyId, teamId),
      usageRecord(keyId, teamId, {
        endpoint: "/v1/embeddings",
        model: "llama-3.1-8b",
        stream: false,
        finish_reason: null,
        prompt_tokens: 8,
        completion_tokens: 0,
        total_tokens: 8,
        cached_tokens: 0,
        reasoning_tokens: 0,
      }),
      usageRecord(keyId, teamId, {
        model: null,
        status: 499,
        outcome: "client_aborted",
        finish_reason: null,
        usage_source: "estimated",
        ttfb_ms: null,
        started_at: "2026-03-01T10:00:01.250Z",
      }),
    ];

    const result = await deliver(records);

    expect(result.acked).toEqual(ids(3));
    expect(result.retried).toEqual([]);
    const rows = await rowsForKey(keyId);
    const expected = records
      .map((record) => ({ ...record, stream: record.stream ? 1 : 0, recorded_at: expect.any(Number) }))
      .sort((a, b) => a.request_id.localeCompare(b.request_id));
    expect(rows).toEqual(expected);
  });

  it("leaves N rows, not 2N, and the same totals when the same batch is delivered twice", async () => {
    const { keyId, teamId } = await seedKey();
    const records = Array.from({ length: 5 }, (_, i) => usageRecord(keyId, teamId, { total_tokens: 10 * (i + 1) }));

    await deliver(records);
    const first = await totalsForKey(keyId);
    const redelivered = await deliver(records);

    expect(first).toEqual({ n: 5, total: 150 });
    expect(await totalsForKey(keyId)).toEqual(first);
    // A duplicate is a success, not a failure: it must not bounce back to the queue.
    expect(redelivered.acked).toEqual(ids(5));
    expect(redelivered.retried).toEqual([]);
  });

  it("parks a message that fails the schema as a dead letter with its error, and acks it, while the valid ones are written", async () => {
    const { keyId, teamId } = await seedKey();
    const good = [usageRecord(keyId, teamId), usageRecord(keyId, teamId)];
    const bad = { ...usageRecord(keyId, teamId), prompt_tokens: -1 };
    const error = vi.spyOn(console, "error").mockImplementation(() => {});

    // msg-0 good, msg-1 bad, msg-2 good, msg-3 not even an object
    const result = await deliver([good[0], bad, good[1], "not a usage record"]);

    // No retry can fix a message that does not parse: it is parked at once, not retried ten times.
    expect(result.acked).toEqual(ids(4));
    expect(result.retried).toEqual([]);
    const rows = await rowsForKey(keyId);
    expect(rows.map((row) => row.request_id).sort()).toEqual(good.map((r) => r.request_id).sort());
    const { results: parked } = await env.DB.prepare(
      "SELECT message_id, request_id, body, error FROM usage_dead_letters WHERE message_id IN ('msg-1', 'msg-3') ORDER BY message_id",
    ).all<{ message_id: string; request_id: string | null; body: string; error: string }>();
    expect(parked.map((row) => [row.message_id, row.request_id])).toEqual([
      ["msg-1", bad.request_id],
      ["msg-3", null],
    ]);
    expect(JSON.parse(parked[0]?.body ?? "null")).toEqual(bad);
    expect(parked[0]?.error).toMatch(/prompt_tokens/);
    expect(error).toHaveBeenCalledWith(expect.stringContaining("invalid usage message"));
  });

  it("writes and acks the good rows and retries only the poison one when the one-transaction batch fails in D1", async () => {
    const { keyId, teamId } = await seedKey();
    await env.DB.exec(
      "CREATE TRIGGER poison BEFORE INSERT ON usage_events WHEN NEW.request_id = 'poison' BEGIN SELECT RAISE(ABORT, 'poison row'); END;",
    );
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const batchSpy = vi.spyOn(env.DB, "batch");
    try {
      const records = [
        usageRecord(keyId, teamId, { total_tokens: 5, started_at: "2026-03-01T10:00:00.000Z" }),
        usageRecord(keyId, teamId, { request_id: "poison", total_tokens: 1000, started_at: "2026-03-01T12:00:00.000Z" }),
        usageRecord(keyId, teamId, { total_tokens: 7, started_at: "2026-03-01T11:00:00.000Z" }),
      ];

      const result = await deliver(records);

      expect(result.acked).toEqual(["msg-0", "msg-2"]);
      expect(result.retried).toEqual(["msg-1"]);
      // Backed off, not retried at once: a D1 outage would otherwise burn every retry in seconds.
      expect(result.delays).toEqual({ "msg-1": 10 });
      // The whole-batch transaction really failed (it is not the happy path).
      await expect(batchSpy.mock.results[0]?.value).rejects.toThrow(/poison row/);
      expect(error).toHaveBeenCalledWith(expect.stringContaining('"request_id":"poison"'));
      expect(await totalsForKey(keyId)).toEqual({ n: 2, total: 12 });
      // The good rows still move the key's last use, as a whole batch would have.
      expect(await lastUsedAt(keyId)).toBe("2026-03-01T11:00:00.000Z");

      // The retried message comes back with the good ones (redelivery): still no double write.
      await env.DB.exec("DROP TRIGGER poison");
      const again = await deliver(records);
      expect(again.acked).toEqual(ids(3));
      expect(await totalsForKey(keyId)).toEqual({ n: 3, total: 1012 });
      expect(await lastUsedAt(keyId)).toBe("2026-03-01T12:00:00.000Z");
    } finally {
      await env.DB.exec("DROP TRIGGER IF EXISTS poison");
    }
  });

  it("moves last_used_at to the newest started_at in the batch, per key, and never back on an older redelivery", async () => {
    const a = await seedKey();
    const b = await seedKey();
    const older = usageRecord(a.keyId, a.teamId, { started_at: "2026-03-01T09:00:00.000Z" });
    await deliver([
      usageRecord(a.keyId, a.teamId, { started_at: "2026-03-01T10:00:00.000Z" }),
      usageRecord(b.keyId, b.teamId, { started_at: "2026-03-01T08:30:00.000Z" }),
      usageRecord(a.keyId, a.teamId, { started_at: "2026-03-01T10:30:00.000Z" }),
      older,
      usageRecord(b.keyId, b.teamId, { started_at: "2026-03-01T08:00:00.000Z" }),
    ]);
    expect(await lastUsedAt(a.keyId)).toBe("2026-03-01T10:30:00.000Z");
    expect(await lastUsedAt(b.keyId)).toBe("2026-03-01T08:30:00.000Z");

    await deliver([older, usageRecord(a.keyId, a.teamId, { started_at: "2026-02-28T23:59:59.999Z" })]);
    expect(await lastUsedAt(a.keyId)).toBe("2026-03-01T10:30:00.000Z");
  });

  it("compares started_at as instants, so a timestamp without milliseconds does not beat a later one with them", async () => {
    const { keyId, teamId } = await seedKey();
    await deliver([
      usageRecord(keyId, teamId, { started_at: "2026-03-01T10:00:00.500Z" }),
      usageRecord(keyId, teamId, { started_at: "2026-03-01T10:00:00Z" }),
    ]);
    expect(await lastUsedAt(keyId)).toBe("2026-03-01T10:00:00.500Z");
  });

  it("writes a batch of 100 records (the Queues maximum) in one D1 batch", async () => {
    const { keyId, teamId } = await seedKey();
    const records = Array.from({ length: 100 }, (_, i) =>
      usageRecord(keyId, teamId, { total_tokens: i, started_at: new Date(Date.UTC(2026, 2, 1, 10, 0, i)).toISOString() }),
    );
    const batchSpy = vi.spyOn(env.DB, "batch");

    const result = await deliver(records);

    expect(batchSpy).toHaveBeenCalledTimes(1);
    // 100 inserts, one delete of their started notes and one last_used_at update, all in the one transaction.
    expect(batchSpy.mock.calls[0]?.[0]).toHaveLength(102);
    expect(result.acked).toEqual(ids(100));
    expect(result.retried).toEqual([]);
    expect(await totalsForKey(keyId)).toEqual({ n: 100, total: 4950 });
    expect(await lastUsedAt(keyId)).toBe("2026-03-01T10:01:39.000Z");
  });
});
