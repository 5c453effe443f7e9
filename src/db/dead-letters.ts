/** A usage queue message that ran out of retries, parked for replay (table usage_dead_letters). */
export interface DeadLetterRow {
  message_id: string;
  request_id: string | null;
  body: string;
  error: string;
  attempts: number;
  parked_at: string;
}

/** Idempotent on the message id: a redelivered dead letter is parked once. */
export function parkDeadLetterStatement(db: D1Database, row: DeadLetterRow): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO usage_dead_letters (message_id, request_id, body, error, attempts, parked_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(message_id) DO NOTHING`,
    )
    .bind(row.message_id, row.request_id, row.body, row.error, row.attempts, row.parked_at);
}

/** The oldest parked letters first. */
export async function listDeadLetters(db: D1Database, limit: number): Promise<DeadLetterRow[]> {
  const { results } = await db
    .prepare(
      "SELECT message_id, request_id, body, error, attempts, parked_at FROM usage_dead_letters ORDER BY parked_at, message_id LIMIT ?",
    )
    .bind(limit)
    .all<DeadLetterRow>();
  return results;
}

export function deleteDeadLetterStatement(db: D1Database, messageId: string): D1PreparedStatement {
  return db.prepare("DELETE FROM usage_dead_letters WHERE message_id = ?").bind(messageId);
}

export function noteDeadLetterErrorStatement(db: D1Database, messageId: string, error: string): D1PreparedStatement {
  return db.prepare("UPDATE usage_dead_letters SET error = ? WHERE message_id = ?").bind(error, messageId);
}

export async function countDeadLetters(db: D1Database): Promise<{ count: number; oldest: string | null }> {
  const row = await db
    .prepare("SELECT COUNT(*) AS count, MIN(parked_at) AS oldest FROM usage_dead_letters")
    .first<{ count: number; oldest: string | null }>();
  return { count: row?.count ?? 0, oldest: row?.oldest ?? null };
}
