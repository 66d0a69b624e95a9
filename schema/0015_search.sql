-- Search: a kind for every message, a trigram index for the messages written
-- in scripts without spaces, views for people. See docs/schema.md
-- ("Message kinds", "Full-text search", "Views for people").

-- What the message is to a reader (src/message_kind.h), as a small integer
-- that message_kinds names (a name in every row would cost ~10 bytes a
-- message, past the storage goal). Rows stored before this migration hold
-- NULL until the writer's backfill has classified them (in batches, one
-- transaction each, so an interrupted backfill resumes). Two partial
-- indexes, not one over every row (0.44% of the transcripts' size): the
-- prompts by time (the `prompts` view), and the rows the backfill has still
-- to classify. Other kinds are reached through the full-text index or a
-- conversation.
CREATE VIEW message_kinds(id, name) AS VALUES
  (1, 'prompt'), (2, 'agent-prompt'), (3, 'response'), (4, 'thinking'), (5, 'tool-use'),
  (6, 'tool-result'), (7, 'compaction-summary'), (8, 'meta'), (9, 'system');
ALTER TABLE messages ADD COLUMN kind INTEGER;
CREATE INDEX messages_prompts ON messages(timestamp_ms) WHERE kind = 1;
CREATE INDEX messages_unclassified ON messages(kind) WHERE kind IS NULL;

-- 1 when the searchable text holds characters of a script written without
-- spaces (Han, Kana, Hangul, Thai, …): such a message is also in
-- messages_trigram. Set by the writer; by the backfill for older rows.
ALTER TABLE messages ADD COLUMN trigram INTEGER NOT NULL DEFAULT 0;
CREATE INDEX messages_trigram_rows ON messages(trigram) WHERE trigram = 1;

-- A trigram index over those messages only (the word index treats a run of
-- Han or Kana as one token). External content, like messages_fts.
CREATE VIEW messages_text_trigram(id, content) AS
  SELECT id, cco_text(content) FROM messages WHERE trigram = 1;
CREATE VIRTUAL TABLE messages_trigram USING fts5(
  content, content='messages_text_trigram', content_rowid='id', tokenize='trigram');
CREATE TRIGGER messages_trigram_insert AFTER INSERT ON messages WHEN new.trigram = 1 BEGIN
  INSERT INTO messages_trigram(rowid, content) VALUES (new.id, cco_text(new.content));
END;
CREATE TRIGGER messages_trigram_delete AFTER DELETE ON messages WHEN old.trigram = 1 BEGIN
  INSERT INTO messages_trigram(messages_trigram, rowid, content) VALUES ('delete', old.id, cco_text(old.content));
END;
CREATE TRIGGER messages_trigram_update AFTER UPDATE OF content, trigram ON messages
  WHEN old.trigram = 1 OR new.trigram = 1 BEGIN
  INSERT INTO messages_trigram(messages_trigram, rowid, content)
    SELECT 'delete', old.id, cco_text(old.content) WHERE old.trigram = 1;
  INSERT INTO messages_trigram(rowid, content)
    SELECT new.id, cco_text(new.content) WHERE new.trigram = 1;
END;

-- Views for people: readable times (UTC, ISO 8601), names instead of ids.
CREATE VIEW prompts AS
SELECT m.id AS message_id, m.uuid,
       strftime('%Y-%m-%dT%H:%M:%fZ', m.timestamp_ms / 1000.0, 'unixepoch') AS time_utc,
       coalesce(p.cwd, p.dir_name) AS project, c.session_id, m.is_sidechain,
       cco_text(m.content) AS prompt, m.timestamp_ms
FROM messages m
JOIN conversations c ON c.id = m.conversation_id
LEFT JOIN projects p ON p.id = c.project_id
WHERE m.kind = 1;

CREATE VIEW daily_usage AS
SELECT date(t.bucket_ms / 1000, 'unixepoch') AS day_utc,
       coalesce(p.cwd, p.dir_name) AS project, t.model,
       sum(t.api_calls) AS api_calls,
       sum(t.input_tokens) AS input_tokens, sum(t.output_tokens) AS output_tokens,
       sum(t.cache_creation_tokens) AS cache_creation_tokens, sum(t.cache_read_tokens) AS cache_read_tokens,
       sum(t.input_tokens + t.output_tokens + t.cache_creation_tokens + t.cache_read_tokens) AS total_tokens,
       round(sum(t.cost_nanousd) / 1e9, 6) AS cost_usd,
       sum(t.unpriced_calls) AS unpriced_calls
FROM token_rollups t
LEFT JOIN projects p ON p.id = t.project_id
GROUP BY day_utc, t.project_id, t.model
HAVING sum(t.api_calls) != 0;

CREATE VIEW tool_calls AS
SELECT t.tool_use_id, t.tool_name, t.status,
       strftime('%Y-%m-%dT%H:%M:%fZ', t.started_ms / 1000.0, 'unixepoch') AS started_utc,
       t.duration_ms, coalesce(p.cwd, p.dir_name) AS project, c.session_id, t.model,
       t.input AS input_preview, t.output AS output_preview,
       um.uuid AS use_uuid, rm.uuid AS result_uuid, t.started_ms
FROM tool_executions t
LEFT JOIN conversations c ON c.id = t.conversation_id
LEFT JOIN projects p ON p.id = t.project_id
LEFT JOIN messages um ON um.id = t.use_message_id
LEFT JOIN messages rm ON rm.id = t.result_message_id;
