import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { sweepInterrupted } from "../../src/ledger/sweep";
import { noteStarted } from "../../src/metering/producer";
import type { StartedNote, UsageRecord } from "../../src/metering/usage-record";
import { seedKey } from "../helpers/gateway";
import { deliver, runCron } from "../helpers/ledger";
import { usageRecord } from "../helpers/usage-record";

const HOUR_MS = 3600 * 1000;

afterEach(() => vi.restoreAllMocks());

function startedNote(record: UsageRecord, overrides: Partial<StartedNote> = {}): StartedNote {
  return {
    kind: "started",
    request_id: record.request_id,
    team_id: record.team_id,
    key_id: record.key_id,
    endpoint: record.endpoint,
    model: record.model,
    stream: record.stream,
    started_at: record.started_at,
    prompt_tokens: 40,
    costs_tokens: true,
    ...overrides,
  };
}

async function ledgerRow(requestId: string): Promise<Record<string, unknown> | null> {
  return env.DB.prepare("SELECT * FROM usage_events WHERE request_id = ?").bind(requestId).first();
}

async function openNotes(requestIds: string[]): Promise<string[]> {
  const { results } = await env.DB.prepare(
    `SELECT request_id FROM usage_started WHERE request_id IN (${requestIds.map(() => "?").join(",")}) ORDER BY request_id`,
  )
    .bind(...requestIds)
    .all<{ request_id: string }>();
  return results.map((row) => row.request_id);
}

async function recordFor(): Promise<UsageRecord> {
  const { keyId, teamId } = await seedKey();
  return usageRecord({ key_id: keyId, team_id: teamId, started_at: new Date(Date.now() - 1000).toISOString() });
}

describe("started notes", () => {
  it("keeps a started note as an open request and never as usage", async () => {
    const record = await recordFor();
    await deliver([startedNote(record)]);

    expect(await openNotes([record.request_id])).toEqual([record.request_id]);
    expect(await ledgerRow(record.request_id)).toBeNull();
  });

  it("leaves one record and no open note when the final record arrives after its note", async () => {
    const record = await recordFor();
    await deliver([startedNote(record)]);
    await deliver([record]);

    expect(await openNotes([record.request_id])).toEqual([]);
    expect(await ledgerRow(record.request_id)).toMatchObject({ outcome: "completed", total_tokens: 14 });
  });

  it("leaves no open note when the note arrives after its final record (the queue keeps no order)", async () => {
    const record = await recordFor();
    await deliver([record]);
    await deliver([startedNote(record)]);

    expect(await openNotes([record.request_id])).toEqual([]);
    expect(await ledgerRow(record.request_id)).toMatchObject({ outcome: "completed" });
  });

  it("leaves no open note when the note and its record come in one batch, in either order", async () => {
    const first = await recordFor();
    const second = await recordFor();
    await deliver([first, startedNote(first), startedNote(second), second]);

    expect(await openNotes([first.request_id, second.request_id])).toEqual([]);
  });

  it("writes the note to D1 directly when the queue refuses it, like a usage record", async () => {
    const record = await recordFor();
    const note = startedNote(record);
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const failing = { ...env, USAGE_QUEUE: { send: vi.fn(async () => Promise.reject(new Error("queue down"))) } as unknown as Queue };

    await noteStarted(failing, note);

    expect(failing.USAGE_QUEUE.send).toHaveBeenCalledTimes(3);
    expect(await openNotes([record.request_id])).toEqual([record.request_id]);
  });
});

describe("the interrupted sweep", () => {
  it("closes a note older than INTERRUPTED_AFTER_SECONDS as interrupted, billed the prompt estimate, and leaves younger ones open", async () => {
    const old = await recordFor();
    const young = await recordFor();
    const now = Date.now();
    await deliver([
      startedNote(old, { started_at: new Date(now - 2 * HOUR_MS).toISOString(), prompt_tokens: 321 }),
      startedNote(young, { started_at: new Date(now - 60_000).toISOString() }),
    ]);
    vi.spyOn(console, "warn").mockImplementation(() => {});

    const closed = await sweepInterrupted(env, now);

    expect(closed).toBeGreaterThanOrEqual(1);
    expect(await ledgerRow(old.request_id)).toMatchObject({
      outcome: "interrupted",
      status: 0,
      prompt_tokens: 321,
      completion_tokens: 0,
      total_tokens: 321,
      usage_source: "estimated",
      model: old.model,
      key_id: old.key_id,
      ttfb_ms: null,
    });
    expect(await ledgerRow(young.request_id)).toBeNull();
    expect(await openNotes([old.request_id, young.request_id])).toEqual([young.request_id]);
  });

  it("bills no tokens for an interrupted request that costs none (listing models)", async () => {
    const record = await recordFor();
    await deliver([
      startedNote(record, { started_at: new Date(Date.now() - 2 * HOUR_MS).toISOString(), costs_tokens: false, prompt_tokens: 0 }),
    ]);
    vi.spyOn(console, "warn").mockImplementation(() => {});

    await sweepInterrupted(env);

    expect(await ledgerRow(record.request_id)).toMatchObject({ outcome: "interrupted", total_tokens: 0, usage_source: "none" });
  });

  it("changes nothing when it runs twice", async () => {
    const record = await recordFor();
    await deliver([startedNote(record, { started_at: new Date(Date.now() - 2 * HOUR_MS).toISOString() })]);
    vi.spyOn(console, "warn").mockImplementation(() => {});

    await sweepInterrupted(env);
    const once = await ledgerRow(record.request_id);
    const again = await sweepInterrupted(env);

    expect(again).toBe(0);
    expect(await ledgerRow(record.request_id)).toEqual(once);
  });

  it("lets a final record that arrives after the sweep supersede the interrupted row", async () => {
    const record = await recordFor();
    const startedAt = new Date(Date.now() - 2 * HOUR_MS).toISOString();
    await deliver([startedNote(record, { started_at: startedAt })]);
    vi.spyOn(console, "warn").mockImplementation(() => {});
    await sweepInterrupted(env);

    await deliver([{ ...record, started_at: startedAt }]);

    expect(await ledgerRow(record.request_id)).toMatchObject({ outcome: "completed", total_tokens: 14, usage_source: "upstream" });
    // The same record redelivered changes nothing more.
    await deliver([{ ...record, started_at: startedAt, total_tokens: 999 }]);
    expect(await ledgerRow(record.request_id)).toMatchObject({ total_tokens: 14 });
  });

  it("runs from the Worker's scheduled handler (the Cron Trigger)", async () => {
    const record = await recordFor();
    await deliver([startedNote(record, { started_at: new Date(Date.now() - 2 * HOUR_MS).toISOString() })]);
    vi.spyOn(console, "warn").mockImplementation(() => {});

    await runCron(Date.now());

    expect(await ledgerRow(record.request_id)).toMatchObject({ outcome: "interrupted" });
  });
});
