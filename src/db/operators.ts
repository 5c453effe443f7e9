export interface OperatorRow {
  id: string;
  name: string;
  /** owner, team_admin or viewer (a CHECK constraint holds it to these). */
  role: string;
  /** JSON array of team ids. */
  team_ids: string;
  email: string | null;
  token_hash: string;
  prefix: string;
  created_at: string;
  updated_at: string;
  revoked_at: string | null;
}

const COLUMNS = "id, name, role, team_ids, email, token_hash, prefix, created_at, updated_at, revoked_at";

export function getOperatorRow(db: D1Database, id: string): Promise<OperatorRow | null> {
  return db.prepare(`SELECT ${COLUMNS} FROM operators WHERE id = ?`).bind(id).first<OperatorRow>();
}

export function findOperatorByHash(db: D1Database, tokenHash: string): Promise<OperatorRow | null> {
  return db.prepare(`SELECT ${COLUMNS} FROM operators WHERE token_hash = ?`).bind(tokenHash).first<OperatorRow>();
}

/** The live operator mapped to a Cloudflare Access email (emails are stored lower-case). */
export function findOperatorByEmail(db: D1Database, email: string): Promise<OperatorRow | null> {
  return db
    .prepare(`SELECT ${COLUMNS} FROM operators WHERE email = ? AND revoked_at IS NULL`)
    .bind(email.toLowerCase())
    .first<OperatorRow>();
}

export async function listOperators(db: D1Database, limit: number, after?: { at: string; id: string }): Promise<OperatorRow[]> {
  const { results } = await db
    .prepare(
      `SELECT ${COLUMNS} FROM operators
       WHERE ?1 IS NULL OR (created_at, id) > (?1, ?2) ORDER BY created_at, id LIMIT ?3`,
    )
    .bind(after?.at ?? null, after?.id ?? null, limit)
    .all<OperatorRow>();
  return results;
}

export function insertOperatorStatement(db: D1Database, row: OperatorRow): D1PreparedStatement {
  return db
    .prepare(`INSERT INTO operators (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
    .bind(row.id, row.name, row.role, row.team_ids, row.email, row.token_hash, row.prefix, row.created_at, row.updated_at, row.revoked_at);
}

/** A new token for a live operator: the old hash is replaced, so the old token is unknown at once. */
export function rotateOperatorStatement(db: D1Database, id: string, change: { tokenHash: string; prefix: string }, now: string) {
  return db
    .prepare("UPDATE operators SET token_hash = ?, prefix = ?, updated_at = ? WHERE id = ? AND revoked_at IS NULL")
    .bind(change.tokenHash, change.prefix, now, id);
}

export function revokeOperatorStatement(db: D1Database, id: string, now: string): D1PreparedStatement {
  return db.prepare("UPDATE operators SET revoked_at = ?, updated_at = ? WHERE id = ? AND revoked_at IS NULL").bind(now, now, id);
}

/** The ids among `teamIds` that name no team (an operator may only be given teams that exist). */
export async function missingTeams(db: D1Database, teamIds: string[]): Promise<string[]> {
  if (teamIds.length === 0) return [];
  const { results } = await db
    .prepare("SELECT id FROM teams WHERE id IN (SELECT value FROM json_each(?))")
    .bind(JSON.stringify(teamIds))
    .all<{ id: string }>();
  const found = new Set(results.map((row) => row.id));
  return teamIds.filter((id) => !found.has(id));
}

/** The team of a key, for the team_admin check; null when there is no such key. */
export async function keyTeam(db: D1Database, keyId: string): Promise<string | null> {
  const row = await db.prepare("SELECT team_id FROM api_keys WHERE id = ?").bind(keyId).first<{ team_id: string }>();
  return row?.team_id ?? null;
}
