import type { PricedRecord, StartedNote } from "../metering/usage-record";

/** Every column a record is written with, in the table's order. */
export const COLUMNS = [
  "request_id",
  "team_id",
  "key_id",
  "endpoint",
  "model",
  "stream",
  "status",
  "outcome",
  "finish_reason",
  "prompt_tokens",
  "completion_tokens",
  "total_tokens",
  "cached_tokens",
  "reasoning_tokens",
  "usage_source",
  "started_at",
  "ttfb_ms",
  "duration_ms",
  "cost_micro_usd",
  "price_id",
] as const satisfies readonly (keyof PricedRecord)[];

// Idempotent on the primary key: a redelivered message, or the direct-write fallback
// racing a delayed queue delivery, never counts twice. The one row a final record may
// replace is the sweep's `interrupted` stand-in for it: the real outcome supersedes it.
const UPSERT_USAGE_EVENT = `INSERT INTO usage_events (${COLUMNS.join(", ")}, recorded_at)
  VALUES (${COLUMNS.map(() => "?").join(", ")}, ?)
  ON CONFLICT(request_id) DO UPDATE SET ${[...COLUMNS.slice(1), "recorded_at"].map((c) => `${c} = excluded.${c}`).join(", ")}
  WHERE usage_events.outcome = 'interrupted' AND excluded.outcome <> 'interrupted'`;

export function insertUsageEventStatement(db: D1Database, record: PricedRecord, recordedAt = Date.now()): D1PreparedStatement {
  return db.prepare(UPSERT_USAGE_EVENT).bind(
    ...COLUMNS.map((column) => {
      const value = record[column];
      return typeof value === "boolean" ? (value ? 1 : 0) : value;
    }),
    recordedAt,
  );
}

/** D1 binds at most 100 parameters per statement. */
const MAX_BOUND_PARAMETERS = 100;

/** These requests' records exist now: their started notes have done their job. */
export function clearStartedStatements(db: D1Database, requestIds: string[]): D1PreparedStatement[] {
  const statements: D1PreparedStatement[] = [];
  for (let at = 0; at < requestIds.length; at += MAX_BOUND_PARAMETERS) {
    const ids = requestIds.slice(at, at + MAX_BOUND_PARAMETERS);
    statements.push(db.prepare(`DELETE FROM usage_started WHERE request_id IN (${ids.map(() => "?").join(", ")})`).bind(...ids));
  }
  return statements;
}

/**
 * Keeps a started note, unless the request's final record is already in (the queue
 * does not keep order: the note may arrive after its record).
 */
export function insertStartedStatement(db: D1Database, note: StartedNote): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO usage_started (request_id, team_id, key_id, endpoint, model, stream, started_at, prompt_tokens, costs_tokens, reserved)
       SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10
       WHERE NOT EXISTS (SELECT 1 FROM usage_events WHERE request_id = ?1)
       ON CONFLICT(request_id) DO NOTHING`,
    )
    .bind(
      note.request_id,
      note.team_id,
      note.key_id,
      note.endpoint,
      note.model,
      note.stream ? 1 : 0,
      note.started_at,
      note.prompt_tokens,
      note.costs_tokens ? 1 : 0,
      note.reserved ? 1 : 0,
    );
}

/** Keeps api_keys.last_used_at at the newest request seen (never moves it back). */
export function touchKeyStatement(db: D1Database, keyId: string, usedAt: string): D1PreparedStatement {
  return db
    .prepare("UPDATE api_keys SET last_used_at = ?1 WHERE id = ?2 AND (last_used_at IS NULL OR last_used_at < ?1)")
    .bind(usedAt, keyId);
}

/** Every statement for these records and notes, to run in one D1 batch (one transaction). */
export function usageWriteStatements(db: D1Database, records: PricedRecord[], notes: StartedNote[] = []): D1PreparedStatement[] {
  // Compared as instants, written in one form (toISOString): the schema accepts
  // "…:00Z" and "…:00.500Z" alike, which do not sort as text.
  const lastUsed = new Map<string, number>();
  for (const record of records) {
    const startedAt = Date.parse(record.started_at);
    const seen = lastUsed.get(record.key_id);
    if (seen === undefined || seen < startedAt) lastUsed.set(record.key_id, startedAt);
  }
  const recordedAt = Date.now();
  // Notes first: a note and its record in one batch leave no note behind.
  return [
    ...notes.map((note) => insertStartedStatement(db, note)),
    ...records.map((record) => insertUsageEventStatement(db, record, recordedAt)),
    ...clearStartedStatements(
      db,
      records.map((record) => record.request_id),
    ),
    ...[...lastUsed].map(([keyId, usedAt]) => touchKeyStatement(db, keyId, new Date(usedAt).toISOString())),
  ];
}
