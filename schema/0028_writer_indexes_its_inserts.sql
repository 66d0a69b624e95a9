-- The insert trigger of messages goes: the writer indexes every message at
-- or above the watermark (storage_state.fts_next_id) in bulk, before each of
-- its commits and when it opens (src/sqlite_store.cc: IndexNewMessages).
-- See docs/schema.md ("How the indexes are kept").
--
-- The trigger (0016, 0024) did nothing for the writer's own rows, but being
-- there it made each of the writer's inserts a statement that may abort
-- (it writes a virtual table), so SQLite copied every page the insert
-- touched into a statement journal first: 4 % of the writer's time in a
-- backfill, plus the trigger's WHEN per row. A message inserted by another
-- program is now indexed by the writer's next transaction rather than by
-- its own statement.
--
-- That insert must get an id at or above the watermark: SQLite hands out
-- the ids of the newest messages again once they are deleted, and the old
-- trigger indexed such a row at once. So the watermark now never lies above
-- the newest message: a delete that leaves it there moves it down (no row
-- lies between), in the delete trigger, after taking the row out of the
-- index (a 'delete' of a row the index does not hold would damage it).

DROP TRIGGER IF EXISTS messages_fts_insert;

DROP TRIGGER IF EXISTS messages_fts_delete;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
  INSERT INTO messages_fts(messages_fts, rowid, content)
    SELECT 'delete', old.id, cco_word_text(cco_text(old.content))
     WHERE old.id < (SELECT fts_next_id FROM storage_state WHERE id = 1);
  UPDATE storage_state SET fts_next_id = (SELECT coalesce(max(id), 0) + 1 FROM messages)
   WHERE id = 1 AND fts_next_id > (SELECT coalesce(max(id), 0) + 1 FROM messages);
END;

-- Newest messages deleted before this migration.
UPDATE storage_state SET fts_next_id = (SELECT coalesce(max(id), 0) + 1 FROM messages)
 WHERE id = 1 AND fts_next_id > (SELECT coalesce(max(id), 0) + 1 FROM messages);
