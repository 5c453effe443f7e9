import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { EXPORT_COLUMNS } from "../../src/db/exports";
import { exportClosedHours, exportHour } from "../../src/ledger/export";
import { HOUR_MS, hourStart, manifestKey, partKey } from "../../src/ledger/hours";
import { EXPORT_SETTLE_SECONDS } from "../../src/ledger/ledger-config";
import { sha256Hex } from "../../src/ledger/ndjson-parts";
import { interruptedRecord } from "../../src/ledger/sweep";
import type { UsageRecord } from "../../src/metering/usage-record";
import { ADMIN_TOKEN } from "../helpers/admin";
import { chat, chunkEvent, mockUpstream, seedKey, sseResponse, UPSTREAM_KEY, USAGE, waitForUsage } from "../helpers/gateway";
import { deliver, exportedLines, exportedRecords, exportRow, manifestOf, pastHour, rawRows, runCron } from "../helpers/ledger";
import { usageRecord } from "../helpers/usage-record";

afterEach(() => vi.restoreAllMocks());

/** `count` records spread over the hour, delivered through the consumer in batches of 100. */
async function loadHour(hour: ReturnType<typeof pastHour>, count: number, overrides: Partial<UsageRecord> = {}): Promise<UsageRecord[]> {
  const records = Array.from({ length: count }, (_, i) =>
    usageRecord({
      started_at: hour.at(Math.floor((i * HOUR_MS) / count)),
      prompt_tokens: i,
      total_tokens: i + 3,
      cost_micro_usd: i % 3 === 0 ? null : i * 7,
      price_id: i % 3 === 0 ? null : "price_test",
      ...overrides,
    }),
  );
  for (let at = 0; at < records.length; at += 100) await deliver(records.slice(at, at + 100));
  return records;
}

async function objectState(keys: string[]): Promise<string[]> {
  return Promise.all(
    keys.map(async (key) => {
      const head = await env.LEDGER_BUCKET.head(key);
      return `${key} ${head?.etag} ${head?.uploaded.toISOString()}`;
    }),
  );
}

describe("ledger export", () => {
  it("writes a closed hour as gzip NDJSON parts, split past the row bound, with a manifest of counts, sums and SHA-256s", async () => {
    const hour = pastHour(30);
    await loadHour(hour, 250);
    const result = await exportHour(env, hour.hour, { limits: { rows: 100, bytes: 1 << 20 } });
    expect(result).toMatchObject({ rows: 250, parts: 3 });

    const manifest = await manifestOf(hour.hour);
    expect(manifest.parts.map((p) => p.key)).toEqual([0, 1, 2].map((i) => partKey(hour.hour, i)));
    expect(manifest.parts[0]?.key).toBe(`usage/v1/date=${hour.hour.slice(0, 10)}/hour=${hour.hour.slice(11)}/part-00000.ndjson.gz`);
    expect(manifest.parts.map((p) => p.rows)).toEqual([100, 100, 50]);
    const rows = await rawRows(hour.hour);
    expect(manifest).toMatchObject({
      schema_version: 1,
      hour: hour.hour,
      rows: 250,
      prompt_tokens: rows.reduce((n, r) => n + Number(r.prompt_tokens), 0),
      total_tokens: rows.reduce((n, r) => n + Number(r.total_tokens), 0),
      cost_micro_usd: rows.reduce((n, r) => n + Number(r.cost_micro_usd ?? 0), 0),
      unpriced_rows: rows.filter((r) => r.cost_micro_usd === null).length,
    });
    for (const part of manifest.parts) {
      const object = await env.LEDGER_BUCKET.get(part.key);
      const bytes = new Uint8Array(await (object as R2ObjectBody).arrayBuffer());
      expect(await sha256Hex(bytes)).toBe(part.sha256);
      expect(part.bytes).toBe(bytes.byteLength);
    }

    const lines = (await Promise.all(manifest.parts.map((p) => exportedLines(p.key)))).flat();
    expect(lines.map((line) => Object.keys(JSON.parse(line)))).toEqual(lines.map(() => [...EXPORT_COLUMNS]));
    expect(lines.map((line) => JSON.parse(line))).toEqual(rows.map((row) => ({ ...row, stream: row.stream === 1 })));
    expect(await exportRow(hour.hour)).toMatchObject({ rows: 250, parts: 3, stale: 0, manifest_key: manifestKey(hour.hour) });
  });

  it("writes nothing when the same hour is exported again: same bytes, same ETags, no upload", async () => {
    const hour = pastHour(31);
    await loadHour(hour, 120);
    await exportHour(env, hour.hour, { limits: { rows: 50, bytes: 1 << 20 } });
    const keys = [...(await manifestOf(hour.hour)).parts.map((p) => p.key), manifestKey(hour.hour)];
    const before = await objectState(keys);
    const manifestBefore = (await exportRow(hour.hour))?.manifest_sha256;

    const again = await exportHour(env, hour.hour, { limits: { rows: 50, bytes: 1 << 20 } });
    expect(again.objectsWritten).toBe(0);
    expect(await objectState(keys)).toEqual(before);
    expect((await exportRow(hour.hour))?.manifest_sha256).toBe(manifestBefore);
  });

  it("renders the same rows to the same bytes even when every object is written again", async () => {
    const hour = pastHour(32);
    await loadHour(hour, 80);
    await exportHour(env, hour.hour);
    const first = await manifestOf(hour.hour);
    await env.LEDGER_BUCKET.delete([first.parts[0]?.key as string, manifestKey(hour.hour)]);
    const again = await exportHour(env, hour.hour);
    expect(again.objectsWritten).toBe(2);
    expect(await manifestOf(hour.hour)).toEqual(first);
  });

  it("deletes the hour's parts that its new manifest does not list, so that a glob over parts counts no row twice", async () => {
    const hour = pastHour(33);
    await loadHour(hour, 5);
    await exportHour(env, hour.hour, { limits: { rows: 2, bytes: 1 << 20 } });
    await env.LEDGER_BUCKET.put(partKey(hour.hour, 7), "left by an export that died before its manifest");
    await exportHour(env, hour.hour);
    const listed = await env.LEDGER_BUCKET.list({ prefix: manifestKey(hour.hour).replace("manifest.json", "") });
    expect(listed.objects.map((o) => o.key).sort()).toEqual([manifestKey(hour.hour), partKey(hour.hour, 0)].sort());
    expect(await exportedRecords(hour.hour)).toHaveLength(5);
  });

  it("exports an hour only once it ended INTERRUPTED_AFTER_SECONDS plus the settle margin ago", async () => {
    const hour = pastHour(40);
    await loadHour(hour, 5);
    const end = hourStart(hour.hour) + HOUR_MS;
    const closedAt = end + (3600 + EXPORT_SETTLE_SECONDS) * 1000;
    const early = await exportClosedHours(env, closedAt - 1, { maxHours: 1000 });
    expect(early.map((e) => e.hour)).not.toContain(hour.hour);
    expect(await exportRow(hour.hour)).toBeNull();
    const onTime = await exportClosedHours(env, closedAt, { maxHours: 1000 });
    expect(onTime.map((e) => e.hour)).toContain(hour.hour);
  });

  it("exports a few hours per cron run, oldest first, and carries on with the backlog at the next run", async () => {
    const hours = [300, 299, 298, 297, 296].map((ago) => pastHour(ago));
    for (const hour of hours) await loadHour(hour, 3);
    const exported = (h: string) => exportRow(h).then((row) => row?.exported_at != null);
    await runCron(Date.now());
    const afterOne = await Promise.all(hours.map((h) => exported(h.hour)));
    expect(afterOne.filter(Boolean).length).toBeLessThanOrEqual(3);
    for (let run = 0; run < 20 && !(await Promise.all(hours.map((h) => exported(h.hour)))).every(Boolean); run++) await runCron(Date.now());
    expect(await Promise.all(hours.map((h) => exported(h.hour)))).toEqual([true, true, true, true, true]);
    const second = await exportClosedHours(env, Date.now(), { maxHours: 1000 });
    expect(second.map((e) => e.hour).filter((h) => hours.some((x) => x.hour === h))).toEqual([]);
  });

  it("re-exports an hour when a record lands in it after its export", async () => {
    const hour = pastHour(50);
    await loadHour(hour, 10);
    await exportHour(env, hour.hour);
    expect((await exportRow(hour.hour))?.stale).toBe(0);

    const late = usageRecord({ started_at: hour.at(1234), prompt_tokens: 999 });
    await deliver([late]);
    expect((await exportRow(hour.hour))?.stale).toBe(1);
    const rerun = await exportClosedHours(env, Date.now(), { maxHours: 1000 });
    expect(rerun.map((e) => e.hour)).toContain(hour.hour);
    expect((await exportedRecords(hour.hour)).map((r) => r.request_id)).toContain(late.request_id);
    expect(await exportRow(hour.hour)).toMatchObject({ stale: 0, rows: 11 });
  });

  it("re-exports an hour when a final record supersedes its interrupted stand-in", async () => {
    const hour = pastHour(51);
    const final = usageRecord({ started_at: hour.at(5000), completion_tokens: 42, total_tokens: 53 });
    const { reserved: _, ...standIn } = interruptedRecord({
      kind: "started",
      request_id: final.request_id,
      team_id: final.team_id,
      key_id: final.key_id,
      endpoint: final.endpoint,
      model: final.model,
      stream: final.stream,
      started_at: final.started_at,
      prompt_tokens: 11,
      costs_tokens: true,
    });
    await deliver([standIn]);
    await exportHour(env, hour.hour);
    expect((await exportedRecords(hour.hour))[0]).toMatchObject({ outcome: "interrupted" });

    await deliver([final]);
    expect((await exportRow(hour.hour))?.stale).toBe(1);
    await exportClosedHours(env, Date.now(), { maxHours: 1000 });
    const records = await exportedRecords(hour.hour);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ request_id: final.request_id, outcome: "completed", completion_tokens: 42 });
  });

  it("exports no secret: not the gateway key, its hash, the Tensoras key or the admin token", async () => {
    const seeded = await seedKey();
    mockUpstream(() => sseResponse([chunkEvent({ content: "hi" }), chunkEvent({ finish: "stop", usage: USAGE }), "data: [DONE]\n\n"]));
    const response = await chat(seeded.key, { model: "llama-3.3-70b", stream: true, messages: [{ role: "user", content: "hello" }] });
    await response.text();
    const record = await waitForUsage(response.headers.get("x-request-id") as string);
    const hour = record.started_at.slice(0, 13);
    await exportHour(env, hour);
    const manifest = await manifestOf(hour);
    const text = (await Promise.all(manifest.parts.map((p) => exportedLines(p.key)))).flat().join("\n");
    expect(text).toContain(record.request_id);
    for (const secret of [seeded.key, seeded.keyHash, UPSTREAM_KEY, ADMIN_TOKEN]) expect(text).not.toContain(secret);
  });
});
