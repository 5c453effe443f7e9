import { type DeadLetterRow, parkDeadLetterStatement } from "../db/dead-letters";
import type { Env } from "../env";
import { parseUsageMessage } from "./usage-record";

/** A queue message as usage_dead_letters parks it, with why. */
export function deadLetterRow(message: Message<unknown>, error: string, parkedAt = new Date().toISOString()): DeadLetterRow {
  const requestId = (message.body as { request_id?: unknown } | null)?.request_id;
  return {
    message_id: message.id,
    request_id: typeof requestId === "string" ? requestId.slice(0, 200) : null,
    body: JSON.stringify(message.body) ?? "null",
    error,
    attempts: message.attempts,
    parked_at: parkedAt,
  };
}

/** Longer than the usage queue's: parking needs D1, so this rides out a longer outage before giving up. */
const PARK_RETRY_DELAY_SECONDS = 30 * 60;

/**
 * Consumes tensoras-usage-dlq: every message that ran out of retries is parked in
 * usage_dead_letters (with why), where it stays until POST /admin/usage/replay applies
 * it. A dead-letter queue on its own deletes what it holds once its retention ends.
 */
export async function parkDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const parkedAt = new Date().toISOString();
  const rows = batch.messages.map((message) => {
    const parsed = parseUsageMessage(message.body);
    const error = parsed.kind === "invalid" ? parsed.error : "the usage queue's retries ran out (D1 writes failed)";
    return { message, row: deadLetterRow(message, error, parkedAt) };
  });
  try {
    await env.DB.batch(rows.map(({ row }) => parkDeadLetterStatement(env.DB, row)));
    for (const { message } of rows) message.ack();
  } catch (err) {
    // The log line keeps each record should D1 stay down past every retry.
    for (const { message, row } of rows) {
      console.error(
        JSON.stringify({
          message: "dead letter not parked; will retry",
          request_id: row.request_id,
          body: message.body,
          error: String(err),
        }),
      );
      message.retry({ delaySeconds: PARK_RETRY_DELAY_SECONDS });
    }
  }
}
