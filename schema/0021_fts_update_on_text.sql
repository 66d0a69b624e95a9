-- The full-text indexes follow a message's text, not its stored bytes: a
-- row re-encoded (a newer compression dictionary, or the dictionaries
-- replaced by `cco forget`) keeps its text, and its index entries are left
-- alone instead of deleted and written again. Only the update trigger
-- changes; see docs/schema.md ("How the indexes are kept").
DROP TRIGGER messages_fts_update;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF content, trigram ON messages
  WHEN old.id < (SELECT fts_next_id FROM storage_state WHERE id = 1)
   AND (new.trigram IS NOT old.trigram OR cco_text(new.content) IS NOT cco_text(old.content)) BEGIN
  INSERT INTO messages_fts(messages_fts, rowid, content)
    SELECT 'delete', old.id, cco_text(old.content) WHERE cco_text(new.content) IS NOT cco_text(old.content);
  INSERT INTO messages_fts(rowid, content)
    SELECT new.id, cco_text(new.content) WHERE cco_text(new.content) IS NOT cco_text(old.content);
  INSERT INTO messages_trigram(messages_trigram, rowid, content)
    SELECT 'delete', old.id, cco_text(old.content) WHERE old.trigram = 1;
  INSERT INTO messages_trigram(rowid, content)
    SELECT new.id, cco_text(new.content) WHERE new.trigram = 1;
END;
