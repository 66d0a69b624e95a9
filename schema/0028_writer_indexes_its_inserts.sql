-- The insert trigger of messages goes: the writer indexes every message at
-- or above the watermark (storage_state.fts_next_id) in bulk, at the start
-- and end of each of its transactions and when it opens (src/sqlite_store.cc:
-- IndexNewMessages). See docs/schema.md ("How the indexes are kept").
--
-- The trigger (0016, 0024) did nothing for the writer's own rows, but being
-- there it made each of the writer's inserts a statement that may abort
-- (it writes a virtual table), so SQLite copied every page the insert
-- touched into a statement journal first: 4 % of the writer's time in a
-- backfill, plus the trigger's WHEN per row. A message inserted by another
-- program is now indexed by the writer's next transaction rather than by
-- its own statement; the ids SQLite hands out again after the newest
-- messages were deleted are brought above the watermark first (the
-- watermark moves down to the newest message; no row lies between).
-- The delete and update triggers stay.

DROP TRIGGER IF EXISTS messages_fts_insert;
