import type { Env } from "../env";
import { consumeUsageBatch } from "./consumer";
import { parkDeadLetters } from "./dead-letter-consumer";

export const USAGE_DLQ = "tensoras-usage-dlq";

/** One queue handler for the Worker: the usage queue's records, or its dead letters. */
export async function consumeQueue(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  if (batch.queue === USAGE_DLQ) return parkDeadLetters(batch, env);
  return consumeUsageBatch(batch, env);
}
