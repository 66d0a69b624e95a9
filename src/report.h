// Reports over the rollups: token usage and cost per day, week, month,
// session and project, and tool reliability. Reads derived tables only
// (token_rollups, session_token_rollups, usage_winners, tool_executions), never the
// messages table, so answers take milliseconds however long the history.
#ifndef CCO_SRC_REPORT_H_
#define CCO_SRC_REPORT_H_

#include <cstdint>
#include <map>
#include <utility>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "src/sqlite.h"

namespace cco {

struct TokenTotals {
  int64_t input = 0;
  int64_t output = 0;
  int64_t cache_creation = 0;
  int64_t cache_read = 0;
  int64_t cost_nanousd = 0;
  int64_t api_calls = 0;
  int64_t unpriced_calls = 0;
  int64_t total() const { return input + output + cache_creation + cache_read; }
  void Add(const TokenTotals& o);
};

struct ModelTotals {
  std::string model;
  TokenTotals tokens;
};

// One agent's share of a session: the main transcript or one subagent
// (2.1 subagents/agent-<id>.jsonl, workflow agents at any depth).
struct AgentRow {
  std::string agent_id;    // "" for the session's main transcript
  std::string agent_type;  // the sidecar's agentType ("general-purpose", …); "" when unknown
  TokenTotals tokens;
  std::vector<ModelTotals> models;  // by cost, then name
};

struct UsageRow {
  std::string key;  // date (YYYY-MM-DD), week start date, month (YYYY-MM), session id or project
  TokenTotals tokens;
  std::vector<ModelTotals> models;  // by cost, then name
  // Sessions only.
  std::string project;      // projects.dir_name
  std::string project_cwd;  // projects.cwd; "" when none was seen
  // The conversation's title (conversations.title); for a top-level
  // agent-*.jsonl session, the title of the conversation its lines joined.
  // "" when none.
  std::string title;
  int64_t first_ms = 0;
  int64_t last_ms = 0;
  std::vector<AgentRow> agents;  // filled by AddAgentBreakdown: main first, then by cost
};

enum class Period { kDay, kWeek, kMonth };

struct ReportFilter {
  absl::TimeZone tz = absl::UTCTimeZone();
  std::optional<absl::CivilDay> since;  // inclusive, in tz
  std::optional<absl::CivilDay> until;  // inclusive, in tz
  // With `restrict_projects`, only these projects (projects.id) count; set
  // them from MatchProjects.
  bool restrict_projects = false;
  std::vector<int64_t> project_ids;
  absl::Weekday week_start = absl::Weekday::sunday;
  // Team server only (pg_reader.h): only rows of these users / machines
  // (empty: all the reader may see).
  std::vector<std::string> users;
  std::vector<std::string> machines;
};

// The projects `query` names: a project whose directory name (e.g.
// -home-u-deja-vu) or first cwd equals it, whose directory name is the
// query encoded as Claude Code encodes a working directory (every character
// other than A-Z, a-z, 0-9 and '-' becomes '-'; a trailing '/' is ignored),
// or in whose sessions a message carried it as `cwd` (project_cwds). Claude
// Code maps /home/u/deja-vu and /home/u/deja/vu to one directory, so both
// find that project. `closest` lists up to three known names nearest to the
// query by edit distance (`<cwd> (<dir>)` or `<dir>`), for a query that
// matches nothing.
struct ProjectMatch {
  std::vector<int64_t> ids;  // ascending; empty: no match
  std::vector<std::string> closest;
};
absl::StatusOr<ProjectMatch> MatchProjects(Db& db, const std::string& query);
// The directory name of the project `project_id` (how `cco forget` and the
// team server key a project); nullopt when there is no such project.
absl::StatusOr<std::optional<std::string>> ProjectDirName(Db& db, int64_t project_id);

absl::StatusOr<std::vector<UsageRow>> PeriodReport(Db& db, Period period, const ReportFilter& filter);
absl::StatusOr<std::vector<UsageRow>> SessionReport(Db& db, const ReportFilter& filter);
absl::StatusOr<std::vector<UsageRow>> ProjectReport(Db& db, const ReportFilter& filter);

// Fills `agents` of each session row (from SessionReport): the session's
// usage winners by the agent whose transcript the winning copy came from
// (for a copy embedded in a progress line, the agentId it names), with the
// agent type stored from its sidecar. Reads usage_winners of those sessions
// and, per winner, its line's file: milliseconds for a session, more for a
// report over every session.
absl::Status AddAgentBreakdown(Db& db, const ReportFilter& filter, std::vector<UsageRow>* sessions);

struct ToolRow {
  std::string tool;
  int64_t calls = 0;
  int64_t errors = 0;
  int64_t rejected = 0;
  int64_t interrupted = 0;
  int64_t pending = 0;
  double mean_ms = 0;
  int64_t p95_ms = 0;
  double error_rate() const { return calls == 0 ? 0 : static_cast<double>(errors) / static_cast<double>(calls); }
};

// Per tool, most calls first. With `total`, also every call of the range
// as one row (tool "Total"; mean and p95 over every duration). Reads the
// tool rollups only (src/tool_rollups.h): the UTC days of
// tool_rollups_daily, and the 15-minute rows of the parts of a day that the
// range's ends cut off, in one read snapshot. Counts and means are exact,
// p95 is the nearest rank's duration cut to three significant digits (exact
// below one second, at most 1 % low above).
absl::StatusOr<std::vector<ToolRow>> ToolReport(Db& db, const ReportFilter& filter, ToolRow* total = nullptr);

// One tool on one day of the filter's zone.
struct ToolDayRow {
  std::string day;  // YYYY-MM-DD
  ToolRow tool;
};
// Per day, then tool name: calls, errors, mean and p95 per tool and day,
// from the same rollups (the dashboard's tools over time). A UTC day counts
// for the zone's day that holds its noon; the part of it beyond that day's
// midnight (in Asia/Kolkata 18:30-24:00 UTC) is moved with its 15-minute
// rows, so every zone's days are exact.
absl::StatusOr<std::vector<ToolDayRow>> ToolTimeline(Db& db, const ReportFilter& filter);

// The two figures the statusline shows, each one indexed read of a rollup.
//
// A session's whole cost (session_token_rollups of its report session);
// nullopt when nothing of it is stored yet.
absl::StatusOr<std::optional<int64_t>> SessionCostNanousd(Db& db, const std::string& session);
// The cost of the 15-minute buckets in [from_ms, to_ms) (token_rollups); 0
// when there are none.
absl::StatusOr<int64_t> CostNanousdBetween(Db& db, int64_t from_ms, int64_t to_ms);

// The reports' arithmetic, shared by every Reader (reader.h) whatever it
// reads from, so their answers agree.
//
// Tool calls fed in tool-name order, summed into ToolReport's rows.
class ToolTally {
 public:
  void Add(const std::string& tool, const std::string& status, std::optional<int64_t> duration_ms);
  // Most calls first; with `total`, every call as one row.
  std::vector<ToolRow> Finish(ToolRow* total);

 private:
  static void Summarize(std::vector<int64_t>& durations, ToolRow& row);
  void Close();
  std::vector<ToolRow> out_;
  std::vector<int64_t> durations_;
  std::vector<int64_t> all_durations_;
};
// The title of the session whose key is the SQL expression `session` (a
// column or a parameter), as an SQL expression: its own conversation's
// title; else, for a session with none (a top-level agent-*.jsonl one), the
// first titled conversation its winning lines joined; else ''. The session
// report and the dashboard's sessions page both read it.
std::string SessionTitleSql(const std::string& session);
// UTC milliseconds [start, end) of the filter's days in its zone.
std::pair<int64_t, int64_t> ReportBounds(const ReportFilter& filter);
// The period (date, week start, month) of a 15-minute bucket in the filter's zone.
std::string ReportPeriodKey(int64_t bucket_ms, Period period, const ReportFilter& filter);
// key -> model -> totals, into rows as the reports order and filter them
// (zero-token keys dropped; models by cost; no breakdown for "" and <synthetic>).
using UsageGroups = std::map<std::string, std::map<std::string, TokenTotals>>;
std::vector<UsageRow> FinishUsageRows(UsageGroups& grouped);

}  // namespace cco

#endif  // CCO_SRC_REPORT_H_
