-- Deferred full-text indexing. See docs/schema.md ("Full-text search").
--
-- An insert trigger firing per message made FTS5 (SQLite 3.40) flush its
-- pending terms to a new segment at every statement savepoint: one segment
-- per message. The writer now indexes the messages it stored in one bulk
-- INSERT … SELECT per batch, in the batch's own transaction, just before it
-- commits.
--
-- storage_state.fts_next_id is the watermark: messages_fts (and
-- messages_trigram for the rows with trigram = 1) hold exactly the messages
-- with id < fts_next_id. The writer moves it in the transaction that indexes
-- the rows, so a killed writer leaves both or neither. Every committed state
-- has no message at or above it: the writer catches up before each commit,
-- and any other connection's insert is indexed by the trigger below.
ALTER TABLE storage_state ADD COLUMN fts_next_id INTEGER NOT NULL DEFAULT 1;
-- Everything stored so far was indexed by the per-row triggers.
UPDATE storage_state SET fts_next_id = (SELECT coalesce(max(id), 0) + 1 FROM messages) WHERE id = 1;

DROP TRIGGER messages_fts_insert;
DROP TRIGGER messages_fts_delete;
DROP TRIGGER messages_fts_update;
DROP TRIGGER messages_trigram_insert;
DROP TRIGGER messages_trigram_delete;
DROP TRIGGER messages_trigram_update;

-- An insert the writer leaves to its bulk step (cco_fts_deferred() is 1 on
-- the writer's connection, 0 on every other) unless its id is below the
-- watermark (an id reused after the newest rows were deleted). Any other
-- connection indexes the rows from the watermark up to its row and moves the
-- watermark past it.
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages
  WHEN NOT cco_fts_deferred() OR new.id < (SELECT fts_next_id FROM storage_state WHERE id = 1) BEGIN
  INSERT INTO messages_fts(rowid, content)
    SELECT id, cco_text(content) FROM messages
     WHERE id >= (SELECT fts_next_id FROM storage_state WHERE id = 1) AND id <= new.id;
  INSERT INTO messages_trigram(rowid, content)
    SELECT id, cco_text(content) FROM messages
     WHERE id >= (SELECT fts_next_id FROM storage_state WHERE id = 1) AND id <= new.id AND trigram = 1;
  INSERT INTO messages_fts(rowid, content)
    SELECT new.id, cco_text(new.content) WHERE new.id < (SELECT fts_next_id FROM storage_state WHERE id = 1);
  INSERT INTO messages_trigram(rowid, content)
    SELECT new.id, cco_text(new.content)
     WHERE new.trigram = 1 AND new.id < (SELECT fts_next_id FROM storage_state WHERE id = 1);
  UPDATE storage_state SET fts_next_id = new.id + 1 WHERE id = 1 AND fts_next_id <= new.id;
END;

-- Deletes and changes touch the index only for indexed rows: FTS5's
-- 'delete' of a row it does not hold would damage the index. A row at or
-- above the watermark is indexed with its final text by the bulk step.
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
  WHEN old.id < (SELECT fts_next_id FROM storage_state WHERE id = 1) BEGIN
  INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.id, cco_text(old.content));
  INSERT INTO messages_trigram(messages_trigram, rowid, content)
    SELECT 'delete', old.id, cco_text(old.content) WHERE old.trigram = 1;
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF content, trigram ON messages
  WHEN old.id < (SELECT fts_next_id FROM storage_state WHERE id = 1) BEGIN
  INSERT INTO messages_fts(messages_fts, rowid, content)
    SELECT 'delete', old.id, cco_text(old.content) WHERE new.content IS NOT old.content;
  INSERT INTO messages_fts(rowid, content)
    SELECT new.id, cco_text(new.content) WHERE new.content IS NOT old.content;
  INSERT INTO messages_trigram(messages_trigram, rowid, content)
    SELECT 'delete', old.id, cco_text(old.content) WHERE old.trigram = 1;
  INSERT INTO messages_trigram(rowid, content)
    SELECT new.id, cco_text(new.content) WHERE new.trigram = 1;
END;
