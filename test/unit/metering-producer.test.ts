import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Env } from "../../src/env";
import { recordUsage } from "../../src/metering/producer";
import type { UsageRecord } from "../../src/metering/usage-record";
import { seedKey } from "../helpers/gateway";
import { usageRecord as baseUsageRecord } from "../helpers/usage-record";

afterEach(() => vi.restoreAllMocks());

function usageRecord(keyId: string, teamId: string, overrides: Partial<UsageRecord> = {}): UsageRecord {
  return baseUsageRecord({ key_id: keyId, team_id: teamId, ...overrides });
}

/** An env with a queue whose send() behaves as told; DB is the real local D1 unless replaced. */
function envWith(send: (record: UsageRecord) => Promise<void>, db: D1Database = env.DB): Env {
  const queue = { send: vi.fn(send), sendBatch: vi.fn() } as unknown as Queue<UsageRecord>;
  return { ...env, DB: db, USAGE_QUEUE: queue as unknown as Env["USAGE_QUEUE"], TENSORAS_BASE_URL: "https://tensoras.test" };
}

const sendMock = (e: Env) => e.USAGE_QUEUE.send as unknown as ReturnType<typeof vi.fn>;

async function storedRow(requestId: string): Promise<Record<string, unknown> | null> {
  return env.DB.prepare("SELECT * FROM usage_events WHERE request_id = ?").bind(requestId).first();
}

describe("recordUsage", () => {
  it("writes the row to D1 directly after 3 failed queue sends, backing off between them", async () => {
    const { keyId, teamId } = await seedKey();
    const record = usageRecord(keyId, teamId);
    const sentAt: number[] = [];
    const fake = envWith(async () => {
      sentAt.push(performance.now());
      throw new Error("queue unavailable");
    });
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    vi.spyOn(console, "log").mockImplementation(() => {});

    await recordUsage(fake, record);

    expect(sendMock(fake)).toHaveBeenCalledTimes(3);
    const [first = 0, second = 0, third = 0] = sentAt;
    // Backoff, not a hot loop: the gaps grow (lower bounds only; sleeps never end early).
    expect(second - first).toBeGreaterThanOrEqual(40);
    expect(third - second).toBeGreaterThan(second - first);
    expect(await storedRow(record.request_id)).toEqual({ ...record, stream: 1, recorded_at: expect.any(Number) });
    expect(warn).toHaveBeenCalledWith(expect.stringContaining(record.request_id));
    // The direct write also keeps the key's last use, as the consumer would.
    const key = await env.DB.prepare("SELECT last_used_at FROM api_keys WHERE id = ?").bind(keyId).first<{ last_used_at: string }>();
    expect(key?.last_used_at).toBe(record.started_at);
  });

  it("sends once and does not write D1 directly when the queue fails twice then accepts", async () => {
    const { keyId, teamId } = await seedKey();
    const record = usageRecord(keyId, teamId);
    const accepted: UsageRecord[] = [];
    let calls = 0;
    const fake = envWith(async (body) => {
      if (++calls <= 2) throw new Error("queue busy");
      accepted.push(body);
    });
    vi.spyOn(console, "log").mockImplementation(() => {});

    await recordUsage(fake, record);

    expect(sendMock(fake)).toHaveBeenCalledTimes(3);
    expect(accepted).toEqual([record]);
    expect(await storedRow(record.request_id)).toBeNull();
  });

  it("logs one JSON line holding exactly the record's fields and no key material", async () => {
    const { key, keyHash, keyId, teamId } = await seedKey();
    const record = usageRecord(keyId, teamId);
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const fake = envWith(async () => {});

    await recordUsage(fake, record);

    expect(log).toHaveBeenCalledTimes(1);
    const line = log.mock.calls[0]?.[0] as string;
    expect(typeof line).toBe("string");
    expect(line).not.toContain("\n");
    const { message, ...fields } = JSON.parse(line) as Record<string, unknown>;
    expect(message).toBe("usage");
    expect(fields).toEqual(record);
    expect(line).not.toContain(key);
    expect(line).not.toContain(key.slice(4, 20));
    expect(line).not.toContain(keyHash);
    expect(line).not.toContain(env.TENSORAS_API_KEY as string);
  });

  it("logs an error naming the request_id, and does not throw, when both the queue and D1 fail", async () => {
    const record = usageRecord("key_x", "team_x");
    const failingDb = {
      prepare: (sql: string) => env.DB.prepare(sql),
      batch: async () => {
        throw new Error("D1 unavailable");
      },
    } as unknown as D1Database;
    const fake = envWith(async () => {
      throw new Error("queue unavailable");
    }, failingDb);
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const error = vi.spyOn(console, "error").mockImplementation(() => {});

    await expect(recordUsage(fake, record)).resolves.toBeUndefined();

    expect(error).toHaveBeenCalledTimes(1);
    const logged = JSON.parse(error.mock.calls[0]?.[0] as string) as Record<string, unknown>;
    expect(logged).toMatchObject({ request_id: record.request_id });
    expect(String(logged.queue_error)).toContain("queue unavailable");
    expect(String(logged.d1_error)).toContain("D1 unavailable");
    // The usage log line came first: it is the record of last resort.
    expect(log.mock.invocationCallOrder[0]).toBeLessThan(error.mock.invocationCallOrder[0] ?? 0);
    expect(await storedRow(record.request_id)).toBeNull();
  });
});
