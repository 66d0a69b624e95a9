-- A transcript's rows in file order, and a conversation's events: the
-- conversation view finds each part's first line and its rows by file
-- (src/conversation.h) without scanning every message and event; export,
-- forget and check read by file too. See docs/schema.md (`messages`,
-- `events`).
CREATE INDEX messages_file ON messages(file_id, generation, byte_offset);
CREATE INDEX events_file ON events(file_id, generation, byte_offset);
CREATE INDEX events_conversation ON events(conversation_id, file_id);
