// Insert rate through the real consumer: the gateway worker's own queue() handler
// (src/index.ts → consumeQueue → consumeUsageBatch → applyUsage: one D1 batch per queue
// batch), called through Miniflare's getWorker(name).queue(), which hands the handler a
// MessageBatch as the queue would, without the local queue's 1 s batching wait.
import { batchInWorkerd } from "./ledger-driver.mjs";
import { driverBinding } from "./ledger-gateway.mjs";
import { ledgerRows, ROW_COLUMNS, rowValues, usageMessageBody } from "./ledger-rows.mjs";

const HOUR_MS = 3_600_000;
const USAGE_QUEUE_NAME = "tensoras-usage";

/** The started note the producer sends beside the upstream call for this record. */
function startedNote(record) {
  return {
    kind: "started",
    request_id: record.request_id,
    team_id: record.team_id,
    key_id: record.key_id,
    endpoint: record.endpoint,
    model: record.model,
    stream: record.stream,
    started_at: record.started_at,
    prompt_tokens: record.prompt_tokens,
    costs_tokens: true,
  };
}

/**
 * Queue batches of `batchSize` messages for `requests` requests, started within the last hour.
 * With notes, each request sends its started note and later its record: a batch then holds the
 * notes of some requests and the records of the requests before them (2 messages per request).
 */
function queueBatches({ requests, batchSize, notes, seed, world }) {
  const now = Date.now();
  const records = [...ledgerRows({ count: requests, fromMs: now - HOUR_MS, toMs: now, seed, world })].map(usageMessageBody);
  const bodies = [];
  if (!notes) bodies.push(...records);
  else {
    const lag = Math.max(1, batchSize / 2);
    for (let at = 0; at < records.length; at += lag) {
      bodies.push(...records.slice(at, at + lag).map(startedNote));
      if (at >= lag) bodies.push(...records.slice(at - lag, at));
    }
    const lastAt = Math.floor((records.length - 1) / lag) * lag;
    bodies.push(...records.slice(lastAt));
  }
  const batches = [];
  for (let at = 0; at < bodies.length; at += batchSize) {
    batches.push(
      bodies.slice(at, at + batchSize).map((body, i) => ({ id: `m-${seed}-${at + i}`, timestamp: new Date(), body, attempts: 1 })),
    );
  }
  return { batches, records };
}

/** Fails the run if the handler did not ack every message of the batch. */
function checkAcked(result, batch) {
  const acked = result.ackAll || (result.explicitAcks?.length ?? 0) === batch.length;
  if (result.outcome !== "ok" || !acked || (result.retryMessages?.length ?? 0) > 0 || result.retryBatch?.retry) {
    throw new Error(`queue handler did not ack its batch: ${JSON.stringify(result).slice(0, 400)}`);
  }
}

/**
 * Delivers the batches to `workerName`'s queue handler, `concurrency` invocations at a time,
 * and returns rows/s (records written per second of wall time). Checks that every record landed.
 */
export async function measureConsumer(mf, workerName, { requests, batchSize, notes = false, concurrency = 1, seed, world }) {
  const worker = await mf.getWorker(workerName);
  const db = await mf.getD1Database("DB", workerName);
  const { batches } = queueBatches({ requests, batchSize, notes, seed, world });
  const before = (await db.prepare("SELECT COUNT(*) AS n FROM usage_events").first()).n;
  let next = 0;
  const started = performance.now();
  async function deliverLoop() {
    while (next < batches.length) {
      const batch = batches[next++];
      checkAcked(await worker.queue(USAGE_QUEUE_NAME, batch), batch);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, deliverLoop));
  const ms = performance.now() - started;
  const after = (await db.prepare("SELECT COUNT(*) AS n FROM usage_events").first()).n;
  if (after - before !== requests) throw new Error(`${workerName}: ${after - before} rows landed of ${requests}`);
  const leftNotes = (await db.prepare("SELECT COUNT(*) AS n FROM usage_started").first()).n;
  if (leftNotes !== 0) throw new Error(`${workerName}: ${leftNotes} started notes left behind`);
  return {
    worker: workerName,
    batchSize,
    notes,
    concurrency,
    requests,
    messages: batches.reduce((n, b) => n + b.length, 0),
    batches: batches.length,
    ms,
    rowsPerSecond: (requests / ms) * 1000,
    msPerBatch: ms / batches.length,
  };
}

/** The cost of a queue() call itself from Node: a batch with no message (the handler returns at once). */
export async function queueCallBaseline(mf, workerName, reps = 50) {
  const worker = await mf.getWorker(workerName);
  const times = [];
  for (let i = 0; i < reps; i++) {
    const at = performance.now();
    await worker.queue(USAGE_QUEUE_NAME, []);
    times.push(performance.now() - at);
  }
  return times.sort((a, b) => a - b)[Math.floor(reps / 2)];
}

/**
 * For comparison with DESIGN.md's loading figure: multi-row INSERTs (as many rows per statement
 * as 100 bound parameters allow), 500 statements per batch(), run and timed inside workerd by
 * the driver on `workerName`'s database.
 */
export async function measureD1Bulk(mf, workerName, { rows, seed, world }) {
  const perStatement = Math.floor(100 / ROW_COLUMNS.length);
  const placeholders = `(${ROW_COLUMNS.map(() => "?").join(", ")})`;
  const sql = `INSERT INTO usage_events (${ROW_COLUMNS.join(", ")}) VALUES ${Array(perStatement).fill(placeholders).join(", ")}`;
  const now = Date.now();
  const whole = rows - (rows % perStatement);
  const all = [...ledgerRows({ count: whole, fromMs: now - HOUR_MS, toMs: now, seed, world })].map(rowValues);
  const perBatch = perStatement * 500;
  let ms = 0;
  for (let at = 0; at < all.length; at += perBatch) {
    ms += await batchInWorkerd(mf, { binding: driverBinding(workerName), sql, rows: all.slice(at, at + perBatch), perStatement });
  }
  return { rowsPerStatement: perStatement, statementsPerBatch: 500, rows: whole, ms, rowsPerSecond: (whole / ms) * 1000 };
}
