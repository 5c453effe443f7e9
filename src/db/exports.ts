import { COLUMNS } from "./usage-events";

/**
 * Queries of the export and retention jobs: raw rows of one hour, the hours still to
 * export, and the ledger_exports table (migrations/0007_ledger_exports.sql).
 */

/** Every column of a raw row, in the order exports write them (schema v1): the record's, then when it landed. */
export const EXPORT_COLUMNS = [...COLUMNS, "recorded_at"] as const;

export type RawLedgerRow = Record<(typeof EXPORT_COLUMNS)[number], string | number | null>;

/** The figures summed over an hour, a part or a manifest. */
export const FIGURE_COLUMNS = [
  "rows",
  "prompt_tokens",
  "completion_tokens",
  "total_tokens",
  "cached_tokens",
  "reasoning_tokens",
  "cost_micro_usd",
  "unpriced_rows",
  "estimated_rows",
] as const;
export type Figures = Record<(typeof FIGURE_COLUMNS)[number], number>;

export interface LedgerExportRow extends Figures {
  hour: string;
  schema_version: number | null;
  parts: number;
  manifest_key: string | null;
  manifest_sha256: string | null;
  manifest: string | null;
  recorded_through: number | null;
  exported_at: string | null;
  stale: number;
  verified_parts: number;
  verified_through: number | null;
  verified_at: string | null;
  pruned_rows: number;
  pruned_at: string | null;
}

/** Rows of `hour` in (started_at, request_id) order after `from`; with `recordedAfter`, only rows recorded after it. */
export async function hourRowsPage(
  db: D1Database,
  hour: { from: string; to: string },
  recordedAfter: number | null,
  after: { at: string; id: string } | null,
  limit: number,
): Promise<RawLedgerRow[]> {
  const { results } = await db
    .prepare(
      `SELECT ${EXPORT_COLUMNS.join(", ")} FROM usage_events
       WHERE started_at >= ?1 AND started_at < ?2 AND (?3 IS NULL OR recorded_at > ?3)
         AND (?4 IS NULL OR (started_at, request_id) > (?4, ?5))
       ORDER BY started_at, request_id LIMIT ?6`,
    )
    .bind(hour.from, hour.to, recordedAfter, after?.at ?? null, after?.id ?? null, limit)
    .all<RawLedgerRow>();
  return results;
}

/**
 * The oldest hours before `openFrom` that have raw rows and no finished, current export:
 * never exported, stale, or an export that did not finish. One statement: it steps from
 * hour to hour with one index seek each, so empty hours cost nothing.
 */
export async function hoursToExport(db: D1Database, openFrom: string, limit: number): Promise<string[]> {
  const { results } = await db
    .prepare(
      `WITH RECURSIVE hours(hour) AS (
         SELECT substr(MIN(started_at), 1, 13) FROM usage_events
         UNION ALL
         SELECT (SELECT substr(started_at, 1, 13) FROM usage_events
                 WHERE started_at >= strftime('%Y-%m-%dT%H', hours.hour || ':00:00', '+1 hour') ORDER BY started_at LIMIT 1)
         FROM hours WHERE hours.hour < ?1
       )
       SELECT hour FROM hours WHERE hour IS NOT NULL AND hour < ?1
         AND NOT EXISTS (SELECT 1 FROM ledger_exports x WHERE x.hour = hours.hour AND x.exported_at IS NOT NULL AND x.stale = 0)
       ORDER BY hour LIMIT ?2`,
    )
    .bind(openFrom, limit)
    .all<{ hour: string }>();
  return results.map((row) => row.hour);
}

export function exportState(db: D1Database, hour: string): Promise<LedgerExportRow | null> {
  return db.prepare("SELECT * FROM ledger_exports WHERE hour = ?").bind(hour).first<LedgerExportRow>();
}

/**
 * Taken before an export reads the hour: the hour is not done (exported_at NULL) and not
 * stale, so a row written while the export reads marks it stale again, for the next run.
 */
export function claimExportStatement(db: D1Database, hour: string): D1PreparedStatement {
  return db
    .prepare("INSERT INTO ledger_exports (hour) VALUES (?1) ON CONFLICT(hour) DO UPDATE SET stale = 0, exported_at = NULL")
    .bind(hour);
}

export interface FinishedExport {
  hour: string;
  figures: Figures;
  schemaVersion: number;
  parts: number;
  manifestKey: string;
  manifestSha256: string;
  manifest: string;
  recordedThrough: number | null;
  exportedAt: string;
  /** New rows were exported: the hour has rows to prune again. */
  wroteRows: boolean;
}

export function finishExportStatement(db: D1Database, done: FinishedExport): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE ledger_exports SET schema_version = ?2, parts = ?3, ${FIGURE_COLUMNS.map((c, i) => `${c} = ?${i + 4}`).join(", ")},
         manifest_key = ?13, manifest_sha256 = ?14, manifest = ?15, recorded_through = ?16, exported_at = ?17,
         pruned_at = CASE WHEN ?18 THEN NULL ELSE pruned_at END
       WHERE hour = ?1`,
    )
    .bind(
      done.hour,
      done.schemaVersion,
      done.parts,
      ...FIGURE_COLUMNS.map((c) => done.figures[c]),
      done.manifestKey,
      done.manifestSha256,
      done.manifest,
      done.recordedThrough,
      done.exportedAt,
      done.wroteRows ? 1 : 0,
    );
}

export function markStaleStatement(db: D1Database, hour: string): D1PreparedStatement {
  return db.prepare("UPDATE ledger_exports SET stale = 1 WHERE hour = ?").bind(hour);
}

/** A damaged export whose rows are all still in D1: forget its verification, so that the hour is exported afresh. */
export function restartExportStatement(db: D1Database, hour: string): D1PreparedStatement {
  return db
    .prepare("UPDATE ledger_exports SET stale = 1, verified_parts = 0, verified_through = NULL, verified_at = NULL WHERE hour = ?")
    .bind(hour);
}

/** Hours before `before` with a finished, current export and verified rows maybe left to delete, oldest first. */
export async function pruneCandidates(db: D1Database, before: string, limit: number): Promise<LedgerExportRow[]> {
  const { results } = await db
    .prepare(
      `SELECT * FROM ledger_exports WHERE hour < ?1 AND exported_at IS NOT NULL AND stale = 0 AND pruned_at IS NULL
       ORDER BY hour LIMIT ?2`,
    )
    .bind(before, limit)
    .all<LedgerExportRow>();
  return results;
}

/**
 * What could still write into the hour: a started request not yet closed (the sweep or
 * its final record will), or a parked dead letter of it (an operator may replay it).
 */
export async function openWritesOf(db: D1Database, hour: { from: string; to: string }): Promise<"started_request" | "dead_letter" | null> {
  const row = await db
    .prepare(
      `SELECT
         EXISTS (SELECT 1 FROM usage_started WHERE started_at >= ?1 AND started_at < ?2) AS started,
         EXISTS (SELECT 1 FROM usage_dead_letters WHERE json_valid(body)
                 AND json_extract(body, '$.started_at') >= ?1 AND json_extract(body, '$.started_at') < ?2) AS dead`,
    )
    .bind(hour.from, hour.to)
    .first<{ started: number; dead: number }>();
  if (row?.started) return "started_request";
  if (row?.dead) return "dead_letter";
  return null;
}

export function markVerifiedStatement(db: D1Database, hour: string, parts: number, through: number, at: string): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE ledger_exports SET verified_parts = ?2, verified_through = ?3, verified_at = ?4
       WHERE hour = ?1 AND stale = 0 AND exported_at IS NOT NULL`,
    )
    .bind(hour, parts, through, at);
}

/** Up to `limit` of the hour's rows recorded no later than `through` (they are in verified parts). */
export function deleteVerifiedRowsStatement(
  db: D1Database,
  hour: { from: string; to: string },
  through: number,
  limit: number,
): D1PreparedStatement {
  return db
    .prepare(
      `DELETE FROM usage_events WHERE request_id IN (
         SELECT request_id FROM usage_events
         WHERE started_at >= ?1 AND started_at < ?2 AND (recorded_at IS NULL OR recorded_at <= ?3) LIMIT ?4)`,
    )
    .bind(hour.from, hour.to, through, limit);
}

/** Run right after a delete in the same batch: adds what it deleted (changes()) to the hour's count. */
export function countPrunedStatement(db: D1Database, hour: string): D1PreparedStatement {
  return db.prepare("UPDATE ledger_exports SET pruned_rows = pruned_rows + changes() WHERE hour = ?").bind(hour);
}

export function finishPruneStatement(db: D1Database, hour: string, at: string): D1PreparedStatement {
  return db.prepare("UPDATE ledger_exports SET pruned_at = ? WHERE hour = ?").bind(at, hour);
}

/** Newest hour first; `before` is the hour of the last entry of the previous page. */
export async function listExports(db: D1Database, limit: number, before?: string): Promise<LedgerExportRow[]> {
  const { results } = await db
    .prepare("SELECT * FROM ledger_exports WHERE (?1 IS NULL OR hour < ?1) ORDER BY hour DESC LIMIT ?2")
    .bind(before ?? null, limit)
    .all<LedgerExportRow>();
  return results;
}
