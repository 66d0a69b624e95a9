-- A conversation's lines on the dashboard (`cco serve --db postgresql://…`,
-- /api/conversation/SESSION): its events by machine and conversation, as
-- messages_conversation finds its messages, instead of every event of the
-- machine.
CREATE INDEX events_conversation ON events (machine, conversation_id);
