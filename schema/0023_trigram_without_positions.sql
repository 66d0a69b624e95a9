-- The trigram index keeps which messages hold each trigram, not where
-- (detail=none): a fifth to a tenth of its size with positions, where it
-- was the largest index of a database with Chinese or Japanese text. A word
-- is then looked up as its trigrams (each alone, all required) and the
-- candidates are confirmed by comparing their text (src/search.cc); see
-- docs/schema.md ("Scripts written without spaces"). The triggers name the
-- table, not its options, and stay as they are. It holds the same rows as
-- before: those below the deferred-indexing watermark (0016).
DROP TABLE messages_trigram;
CREATE VIRTUAL TABLE messages_trigram USING fts5(
  content, content='messages_text_trigram', content_rowid='id', tokenize='trigram', detail=none);
INSERT INTO messages_trigram(rowid, content)
  SELECT id, content FROM messages_text_trigram WHERE id < (SELECT fts_next_id FROM storage_state WHERE id = 1);
