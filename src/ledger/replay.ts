import { deleteDeadLetterStatement, listDeadLetters, noteDeadLetterErrorStatement } from "../db/dead-letters";
import type { Env } from "../env";
import { applyUsage } from "../metering/apply-usage";
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
      await applyUsage(env, parsed.kind === "record" ? [parsed.record] : [], parsed.kind === "started" ? [parsed.note] : [], [
        deleteDeadLetterStatement(env.DB, letter.message_id),
      ]);
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
