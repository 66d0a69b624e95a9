-- A tool's own run time, as its result reports it in toolUseResult
-- (durationMs, totalDurationMs, or durationSeconds x 1000, rounded); NULL
-- when the result carries none. duration_ms is this when set, else the gap
-- between the tool_use and tool_result lines (which also holds the wait for
-- the user's permission). Rows derived before this migration keep NULL here
-- and their line-gap duration_ms.
ALTER TABLE tool_executions ADD COLUMN tool_duration_ms INTEGER;
