-- Ledger at scale: an hourly roll-up per team, key, model and outcome, kept exact by
-- triggers in the same transaction as the raw row. A raw row counts once: the insert
-- trigger fires only when the row is new (INSERT … ON CONFLICT DO NOTHING of a
-- redelivery inserts nothing), and the one update a row can get (a final record
-- superseding the sweep's `interrupted` stand-in) moves its figures. Deleting raw rows
-- (retention, after export) leaves the roll-ups as they are: they are kept for ever.
CREATE TABLE usage_hourly (
  hour                TEXT NOT NULL,     -- UTC hour of started_at: "2026-12-01T13"
  team_id             TEXT NOT NULL,
  key_id              TEXT NOT NULL,
  model               TEXT NOT NULL,     -- char(0) for no model (a NULL cannot be part of a key)
  outcome             TEXT NOT NULL,
  requests            INTEGER NOT NULL,
  prompt_tokens       INTEGER NOT NULL,
  completion_tokens   INTEGER NOT NULL,
  total_tokens        INTEGER NOT NULL,
  cached_tokens       INTEGER NOT NULL,
  reasoning_tokens    INTEGER NOT NULL,
  cost_micro_usd      INTEGER NOT NULL,  -- of the priced records
  unpriced_requests   INTEGER NOT NULL,  -- records whose cost is NULL
  estimated_requests  INTEGER NOT NULL,  -- records with usage_source 'estimated'
  PRIMARY KEY (hour, team_id, key_id, model, outcome)
) WITHOUT ROWID;
CREATE INDEX usage_hourly_team ON usage_hourly(team_id, hour);
CREATE INDEX usage_hourly_key ON usage_hourly(key_id, hour);

CREATE TRIGGER usage_events_rollup_insert AFTER INSERT ON usage_events BEGIN
  INSERT INTO usage_hourly VALUES (
    substr(NEW.started_at, 1, 13), NEW.team_id, NEW.key_id, IFNULL(NEW.model, char(0)), NEW.outcome,
    1, NEW.prompt_tokens, NEW.completion_tokens, NEW.total_tokens, NEW.cached_tokens, NEW.reasoning_tokens,
    IFNULL(NEW.cost_micro_usd, 0), NEW.cost_micro_usd IS NULL, NEW.usage_source = 'estimated')
  ON CONFLICT (hour, team_id, key_id, model, outcome) DO UPDATE SET
    requests = requests + 1,
    prompt_tokens = prompt_tokens + excluded.prompt_tokens,
    completion_tokens = completion_tokens + excluded.completion_tokens,
    total_tokens = total_tokens + excluded.total_tokens,
    cached_tokens = cached_tokens + excluded.cached_tokens,
    reasoning_tokens = reasoning_tokens + excluded.reasoning_tokens,
    cost_micro_usd = cost_micro_usd + excluded.cost_micro_usd,
    unpriced_requests = unpriced_requests + excluded.unpriced_requests,
    estimated_requests = estimated_requests + excluded.estimated_requests;
END;

CREATE TRIGGER usage_events_rollup_update AFTER UPDATE ON usage_events BEGIN
  UPDATE usage_hourly SET
    requests = requests - 1,
    prompt_tokens = prompt_tokens - OLD.prompt_tokens,
    completion_tokens = completion_tokens - OLD.completion_tokens,
    total_tokens = total_tokens - OLD.total_tokens,
    cached_tokens = cached_tokens - OLD.cached_tokens,
    reasoning_tokens = reasoning_tokens - OLD.reasoning_tokens,
    cost_micro_usd = cost_micro_usd - IFNULL(OLD.cost_micro_usd, 0),
    unpriced_requests = unpriced_requests - (OLD.cost_micro_usd IS NULL),
    estimated_requests = estimated_requests - (OLD.usage_source = 'estimated')
  WHERE hour = substr(OLD.started_at, 1, 13) AND team_id = OLD.team_id AND key_id = OLD.key_id
    AND model = IFNULL(OLD.model, char(0)) AND outcome = OLD.outcome;
  DELETE FROM usage_hourly WHERE requests = 0 AND hour = substr(OLD.started_at, 1, 13) AND team_id = OLD.team_id
    AND key_id = OLD.key_id AND model = IFNULL(OLD.model, char(0)) AND outcome = OLD.outcome;
  INSERT INTO usage_hourly VALUES (
    substr(NEW.started_at, 1, 13), NEW.team_id, NEW.key_id, IFNULL(NEW.model, char(0)), NEW.outcome,
    1, NEW.prompt_tokens, NEW.completion_tokens, NEW.total_tokens, NEW.cached_tokens, NEW.reasoning_tokens,
    IFNULL(NEW.cost_micro_usd, 0), NEW.cost_micro_usd IS NULL, NEW.usage_source = 'estimated')
  ON CONFLICT (hour, team_id, key_id, model, outcome) DO UPDATE SET
    requests = requests + 1,
    prompt_tokens = prompt_tokens + excluded.prompt_tokens,
    completion_tokens = completion_tokens + excluded.completion_tokens,
    total_tokens = total_tokens + excluded.total_tokens,
    cached_tokens = cached_tokens + excluded.cached_tokens,
    reasoning_tokens = reasoning_tokens + excluded.reasoning_tokens,
    cost_micro_usd = cost_micro_usd + excluded.cost_micro_usd,
    unpriced_requests = unpriced_requests + excluded.unpriced_requests,
    estimated_requests = estimated_requests + excluded.estimated_requests;
END;

-- Rows written before this migration.
INSERT INTO usage_hourly
  SELECT substr(started_at, 1, 13), team_id, key_id, IFNULL(model, char(0)), outcome, COUNT(*), SUM(prompt_tokens),
    SUM(completion_tokens), SUM(total_tokens), SUM(cached_tokens), SUM(reasoning_tokens), IFNULL(SUM(cost_micro_usd), 0),
    SUM(cost_micro_usd IS NULL), SUM(usage_source = 'estimated')
  FROM usage_events GROUP BY 1, 2, 3, 4, 5;
