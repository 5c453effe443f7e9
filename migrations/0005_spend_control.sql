-- Spend control: budgets and rate limits on teams and keys, cost on every usage row.

-- JSON or NULL. budget: {"limit_micro_usd": 50000000, "period": "month"} (day, month, total);
-- limits: {"requests_per_minute": 60, "tokens_per_minute": 100000} (either may be null).
-- The counters themselves live in the team's Durable Object (src/limits/team-limits.ts).
ALTER TABLE teams ADD COLUMN budget TEXT;
ALTER TABLE teams ADD COLUMN limits TEXT;
ALTER TABLE api_keys ADD COLUMN budget TEXT;
ALTER TABLE api_keys ADD COLUMN limits TEXT;

-- Integer micro-USD at the price in force at started_at (NULL: the model has no price),
-- and the price version used (prices.id).
ALTER TABLE usage_events ADD COLUMN cost_micro_usd INTEGER;
ALTER TABLE usage_events ADD COLUMN price_id TEXT;

-- A started request that holds a reservation: the sweep settles it when it closes the note.
ALTER TABLE usage_started ADD COLUMN reserved INTEGER NOT NULL DEFAULT 0;
