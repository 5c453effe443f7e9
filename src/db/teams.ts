export interface TeamRow {
  id: string;
  name: string;
  metadata: string;
  /** JSON (src/limits/stored-policy.ts) or null. */
  budget: string | null;
  limits: string | null;
  created_at: string;
  updated_at: string;
  /** Set once the team is archived (kept for the record, its keys revoked); null while live. */
  archived_at: string | null;
}

const COLUMNS = "id, name, metadata, budget, limits, created_at, updated_at, archived_at";

export function getTeamRow(db: D1Database, teamId: string): Promise<TeamRow | null> {
  return db.prepare(`SELECT ${COLUMNS} FROM teams WHERE id = ?`).bind(teamId).first<TeamRow>();
}

/** Teams oldest first; archived ones only with `includeArchived`. */
export async function listTeams(
  db: D1Database,
  limit: number,
  after?: { at: string; id: string },
  includeArchived = false,
): Promise<TeamRow[]> {
  const { results } = await db
    .prepare(
      `SELECT ${COLUMNS} FROM teams
       WHERE (?1 IS NULL OR (created_at, id) > (?1, ?2)) AND (?4 OR archived_at IS NULL) ORDER BY created_at, id LIMIT ?3`,
    )
    .bind(after?.at ?? null, after?.id ?? null, limit, includeArchived ? 1 : 0)
    .all<TeamRow>();
  return results;
}

export function insertTeamStatement(db: D1Database, team: TeamRow): D1PreparedStatement {
  return db
    .prepare("INSERT INTO teams (id, name, metadata, budget, limits, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
    .bind(team.id, team.name, team.metadata, team.budget, team.limits, team.created_at, team.updated_at);
}

/** Changes a live team only: an archived one (even one archived since the route read it) changes no row. */
export function updateTeamStatement(db: D1Database, team: TeamRow): D1PreparedStatement {
  return db
    .prepare("UPDATE teams SET name = ?, metadata = ?, budget = ?, limits = ?, updated_at = ? WHERE id = ? AND archived_at IS NULL")
    .bind(team.name, team.metadata, team.budget, team.limits, team.updated_at, team.id);
}

/**
 * Archiving, in one batch: every live key of the team revoked at `at`, then the team marked,
 * each only while the team is still live, so a second archive changes nothing (and its audit
 * entry, written only if the team's row changed, is not written either).
 */
export function archiveTeamStatements(db: D1Database, teamId: string, at: string): D1PreparedStatement[] {
  return [
    db
      .prepare(
        `UPDATE api_keys SET revoked_at = ?1, updated_at = ?1
         WHERE team_id = ?2 AND revoked_at IS NULL AND EXISTS (SELECT 1 FROM teams WHERE id = ?2 AND archived_at IS NULL)`,
      )
      .bind(at, teamId),
    db.prepare("UPDATE teams SET archived_at = ?1, updated_at = ?1 WHERE id = ?2 AND archived_at IS NULL").bind(at, teamId),
  ];
}
