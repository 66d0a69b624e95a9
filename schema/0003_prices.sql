-- 0003: model_prices, the per-model token prices `cco report` uses for cost, chosen so
-- that our costs match `ccusage claude daily --offline` (ccusage v20.0.24).
--
-- Source of the numbers: the LiteLLM pricing data set (model_prices_and_context_window.json)
-- that ccusage 20.0.24 (published 2026-09-22) embeds in its native binary and uses with
-- --offline. They were read out of that binary and confirmed with ccusage itself, one token
-- kind at a time, on 2026-11-22. Where the `source` column says so, the row also equals
-- Anthropic's published list price (USD per million tokens; cache write 5m = 1.25 x input,
-- cache write 1h = 2 x input, cache read = 0.1 x input).
-- No code was copied; this is data.
--
-- All prices are USD per million tokens (MTok). How ccusage 20.0.24 uses them, for each
-- deduplicated API response (never per day or per session):
--   cost = f(input_tokens,              input_per_mtok,          input_above_tier_per_mtok)
--        + f(output_tokens,             output_per_mtok,         output_above_tier_per_mtok)
--        + f(cache_5m_tokens,           cache_write_5m_per_mtok, cache_write_above_tier_per_mtok)
--        + f(cache_1h_tokens,           cache_write_1h_per_mtok, cache_write_1h_above_tier_per_mtok)
--        + f(cache_read_input_tokens,   cache_read_per_mtok,     cache_read_above_tier_per_mtok)
--   then x fast_multiplier when usage.speed = "fast".
--   f(n, base, above) = n * base / 1e6                        if above IS NULL or n <= threshold
--                     = (T * base + (n - T) * above) / 1e6     otherwise, T = tier_threshold_tokens
--   The tier is marginal and per bucket: each token kind is compared with the 200k threshold
--   on its own (ccusage does not switch the whole request to long-context rates, unlike
--   Anthropic's own billing rule for long context).
--   cache_5m_tokens / cache_1h_tokens = usage.cache_creation.ephemeral_5m_input_tokens /
--   ephemeral_1h_input_tokens when the nested usage.cache_creation object exists (a missing
--   member counts 0); otherwise cache_5m_tokens = cache_creation_input_tokens, cache_1h = 0.
--   A model with no row here costs 0 (ccusage flags it "missingPricing"). A line's own costUSD,
--   if present, replaces the computed cost (ccusage's default --mode auto).
--
-- Columns beyond the original design, because ccusage's formula needs them:
--   cache_write_1h_above_tier_per_mtok  ccusage prices 1h cache writes at 2 x the input rate,
--                                       also above the tier (2 x input_above_tier_per_mtok);
--   fast_multiplier                     applied to the whole cost of a speed:"fast" response
--                                       (whose model is then reported as "<model>-fast").
-- Model lookup in ccusage is exact first, then a fuzzy/prefix match (e.g. a date-suffixed or
-- "anthropic/"-prefixed name resolves to its base model). We store exact names; cco's lookup
-- then tries the name without an "anthropic/" prefix, a "[1m]" suffix or a -YYYYMMDD suffix.

CREATE TABLE model_prices (
  model                              TEXT PRIMARY KEY,
  input_per_mtok                     REAL NOT NULL,
  output_per_mtok                    REAL NOT NULL,
  cache_write_5m_per_mtok            REAL NOT NULL,
  cache_write_1h_per_mtok            REAL NOT NULL,
  cache_read_per_mtok                REAL NOT NULL,
  tier_threshold_tokens              INTEGER NULL,   -- NULL: no tiered pricing
  input_above_tier_per_mtok          REAL NULL,
  output_above_tier_per_mtok         REAL NULL,
  cache_write_above_tier_per_mtok    REAL NULL,      -- 5m cache writes above the tier
  cache_read_above_tier_per_mtok     REAL NULL,
  cache_write_1h_above_tier_per_mtok REAL NULL,
  fast_multiplier                    REAL NOT NULL DEFAULT 1.0,
  source                             TEXT NOT NULL,
  as_of                              TEXT NOT NULL    -- date of the price snapshot (ccusage release)
);

INSERT INTO model_prices (model, input_per_mtok, output_per_mtok, cache_write_5m_per_mtok,
  cache_write_1h_per_mtok, cache_read_per_mtok, tier_threshold_tokens, input_above_tier_per_mtok,
  output_above_tier_per_mtok, cache_write_above_tier_per_mtok, cache_read_above_tier_per_mtok,
  cache_write_1h_above_tier_per_mtok, fast_multiplier, source, as_of) VALUES
  -- models seen in the corpus
  ('claude-opus-4-6', 5, 25, 6.25, 10, 0.5, NULL, NULL, NULL, NULL, NULL, NULL, 6.0,
   'ccusage 20.0.24 offline snapshot (LiteLLM model_prices_and_context_window.json)', '2026-09-22'),
  ('claude-sonnet-4-20250514', 3, 15, 3.75, 6, 0.3, 200000, 6, 22.5, 7.5, 0.6, 12, 1.0,
   'ccusage 20.0.24 offline snapshot (LiteLLM model_prices_and_context_window.json); equals Anthropic published list price', '2026-09-22'),
  ('claude-sonnet-4-5-20250929', 3, 15, 3.75, 6, 0.3, 200000, 6, 22.5, 7.5, 0.6, 12, 1.0,
   'ccusage 20.0.24 offline snapshot (LiteLLM model_prices_and_context_window.json); equals Anthropic published list price', '2026-09-22'),
  ('claude-haiku-4-5-20251001', 1, 5, 1.25, 2, 0.1, NULL, NULL, NULL, NULL, NULL, NULL, 1.0,
   'ccusage 20.0.24 offline snapshot (LiteLLM model_prices_and_context_window.json); equals Anthropic published list price', '2026-09-22'),
  ('claude-opus-4-5-20251101', 5, 25, 6.25, 10, 0.5, NULL, NULL, NULL, NULL, NULL, NULL, 1.0,
   'ccusage 20.0.24 offline snapshot (LiteLLM model_prices_and_context_window.json); equals Anthropic published list price', '2026-09-22'),
  ('claude-opus-4-7', 5, 25, 6.25, 10, 0.5, NULL, NULL, NULL, NULL, NULL, NULL, 6.0,
   'ccusage 20.0.24 offline snapshot (LiteLLM model_prices_and_context_window.json)', '2026-09-22'),
  ('claude-opus-4-20250514', 15, 75, 18.75, 30, 1.5, NULL, NULL, NULL, NULL, NULL, NULL, 1.0,
   'ccusage 20.0.24 offline snapshot (LiteLLM model_prices_and_context_window.json); equals Anthropic published list price', '2026-09-22'),
  ('claude-opus-4-1-20250805', 15, 75, 18.75, 30, 1.5, NULL, NULL, NULL, NULL, NULL, NULL, 1.0,
   'ccusage 20.0.24 offline snapshot (LiteLLM model_prices_and_context_window.json); equals Anthropic published list price', '2026-09-22'),
  -- other Claude models in the same snapshot (undated aliases, older and newer models)
  ('claude-3-7-sonnet-20250219', 3, 15, 3.75, 6, 0.3, NULL, NULL, NULL, NULL, NULL, NULL, 1.0,
   'ccusage 20.0.24 offline snapshot (LiteLLM model_prices_and_context_window.json); equals Anthropic published list price', '2026-09-22'),
  ('claude-3-haiku-20240307', 0.25, 1.25, 0.3, 0.5, 0.03, NULL, NULL, NULL, NULL, NULL, NULL, 1.0,
   'ccusage 20.0.24 offline snapshot (LiteLLM model_prices_and_context_window.json); equals Anthropic published list price', '2026-09-22'),
  ('claude-3-opus-20240229', 15, 75, 18.75, 30, 1.5, NULL, NULL, NULL, NULL, NULL, NULL, 1.0,
   'ccusage 20.0.24 offline snapshot (LiteLLM model_prices_and_context_window.json); equals Anthropic published list price', '2026-09-22'),
  ('claude-4-opus-20250514', 15, 75, 18.75, 30, 1.5, NULL, NULL, NULL, NULL, NULL, NULL, 1.0,
   'ccusage 20.0.24 offline snapshot (LiteLLM model_prices_and_context_window.json); equals Anthropic published list price', '2026-09-22'),
  ('claude-4-sonnet-20250514', 3, 15, 3.75, 6, 0.3, 200000, 6, 22.5, 7.5, 0.6, 12, 1.0,
   'ccusage 20.0.24 offline snapshot (LiteLLM model_prices_and_context_window.json); equals Anthropic published list price', '2026-09-22'),
  ('claude-fable-5', 10, 50, 12.5, 20, 1, NULL, NULL, NULL, NULL, NULL, NULL, 1.0,
   'ccusage 20.0.24 offline snapshot (LiteLLM model_prices_and_context_window.json)', '2026-09-22'),
  ('claude-fable-5-1', 10, 50, 12.5, 20, 0.25, NULL, NULL, NULL, NULL, NULL, NULL, 1.0,
   'ccusage 20.0.24 offline snapshot (LiteLLM model_prices_and_context_window.json)', '2026-09-22'),
  ('claude-haiku-4-5', 1, 5, 1.25, 2, 0.1, NULL, NULL, NULL, NULL, NULL, NULL, 1.0,
   'ccusage 20.0.24 offline snapshot (LiteLLM model_prices_and_context_window.json); equals Anthropic published list price', '2026-09-22'),
  ('claude-mythos-5', 10, 50, 12.5, 20, 1, NULL, NULL, NULL, NULL, NULL, NULL, 1.0,
   'ccusage 20.0.24 offline snapshot (LiteLLM model_prices_and_context_window.json)', '2026-09-22'),
  ('claude-mythos-5-1', 10, 50, 12.5, 20, 0.25, NULL, NULL, NULL, NULL, NULL, NULL, 1.0,
   'ccusage 20.0.24 offline snapshot (LiteLLM model_prices_and_context_window.json)', '2026-09-22'),
  ('claude-mythos-preview', 10, 50, 12.5, 20, 1, NULL, NULL, NULL, NULL, NULL, NULL, 1.0,
   'ccusage 20.0.24 offline snapshot (LiteLLM model_prices_and_context_window.json)', '2026-09-22'),
  ('claude-opus-4-1', 15, 75, 18.75, 30, 1.5, NULL, NULL, NULL, NULL, NULL, NULL, 1.0,
   'ccusage 20.0.24 offline snapshot (LiteLLM model_prices_and_context_window.json); equals Anthropic published list price', '2026-09-22'),
  ('claude-opus-4-5', 5, 25, 6.25, 10, 0.5, NULL, NULL, NULL, NULL, NULL, NULL, 1.0,
   'ccusage 20.0.24 offline snapshot (LiteLLM model_prices_and_context_window.json); equals Anthropic published list price', '2026-09-22'),
  ('claude-opus-4-6-20260205', 5, 25, 6.25, 10, 0.5, NULL, NULL, NULL, NULL, NULL, NULL, 1.0,
   'ccusage 20.0.24 offline snapshot (LiteLLM model_prices_and_context_window.json)', '2026-09-22'),
  ('claude-opus-4-7-20260416', 5, 25, 6.25, 10, 0.5, NULL, NULL, NULL, NULL, NULL, NULL, 1.0,
   'ccusage 20.0.24 offline snapshot (LiteLLM model_prices_and_context_window.json)', '2026-09-22'),
  ('claude-opus-4-8', 5, 25, 6.25, 10, 0.5, NULL, NULL, NULL, NULL, NULL, NULL, 2.0,
   'ccusage 20.0.24 offline snapshot (LiteLLM model_prices_and_context_window.json)', '2026-09-22'),
  ('claude-opus-5', 5, 25, 6.25, 10, 0.5, NULL, NULL, NULL, NULL, NULL, NULL, 2.0,
   'ccusage 20.0.24 offline snapshot (LiteLLM model_prices_and_context_window.json)', '2026-09-22'),
  ('claude-sonnet-4-5', 3, 15, 3.75, 6, 0.3, 200000, 6, 22.5, 7.5, 0.6, 12, 1.0,
   'ccusage 20.0.24 offline snapshot (LiteLLM model_prices_and_context_window.json); equals Anthropic published list price', '2026-09-22'),
  ('claude-sonnet-4-6', 3, 15, 3.75, 6, 0.3, NULL, NULL, NULL, NULL, NULL, NULL, 1.0,
   'ccusage 20.0.24 offline snapshot (LiteLLM model_prices_and_context_window.json)', '2026-09-22'),
  ('claude-sonnet-5', 2, 10, 2.5, 4, 0.2, NULL, NULL, NULL, NULL, NULL, NULL, 1.0,
   'ccusage 20.0.24 offline snapshot (LiteLLM model_prices_and_context_window.json)', '2026-09-22');
