-- cco forget: a session or a project purged, with a tombstone (kind
-- 'session' or 'project', key the session id or the project's directory
-- name) that the writer honours: their lines are passed over, and counted in
-- their file's forgotten_lines, so that every line before read_position is
-- still accounted for exactly once (a row, a quarantined line, a duplicate
-- or a forgotten line). `cco forget --undo` removes the tombstone.
ALTER TABLE files ADD COLUMN forgotten_lines INTEGER NOT NULL DEFAULT 0;
CREATE INDEX tombstones_key ON tombstones(kind, key);
