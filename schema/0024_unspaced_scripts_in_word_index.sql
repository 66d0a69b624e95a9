-- Scripts written without spaces (Han, Kana, Hangul, Thai, …) move into the
-- word index; the trigram index goes. See docs/schema.md ("Full-text search").
--
-- messages_fts now tokenizes cco_word_text(cco_text(content)): the text with
-- each character of such a script set apart by U+200B, which unicode61
-- takes for a separator. Each such character is a word of its own, with its
-- position, so a query word written in them (`悬空`, `サンドボックス`, and
-- one or two characters as well) is looked up as the phrase of its
-- characters, and a word written against them (`cache` in `build-cache后`)
-- is a word like any other. Ranking, snippets, FTS5 syntax and prefixes work
-- on them as on every word. messages_trigram (0015, 0023) found candidates
-- that had to be confirmed by reading each one's text, and ranked only by
-- tokenizing it again: a common word took seconds.
--
-- Only rows whose split text differs from their text change in the index:
-- those holding such a script (trigram = 1, the column's name kept; rows
-- the kind backfill has not reached yet have kind NULL and are looked at as
-- well). Rows at or above the deferred-indexing watermark (0016) are not in
-- the index yet: the writer's bulk step indexes them with the new text.

DROP TRIGGER messages_fts_insert;
DROP TRIGGER messages_fts_delete;
DROP TRIGGER messages_fts_update;
DROP TABLE messages_trigram;
DROP VIEW messages_text_trigram;
DROP INDEX messages_trigram_rows;

-- Out with each such row's tokens as they were indexed, in with the split
-- text's.
INSERT INTO messages_fts(messages_fts, rowid, content)
  SELECT 'delete', id, cco_text(content) FROM messages
   WHERE (trigram = 1 OR kind IS NULL) AND id < (SELECT fts_next_id FROM storage_state WHERE id = 1)
     AND cco_word_text(cco_text(content)) IS NOT cco_text(content);
INSERT INTO messages_fts(rowid, content)
  SELECT id, cco_word_text(cco_text(content)) FROM messages
   WHERE (trigram = 1 OR kind IS NULL) AND id < (SELECT fts_next_id FROM storage_state WHERE id = 1)
     AND cco_word_text(cco_text(content)) IS NOT cco_text(content);

-- The external content FTS5 reads (snippets, `cco check`'s integrity-check).
DROP VIEW messages_text;
CREATE VIEW messages_text(id, content) AS SELECT id, cco_word_text(cco_text(content)) FROM messages;

-- The triggers of 0016/0021 without the trigram index, on the split text.
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages
  WHEN NOT cco_fts_deferred() OR new.id < (SELECT fts_next_id FROM storage_state WHERE id = 1) BEGIN
  INSERT INTO messages_fts(rowid, content)
    SELECT id, cco_word_text(cco_text(content)) FROM messages
     WHERE id >= (SELECT fts_next_id FROM storage_state WHERE id = 1) AND id <= new.id;
  INSERT INTO messages_fts(rowid, content)
    SELECT new.id, cco_word_text(cco_text(new.content))
     WHERE new.id < (SELECT fts_next_id FROM storage_state WHERE id = 1);
  UPDATE storage_state SET fts_next_id = new.id + 1 WHERE id = 1 AND fts_next_id <= new.id;
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
  WHEN old.id < (SELECT fts_next_id FROM storage_state WHERE id = 1) BEGIN
  INSERT INTO messages_fts(messages_fts, rowid, content)
    VALUES ('delete', old.id, cco_word_text(cco_text(old.content)));
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages
  WHEN old.id < (SELECT fts_next_id FROM storage_state WHERE id = 1)
   AND cco_text(new.content) IS NOT cco_text(old.content) BEGIN
  INSERT INTO messages_fts(messages_fts, rowid, content)
    VALUES ('delete', old.id, cco_word_text(cco_text(old.content)));
  INSERT INTO messages_fts(rowid, content) VALUES (new.id, cco_word_text(cco_text(new.content)));
END;

-- Messages by time, newest first: `cco search --newest` walks it and asks the
-- index about each message when a word's matches are many (src/search.cc),
-- instead of ordering every match.
CREATE INDEX messages_time ON messages(timestamp_ms);
