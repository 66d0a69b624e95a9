#include "src/activity.h"

#include "src/status.h"

namespace cco {

absl::StatusOr<std::vector<ModelUsage>> UsageByModel(Db& db, int64_t from_ms, int64_t to_ms) {
  ASSIGN_OR_RETURN(Stmt m, db.Prepare("SELECT model, sum(input_tokens + output_tokens + cache_creation_tokens +"
                                      " cache_read_tokens), sum(cost_nanousd) FROM token_rollups"
                                      " WHERE bucket_ms >= ? AND bucket_ms < ? GROUP BY model"
                                      " HAVING sum(api_calls) > 0 ORDER BY 3 DESC, 1"));
  m.Bind(1, from_ms).Bind(2, to_ms);
  std::vector<ModelUsage> out;
  RETURN_IF_ERROR(m.ForEachRow([&out](const Stmt& r) {
    out.push_back({r.ColumnText(0), r.ColumnInt(1), r.ColumnInt(2)});
    return true;
  }));
  return out;
}

absl::StatusOr<std::vector<ActiveSession>> ActiveSessions(Db& db, int64_t from_ms, int64_t to_ms, int64_t limit) {
  ASSIGN_OR_RETURN(Stmt s, db.Prepare(
                               "SELECT w.report_session, coalesce(p.cwd, p.dir_name), max(w.timestamp_ms),"
                               " (SELECT sum(cost_nanousd) FROM session_token_rollups t"
                               "   WHERE t.report_session = w.report_session)"
                               " FROM usage_winners w INDEXED BY usage_winners_time JOIN projects p ON p.id = w.project_id"
                               " WHERE w.timestamp_ms >= ? AND w.timestamp_ms <= ?"
                               " GROUP BY w.report_session ORDER BY 3 DESC LIMIT ?"));
  s.Bind(1, from_ms).Bind(2, to_ms).Bind(3, limit);
  std::vector<ActiveSession> out;
  RETURN_IF_ERROR(s.ForEachRow([&out](const Stmt& r) {
    out.push_back({r.ColumnText(0), r.ColumnText(1), r.ColumnInt(2), r.ColumnInt(3)});
    return true;
  }));
  return out;
}

absl::StatusOr<std::vector<ToolError>> RecentToolErrors(Db& db, int64_t until_ms, int64_t limit) {
  ASSIGN_OR_RETURN(Stmt e, db.Prepare("SELECT started_ms, coalesce(tool_name, '?'), coalesce(output, '')"
                                      " FROM tool_executions WHERE status = 'error' AND started_ms <= ?"
                                      " ORDER BY started_ms DESC LIMIT ?"));
  e.Bind(1, until_ms).Bind(2, limit);
  std::vector<ToolError> out;
  RETURN_IF_ERROR(e.ForEachRow([&out](const Stmt& r) {
    out.push_back({r.ColumnInt(0), r.ColumnText(1), r.ColumnText(2)});
    return true;
  }));
  return out;
}

}  // namespace cco
