import type { UsageRecord } from "../metering/usage-record";

const COLUMNS = [
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
] as const satisfies readonly (keyof UsageRecord)[];

// ON CONFLICT DO NOTHING on the primary key: a redelivered message, or the
// direct-write fallback racing a delayed queue delivery, never counts twice.
const INSERT_USAGE_EVENT = `INSERT INTO usage_events (${COLUMNS.join(", ")})
  VALUES (${COLUMNS.map(() => "?").join(", ")})
  ON CONFLICT(request_id) DO NOTHING`;

export function insertUsageEventStatement(db: D1Database, record: UsageRecord): D1PreparedStatement {
  return db.prepare(INSERT_USAGE_EVENT).bind(
    ...COLUMNS.map((column) => {
      const value = record[column];
      return typeof value === "boolean" ? (value ? 1 : 0) : value;
    }),
  );
}

/** Keeps api_keys.last_used_at at the newest request seen (never moves it back). */
export function touchKeyStatement(db: D1Database, keyId: string, usedAt: string): D1PreparedStatement {
  return db
    .prepare("UPDATE api_keys SET last_used_at = ?1 WHERE id = ?2 AND (last_used_at IS NULL OR last_used_at < ?1)")
    .bind(usedAt, keyId);
}

/** Every statement for these records, to run in one D1 batch (one transaction). */
export function usageWriteStatements(db: D1Database, records: UsageRecord[]): D1PreparedStatement[] {
  // Compared as instants, written in one form (toISOString): the schema accepts
  // "…:00Z" and "…:00.500Z" alike, which do not sort as text.
  const lastUsed = new Map<string, number>();
  for (const record of records) {
    const startedAt = Date.parse(record.started_at);
    const seen = lastUsed.get(record.key_id);
    if (seen === undefined || seen < startedAt) lastUsed.set(record.key_id, startedAt);
  }
  return [
    ...records.map((record) => insertUsageEventStatement(db, record)),
    ...[...lastUsed].map(([keyId, usedAt]) => touchKeyStatement(db, keyId, new Date(usedAt).toISOString())),
  ];
}
