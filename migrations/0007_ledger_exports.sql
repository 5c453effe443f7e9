-- Exports of the raw ledger to R2 (src/ledger/export.ts) and what retention did with them
-- (src/ledger/retention.ts): one row per UTC hour of started_at that had raw rows.
--
-- The parts of an hour: parts[0 .. verified_parts) were verified against D1 before any of
-- their rows was deleted and are never rewritten; the parts after them (the tail) hold the
-- hour's rows recorded after verified_through (all rows while nothing is verified) and are
-- rewritten whole by a re-export. Raw rows are deleted only up to verified_through.
CREATE TABLE ledger_exports (
  hour               TEXT PRIMARY KEY,   -- "2026-12-01T13", as usage_hourly keys it
  schema_version     INTEGER,
  parts              INTEGER NOT NULL DEFAULT 0,
  rows               INTEGER NOT NULL DEFAULT 0,
  prompt_tokens      INTEGER NOT NULL DEFAULT 0,
  completion_tokens  INTEGER NOT NULL DEFAULT 0,
  total_tokens       INTEGER NOT NULL DEFAULT 0,
  cached_tokens      INTEGER NOT NULL DEFAULT 0,
  reasoning_tokens   INTEGER NOT NULL DEFAULT 0,
  cost_micro_usd     INTEGER NOT NULL DEFAULT 0,
  unpriced_rows      INTEGER NOT NULL DEFAULT 0,
  estimated_rows     INTEGER NOT NULL DEFAULT 0,
  manifest_key       TEXT,
  manifest_sha256    TEXT,               -- of the manifest object's bytes
  manifest           TEXT,               -- the manifest as written to R2
  recorded_through   INTEGER,            -- greatest recorded_at among the exported rows
  exported_at        TEXT,               -- NULL while an export of the hour is under way
  stale              INTEGER NOT NULL DEFAULT 0,   -- a row of the hour was written after the export read it
  verified_parts     INTEGER NOT NULL DEFAULT 0,
  verified_through   INTEGER,            -- rows with recorded_at <= this are in verified parts
  verified_at        TEXT,
  pruned_rows        INTEGER NOT NULL DEFAULT 0,
  pruned_at          TEXT                -- every verified row of the hour deleted
) WITHOUT ROWID;

-- A late record (a final record superseding an `interrupted` stand-in, a dead letter replayed
-- days later) marks its exported hour stale in the same transaction as the row: the next cron
-- run re-exports the hour, and retention prunes nothing of a stale hour.
CREATE TRIGGER usage_events_export_stale_insert AFTER INSERT ON usage_events BEGIN
  UPDATE ledger_exports SET stale = 1 WHERE hour = substr(NEW.started_at, 1, 13) AND stale = 0;
END;

CREATE TRIGGER usage_events_export_stale_update AFTER UPDATE ON usage_events BEGIN
  UPDATE ledger_exports SET stale = 1
  WHERE hour IN (substr(NEW.started_at, 1, 13), substr(OLD.started_at, 1, 13)) AND stale = 0;
END;
