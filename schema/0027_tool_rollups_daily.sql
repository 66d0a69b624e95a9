-- Tool calls per UTC day, and no tool rollup row left at 0. See
-- docs/schema.md ("tool_rollups_daily").
--
-- A long-range tool report read every 15-minute row of tool_rollups (0018):
-- with calls spread over many projects and a histogram bin per duration,
-- about one row per call (455,576 rows for 305,010 calls at 1M messages,
-- a third of them at 0, left behind when revisions took calls out).
-- tool_rollups_daily holds one row per UTC day, tool and project, with its
-- histogram in one JSON object (duration bin -> calls): 24,409 rows there.
-- A report reads the days from it and, where a day of its zone does not
-- start at a UTC midnight, corrects the part of each UTC day that lies on
-- the other side of the zone's midnight with the 15-minute rows
-- (src/report.cc: ToolPeriods), so counts stay exact in every zone; bins are
-- tool_rollups' (three significant digits), so the p95 is as before.
--
-- tool_rollups_daily is tool_rollups summed per UTC day (`cco check`
-- compares them, src/tool_rollups.h).

DELETE FROM tool_rollups
 WHERE calls = 0 AND errors = 0 AND rejected = 0 AND interrupted = 0 AND pending = 0 AND duration_sum_ms = 0;

CREATE TABLE tool_rollups_daily (
  day_ms          INTEGER NOT NULL,  -- UTC midnight
  tool_name       TEXT NOT NULL,
  project_id      INTEGER NOT NULL REFERENCES projects(id),
  calls           INTEGER NOT NULL DEFAULT 0,
  errors          INTEGER NOT NULL DEFAULT 0,
  rejected        INTEGER NOT NULL DEFAULT 0,
  interrupted     INTEGER NOT NULL DEFAULT 0,
  pending         INTEGER NOT NULL DEFAULT 0,
  duration_sum_ms INTEGER NOT NULL DEFAULT 0,   -- of the calls in `durations`
  durations       TEXT NOT NULL DEFAULT '{}',  -- {"duration_bin": calls, ...}, bins >= 0 with calls != 0
  PRIMARY KEY (day_ms, tool_name, project_id)
) WITHOUT ROWID;

INSERT INTO tool_rollups_daily(day_ms, tool_name, project_id, calls, errors, rejected, interrupted, pending,
                               duration_sum_ms, durations)
  SELECT day_ms, tool_name, project_id, sum(calls), sum(errors), sum(rejected), sum(interrupted), sum(pending),
         coalesce(sum(duration_sum_ms) FILTER (WHERE duration_bin >= 0), 0),
         json_group_object(duration_bin, calls) FILTER (WHERE duration_bin >= 0)
    FROM (SELECT bucket_ms - ((bucket_ms % 86400000) + 86400000) % 86400000 AS day_ms, tool_name, project_id,
                 duration_bin, sum(calls) AS calls, sum(errors) AS errors, sum(rejected) AS rejected,
                 sum(interrupted) AS interrupted, sum(pending) AS pending, sum(duration_sum_ms) AS duration_sum_ms
            FROM tool_rollups GROUP BY 1, 2, 3, 4)
   GROUP BY 1, 2, 3;

-- One execution's contribution with its bucket and bin worked out (by
-- tool_rollup_changes_apply below): inserting into this empty view applies
-- it to both tables, and deletes a row whose counts fell to 0.
CREATE VIEW tool_rollup_deltas(sign, bucket_ms, tool_name, project_id, duration_bin, status, duration_ms) AS
  SELECT 0, NULL, NULL, NULL, NULL, NULL, NULL WHERE 0;

CREATE TRIGGER tool_rollup_deltas_apply INSTEAD OF INSERT ON tool_rollup_deltas BEGIN
  INSERT INTO tool_rollups(bucket_ms, tool_name, project_id, duration_bin, calls, errors, rejected, interrupted,
                           pending, duration_sum_ms)
    VALUES (new.bucket_ms, new.tool_name, new.project_id, new.duration_bin, new.sign,
            new.sign * (new.status = 'error'), new.sign * (new.status = 'rejected'),
            new.sign * (new.status = 'interrupted'), new.sign * (new.status = 'pending'),
            new.sign * coalesce(new.duration_ms, 0))
    ON CONFLICT DO UPDATE SET calls = calls + excluded.calls, errors = errors + excluded.errors,
      rejected = rejected + excluded.rejected, interrupted = interrupted + excluded.interrupted,
      pending = pending + excluded.pending, duration_sum_ms = duration_sum_ms + excluded.duration_sum_ms;
  DELETE FROM tool_rollups
   WHERE new.sign < 0 AND bucket_ms = new.bucket_ms AND tool_name = new.tool_name AND project_id = new.project_id
     AND duration_bin = new.duration_bin AND calls = 0 AND errors = 0 AND rejected = 0 AND interrupted = 0
     AND pending = 0 AND duration_sum_ms = 0;
  INSERT INTO tool_rollups_daily(day_ms, tool_name, project_id, calls, errors, rejected, interrupted, pending,
                                 duration_sum_ms, durations)
    VALUES (new.bucket_ms - ((new.bucket_ms % 86400000) + 86400000) % 86400000, new.tool_name, new.project_id,
            new.sign, new.sign * (new.status = 'error'), new.sign * (new.status = 'rejected'),
            new.sign * (new.status = 'interrupted'), new.sign * (new.status = 'pending'),
            CASE WHEN new.duration_bin < 0 THEN 0 ELSE new.sign * new.duration_ms END,
            CASE WHEN new.duration_bin < 0 THEN '{}' ELSE json_object(CAST(new.duration_bin AS TEXT), new.sign) END)
    ON CONFLICT DO UPDATE SET calls = calls + excluded.calls, errors = errors + excluded.errors,
      rejected = rejected + excluded.rejected, interrupted = interrupted + excluded.interrupted,
      pending = pending + excluded.pending, duration_sum_ms = duration_sum_ms + excluded.duration_sum_ms,
      durations = CASE
        WHEN new.duration_bin < 0 THEN durations
        WHEN coalesce(json_extract(durations, '$."' || new.duration_bin || '"'), 0) + new.sign = 0
          THEN json_remove(durations, '$."' || new.duration_bin || '"')
        ELSE json_set(durations, '$."' || new.duration_bin || '"',
                      coalesce(json_extract(durations, '$."' || new.duration_bin || '"'), 0) + new.sign) END;
  DELETE FROM tool_rollups_daily
   WHERE new.sign < 0 AND day_ms = new.bucket_ms - ((new.bucket_ms % 86400000) + 86400000) % 86400000
     AND tool_name = new.tool_name AND project_id = new.project_id AND calls = 0 AND errors = 0 AND rejected = 0
     AND interrupted = 0 AND pending = 0 AND duration_sum_ms = 0;
END;

-- 0018's trigger, now handing the worked-out contribution on.
DROP TRIGGER tool_rollup_changes_apply;
CREATE TRIGGER tool_rollup_changes_apply INSTEAD OF INSERT ON tool_rollup_changes
WHEN new.use_message_id IS NOT NULL AND new.tool_name IS NOT NULL AND new.project_id IS NOT NULL
 AND new.started_ms IS NOT NULL BEGIN
  INSERT INTO tool_rollup_deltas
    VALUES (new.sign, new.started_ms - ((new.started_ms % 900000) + 900000) % 900000, new.tool_name, new.project_id,
            CASE WHEN new.duration_ms IS NULL THEN -1 WHEN new.duration_ms < 1000 THEN new.duration_ms
                 ELSE CAST(substr(new.duration_ms, 1, 3) || substr('0000000000000000', 1, length(new.duration_ms) - 3)
                           AS INTEGER) END,
            new.status, new.duration_ms);
END;
