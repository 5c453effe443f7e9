import { usageWriteStatements } from "../db/usage-events";
import type { Env } from "../env";
import type { UsageRecord } from "./usage-record";

/** Queue send attempts before falling back to a direct D1 write. */
const SEND_ATTEMPTS = 3;
const RETRY_BASE_MS = 50;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sends one usage record to the ledger. Run under ctx.waitUntil.
 *
 * The log line comes first and always: it is the record of last resort. Then the
 * queue (retried with backoff), then, failing that, D1 directly, so that a request
 * that reached Tensoras is never left unmetered.
 */
export async function recordUsage(env: Env, record: UsageRecord): Promise<void> {
  console.log(JSON.stringify({ message: "usage", ...record }));

  let lastError: unknown;
  for (let attempt = 0; attempt < SEND_ATTEMPTS; attempt++) {
    try {
      await env.USAGE_QUEUE.send(record, { contentType: "json" });
      return;
    } catch (err) {
      lastError = err;
      if (attempt < SEND_ATTEMPTS - 1) await sleep(RETRY_BASE_MS * 4 ** attempt);
    }
  }

  try {
    await env.DB.batch(usageWriteStatements(env.DB, [record]));
    console.warn(
      JSON.stringify({
        message: "usage queue send failed; written to D1 directly",
        request_id: record.request_id,
        error: String(lastError),
      }),
    );
  } catch (err) {
    console.error(
      JSON.stringify({
        message: "usage record not persisted: queue and D1 both failed (the usage log line above holds it)",
        request_id: record.request_id,
        queue_error: String(lastError),
        d1_error: String(err),
      }),
    );
  }
}
