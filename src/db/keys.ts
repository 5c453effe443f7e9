import type { KeyRecord } from "../auth/key-store";
import { limitPolicy } from "../limits/stored-policy";

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
  /** JSON (src/limits/stored-policy.ts) or null. */
  budget: string | null;
  limits: string | null;
  created_at: string;
  updated_at: string;
  last_used_at: string | null;
  previous_key_expires_at: string | null;
}

const PUBLIC_COLUMNS =
  "id, team_id, name, prefix, models, expires_at, revoked_at, metadata, budget, limits, created_at, updated_at, last_used_at, previous_key_expires_at";

/**
 * The key a secret belongs to: its current hash, or the previous one, which a
 * rotation kept so that the old secret is told apart from an unknown one: it
 * works until its grace period ends (replacedAt), then is refused as rotated.
 */
export async function findKeyByHash(db: D1Database, keyHash: string): Promise<KeyRecord | null> {
  // The team's budget and limits come along: one read gives the data plane all it needs.
  const row = await db
    .prepare(
      `SELECT ${PUBLIC_COLUMNS.split(", ")
        .map((column) => `k.${column}`)
        .join(", ")}, k.key_hash = ?1 AS is_current, t.budget AS team_budget, t.limits AS team_limits
       FROM api_keys k JOIN teams t ON t.id = k.team_id WHERE k.key_hash = ?1 OR k.previous_key_hash = ?1`,
    )
    .bind(keyHash)
    .first<KeyRow & { is_current: number; team_budget: string | null; team_limits: string | null }>();
  if (!row) return null;
  const record: KeyRecord = {
    id: row.id,
    teamId: row.team_id,
    prefix: row.prefix,
    models: row.models === null ? null : (JSON.parse(row.models) as string[]),
    expiresAt: row.expires_at === null ? null : Date.parse(row.expires_at),
    revoked: row.revoked_at !== null,
    limits: limitPolicy(row.team_id, { budget: row.team_budget, limits: row.team_limits }, row),
  };
  // A previous hash always has its grace end beside it; a missing one is read as "replaced at once".
  if (!row.is_current) record.replacedAt = row.previous_key_expires_at === null ? 0 : Date.parse(row.previous_key_expires_at);
  return record;
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
  /** Stored JSON, or null to remove. */
  budget?: string | null;
  limits?: string | null;
}

export function updateKeyStatement(db: D1Database, keyId: string, changes: KeyChanges, now: string): D1PreparedStatement {
  const columns: [string, unknown][] = [["updated_at", now]];
  if (changes.name !== undefined) columns.push(["name", changes.name]);
  if (changes.models !== undefined) columns.push(["models", changes.models === null ? null : JSON.stringify(changes.models)]);
  if (changes.expiresAt !== undefined) columns.push(["expires_at", changes.expiresAt]);
  if (changes.metadata !== undefined) columns.push(["metadata", JSON.stringify(changes.metadata)]);
  if (changes.budget !== undefined) columns.push(["budget", changes.budget]);
  if (changes.limits !== undefined) columns.push(["limits", changes.limits]);
  return (
    db
      // A key revoked since the route read it changes no row: the route answers 409 and audits nothing.
      .prepare(`UPDATE api_keys SET ${columns.map(([column]) => `${column} = ?`).join(", ")} WHERE id = ? AND revoked_at IS NULL`)
      .bind(...columns.map(([, value]) => value), keyId)
  );
}

/**
 * The secret in use becomes the previous one, kept until `previousExpiresAt` (the
 * rotation time itself when there is no grace period) so that it is then refused as
 * rotated rather than unknown. A revoked key changes no row.
 */
export function rotateKeyStatement(
  db: D1Database,
  keyId: string,
  next: { keyHash: string; prefix: string; previousExpiresAt: string },
  now: string,
): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE api_keys SET previous_key_hash = key_hash, previous_key_expires_at = ?3, key_hash = ?1, prefix = ?2, updated_at = ?4
       WHERE id = ?5 AND revoked_at IS NULL`,
    )
    .bind(next.keyHash, next.prefix, next.previousExpiresAt, now, keyId);
}

export function revokeKeyStatement(db: D1Database, keyId: string, now: string): D1PreparedStatement {
  // The previous secret's hash stays, so that it too is answered "revoked", not "unknown".
  // An already revoked key changes no row: a second, racing revoke is a 409 with no audit entry.
  return db.prepare("UPDATE api_keys SET revoked_at = ?1, updated_at = ?1 WHERE id = ?2 AND revoked_at IS NULL").bind(now, keyId);
}

export interface KeyListFilter {
  teamId?: string;
  status?: "active" | "expired" | "revoked";
  /** The start of the display prefix (e.g. "tgw_AbC"). */
  prefix?: string;
}

/** Keys across teams, oldest first, with their team's name. */
export async function listKeys(
  db: D1Database,
  filter: KeyListFilter,
  limit: number,
  after: { at: string; id: string } | undefined,
  now: string,
): Promise<(KeyRow & { team_name: string })[]> {
  const status =
    filter.status === "revoked"
      ? "k.revoked_at IS NOT NULL"
      : filter.status === "expired"
        ? "k.revoked_at IS NULL AND k.expires_at IS NOT NULL AND k.expires_at <= ?5"
        : filter.status === "active"
          ? "k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > ?5)"
          : "?5 IS NOT NULL";
  const { results } = await db
    .prepare(
      `SELECT ${PUBLIC_COLUMNS.split(", ")
        .map((column) => `k.${column}`)
        .join(", ")}, t.name AS team_name
       FROM api_keys k JOIN teams t ON t.id = k.team_id
       WHERE (?1 IS NULL OR k.team_id = ?1) AND (?2 IS NULL OR substr(k.prefix, 1, length(?2)) = ?2) AND ${status}
         AND (?3 IS NULL OR (k.created_at, k.id) > (?3, ?4))
       ORDER BY k.created_at, k.id LIMIT ?6`,
    )
    .bind(filter.teamId ?? null, filter.prefix ?? null, after?.at ?? null, after?.id ?? null, now, limit)
    .all<KeyRow & { team_name: string }>();
  return results;
}
