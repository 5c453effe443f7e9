import type { KeyRecord } from "../auth/key-store";

/** A key row as D1 holds it (the hash columns never leave src/db). */
export interface KeyRow {
  id: string;
  team_id: string;
  name: string;
  prefix: string;
  models: string | null;
  expires_at: string | null;
  revoked_at: string | null;
  metadata: string;
  created_at: string;
  updated_at: string;
  last_used_at: string | null;
  previous_key_expires_at: string | null;
}

const PUBLIC_COLUMNS =
  "id, team_id, name, prefix, models, expires_at, revoked_at, metadata, created_at, updated_at, last_used_at, previous_key_expires_at";

function earliest(a: string | null, b: string | null): number | null {
  const times = [a, b].filter((t): t is string => t !== null).map(Date.parse);
  return times.length === 0 ? null : Math.min(...times);
}

/**
 * The key a secret belongs to: its current hash, or the previous one during a
 * rotation's grace period (then it stops at the grace period's end).
 */
export async function findKeyByHash(db: D1Database, keyHash: string): Promise<KeyRecord | null> {
  const row = await db
    .prepare(`SELECT ${PUBLIC_COLUMNS}, key_hash = ?1 AS is_current FROM api_keys WHERE key_hash = ?1 OR previous_key_hash = ?1`)
    .bind(keyHash)
    .first<KeyRow & { is_current: number }>();
  if (!row) return null;
  return {
    id: row.id,
    teamId: row.team_id,
    prefix: row.prefix,
    models: row.models === null ? null : (JSON.parse(row.models) as string[]),
    expiresAt: row.is_current ? earliest(row.expires_at, null) : earliest(row.expires_at, row.previous_key_expires_at),
    revoked: row.revoked_at !== null,
  };
}

export interface NewKeyRow {
  id: string;
  teamId: string;
  name: string;
  keyHash: string;
  prefix: string;
  models: string[] | null;
  expiresAt: string | null;
  metadata: Record<string, unknown>;
  createdAt: string;
}

export function insertKeyStatement(db: D1Database, key: NewKeyRow): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO api_keys (id, team_id, name, key_hash, prefix, models, expires_at, metadata, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .bind(
      key.id,
      key.teamId,
      key.name,
      key.keyHash,
      key.prefix,
      key.models === null ? null : JSON.stringify(key.models),
      key.expiresAt,
      JSON.stringify(key.metadata),
      key.createdAt,
      key.createdAt,
    );
}

export function getKeyRow(db: D1Database, keyId: string): Promise<KeyRow | null> {
  return db.prepare(`SELECT ${PUBLIC_COLUMNS} FROM api_keys WHERE id = ?`).bind(keyId).first<KeyRow>();
}

/** The hashes a key answers to now, to drop from this isolate's cache after a change. */
export async function keyHashes(db: D1Database, keyId: string): Promise<string[]> {
  const row = await db
    .prepare("SELECT key_hash, previous_key_hash FROM api_keys WHERE id = ?")
    .bind(keyId)
    .first<{ key_hash: string; previous_key_hash: string | null }>();
  return row ? [row.key_hash, row.previous_key_hash].filter((h): h is string => h !== null) : [];
}

export async function listTeamKeys(db: D1Database, teamId: string, limit: number, after?: { at: string; id: string }): Promise<KeyRow[]> {
  const { results } = await db
    .prepare(
      `SELECT ${PUBLIC_COLUMNS} FROM api_keys WHERE team_id = ?1 AND (?2 IS NULL OR (created_at, id) > (?2, ?3))
       ORDER BY created_at, id LIMIT ?4`,
    )
    .bind(teamId, after?.at ?? null, after?.id ?? null, limit)
    .all<KeyRow>();
  return results;
}

export interface KeyChanges {
  name?: string;
  models?: string[] | null;
  expiresAt?: string | null;
  metadata?: Record<string, unknown>;
}

export function updateKeyStatement(db: D1Database, keyId: string, changes: KeyChanges, now: string): D1PreparedStatement {
  const columns: [string, unknown][] = [["updated_at", now]];
  if (changes.name !== undefined) columns.push(["name", changes.name]);
  if (changes.models !== undefined) columns.push(["models", changes.models === null ? null : JSON.stringify(changes.models)]);
  if (changes.expiresAt !== undefined) columns.push(["expires_at", changes.expiresAt]);
  if (changes.metadata !== undefined) columns.push(["metadata", JSON.stringify(changes.metadata)]);
  return db
    .prepare(`UPDATE api_keys SET ${columns.map(([column]) => `${column} = ?`).join(", ")} WHERE id = ?`)
    .bind(...columns.map(([, value]) => value), keyId);
}

export function rotateKeyStatement(
  db: D1Database,
  keyId: string,
  next: { keyHash: string; prefix: string; previousExpiresAt: string | null },
  now: string,
): D1PreparedStatement {
  // With no grace period the old secret is forgotten outright.
  return db
    .prepare(
      `UPDATE api_keys SET previous_key_hash = CASE WHEN ?3 IS NULL THEN NULL ELSE key_hash END,
         previous_key_expires_at = ?3, key_hash = ?1, prefix = ?2, updated_at = ?4
       WHERE id = ?5 AND revoked_at IS NULL`,
    )
    .bind(next.keyHash, next.prefix, next.previousExpiresAt, now, keyId);
}

export function revokeKeyStatement(db: D1Database, keyId: string, now: string): D1PreparedStatement {
  // The previous secret's hash stays, so that it too is answered "revoked", not "unknown".
  return db.prepare("UPDATE api_keys SET revoked_at = ?1, updated_at = ?1 WHERE id = ?2 AND revoked_at IS NULL").bind(now, keyId);
}
