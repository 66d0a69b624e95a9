-- Team server push targets (docs/team.md): what `cco push` and
-- `cco watch --push-to` last did for each server, and the privacy settings
-- every later push to it enforces. The URL is kept without its password;
-- credentials are never stored here.
CREATE TABLE push_targets (
  target            TEXT PRIMARY KEY,            -- server URL without password
  machine           TEXT,                        -- the machine name the server knows this database by
  usage_only        INTEGER NOT NULL DEFAULT 0,  -- 1: no message text, raw lines, titles or tool previews
  excluded_projects TEXT NOT NULL DEFAULT '',    -- newline-separated, as given (directory name or cwd)
  pushed_seq        INTEGER,                     -- the server's high-water mark at the last success
  rows_pushed       INTEGER NOT NULL DEFAULT 0,
  last_attempt_ms   INTEGER,
  last_success_ms   INTEGER,
  last_error        TEXT
);
