-- 0002: data derived incrementally inside the writer's transactions:
-- tool executions, the winning copy of every API response's usage, and the
-- analytics rollups the reports read. See docs/schema.md.

-- One row per tool_use_id. A tool_use block opens it (pending); the
-- tool_result with that id closes it, in any order, batch or file.
CREATE TABLE tool_executions (
  id                INTEGER PRIMARY KEY,
  tool_use_id       TEXT NOT NULL UNIQUE,
  conversation_id   INTEGER REFERENCES conversations(id),
  project_id        INTEGER REFERENCES projects(id),
  use_message_id    INTEGER REFERENCES messages(id),   -- the assistant line with the tool_use
  result_message_id INTEGER REFERENCES messages(id),   -- the user line with the tool_result
  tool_name         TEXT,                               -- NULL while only the result is known
  model             TEXT,
  input             TEXT,                               -- JSON
  status            TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'success', 'error', 'rejected', 'interrupted')),
  output            TEXT,                               -- result text, bounded
  started_ms        INTEGER,
  completed_ms      INTEGER,
  duration_ms       INTEGER
);
CREATE INDEX tool_executions_started ON tool_executions(started_ms);
CREATE INDEX tool_executions_tool ON tool_executions(tool_name, started_ms);
CREATE INDEX tool_executions_conversation ON tool_executions(conversation_id);

-- One row per distinct API response (a "slot"): the copy whose usage counts.
-- Copies share (api_message_id, request_id), or without a requestId
-- (api_message_id, session, timestamp); a sidechain replay of a message
-- (same message id and session, another requestId) joins its slot. The
-- winner is a non-sidechain copy, then the larger total, then the higher
-- cost, then one with usage.speed, then the smaller (path, offset), so the
-- result does not depend on arrival order. A line without message.id is
-- its own slot. Rules of `ccusage claude daily` (docs/token-accounting.md).
CREATE TABLE usage_winners (
  dedup_key        TEXT PRIMARY KEY,
  api_message_id   TEXT,
  request_id       TEXT,
  dsids            TEXT NOT NULL,                       -- '|'-joined sessions of the slot's copies
  source           TEXT NOT NULL CHECK (source IN ('message', 'event')),
  source_id        INTEGER NOT NULL,                    -- messages.id or events.id
  conversation_id  INTEGER NOT NULL REFERENCES conversations(id),
  project_id       INTEGER NOT NULL REFERENCES projects(id),
  report_session   TEXT NOT NULL,
  path             TEXT NOT NULL,
  byte_offset      INTEGER NOT NULL,
  is_sidechain     INTEGER NOT NULL,
  has_speed        INTEGER NOT NULL,
  timestamp_ms     INTEGER NOT NULL,
  model            TEXT NOT NULL,
  input_tokens          INTEGER NOT NULL,
  output_tokens         INTEGER NOT NULL,
  cache_creation_tokens INTEGER NOT NULL,
  cache_read_tokens     INTEGER NOT NULL,
  cost_nanousd          INTEGER NOT NULL,
  priced                INTEGER NOT NULL               -- 0 when the model has no price
);
CREATE INDEX usage_winners_api_id ON usage_winners(api_message_id);
CREATE INDEX usage_winners_session ON usage_winners(report_session, timestamp_ms);

-- Token rollups by 15-minute UTC bucket (every real zone's day boundary is a
-- bucket boundary) x project x model, one column per metric, maintained by
-- deltas from usage_winners: a winner's contribution is added when it wins
-- and subtracted when a better copy replaces it. Reports read only these.
-- Rows whose values all fell to 0 may remain.
CREATE TABLE token_rollups (
  bucket_ms             INTEGER NOT NULL,
  project_id            INTEGER NOT NULL REFERENCES projects(id),
  model                 TEXT NOT NULL,
  input_tokens          INTEGER NOT NULL DEFAULT 0,
  output_tokens         INTEGER NOT NULL DEFAULT 0,
  cache_creation_tokens INTEGER NOT NULL DEFAULT 0,
  cache_read_tokens     INTEGER NOT NULL DEFAULT 0,
  cost_nanousd          INTEGER NOT NULL DEFAULT 0,
  api_calls             INTEGER NOT NULL DEFAULT 0,   -- winning responses
  unpriced_calls        INTEGER NOT NULL DEFAULT 0,   -- of which the model has no price
  PRIMARY KEY (bucket_ms, project_id, model)
) WITHOUT ROWID;

-- The same by UTC hour and model, all projects together: what the daily,
-- weekly and monthly reports read for zones whose offsets are whole hours
-- (UTC and nearly every zone), a fraction of the 15-minute rows.
CREATE TABLE token_rollups_hourly (
  hour_ms               INTEGER NOT NULL,
  model                 TEXT NOT NULL,
  input_tokens          INTEGER NOT NULL DEFAULT 0,
  output_tokens         INTEGER NOT NULL DEFAULT 0,
  cache_creation_tokens INTEGER NOT NULL DEFAULT 0,
  cache_read_tokens     INTEGER NOT NULL DEFAULT 0,
  cost_nanousd          INTEGER NOT NULL DEFAULT 0,
  api_calls             INTEGER NOT NULL DEFAULT 0,
  unpriced_calls        INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (hour_ms, model)
) WITHOUT ROWID;

-- The same per report session (the file stem, or the parent session for
-- subagents/), for the session report.
CREATE TABLE session_token_rollups (
  report_session        TEXT NOT NULL,
  project_id            INTEGER NOT NULL REFERENCES projects(id),
  model                 TEXT NOT NULL,
  input_tokens          INTEGER NOT NULL DEFAULT 0,
  output_tokens         INTEGER NOT NULL DEFAULT 0,
  cache_creation_tokens INTEGER NOT NULL DEFAULT 0,
  cache_read_tokens     INTEGER NOT NULL DEFAULT 0,
  cost_nanousd          INTEGER NOT NULL DEFAULT 0,
  api_calls             INTEGER NOT NULL DEFAULT 0,
  unpriced_calls        INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (report_session, project_id, model)
) WITHOUT ROWID;

-- Activity counters by 15-minute UTC bucket x project x model x metric:
-- messages:<type> (model '' unless assistant), tool_calls:<tool>:<status>,
-- tool_duration_ms:<tool> and tool_durations:<tool> (sum and count of
-- known durations), attributed to the tool_use's time and model.
CREATE TABLE analytics (
  bucket_ms  INTEGER NOT NULL,
  project_id INTEGER NOT NULL REFERENCES projects(id),
  model      TEXT NOT NULL,      -- '' when the metric has no model
  metric     TEXT NOT NULL,
  value      INTEGER NOT NULL,
  PRIMARY KEY (bucket_ms, project_id, model, metric)
) WITHOUT ROWID;

-- Titles offered by summary lines, by the leaf message they name
-- (summary.leafUuid points into another session, which may be ingested
-- later). Kept after the leaf arrives, so later copies of it get the title
-- too.
-- (Key columns first: SQLite 3.40's integrity_check misreports NOT NULL
-- columns of WITHOUT ROWID tables whose key columns come later.)
CREATE TABLE pending_titles (
  leaf_uuid  TEXT NOT NULL,
  event_id   INTEGER NOT NULL REFERENCES events(id),
  title      TEXT NOT NULL,
  source     TEXT NOT NULL,
  PRIMARY KEY (leaf_uuid, event_id)
) WITHOUT ROWID;

ALTER TABLE conversations ADD COLUMN title_event_id INTEGER;
