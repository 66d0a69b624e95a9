-- Storage: each byte once, compressed; a change sequence for replication.
-- See docs/schema.md ("Compression", "Change sequence").

-- zstd dictionaries trained on this database's own rows. A compressed value
-- (a BLOB) names its dictionary in its frame header; dictionaries are never
-- changed or deleted while a row uses them, so old rows stay readable.
CREATE TABLE zstd_dictionaries (
  id           INTEGER PRIMARY KEY,   -- the zstd dictionary ID in each frame's header
  kind         TEXT NOT NULL CHECK (kind IN ('line', 'text')), -- raw lines, or searchable text
  created_seq  INTEGER NOT NULL UNIQUE, -- 1, 2, …: the newest of a kind compresses new rows
  created_ms   INTEGER NOT NULL,
  samples      INTEGER NOT NULL,      -- values it was trained on
  sample_bytes INTEGER NOT NULL,
  dict         BLOB NOT NULL
);

-- The writer's storage bookkeeping (one row).
CREATE TABLE storage_state (
  id                    INTEGER PRIMARY KEY CHECK (id = 1),
  change_seq            INTEGER NOT NULL DEFAULT 0, -- the last change sequence handed out
  -- Rows stored before the newest line dictionary existed are recompressed
  -- with it, a bounded number per transaction: ids below *_below, from
  -- *_next on. 0/0: nothing to do.
  recompress_messages_next  INTEGER NOT NULL DEFAULT 0,
  recompress_messages_below INTEGER NOT NULL DEFAULT 0,
  recompress_events_next    INTEGER NOT NULL DEFAULT 0,
  recompress_events_below   INTEGER NOT NULL DEFAULT 0
);
INSERT INTO storage_state(id) VALUES (1);

-- Change sequence: a writer-assigned, strictly increasing number set on
-- every insert and every change of a row that a reader elsewhere may
-- replicate. Rows written before this migration carry 0 (read them in
-- (change_seq, id) order).
ALTER TABLE messages ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tool_executions ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_winners ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE projects ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 0;
CREATE INDEX messages_change ON messages(change_seq);
CREATE INDEX events_change ON events(change_seq);
CREATE INDEX tool_executions_change ON tool_executions(change_seq);
CREATE INDEX usage_winners_change ON usage_winners(change_seq);
CREATE INDEX conversations_change ON conversations(change_seq);
CREATE INDEX projects_change ON projects(change_seq);

-- Deletions a replica must follow, each with its own change sequence:
-- `forget` (a session or project purged), and `rederive` (every row of the
-- named derived table with a lower change_seq is gone; the rebuilt rows
-- carry higher ones).
CREATE TABLE tombstones (
  change_seq   INTEGER PRIMARY KEY,
  kind         TEXT NOT NULL,          -- session | project | rederive
  table_name   TEXT,                   -- for rederive
  key          TEXT,                   -- session id or project directory name
  created_ms   INTEGER NOT NULL
);

-- Quarantined lines: TEXT holds the bytes as read (invalid UTF-8 included);
-- BLOB is now a zstd frame, as in messages and events.
UPDATE quarantine SET raw = CAST(raw AS TEXT) WHERE typeof(raw) = 'blob';

-- Full-text search reads the searchable text through a view that
-- decompresses it (FTS5 external content may be a view); snippet() and
-- highlight() need cco_text(): cco registers it on every connection, other
-- tools load the extension (libcco_sqlite).
DROP TRIGGER messages_fts_insert;
DROP TRIGGER messages_fts_delete;
DROP TRIGGER messages_fts_update;
DROP TABLE messages_fts;
CREATE VIEW messages_text(id, content) AS SELECT id, cco_text(content) FROM messages;
CREATE VIRTUAL TABLE messages_fts USING fts5(
  content, content='messages_text', content_rowid='id', tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
  INSERT INTO messages_fts(rowid, content) VALUES (new.id, cco_text(new.content));
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
  INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.id, cco_text(old.content));
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN
  INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.id, cco_text(old.content));
  INSERT INTO messages_fts(rowid, content) VALUES (new.id, cco_text(new.content));
END;
INSERT INTO messages_fts(messages_fts) VALUES ('rebuild');

-- project_cwds is maintained by the writer from each stored message's parsed
-- cwd (the trigger read the raw JSON, which is now compressed).
DROP TRIGGER project_cwds_insert;

-- Tool executions keep bounded previews of their input and output (256
-- bytes each); the full text is in the messages they reference
-- (use_message_id, result_message_id).
INSERT INTO rederive_requests(reason)
  SELECT '0011: tool inputs and outputs kept as 256-byte previews; change sequence'
   WHERE EXISTS (SELECT 1 FROM messages) OR EXISTS (SELECT 1 FROM events);
