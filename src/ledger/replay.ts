import { deleteDeadLetterStatement, listDeadLetters, noteDeadLetterErrorStatement } from "../db/dead-letters";
import { usageWriteStatements } from "../db/usage-events";
import type { Env } from "../env";
import { settleReserved } from "../metering/apply-usage";
import { priceRecord } from "../metering/pricing";
import { parseUsageMessage } from "../metering/usage-record";

export interface ReplayResult {
  replayed: number;
  failed: { message_id: string; request_id: string | null; error: string }[];
  remaining: number;
}

/**
 * Applies up to `limit` parked dead letters, oldest first, each with the consumer's
 * own idempotent statements and its deletion in one transaction: a replay run twice,
 * or a letter whose record also arrived another way, never counts twice. A letter that
 * still cannot be applied stays parked, with the new error.
 */
export async function replayDeadLetters(env: Env, limit: number): Promise<Omit<ReplayResult, "remaining">> {
  const letters = await listDeadLetters(env.DB, limit);
  const failed: ReplayResult["failed"] = [];
  let replayed = 0;
  for (const letter of letters) {
    let body: unknown;
    try {
      body = JSON.parse(letter.body);
    } catch {
      body = undefined;
    }
    const parsed = parseUsageMessage(body);
    if (parsed.kind === "invalid") {
      failed.push({ message_id: letter.message_id, request_id: letter.request_id, error: parsed.error });
      continue;
    }
    try {
      const priced = parsed.kind === "record" ? [await priceRecord(env.DB, parsed.record)] : [];
      const notes = parsed.kind === "started" ? [parsed.note] : [];
      await env.DB.batch([...usageWriteStatements(env.DB, priced, notes), deleteDeadLetterStatement(env.DB, letter.message_id)]);
      await settleReserved(env, priced);
      replayed++;
    } catch (err) {
      const error = `replay failed: ${String(err)}`;
      failed.push({ message_id: letter.message_id, request_id: letter.request_id, error });
      await noteDeadLetterErrorStatement(env.DB, letter.message_id, error)
        .run()
        .catch(() => {});
    }
  }
  return { replayed, failed };
}
