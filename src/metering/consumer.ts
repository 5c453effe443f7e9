import { parkDeadLetterStatement } from "../db/dead-letters";
import type { Env } from "../env";
import { applyUsage } from "./apply-usage";
import { deadLetterRow } from "./dead-letter-consumer";
import { retryDelaySeconds } from "./retry-delay";
import { parseUsageMessage, type StartedNote, type UsageRecord } from "./usage-record";

interface Parsed {
  message: Message<unknown>;
  record?: UsageRecord;
  note?: StartedNote;
}

function apply(env: Env, items: Parsed[]): Promise<void> {
  return applyUsage(
    env,
    items.flatMap((item) => (item.record ? [item.record] : [])),
    items.flatMap((item) => (item.note ? [item.note] : [])),
  );
}

/** A message no retry can fix (it does not parse) is parked at once, with its error, instead of burning retries. */
async function parkInvalid(env: Env, message: Message<unknown>, error: string): Promise<void> {
  console.error(JSON.stringify({ message: "invalid usage message; parked as a dead letter", id: message.id, error }));
  try {
    await parkDeadLetterStatement(env.DB, deadLetterRow(message, error)).run();
    message.ack();
  } catch {
    message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
  }
}

/**
 * Writes a queue batch of usage records (priced) and started notes into D1 in one
 * batch() (one transaction), then settles the reservations the records held, so a
 * settle the request path lost (a crash) is repaired from the ledger.
 *
 * Queues deliver at least once, so every write is idempotent on request_id. A
 * message is acked only after its row committed; anything else is retried with
 * backoff, and after max_retries goes to the dead-letter queue, whose consumer parks
 * it in usage_dead_letters for POST /admin/usage/replay.
 */
export async function consumeUsageBatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const valid: Parsed[] = [];
  for (const message of batch.messages) {
    const parsed = parseUsageMessage(message.body);
    if (parsed.kind === "invalid") await parkInvalid(env, message, parsed.error);
    else valid.push(parsed.kind === "record" ? { message, record: parsed.record } : { message, note: parsed.note });
  }
  if (valid.length === 0) return;

  try {
    await apply(env, valid);
    for (const { message } of valid) message.ack();
    return;
  } catch (err) {
    console.error(JSON.stringify({ message: "usage batch write or settle failed; applying rows one by one", error: String(err) }));
  }

  // The transaction rolled back: find the rows that can be written, retry the rest.
  for (const item of valid) {
    try {
      await apply(env, [item]);
      item.message.ack();
    } catch (err) {
      const requestId = item.record?.request_id ?? item.note?.request_id;
      console.error(JSON.stringify({ message: "usage row write failed; will retry", request_id: requestId, error: String(err) }));
      item.message.retry({ delaySeconds: retryDelaySeconds(item.message.attempts) });
    }
  }
}
