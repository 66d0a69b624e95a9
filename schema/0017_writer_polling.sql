-- Why the running `cco watch` also walks its roots every few seconds (the
-- inotify watch limit reached, or a root inotify cannot watch); NULL when
-- everything is watched. Shown by `cco status` (docs/schema.md, "writer_state").
ALTER TABLE writer_state ADD COLUMN polling TEXT;
