/**
 * Closes started notes older than `cutoff` (ISO) that have no final record: each becomes
 * an `interrupted` usage row, its prompt estimated from the note, status 0 (no answer is
 * known to have reached the client), no duration. At most `limit` notes per call.
 */
export function closeInterruptedStatements(db: D1Database, cutoff: string, limit: number, recordedAt: number): D1PreparedStatement[] {
  return [
    db
      .prepare(
        `INSERT INTO usage_events (request_id, team_id, key_id, endpoint, model, stream, status, outcome, finish_reason,
           prompt_tokens, completion_tokens, total_tokens, cached_tokens, reasoning_tokens, usage_source, started_at,
           ttfb_ms, duration_ms, recorded_at)
         SELECT request_id, team_id, key_id, endpoint, model, stream, 0, 'interrupted', NULL,
           prompt_tokens, 0, prompt_tokens, 0, 0, CASE WHEN costs_tokens = 1 THEN 'estimated' ELSE 'none' END, started_at,
           NULL, 0, ?3
         FROM usage_started WHERE started_at < ?1 ORDER BY started_at, request_id LIMIT ?2
         ON CONFLICT(request_id) DO NOTHING`,
      )
      .bind(cutoff, limit, recordedAt),
    // Every old note that now has a record (just written, or written before the note arrived) is done.
    db
      .prepare(
        `DELETE FROM usage_started WHERE started_at < ?1
           AND EXISTS (SELECT 1 FROM usage_events e WHERE e.request_id = usage_started.request_id)`,
      )
      .bind(cutoff),
  ];
}

export async function openStartedSummary(db: D1Database): Promise<{ count: number; oldest: string | null }> {
  const row = await db
    .prepare("SELECT COUNT(*) AS count, MIN(started_at) AS oldest FROM usage_started")
    .first<{ count: number; oldest: string | null }>();
  return { count: row?.count ?? 0, oldest: row?.oldest ?? null };
}
