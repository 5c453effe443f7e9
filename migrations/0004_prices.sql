-- Prices: one row per price version of a model. A version is never edited or deleted:
-- a newer one supersedes it from its effective_from. The version in force at time t is
-- the one with the greatest effective_from <= t (ties: the greatest id, a UUIDv7).
--
-- Prices are exact integers: USD per million tokens × 10^6, which is pico-USD per token
-- ("0.59" USD/Mtok -> 590000). The API takes at most 6 decimals, so nothing is rounded.
CREATE TABLE prices (
  id                           TEXT PRIMARY KEY,   -- price_ + UUIDv7
  model                        TEXT NOT NULL,
  input_pico_per_token         INTEGER NOT NULL CHECK (input_pico_per_token >= 0),
  cached_input_pico_per_token  INTEGER NOT NULL CHECK (cached_input_pico_per_token >= 0),
  output_pico_per_token        INTEGER NOT NULL CHECK (output_pico_per_token >= 0),
  max_output_tokens            INTEGER NOT NULL CHECK (max_output_tokens > 0),
  context_window               INTEGER CHECK (context_window IS NULL OR context_window > 0),
  effective_from               TEXT NOT NULL,      -- toISOString(), never before created_at
  created_at                   TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX prices_model_effective ON prices(model, effective_from, id);
