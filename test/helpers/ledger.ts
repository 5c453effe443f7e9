import {
  createExecutionContext,
  createMessageBatch,
  createScheduledController,
  env,
  getQueueResult,
  waitOnExecutionContext,
} from "cloudflare:test";
import { expect } from "vitest";
import type { LedgerExportRow } from "../../src/db/exports";
import type { Env } from "../../src/env";
import worker from "../../src/index";
import { HOUR_MS, hourStart, manifestKey } from "../../src/ledger/hours";
import { type ExportManifest, parseManifest } from "../../src/ledger/manifest";

const QUEUE = "tensoras-usage";

/** One queue batch through the real consumer (worker.queue); every message must be acked. */
export async function deliver(bodies: unknown[], environment: Env = env): Promise<void> {
  const batch = createMessageBatch(
    QUEUE,
    bodies.map((body, i) => ({ id: `m-${crypto.randomUUID()}-${i}`, timestamp: new Date(), attempts: 1, body })),
  );
  await worker.queue(batch, environment);
  const result = await getQueueResult(batch, createExecutionContext());
  expect(result.retryMessages).toEqual([]);
  expect(result.explicitAcks.length).toBe(bodies.length);
}

/** The Cron Trigger firing at `now`, as workerd would (worker.scheduled), with env overrides. */
export async function runCron(now: number, overrides: Partial<Env> = {}): Promise<void> {
  const controller = createScheduledController({ scheduledTime: new Date(now), cron: "*/5 * * * *" });
  const ctx = createExecutionContext();
  await worker.scheduled(controller, { ...env, ...overrides }, ctx);
  await waitOnExecutionContext(ctx);
}

/** An hour `hoursAgo` before the current one ("2026-12-01T13"), and a time inside it. */
export function pastHour(hoursAgo: number, now = Date.now()): { hour: string; at: (ms: number) => string } {
  const start = Math.floor(now / HOUR_MS) * HOUR_MS - hoursAgo * HOUR_MS;
  const hour = new Date(start).toISOString().slice(0, 13);
  return { hour, at: (ms: number) => new Date(hourStart(hour) + ms).toISOString() };
}

export function exportRow(hour: string): Promise<LedgerExportRow | null> {
  return env.DB.prepare("SELECT * FROM ledger_exports WHERE hour = ?").bind(hour).first<LedgerExportRow>();
}

export async function manifestOf(hour: string): Promise<ExportManifest> {
  const object = await env.LEDGER_BUCKET.get(manifestKey(hour));
  expect(object, `manifest of ${hour}`).not.toBeNull();
  return parseManifest(await (object as R2ObjectBody).text());
}

/** An R2 object decompressed with DecompressionStream, as NDJSON lines. */
export async function exportedLines(key: string): Promise<string[]> {
  const object = await env.LEDGER_BUCKET.get(key);
  expect(object, key).not.toBeNull();
  const text = await new Response((object as R2ObjectBody).body.pipeThrough(new DecompressionStream("gzip"))).text();
  expect(text.endsWith("\n")).toBe(true);
  return text.slice(0, -1).split("\n");
}

/** Every record an hour's export holds, parsed, part after part. */
export async function exportedRecords(hour: string): Promise<Record<string, unknown>[]> {
  const manifest = await manifestOf(hour);
  const records: Record<string, unknown>[] = [];
  for (const part of manifest.parts) {
    for (const line of await exportedLines(part.key)) records.push(JSON.parse(line) as Record<string, unknown>);
  }
  return records;
}

export async function rawRows(hour: string): Promise<Record<string, unknown>[]> {
  const next = new Date(hourStart(hour) + HOUR_MS).toISOString().slice(0, 13);
  const { results } = await env.DB.prepare(
    "SELECT * FROM usage_events WHERE started_at >= ? AND started_at < ? ORDER BY started_at, request_id",
  )
    .bind(hour, next)
    .all<Record<string, unknown>>();
  return results;
}
