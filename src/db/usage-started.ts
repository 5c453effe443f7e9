import type { StartedNote } from "../metering/usage-record";

interface StartedRow {
  request_id: string;
  team_id: string;
  key_id: string;
  endpoint: string;
  model: string | null;
  stream: number;
  started_at: string;
  prompt_tokens: number;
  costs_tokens: number;
  reserved: number;
}

/** Started notes older than `cutoff` (ISO) with no final record, oldest first. */
export async function overdueStartedNotes(db: D1Database, cutoff: string, limit: number): Promise<StartedNote[]> {
  const { results } = await db
    .prepare(
      `SELECT s.* FROM usage_started s WHERE s.started_at < ?1
         AND NOT EXISTS (SELECT 1 FROM usage_events e WHERE e.request_id = s.request_id)
       ORDER BY s.started_at, s.request_id LIMIT ?2`,
    )
    .bind(cutoff, limit)
    .all<StartedRow>();
  return results.map((row) => ({
    kind: "started",
    request_id: row.request_id,
    team_id: row.team_id,
    key_id: row.key_id,
    endpoint: row.endpoint,
    model: row.model,
    stream: row.stream === 1,
    started_at: row.started_at,
    prompt_tokens: row.prompt_tokens,
    costs_tokens: row.costs_tokens === 1,
    reserved: row.reserved === 1,
  }));
}

/** Old notes whose request has a record (the sweep's, or one that arrived before its note) are done. */
export function clearRecordedNotesStatement(db: D1Database, cutoff: string): D1PreparedStatement {
  return db
    .prepare(
      `DELETE FROM usage_started WHERE started_at < ?1
         AND EXISTS (SELECT 1 FROM usage_events e WHERE e.request_id = usage_started.request_id)`,
    )
    .bind(cutoff);
}

export async function openStartedSummary(db: D1Database): Promise<{ count: number; oldest: string | null }> {
  const row = await db
    .prepare("SELECT COUNT(*) AS count, MIN(started_at) AS oldest FROM usage_started")
    .first<{ count: number; oldest: string | null }>();
  return { count: row?.count ?? 0, oldest: row?.oldest ?? null };
}
