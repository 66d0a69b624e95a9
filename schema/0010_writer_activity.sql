-- What the writer holding the lock is doing, so that `cco status` from any
-- shell shows which command writes, the roots it reads and how far its walk
-- of them has come (docs/schema.md, "writer_state"). Times are NULL or 0
-- when written by `cco replay`, which keeps no clock.
ALTER TABLE writer_state ADD COLUMN command TEXT;             -- 'watch', 'rescan' or 'replay'
ALTER TABLE writer_state ADD COLUMN walk_started_ms INTEGER;  -- the writer's last walk of its roots began
ALTER TABLE writer_state ADD COLUMN walk_updated_ms INTEGER;  -- its progress was last recorded
ALTER TABLE writer_state ADD COLUMN walk_done_ms INTEGER;     -- everything it found is committed; NULL: not yet
ALTER TABLE writer_state ADD COLUMN walk_files INTEGER;       -- transcripts the walk found
ALTER TABLE writer_state ADD COLUMN walk_files_read INTEGER;  -- of them, read and committed
ALTER TABLE writer_state ADD COLUMN walk_bytes INTEGER;       -- bytes it found not yet committed
ALTER TABLE writer_state ADD COLUMN walk_bytes_read INTEGER;  -- of them, committed

-- The roots the writer reads (its --root values or the defaults, resolved).
CREATE TABLE writer_roots (
  root TEXT PRIMARY KEY
) WITHOUT ROWID;
