import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { parkDeadLetterStatement } from "../../src/db/dead-letters";
import { insertStartedStatement } from "../../src/db/usage-events";
import type { Env } from "../../src/env";
import { exportClosedHours, exportHour } from "../../src/ledger/export";
import { HOUR_MS, manifestKey } from "../../src/ledger/hours";
import { pruneRawRows } from "../../src/ledger/retention";
import type { UsageRecord } from "../../src/metering/usage-record";
import { deliver, exportedRecords, exportRow, manifestOf, pastHour, rawRows } from "../helpers/ledger";
import { usageRecord } from "../helpers/usage-record";

/** Retention runs as a later cron would: past the settle time of rows recorded just now. */
const LATER = () => Date.now() + HOUR_MS;
const KEEP_NOTHING = { ...env, RAW_RETENTION_DAYS: "0" } as Env;

async function loadHour(hour: ReturnType<typeof pastHour>, count: number): Promise<UsageRecord[]> {
  const records = Array.from({ length: count }, (_, i) =>
    usageRecord({ started_at: hour.at(i * 1000), prompt_tokens: i, total_tokens: i + 3, cost_micro_usd: i % 2 ? 5 : null }),
  );
  for (let at = 0; at < records.length; at += 100) await deliver(records.slice(at, at + 100));
  return records;
}

async function rollup(hour: string): Promise<Record<string, unknown>[]> {
  const { results } = await env.DB.prepare("SELECT * FROM usage_hourly WHERE hour = ? ORDER BY team_id, key_id, model, outcome")
    .bind(hour)
    .all<Record<string, unknown>>();
  return results;
}

async function exportedAndLoaded(hoursAgo: number, count: number) {
  const hour = pastHour(hoursAgo);
  const records = await loadHour(hour, count);
  await exportHour(env, hour.hour);
  return { hour: hour.hour, at: hour.at, records };
}

describe("ledger retention", () => {
  it("deletes the raw rows of a verified hour past retention and keeps its roll-ups and its export", async () => {
    const { hour, records } = await exportedAndLoaded(60, 30);
    const rollupBefore = await rollup(hour);
    expect(rollupBefore.length).toBeGreaterThan(0);
    const exported = await exportedRecords(hour);

    const report = await pruneRawRows(KEEP_NOTHING, LATER());
    expect(report.pruned).toContainEqual({ hour, rows: 30, done: true });
    expect(await rawRows(hour)).toEqual([]);
    expect(await rollup(hour)).toEqual(rollupBefore);
    expect(await exportedRecords(hour)).toEqual(exported);
    expect(exported.map((r) => r.request_id).sort()).toEqual(records.map((r) => r.request_id).sort());
    expect(await exportRow(hour)).toMatchObject({ pruned_rows: 30, verified_parts: 1 });
    expect((await exportRow(hour))?.pruned_at).not.toBeNull();
  });

  it("keeps the raw rows of hours younger than RAW_RETENTION_DAYS (90 by default)", async () => {
    const { hour } = await exportedAndLoaded(61, 3);
    const report = await pruneRawRows(env, LATER());
    expect(report.pruned.map((p) => p.hour)).not.toContain(hour);
    expect(await rawRows(hour)).toHaveLength(3);
    const later = Date.now() + 90 * 86_400_000 + HOUR_MS;
    expect((await pruneRawRows(env, later)).pruned.map((p) => p.hour)).toContain(hour);
  });

  it("never prunes an hour that was not exported", async () => {
    const hour = pastHour(62);
    await loadHour(hour, 4);
    const report = await pruneRawRows(KEEP_NOTHING, LATER());
    expect(report.pruned.map((p) => p.hour)).not.toContain(hour.hour);
    expect(await rawRows(hour.hour)).toHaveLength(4);
  });

  it("refuses to prune an hour a part of which is gone from R2, and prunes it once the export is written again", async () => {
    const { hour } = await exportedAndLoaded(63, 5);
    const manifest = await manifestOf(hour);
    await env.LEDGER_BUCKET.delete(manifest.parts[0]?.key as string);

    const refused = await pruneRawRows(KEEP_NOTHING, LATER());
    expect(refused.refused).toContainEqual(expect.objectContaining({ hour, reason: "damaged" }));
    expect(await rawRows(hour)).toHaveLength(5);
    expect((await exportRow(hour))?.stale).toBe(1);

    await exportClosedHours(env, Date.now(), { maxHours: 1000 });
    expect((await pruneRawRows(KEEP_NOTHING, LATER())).pruned).toContainEqual({ hour, rows: 5, done: true });
  });

  it("refuses to prune an hour whose part in R2 was overwritten with other bytes", async () => {
    const { hour } = await exportedAndLoaded(64, 5);
    const manifest = await manifestOf(hour);
    await env.LEDGER_BUCKET.put(manifest.parts[0]?.key as string, "not the export");
    const report = await pruneRawRows(KEEP_NOTHING, LATER());
    expect(report.refused).toContainEqual(expect.objectContaining({ hour, reason: "damaged" }));
    expect(await rawRows(hour)).toHaveLength(5);
  });

  it("refuses to prune an hour a row was added to after its export, and prunes it with that row once re-exported", async () => {
    const { hour, at } = await exportedAndLoaded(65, 5);
    const late = usageRecord({ started_at: at(59 * 60_000) });
    await deliver([late]);
    const report = await pruneRawRows(KEEP_NOTHING, LATER());
    expect(report.pruned.map((p) => p.hour)).not.toContain(hour);
    expect(await rawRows(hour)).toHaveLength(6);

    await exportClosedHours(env, Date.now(), { maxHours: 1000 });
    expect((await pruneRawRows(KEEP_NOTHING, LATER())).pruned).toContainEqual({ hour, rows: 6, done: true });
    expect((await exportedRecords(hour)).map((r) => r.request_id)).toContain(late.request_id);
  });

  it("refuses to prune when D1 no longer matches the manifest, even if the hour was not marked stale", async () => {
    const { hour, at } = await exportedAndLoaded(66, 5);
    await deliver([usageRecord({ started_at: at(10) })]);
    await env.DB.prepare("UPDATE ledger_exports SET stale = 0 WHERE hour = ?").bind(hour).run();

    const report = await pruneRawRows(KEEP_NOTHING, LATER());
    expect(report.refused).toContainEqual(expect.objectContaining({ hour, reason: "rows_changed" }));
    expect(await rawRows(hour)).toHaveLength(6);
    expect((await exportRow(hour))?.stale).toBe(1);
  });

  it("refuses to prune an hour with an open started request or a parked dead letter", async () => {
    const started = await exportedAndLoaded(67, 2);
    const note = usageRecord({ started_at: started.at(30_000) });
    await insertStartedStatement(env.DB, { kind: "started", ...note, prompt_tokens: 5, costs_tokens: true }).run();
    const parked = await exportedAndLoaded(68, 2);
    const letter = usageRecord({ started_at: parked.at(30_000) });
    await parkDeadLetterStatement(env.DB, {
      message_id: crypto.randomUUID(),
      request_id: letter.request_id,
      body: JSON.stringify(letter),
      error: "D1 unavailable",
      attempts: 10,
      parked_at: new Date().toISOString(),
    }).run();

    const report = await pruneRawRows(KEEP_NOTHING, LATER());
    expect(report.refused).toContainEqual(expect.objectContaining({ hour: started.hour, reason: "started_request" }));
    expect(report.refused).toContainEqual(expect.objectContaining({ hour: parked.hour, reason: "dead_letter" }));
    expect(await rawRows(started.hour)).toHaveLength(2);
    expect(await rawRows(parked.hour)).toHaveLength(2);
  });

  it("does not verify rows recorded in the last ten minutes", async () => {
    const { hour } = await exportedAndLoaded(69, 2);
    const report = await pruneRawRows(KEEP_NOTHING, Date.now());
    expect(report.refused).toContainEqual(expect.objectContaining({ hour, reason: "recent_rows" }));
    expect(await rawRows(hour)).toHaveLength(2);
  });

  it("deletes in bounded chunks across runs, keeps a record landing mid-way, and exports it after the verified parts", async () => {
    const { hour, at } = await exportedAndLoaded(70, 12);
    const first = await pruneRawRows(KEEP_NOTHING, LATER(), { chunkRows: 5, maxChunks: 1 });
    expect(first.pruned).toContainEqual({ hour, rows: 5, done: false });
    expect(await rawRows(hour)).toHaveLength(7);

    const late = usageRecord({ started_at: at(30 * 60_000), prompt_tokens: 777 });
    await deliver([late]);
    const blocked = await pruneRawRows(KEEP_NOTHING, LATER(), { chunkRows: 5 });
    expect(blocked.pruned.map((p) => p.hour)).not.toContain(hour);

    await exportClosedHours(env, Date.now(), { maxHours: 1000 });
    const manifest = await manifestOf(hour);
    expect(manifest.parts.map((p) => p.rows)).toEqual([12, 1]);
    expect(manifest.rows).toBe(13);

    const rest = await pruneRawRows(KEEP_NOTHING, LATER(), { chunkRows: 5 });
    expect(rest.pruned).toContainEqual({ hour, rows: 8, done: true });
    expect(await rawRows(hour)).toEqual([]);
    const archived = await exportedRecords(hour);
    expect(archived).toHaveLength(13);
    expect(new Set(archived.map((r) => r.request_id)).size).toBe(13);
    expect(archived.at(-1)).toMatchObject({ request_id: late.request_id, prompt_tokens: 777 });
    expect(await exportRow(hour)).toMatchObject({ pruned_rows: 13, verified_parts: 2 });
  });

  it("keeps a record that lands between the verification and the delete", async () => {
    const { hour, at } = await exportedAndLoaded(71, 4);
    const late = usageRecord({ started_at: at(45 * 60_000) });
    let landed = false;
    // The late record commits right before retention's first delete, after its verification read the hour.
    const racing = new Proxy(env.DB, {
      get(target, property) {
        if (property === "batch") {
          return async (statements: D1PreparedStatement[]) => {
            if (!landed) {
              landed = true;
              await deliver([late]);
            }
            return target.batch(statements);
          };
        }
        const value = Reflect.get(target, property);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const report = await pruneRawRows({ ...KEEP_NOTHING, DB: racing } as Env, LATER());
    expect(landed).toBe(true);
    expect(report.pruned).toContainEqual({ hour, rows: 4, done: true });
    expect((await rawRows(hour)).map((row) => row.request_id)).toEqual([late.request_id]);
    expect((await exportRow(hour))?.stale).toBe(1);
  });

  it("with LEDGER_RAW_SINK=r2 keeps only RAW_WINDOW_HOURS of raw rows in D1; with d1 keeps RAW_RETENTION_DAYS", async () => {
    const old = await exportedAndLoaded(24 * 3, 3);
    const recent = await exportedAndLoaded(30, 3);
    const d1 = await pruneRawRows({ ...env, LEDGER_RAW_SINK: "d1" } as Env, LATER());
    expect(d1.pruned.map((p) => p.hour)).not.toContain(old.hour);
    expect(await rawRows(old.hour)).toHaveLength(3);

    const r2 = await pruneRawRows({ ...env, LEDGER_RAW_SINK: "r2", RAW_WINDOW_HOURS: "48" } as Env, LATER());
    expect(r2.pruned.map((p) => p.hour)).toContain(old.hour);
    expect(r2.pruned.map((p) => p.hour)).not.toContain(recent.hour);
    expect(await rawRows(old.hour)).toEqual([]);
    expect(await rawRows(recent.hour)).toHaveLength(3);
    expect((await exportedRecords(old.hour)).map((r) => r.request_id).sort()).toEqual(old.records.map((r) => r.request_id).sort());
    expect(await env.LEDGER_BUCKET.head(manifestKey(old.hour))).not.toBeNull();
  });
});
