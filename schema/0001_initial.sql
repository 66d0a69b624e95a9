-- 0001: the ingest tables. Timestamps are INTEGER milliseconds since the Unix
-- epoch, UTC. JSON columns hold valid JSON. See docs/schema.md.

CREATE TABLE projects (
  id            INTEGER PRIMARY KEY,
  dir_name      TEXT NOT NULL UNIQUE,   -- first directory under projects/, e.g. -home-alice-webapp
  cwd           TEXT,                   -- the real working directory, from the lines' cwd
  first_seen_ms INTEGER NOT NULL
);

CREATE TABLE conversations (
  id               INTEGER PRIMARY KEY,
  session_id       TEXT NOT NULL UNIQUE, -- Claude Code sessionId (agent files belong to their parent)
  project_id       INTEGER NOT NULL REFERENCES projects(id),
  title            TEXT,
  title_source     TEXT,                 -- custom-title, ai-title or summary
  message_count    INTEGER NOT NULL DEFAULT 0,
  tool_use_count   INTEGER NOT NULL DEFAULT 0,
  total_tokens     INTEGER NOT NULL DEFAULT 0,
  started_ms       INTEGER,
  ended_ms         INTEGER
);
CREATE INDEX conversations_project ON conversations(project_id);

-- A transcript's name relative to its projects/ root
-- ("<project>/<session>.jsonl", "<project>/<session>/subagents/agent-<id>.jsonl").
-- Copies of one transcript under two roots (a config directory copied to
-- another) share a stream, so lines without a uuid are not stored twice.
CREATE TABLE streams (
  id    INTEGER PRIMARY KEY,
  name  TEXT NOT NULL UNIQUE
);

-- One row per transcript path. read_position sits just after a '\n' (only
-- `cco replay`, which treats files as complete, also takes a final line
-- without one): every non-blank line before it, in every generation, is
-- accounted for once, as a row, a quarantine entry or a duplicate. Blank
-- lines carry nothing and are passed over.
CREATE TABLE files (
  id             INTEGER PRIMARY KEY,
  path           TEXT NOT NULL UNIQUE,
  root           TEXT NOT NULL,          -- the projects/ directory it was found under
  project_id     INTEGER NOT NULL REFERENCES projects(id),
  stream_id      INTEGER NOT NULL REFERENCES streams(id),
  session_id     TEXT NOT NULL,          -- session the path implies: the stem, or the parent
                                         -- directory for <session>/subagents/; lines' own
                                         -- sessionId decides their conversation
  agent_id       TEXT,                   -- for agent-*.jsonl files
  report_session TEXT NOT NULL,          -- ccusage's session key: stem, or parent dir for subagents/
  dev            INTEGER NOT NULL,
  inode          INTEGER NOT NULL,
  size           INTEGER NOT NULL,       -- size when last read
  mtime_ns       INTEGER NOT NULL,
  generation     INTEGER NOT NULL DEFAULT 1, -- bumped when the file is re-read from 0
  read_position  INTEGER NOT NULL DEFAULT 0,
  line_count     INTEGER NOT NULL DEFAULT 0, -- complete lines consumed in this generation
  head_len       INTEGER NOT NULL DEFAULT 0, -- fingerprint of the first bytes
  head_checksum  INTEGER NOT NULL DEFAULT 0,
  checksum_len   INTEGER NOT NULL DEFAULT 0, -- xxh64 of the bytes just before read_position
  checksum       INTEGER NOT NULL DEFAULT 0,
  first_seen_ms  INTEGER NOT NULL,
  updated_ms     INTEGER NOT NULL,
  archived_ms    INTEGER                  -- set when the source disappeared; history stays
);
CREATE INDEX files_inode ON files(dev, inode);

-- Conversational lines: user, assistant, system.
CREATE TABLE messages (
  id                    INTEGER PRIMARY KEY,  -- FTS rowid
  conversation_id       INTEGER NOT NULL REFERENCES conversations(id),
  file_id               INTEGER NOT NULL REFERENCES files(id),
  stream_id             INTEGER NOT NULL REFERENCES streams(id),
  generation            INTEGER NOT NULL,
  byte_offset           INTEGER NOT NULL,
  line_hash             INTEGER NOT NULL,
  occurrence            INTEGER,              -- lines without uuid: nth identical line in its file
  uuid                  TEXT,
  parent_uuid           TEXT,                 -- not enforced: parents may live elsewhere
  type                  TEXT NOT NULL,        -- user | assistant | system
  subtype               TEXT,
  timestamp_ms          INTEGER,
  model                 TEXT,
  api_message_id        TEXT,                 -- message.id, shared by streamed lines
  request_id            TEXT,
  is_sidechain          INTEGER NOT NULL DEFAULT 0,
  is_meta               INTEGER NOT NULL DEFAULT 0,
  agent_id              TEXT,
  input_tokens          INTEGER,
  output_tokens         INTEGER,
  cache_creation_tokens INTEGER,
  cache_read_tokens     INTEGER,
  content               TEXT NOT NULL,        -- searchable text
  raw                   TEXT NOT NULL         -- the line's JSON, verbatim
);
CREATE UNIQUE INDEX messages_uuid ON messages(conversation_id, uuid) WHERE uuid IS NOT NULL;
CREATE UNIQUE INDEX messages_line ON messages(stream_id, line_hash, occurrence) WHERE uuid IS NULL;
CREATE INDEX messages_conversation_time ON messages(conversation_id, timestamp_ms);
CREATE INDEX messages_by_uuid ON messages(uuid);
CREATE INDEX messages_api_id ON messages(api_message_id) WHERE api_message_id IS NOT NULL;

-- Every other line type (summary, progress, file-history-snapshot,
-- queue-operation, attachment, unknown ones), raw JSON kept.
CREATE TABLE events (
  id              INTEGER PRIMARY KEY,
  conversation_id INTEGER NOT NULL REFERENCES conversations(id),
  file_id         INTEGER NOT NULL REFERENCES files(id),
  stream_id       INTEGER NOT NULL REFERENCES streams(id),
  generation      INTEGER NOT NULL,
  byte_offset     INTEGER NOT NULL,
  line_hash       INTEGER NOT NULL,
  occurrence      INTEGER,             -- only for lines without uuid
  uuid            TEXT,
  type            TEXT NOT NULL,
  subtype         TEXT,                -- data.type, operation, attachment.type …
  timestamp_ms    INTEGER,
  raw             TEXT NOT NULL
);
CREATE UNIQUE INDEX events_uuid ON events(conversation_id, uuid) WHERE uuid IS NOT NULL;
CREATE UNIQUE INDEX events_line ON events(stream_id, line_hash, occurrence) WHERE uuid IS NULL;
CREATE INDEX events_type ON events(type);

-- Lines that could not be taken: not JSON, not an object, too long.
CREATE TABLE quarantine (
  id            INTEGER PRIMARY KEY,
  file_id       INTEGER NOT NULL REFERENCES files(id),
  stream_id     INTEGER NOT NULL REFERENCES streams(id),
  generation    INTEGER NOT NULL,
  byte_offset   INTEGER NOT NULL,
  length        INTEGER NOT NULL,      -- bytes of the line, without its '\n'
  line_hash     INTEGER NOT NULL,
  occurrence    INTEGER NOT NULL,
  reason        TEXT NOT NULL,
  raw           BLOB NOT NULL,         -- the line, or its first bytes when raw_truncated
  raw_truncated INTEGER NOT NULL DEFAULT 0,
  quarantined_ms INTEGER NOT NULL
);
CREATE UNIQUE INDEX quarantine_line ON quarantine(stream_id, line_hash, occurrence);

-- Lines whose key is already stored: seen again after a file was re-read
-- from 0 (replacement, rotation, copy-truncate), or a copy of a stored
-- message in another file of the same session. Recorded here instead of
-- stored twice.
CREATE TABLE duplicates (
  file_id     INTEGER NOT NULL REFERENCES files(id),
  generation  INTEGER NOT NULL,
  byte_offset INTEGER NOT NULL,
  line_hash   INTEGER NOT NULL,
  kind        TEXT NOT NULL,           -- message | event | quarantine
  PRIMARY KEY (file_id, generation, byte_offset)
) WITHOUT ROWID;
CREATE INDEX duplicates_hash ON duplicates(file_id, generation, line_hash);

-- Full-text search over messages.content, external content keyed on the
-- messages rowid, maintained by triggers with the FTS5 'delete' command.
CREATE VIRTUAL TABLE messages_fts USING fts5(
  content, content='messages', content_rowid='id', tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
  INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
  INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN
  INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
  INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content);
END;

-- The running writer's heartbeat, read by `cco status`.
CREATE TABLE writer_state (
  id            INTEGER PRIMARY KEY CHECK (id = 1),
  pid           INTEGER,
  started_ms    INTEGER,
  heartbeat_ms  INTEGER,                -- refreshed every few seconds while it runs
  queue_depth   INTEGER NOT NULL DEFAULT 0
);
