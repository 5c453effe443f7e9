-- Operators: named admin credentials with a role (src/admin/operators.ts). Number 0008 is left to the
-- team-archiving migration written alongside; D1 applies migrations in name order, gaps allowed.

-- An operator's token is stored as its SHA-256 only (like api_keys.key_hash); `prefix` is the
-- non-secret display label. team_ids: JSON array of team ids, non-empty for team_admin, [] otherwise.
-- email: the Cloudflare Access identity mapped to this operator (stored lower-case), or NULL.
-- Rotation has no grace period: the replaced token stops at once (the row keeps no old hash).
CREATE TABLE operators (
  id          TEXT PRIMARY KEY,   -- op_ + UUIDv7
  name        TEXT NOT NULL,
  role        TEXT NOT NULL CHECK (role IN ('owner', 'team_admin', 'viewer')),
  team_ids    TEXT NOT NULL DEFAULT '[]',
  email       TEXT,
  token_hash  TEXT NOT NULL,
  prefix      TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  revoked_at  TEXT
);
CREATE UNIQUE INDEX operators_token_hash ON operators(token_hash);
-- Unique among live operators only: a revoked operator's email may be given to a new one.
CREATE UNIQUE INDEX operators_email ON operators(email) WHERE email IS NOT NULL AND revoked_at IS NULL;
CREATE INDEX operators_created ON operators(created_at, id);

-- Who made each change. `actor` stays for rows written before operators existed ("admin");
-- new rows carry the operator's id in actor and actor_id, and its name as it was then.
ALTER TABLE audit_log ADD COLUMN actor_id TEXT;
ALTER TABLE audit_log ADD COLUMN actor_name TEXT;
CREATE INDEX audit_log_actor ON audit_log(actor_id, id);
