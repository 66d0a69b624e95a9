-- Chunks the writer refused because they did not continue their file's
-- committed state (see docs/schema.md, "Refused chunks"). A refusal is not
-- an error: the reader re-reads the committed state and the file, and no
-- line is lost or stored twice. The count covers the database's life.
ALTER TABLE writer_state ADD COLUMN refused_chunks INTEGER NOT NULL DEFAULT 0;
ALTER TABLE writer_state ADD COLUMN last_refusal TEXT;
ALTER TABLE writer_state ADD COLUMN last_refusal_ms INTEGER;
