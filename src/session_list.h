// One page of the sessions list (the dashboard's sessions page): sessions
// whose last activity falls in a range, filtered by text, sorted, and cut to
// a page by the database (LIMIT/OFFSET), so a page costs the same whatever
// the history holds. A session is a report session (`cco report session`:
// ccusage's key), with its tokens summed over models and projects.
#ifndef CCO_SRC_SESSION_LIST_H_
#define CCO_SRC_SESSION_LIST_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "src/report.h"
#include "src/sqlite.h"

namespace cco {

enum class SessionSort { kLast, kFirst, kCost, kTokens, kCalls, kMessages, kProject, kTitle };

struct SessionListQuery {
  // Range (days of tz; a session counts when its last activity is inside)
  // and projects, as the session report takes them.
  ReportFilter filter;
  // Case-insensitive (ASCII) substring of the title, project directory,
  // project cwd or session id; "" keeps every session.
  std::string text;
  SessionSort sort = SessionSort::kLast;
  bool ascending = false;  // ties: by session id, in the same direction
  int64_t offset = 0;
  int64_t limit = 50;
};

struct SessionListRow {
  // key, project, project_cwd, title, first_ms, last_ms, tokens (no models).
  // The title is the session's own conversation's, else (a top-level
  // agent-*.jsonl session) that of the conversation of its first usage line.
  UsageRow usage;
  // Messages stored for the conversation of this session id (0 for a
  // session without a conversation of its own).
  int64_t messages = 0;
};

struct SessionList {
  int64_t total = 0;  // sessions matching, over all pages
  std::vector<SessionListRow> rows;
};

absl::StatusOr<SessionList> ListSessions(Db& db, const SessionListQuery& query);

}  // namespace cco

#endif  // CCO_SRC_SESSION_LIST_H_
