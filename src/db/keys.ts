import type { KeyRecord } from "../auth/key-store";

interface KeyRow {
  id: string;
  team_id: string;
  prefix: string;
  models: string | null;
  expires_at: string | null;
  revoked_at: string | null;
}

export async function findKeyByHash(db: D1Database, keyHash: string): Promise<KeyRecord | null> {
  const row = await db
    .prepare("SELECT id, team_id, prefix, models, expires_at, revoked_at FROM api_keys WHERE key_hash = ?")
    .bind(keyHash)
    .first<KeyRow>();
  if (!row) return null;
  return {
    id: row.id,
    teamId: row.team_id,
    prefix: row.prefix,
    models: row.models === null ? null : (JSON.parse(row.models) as string[]),
    expiresAt: row.expires_at === null ? null : Date.parse(row.expires_at),
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
