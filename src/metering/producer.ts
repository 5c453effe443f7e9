import type { Env } from "../env";
import { applyUsage, settleReserved } from "./apply-usage";
import { priceRecord } from "./pricing";
import type { StartedNote, UsageRecord } from "./usage-record";

/** Queue send attempts before falling back to a direct D1 write. */
const SEND_ATTEMPTS = 3;
const RETRY_BASE_MS = 50;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The queue (retried with backoff), then, failing that, D1 directly. Returns the queue's last error when it fell back. */
async function sendDurably(env: Env, message: UsageRecord | StartedNote, direct: () => Promise<void>): Promise<void> {
  let lastError: unknown;
  for (let attempt = 0; attempt < SEND_ATTEMPTS; attempt++) {
    try {
      await env.USAGE_QUEUE.send(message, { contentType: "json" });
      return;
    } catch (err) {
      lastError = err;
      if (attempt < SEND_ATTEMPTS - 1) await sleep(RETRY_BASE_MS * 4 ** attempt);
    }
  }
  const what = "kind" in message ? "started note" : "usage record";
  try {
    await direct();
    console.warn(
      JSON.stringify({
        message: `usage queue send failed; ${what} written to D1 directly`,
        request_id: message.request_id,
        error: String(lastError),
      }),
    );
  } catch (err) {
    console.error(
      JSON.stringify({
        message: `${what} not persisted: queue and D1 both failed`,
        request_id: message.request_id,
        queue_error: String(lastError),
        d1_error: String(err),
      }),
    );
  }
}

/**
 * Sends one usage record to the ledger. Run under ctx.waitUntil.
 *
 * The log line comes first and always: it is the record of last resort. Then the
 * queue, then D1 directly, so that a request that reached Tensoras is never left
 * unmetered.
 */
export async function recordUsage(env: Env, record: UsageRecord): Promise<void> {
  console.log(JSON.stringify({ message: "usage", ...record }));
  let priced: UsageRecord = record;
  try {
    const withCost = await priceRecord(env.DB, record);
    priced = withCost;
    // The reservation becomes the real cost now; should this fail, the consumer settles it from the record.
    if (withCost.reserved) {
      await settleReserved(env, [withCost]).catch((err) =>
        console.warn(
          JSON.stringify({ message: "reservation not settled; the consumer will", request_id: record.request_id, error: String(err) }),
        ),
      );
    }
  } catch (err) {
    // Unpriced: the consumer prices it before writing (the cost field stays absent, never a wrong null).
    console.warn(
      JSON.stringify({ message: "usage record not priced; the consumer will", request_id: record.request_id, error: String(err) }),
    );
  }
  await sendDurably(env, priced, () => applyUsage(env, [priced]));
}

/**
 * Notes durably that a request is being forwarded, in parallel with the upstream call
 * (under ctx.waitUntil: it adds no latency). Should the isolate die before the final
 * record is sent, the sweep finds the note and records the request as `interrupted`.
 */
export async function noteStarted(env: Env, note: StartedNote): Promise<void> {
  await sendDurably(env, note, () => applyUsage(env, [], [note]));
}
