-- Key broker: rotation with a grace period, unique team names, and the audit log.

-- During a rotation's grace period the previous secret keeps working until
-- previous_key_expires_at; the key keeps its id, so its usage stays on one key.
ALTER TABLE api_keys ADD COLUMN previous_key_hash TEXT;
ALTER TABLE api_keys ADD COLUMN previous_key_expires_at TEXT;
CREATE UNIQUE INDEX api_keys_previous_hash ON api_keys(previous_key_hash) WHERE previous_key_hash IS NOT NULL;

CREATE UNIQUE INDEX teams_name ON teams(name);
CREATE INDEX teams_created ON teams(created_at, id);

-- Every admin change. before/after hold the public views (never a secret or a hash).
CREATE TABLE audit_log (
  id           TEXT PRIMARY KEY,   -- UUIDv7: sorts by time
  at           TEXT NOT NULL,
  actor        TEXT NOT NULL,
  action       TEXT NOT NULL,
  target_type  TEXT NOT NULL,
  target_id    TEXT NOT NULL,
  before       TEXT,
  after        TEXT
);
CREATE INDEX audit_log_target ON audit_log(target_id, id);
