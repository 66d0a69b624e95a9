-- Revisions: a keyed line (a uuid within its session) seen again with other
-- bytes — a transcript rewritten with the final usage filled in, a copy
-- after a compaction boundary — is a revision of the stored row. The row
-- shows the revision chosen by a fixed order that ignores arrival (see
-- docs/schema.md, "Revisions"); stop_reason is part of that order.
ALTER TABLE messages ADD COLUMN stop_reason TEXT;
-- Rows stored before this migration: from their raw line (valid JSON by
-- construction; json_valid guards anyway).
UPDATE messages SET stop_reason = json_extract(raw, '$.message.stop_reason')
  WHERE type = 'assistant' AND json_valid(raw);
-- How many other revisions of this row were seen (0: never rewritten).
ALTER TABLE messages ADD COLUMN revisions INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN revisions INTEGER NOT NULL DEFAULT 0;
