export interface TeamRow {
  id: string;
  name: string;
  metadata: string;
  /** JSON (src/limits/stored-policy.ts) or null. */
  budget: string | null;
  limits: string | null;
  created_at: string;
  updated_at: string;
}

export function getTeamRow(db: D1Database, teamId: string): Promise<TeamRow | null> {
  return db
    .prepare("SELECT id, name, metadata, budget, limits, created_at, updated_at FROM teams WHERE id = ?")
    .bind(teamId)
    .first<TeamRow>();
}

export async function listTeams(db: D1Database, limit: number, after?: { at: string; id: string }): Promise<TeamRow[]> {
  const { results } = await db
    .prepare(
      `SELECT id, name, metadata, budget, limits, created_at, updated_at FROM teams
       WHERE ?1 IS NULL OR (created_at, id) > (?1, ?2) ORDER BY created_at, id LIMIT ?3`,
    )
    .bind(after?.at ?? null, after?.id ?? null, limit)
    .all<TeamRow>();
  return results;
}

export function insertTeamStatement(db: D1Database, team: TeamRow): D1PreparedStatement {
  return db
    .prepare("INSERT INTO teams (id, name, metadata, budget, limits, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
    .bind(team.id, team.name, team.metadata, team.budget, team.limits, team.created_at, team.updated_at);
}

export function updateTeamStatement(db: D1Database, team: TeamRow): D1PreparedStatement {
  return db
    .prepare("UPDATE teams SET name = ?, metadata = ?, budget = ?, limits = ?, updated_at = ? WHERE id = ?")
    .bind(team.name, team.metadata, team.budget, team.limits, team.updated_at, team.id);
}
