import { usageWriteStatements } from "../db/usage-events";
import type { Env } from "../env";
import { type UsageRecord, UsageRecordSchema } from "./usage-record";

/**
 * Writes a queue batch of usage records into D1 in one batch() (one transaction).
 *
 * Queues deliver at least once, so the write is idempotent on request_id. A
 * message is acked only after its row committed; anything else is retried, and
 * after max_retries lands in the dead-letter queue instead of being lost.
 */
export async function consumeUsageBatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const valid: { message: Message<unknown>; record: UsageRecord }[] = [];
  for (const message of batch.messages) {
    const parsed = UsageRecordSchema.safeParse(message.body);
    if (parsed.success) {
      valid.push({ message, record: parsed.data });
    } else {
      console.error(
        JSON.stringify({
          message: "invalid usage record in queue; retrying towards the dead-letter queue",
          id: message.id,
          issues: parsed.error.issues,
        }),
      );
      message.retry();
    }
  }
  if (valid.length === 0) return;

  try {
    await env.DB.batch(
      usageWriteStatements(
        env.DB,
        valid.map((v) => v.record),
      ),
    );
    for (const { message } of valid) message.ack();
    return;
  } catch (err) {
    console.error(JSON.stringify({ message: "usage batch write failed; writing rows one by one", error: String(err) }));
  }

  // The transaction rolled back: find the rows that can be written, retry the rest.
  // Each row goes with its key's last_used_at, as in the whole batch.
  for (const { message, record } of valid) {
    try {
      await env.DB.batch(usageWriteStatements(env.DB, [record]));
      message.ack();
    } catch (err) {
      console.error(JSON.stringify({ message: "usage row write failed; will retry", request_id: record.request_id, error: String(err) }));
      message.retry();
    }
  }
}
