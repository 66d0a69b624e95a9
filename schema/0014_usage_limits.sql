-- Claude Code's usage-limit notices (src/usage_limit.h): one row per stored
-- message that says a plan's limit was reached, with the reset time when the
-- notice gives one. Derived from messages like tool_executions: written with
-- the message, rebuilt by rederive, gone with its message.
CREATE TABLE usage_limits (
  message_id      INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
  conversation_id INTEGER NOT NULL REFERENCES conversations(id),
  timestamp_ms    INTEGER NOT NULL,    -- the notice's line
  reset_ms        INTEGER,             -- when the limit resets; NULL when the notice gives no placeable time
  text            TEXT NOT NULL        -- the notice, at most 200 bytes
);
CREATE INDEX usage_limits_time ON usage_limits(timestamp_ms);
-- Notices stored before this table are found again from the stored lines.
INSERT INTO rederive_requests(reason)
  SELECT '0014: usage-limit notices'
   WHERE EXISTS (SELECT 1 FROM messages WHERE model = '<synthetic>');
