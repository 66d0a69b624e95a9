#include "src/session_list.h"


#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "src/report.h"
#include "src/status.h"

namespace cco {
namespace {

std::string SortKey(SessionSort sort) {
  switch (sort) {
    case SessionSort::kFirst: return "first_ms";
    case SessionSort::kCost: return "cost";
    case SessionSort::kTokens: return "tokens";
    case SessionSort::kCalls: return "calls";
    case SessionSort::kMessages: return "messages";
    case SessionSort::kProject: return "project";
    case SessionSort::kTitle: return SessionTitleSql("session");
    case SessionSort::kLast: break;
  }
  return "last_ms";
}

}  // namespace

absl::StatusOr<SessionList> ListSessions(Db& db, const SessionListQuery& q) {
  const auto [start, end] = ReportBounds(q.filter);
  std::string projects;
  if (q.filter.restrict_projects) {
    projects = q.filter.project_ids.empty()
                   ? " AND 0"
                   : absl::StrFormat(" AND r.project_id IN (%s)", absl::StrJoin(q.filter.project_ids, ","));
  }
  const char* dir = q.ascending ? "ASC" : "DESC";
  // Sessions and their sums from session_token_rollups, spans from the
  // (report_session, timestamp_ms) index, message counts from
  // conversations' unique session_id; filtered, sorted and cut to the page
  // in the inner query (which a LIMIT keeps from being flattened), so the
  // titles are looked up for the page's rows only, unless the text filter
  // or the sort needs every one.
  // The session report's title, read per row.
  const std::string title = SessionTitleSql("session");
  const std::string text_filter =
      q.text.empty() ? ""
                     : absl::StrCat(" AND (instr(lower(", title, "), ?3) OR instr(lower(project), ?3)"
                                    " OR instr(lower(cwd), ?3) OR instr(lower(session), ?3))");
  ASSIGN_OR_RETURN(Stmt s, db.Prepare(absl::StrCat(
      "SELECT session, project, cwd, ", title, ", first_ms, last_ms, input, output, cache_creation, cache_read,"
      " cost, calls, unpriced, messages, total FROM ("
      " SELECT *, ", SortKey(q.sort), " AS sort_key, count(*) OVER () AS total FROM ("
      "  SELECT r.report_session AS session, p.dir_name AS project, coalesce(p.cwd, '') AS cwd,"
      "   sum(r.input_tokens) AS input, sum(r.output_tokens) AS output,"
      "   sum(r.cache_creation_tokens) AS cache_creation, sum(r.cache_read_tokens) AS cache_read,"
      "   sum(r.input_tokens + r.output_tokens + r.cache_creation_tokens + r.cache_read_tokens) AS tokens,"
      "   sum(r.cost_nanousd) AS cost, sum(r.api_calls) AS calls, sum(r.unpriced_calls) AS unpriced,"
      "   (SELECT min(timestamp_ms) FROM usage_winners w WHERE w.report_session = r.report_session) AS first_ms,"
      "   (SELECT max(timestamp_ms) FROM usage_winners w WHERE w.report_session = r.report_session) AS last_ms,"
      "   coalesce((SELECT message_count FROM conversations c WHERE c.session_id = r.report_session), 0)"
      "    AS messages"
      "  FROM session_token_rollups r JOIN projects p ON p.id = r.project_id WHERE 1", projects,
      "  GROUP BY r.report_session HAVING tokens > 0)"
      " WHERE last_ms >= ?1 AND last_ms < ?2", text_filter,
      " ORDER BY sort_key ", dir, ", session ", dir, " LIMIT ?4 OFFSET ?5)"
      " ORDER BY sort_key ", dir, ", session ", dir)));
  s.Bind(1, start).Bind(2, end).Bind(4, q.limit).Bind(5, q.offset);
  if (!q.text.empty()) s.Bind(3, absl::AsciiStrToLower(q.text));
  SessionList out;
  RETURN_IF_ERROR(s.ForEachRow([&](const Stmt& r) {
    SessionListRow row;
    UsageRow& u = row.usage;
    u.key = r.ColumnText(0);
    u.project = r.ColumnText(1);
    u.project_cwd = r.ColumnText(2);
    u.title = r.ColumnText(3);
    u.first_ms = r.ColumnInt(4);
    u.last_ms = r.ColumnInt(5);
    u.tokens.input = r.ColumnInt(6);
    u.tokens.output = r.ColumnInt(7);
    u.tokens.cache_creation = r.ColumnInt(8);
    u.tokens.cache_read = r.ColumnInt(9);
    u.tokens.cost_nanousd = r.ColumnInt(10);
    u.tokens.api_calls = r.ColumnInt(11);
    u.tokens.unpriced_calls = r.ColumnInt(12);
    row.messages = r.ColumnInt(13);
    out.total = r.ColumnInt(14);
    out.rows.push_back(std::move(row));
    return true;
  }));
  if (out.rows.empty() && q.offset > 0) {
    // Past the last page: the count still tells the caller where it ends.
    SessionListQuery first = q;
    first.offset = 0;
    first.limit = 1;
    ASSIGN_OR_RETURN(SessionList probe, ListSessions(db, first));
    out.total = probe.total;
  }
  return out;
}

}  // namespace cco
