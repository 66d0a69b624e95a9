-- A tool's own run time, as its result reports it in toolUseResult
-- (durationMs, totalDurationMs, or durationSeconds x 1000, rounded); NULL
-- when the result carries none. duration_ms is this when set, else the gap
-- between the tool_use and tool_result lines (which also holds the wait for
-- the user's permission).
ALTER TABLE tool_executions ADD COLUMN tool_duration_ms INTEGER;
-- The rules changed (durations above; statuses from the result's structured
-- fields, the rejection and interruption texts only as the prefix of an
-- is_error result): rows derived before are rebuilt from the stored lines.
INSERT INTO rederive_requests(reason)
  SELECT '0008: tools'' own durations; tool status from structured fields, texts only as the prefix'
         || ' of an error result'
   WHERE EXISTS (SELECT 1 FROM messages) OR EXISTS (SELECT 1 FROM events);
