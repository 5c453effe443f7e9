-- Teams own gateway keys; usage_events is the billing ledger.
-- Timestamps are ISO-8601 UTC strings with milliseconds: they sort as text.

CREATE TABLE teams (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  metadata    TEXT NOT NULL DEFAULT '{}',
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL
);

-- A key's secret is never stored: only its SHA-256 (hex) and a display prefix.
CREATE TABLE api_keys (
  id            TEXT PRIMARY KEY,
  team_id       TEXT NOT NULL REFERENCES teams(id),
  name          TEXT NOT NULL,
  key_hash      TEXT NOT NULL UNIQUE,
  prefix        TEXT NOT NULL,
  models        TEXT,             -- JSON array of allowed model ids; NULL = every model
  expires_at    TEXT,
  revoked_at    TEXT,
  metadata      TEXT NOT NULL DEFAULT '{}',
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL,
  last_used_at  TEXT
);
CREATE INDEX api_keys_team ON api_keys(team_id, created_at);

-- One row per authenticated request. request_id (UUIDv7) is the idempotency key:
-- a redelivered queue message or a direct fallback write never counts twice.
CREATE TABLE usage_events (
  request_id         TEXT PRIMARY KEY,
  team_id            TEXT NOT NULL,
  key_id             TEXT NOT NULL,
  endpoint           TEXT NOT NULL,
  model              TEXT,
  stream             INTEGER NOT NULL,
  status             INTEGER NOT NULL,
  outcome            TEXT NOT NULL,
  finish_reason      TEXT,
  prompt_tokens      INTEGER NOT NULL,
  completion_tokens  INTEGER NOT NULL,
  total_tokens       INTEGER NOT NULL,
  cached_tokens      INTEGER NOT NULL,
  reasoning_tokens   INTEGER NOT NULL,
  usage_source       TEXT NOT NULL,
  started_at         TEXT NOT NULL,
  ttfb_ms            INTEGER,
  duration_ms        INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX usage_events_time ON usage_events(started_at, request_id);
CREATE INDEX usage_events_team_time ON usage_events(team_id, started_at);
CREATE INDEX usage_events_key_time ON usage_events(key_id, started_at);
