-- What a widened privacy setting still has to take back from the server
-- (src/push.h): recorded with the setting in one statement, cleared once
-- the server's transaction that clears or deletes it has committed, so a
-- push stopped in between takes it back again (clearing and deleting twice
-- change nothing).
ALTER TABLE push_targets ADD COLUMN take_back_text INTEGER NOT NULL DEFAULT 0;      -- 1: clear the text
ALTER TABLE push_targets ADD COLUMN take_back_projects TEXT NOT NULL DEFAULT '';   -- newline-separated, as given
