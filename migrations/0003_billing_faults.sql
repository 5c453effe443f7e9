-- Billing truth under faults: started notes, dead letters, and when each row landed.

-- A request the gateway forwarded and has not yet recorded. The final record deletes
-- its note; the sweep turns a note older than INTERRUPTED_AFTER_SECONDS into an
-- `interrupted` record. A note never counts as usage on its own.
CREATE TABLE usage_started (
  request_id     TEXT PRIMARY KEY,
  team_id        TEXT NOT NULL,
  key_id         TEXT NOT NULL,
  endpoint       TEXT NOT NULL,
  model          TEXT,
  stream         INTEGER NOT NULL,
  started_at     TEXT NOT NULL,
  prompt_tokens  INTEGER NOT NULL,
  costs_tokens   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX usage_started_time ON usage_started(started_at);

-- Usage queue messages that ran out of retries, parked by the dead-letter consumer
-- until POST /admin/usage/replay applies them (idempotently, by request id).
CREATE TABLE usage_dead_letters (
  message_id  TEXT PRIMARY KEY,
  request_id  TEXT,
  body        TEXT NOT NULL,   -- the message as sent (a usage record or started note: no secret)
  error       TEXT NOT NULL,
  attempts    INTEGER NOT NULL,
  parked_at   TEXT NOT NULL
);
CREATE INDEX usage_dead_letters_parked ON usage_dead_letters(parked_at);

-- Epoch ms at which the consumer (or the direct fallback, or the sweep) wrote the row:
-- with started_at + duration_ms it gives the ledger's lag. NULL on rows from before.
ALTER TABLE usage_events ADD COLUMN recorded_at INTEGER;
