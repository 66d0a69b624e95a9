-- Tool calls by 15-minute UTC bucket (every real zone's day boundary is a
-- bucket boundary) x project x tool x duration bin: counts by status, and a
-- histogram of durations, so a tool report over any range and its p95 read
-- a few rows per tool and day instead of every execution.
--
-- duration_bin is the call's duration_ms cut to three significant digits
-- (851 -> 851, 3042 -> 3040, 106525 -> 106000), -1 when the duration is
-- unknown (src/tool_rollups.h: DurationBin, tested to agree). A percentile read from it is
-- the lower bound of its bin: exact below one second, within 1 % above.
--
-- Kept by the triggers below from tool_executions, whoever writes it (the
-- deriver, rederive, forget, a script): an execution counts once its tool_use is
-- known (use_message_id, tool_name, started_ms, project_id), as in the
-- analytics rollups. Rows whose counts all fell to 0 may remain.
CREATE TABLE tool_rollups (
  bucket_ms       INTEGER NOT NULL,
  tool_name       TEXT NOT NULL,
  project_id      INTEGER NOT NULL REFERENCES projects(id),
  duration_bin    INTEGER NOT NULL,
  calls           INTEGER NOT NULL DEFAULT 0,
  errors          INTEGER NOT NULL DEFAULT 0,
  rejected        INTEGER NOT NULL DEFAULT 0,
  interrupted     INTEGER NOT NULL DEFAULT 0,
  pending         INTEGER NOT NULL DEFAULT 0,
  duration_sum_ms INTEGER NOT NULL DEFAULT 0,  -- of the calls with a known duration
  PRIMARY KEY (bucket_ms, tool_name, project_id, duration_bin)
) WITHOUT ROWID;

-- One execution's contribution, added (sign 1) or taken out (sign -1):
-- inserting into this empty view applies it to tool_rollups, so the bucket,
-- the bin and the upsert are written once for every trigger below.
CREATE VIEW tool_rollup_changes(sign, use_message_id, tool_name, project_id, started_ms, status, duration_ms) AS
  SELECT 0, NULL, NULL, NULL, NULL, NULL, NULL WHERE 0;

CREATE TRIGGER tool_rollup_changes_apply INSTEAD OF INSERT ON tool_rollup_changes
WHEN new.use_message_id IS NOT NULL AND new.tool_name IS NOT NULL AND new.project_id IS NOT NULL
 AND new.started_ms IS NOT NULL BEGIN
  INSERT INTO tool_rollups(bucket_ms, tool_name, project_id, duration_bin, calls, errors, rejected, interrupted,
                           pending, duration_sum_ms)
    VALUES (new.started_ms - ((new.started_ms % 900000) + 900000) % 900000, new.tool_name, new.project_id,
            CASE WHEN new.duration_ms IS NULL THEN -1 WHEN new.duration_ms < 1000 THEN new.duration_ms
                 ELSE CAST(substr(new.duration_ms, 1, 3) || substr('0000000000000000', 1, length(new.duration_ms) - 3)
                           AS INTEGER) END,
            new.sign, new.sign * (new.status = 'error'), new.sign * (new.status = 'rejected'),
            new.sign * (new.status = 'interrupted'), new.sign * (new.status = 'pending'),
            new.sign * coalesce(new.duration_ms, 0))
    ON CONFLICT DO UPDATE SET calls = calls + excluded.calls, errors = errors + excluded.errors,
      rejected = rejected + excluded.rejected, interrupted = interrupted + excluded.interrupted,
      pending = pending + excluded.pending, duration_sum_ms = duration_sum_ms + excluded.duration_sum_ms;
END;

INSERT INTO tool_rollup_changes
  SELECT 1, use_message_id, tool_name, project_id, started_ms, status, duration_ms FROM tool_executions;

CREATE TRIGGER tool_rollups_insert AFTER INSERT ON tool_executions BEGIN
  INSERT INTO tool_rollup_changes
    VALUES (1, new.use_message_id, new.tool_name, new.project_id, new.started_ms, new.status, new.duration_ms);
END;

CREATE TRIGGER tool_rollups_delete AFTER DELETE ON tool_executions BEGIN
  INSERT INTO tool_rollup_changes
    VALUES (-1, old.use_message_id, old.tool_name, old.project_id, old.started_ms, old.status, old.duration_ms);
END;

-- An upsert that revises an execution (its result arrives, its use is
-- replaced) takes the old contribution out and puts the new one in.
CREATE TRIGGER tool_rollups_update
AFTER UPDATE OF use_message_id, tool_name, started_ms, project_id, status, duration_ms ON tool_executions BEGIN
  INSERT INTO tool_rollup_changes
    VALUES (-1, old.use_message_id, old.tool_name, old.project_id, old.started_ms, old.status, old.duration_ms),
           (1, new.use_message_id, new.tool_name, new.project_id, new.started_ms, new.status, new.duration_ms);
END;
