export interface AuditRow {
  id: string;
  at: string;
  /** "admin" on entries written before operators existed; the operator's id since. */
  actor: string;
  /** The operator's id (`admin` for the ADMIN_TOKEN); NULL on older entries. */
  actor_id: string | null;
  /** The operator's name when the change was made; NULL on older entries. */
  actor_name: string | null;
  action: string;
  target_type: string;
  target_id: string;
  before: string | null;
  after: string | null;
}

const AUDIT_COLUMNS = "id, at, actor, actor_id, actor_name, action, target_type, target_id, before, after";

function auditValues(entry: AuditRow): (string | null)[] {
  return [
    entry.id,
    entry.at,
    entry.actor,
    entry.actor_id,
    entry.actor_name,
    entry.action,
    entry.target_type,
    entry.target_id,
    entry.before,
    entry.after,
  ];
}

export function insertAuditStatement(db: D1Database, entry: AuditRow): D1PreparedStatement {
  return db.prepare(`INSERT INTO audit_log (${AUDIT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).bind(...auditValues(entry));
}

/**
 * The entry, written only if the statement just before it in the same batch (one
 * transaction) changed exactly one row: a change that lost a race leaves no audit trace.
 */
export function insertAuditIfChangedStatement(db: D1Database, entry: AuditRow): D1PreparedStatement {
  return db
    .prepare(`INSERT INTO audit_log (${AUDIT_COLUMNS}) SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE changes() = 1`)
    .bind(...auditValues(entry));
}

/**
 * Newest first; `before` is the id of the last entry of the previous page. `actorId` matches
 * actor_id, or `actor` on entries older than operators (so `admin` finds them too).
 */
export async function listAudit(
  db: D1Database,
  limit: number,
  filter: { targetId?: string; actorId?: string; before?: string },
): Promise<AuditRow[]> {
  const { results } = await db
    .prepare(
      `SELECT id, at, actor, actor_id, actor_name, action, target_type, target_id, before, after FROM audit_log
       WHERE (?1 IS NULL OR target_id = ?1) AND (?2 IS NULL OR id < ?2)
         AND (?4 IS NULL OR actor_id = ?4 OR (actor_id IS NULL AND actor = ?4))
       ORDER BY id DESC LIMIT ?3`,
    )
    .bind(filter.targetId ?? null, filter.before ?? null, limit, filter.actorId ?? null)
    .all<AuditRow>();
  return results;
}
