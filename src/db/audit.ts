export interface AuditRow {
  id: string;
  at: string;
  actor: string;
  action: string;
  target_type: string;
  target_id: string;
  before: string | null;
  after: string | null;
}

export function insertAuditStatement(db: D1Database, entry: AuditRow): D1PreparedStatement {
  return db
    .prepare("INSERT INTO audit_log (id, at, actor, action, target_type, target_id, before, after) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
    .bind(entry.id, entry.at, entry.actor, entry.action, entry.target_type, entry.target_id, entry.before, entry.after);
}

/**
 * The entry, written only if the statement just before it in the same batch (one
 * transaction) changed exactly one row: a change that lost a race leaves no audit trace.
 */
export function insertAuditIfChangedStatement(db: D1Database, entry: AuditRow): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO audit_log (id, at, actor, action, target_type, target_id, before, after)
       SELECT ?, ?, ?, ?, ?, ?, ?, ? WHERE changes() = 1`,
    )
    .bind(entry.id, entry.at, entry.actor, entry.action, entry.target_type, entry.target_id, entry.before, entry.after);
}

/** Newest first; `before` is the id of the last entry of the previous page. */
export async function listAudit(db: D1Database, limit: number, filter: { targetId?: string; before?: string }): Promise<AuditRow[]> {
  const { results } = await db
    .prepare(
      `SELECT id, at, actor, action, target_type, target_id, before, after FROM audit_log
       WHERE (?1 IS NULL OR target_id = ?1) AND (?2 IS NULL OR id < ?2) ORDER BY id DESC LIMIT ?3`,
    )
    .bind(filter.targetId ?? null, filter.before ?? null, limit)
    .all<AuditRow>();
  return results;
}
