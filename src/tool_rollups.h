// The tool rollups (schema/0018_tool_rollups.sql, 0027_tool_rollups_daily.sql):
// tool calls by 15-minute bucket, project, tool and duration bin, and the
// same summed per UTC day (tool_rollups_daily: one row per day, tool and
// project, its bins in one JSON object), kept by triggers on
// tool_executions; a row whose counts fall to 0 is deleted. A duration's bin
// is the value cut to three significant digits, so a percentile read from
// the bins is exact below one second and at most 1 % low above it. The SQL
// in the migrations and DurationBin agree (tests/tool_rollups_test.cc).
#ifndef CCO_SRC_TOOL_ROLLUPS_H_
#define CCO_SRC_TOOL_ROLLUPS_H_

#include <cstdint>
#include <optional>

namespace cco {

// -1 for an unknown duration; below 1000 ms the value itself; else the value
// with all but its three leading digits set to 0.
inline int64_t DurationBin(std::optional<int64_t> duration_ms) {
  if (!duration_ms.has_value()) return -1;
  const int64_t d = *duration_ms;
  if (d < 1000) return d;
  int64_t step = 1;
  while (d / step >= 1000) step *= 10;
  return d / step * step;
}

// The tool_rollups rows recomputed from tool_executions (columns as the
// table's, in its key order); `cco check` and the tests compare. The bin is
// DurationBin's, written as the migration's trigger writes it.
inline constexpr char kExpectedToolRollups[] =
    "SELECT started_ms - ((started_ms % 900000) + 900000) % 900000 AS bucket_ms, tool_name, project_id,"
    " CASE WHEN duration_ms IS NULL THEN -1 WHEN duration_ms < 1000 THEN duration_ms"
    "  ELSE CAST(substr(duration_ms, 1, 3) || substr('0000000000000000', 1, length(duration_ms) - 3) AS INTEGER)"
    "  END AS duration_bin,"
    " count(*) AS calls, sum(status = 'error') AS errors, sum(status = 'rejected') AS rejected,"
    " sum(status = 'interrupted') AS interrupted, sum(status = 'pending') AS pending,"
    " coalesce(sum(duration_ms), 0) AS duration_sum_ms FROM tool_executions"
    " WHERE use_message_id IS NOT NULL AND tool_name IS NOT NULL AND started_ms IS NOT NULL"
    " AND project_id IS NOT NULL GROUP BY 1, 2, 3, 4";

// tool_rollups_daily against tool_rollups summed per UTC day (its
// duration_sum_ms over the bins >= 0 only, those of `durations`; a bin
// below 0 is an unknown duration or, written by a script, a negative one,
// which the reports leave out of means and percentiles): one row per
// difference, (day_ms, tool_name, project_id, what, tool_rollups minus
// tool_rollups_daily), `what` being 'counts' (the six counts, space
// separated) or 'bin N' (calls of duration bin N); none when they agree.
inline constexpr char kToolRollupsDailyMismatches[] =
    "SELECT d, t, p, 'counts', sum(c) || ' ' || sum(e) || ' ' || sum(r) || ' ' || sum(i) || ' ' || sum(n) || ' ' ||"
    " sum(s) FROM (SELECT bucket_ms - ((bucket_ms % 86400000) + 86400000) % 86400000 AS d, tool_name AS t,"
    "  project_id AS p, calls AS c, errors AS e, rejected AS r, interrupted AS i, pending AS n,"
    "  CASE WHEN duration_bin >= 0 THEN duration_sum_ms ELSE 0 END AS s FROM tool_rollups"
    "  UNION ALL SELECT day_ms, tool_name, project_id, -calls, -errors, -rejected, -interrupted, -pending,"
    "  -duration_sum_ms FROM tool_rollups_daily)"
    " GROUP BY 1, 2, 3 HAVING sum(c) != 0 OR sum(e) != 0 OR sum(r) != 0 OR sum(i) != 0 OR sum(n) != 0 OR sum(s) != 0"
    " UNION ALL SELECT d, t, p, 'bin ' || b, sum(c) FROM ("
    "  SELECT bucket_ms - ((bucket_ms % 86400000) + 86400000) % 86400000 AS d, tool_name AS t, project_id AS p,"
    "  duration_bin AS b, calls AS c FROM tool_rollups WHERE duration_bin >= 0"
    "  UNION ALL SELECT r.day_ms, r.tool_name, r.project_id, CAST(j.key AS INTEGER), -j.value"
    "  FROM tool_rollups_daily r, json_each(r.durations) j)"
    " GROUP BY 1, 2, 3, 4 HAVING sum(c) != 0";

}  // namespace cco

#endif  // CCO_SRC_TOOL_ROLLUPS_H_
