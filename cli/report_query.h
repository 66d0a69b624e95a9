// One report as a query: what `cco report KIND [flags]` asks for, parsed
// from its flags, answered through the read side, and written as the
// report's --json. `cco report` and `cco serve`'s /api/report/KIND both go
// through these functions (the API turns its URL parameters into the same
// flags), so the two cannot disagree on a value or a shape.
#ifndef CCO_CLI_REPORT_QUERY_H_
#define CCO_CLI_REPORT_QUERY_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/flags.h"
#include "cli/time_zone.h"
#include "src/reader.h"
#include "src/report.h"

namespace cco {

inline const std::vector<std::string>& ReportKinds() {
  static const auto* kinds =
      new std::vector<std::string>{"daily", "weekly", "monthly", "session", "project", "tools", "blocks"};
  return *kinds;
}

struct ReportQuery {
  std::string kind;  // one of ReportKinds()
  ReportFilter filter;
  ReportZone zone;
  std::string order;    // "", "asc", "desc"
  std::string project;  // --project as given; "" for every project
  bool by_agent = false;
  bool breakdown = false;
};

// The query `args` (parsed with FlagsFor("report"); the kind is its first
// positional argument) describes. InvalidArgument with the message a user
// sees ("--since 'x' is not a date …") for anything inconsistent.
absl::StatusOr<ReportQuery> ParseReportQuery(const Args& args);

// --since and --until (a day as YYYY-MM-DD or YYYYMMDD) into filter->since
// and filter->until: InvalidArgument naming the flag for a value that is
// not a day, or for a range that ends before it starts. Reports and search
// read them alike.
absl::Status ParseDayRange(const Args& args, ReportFilter* filter);

// InvalidArgument for user or machine filters on a reader that is not a
// team server (a local database holds one machine's rows).
absl::Status CheckTeamFilters(const Reader& db, const std::vector<std::string>& users,
                              const std::vector<std::string>& machines);

// Restricts `query` to the projects its --project names, after
// CheckTeamFilters. NotFound when none matches: the message names the
// query, and `closest` (when given) gets up to three known names.
absl::Status ResolveReportProject(Reader& db, ReportQuery* query, std::vector<std::string>* closest = nullptr);

// The ids of the projects `name` matches (as --project matches it, in
// reports and search alike). NotFound when none does: the message names
// `name`, and `closest` (when given) gets up to three known names.
absl::StatusOr<std::vector<int64_t>> ProjectIdsNamed(Reader& db, const std::string& name,
                                                     std::vector<std::string>* closest = nullptr);

struct ReportAnswer {
  std::vector<UsageRow> rows;  // usage reports
  std::vector<ToolRow> tools;  // tools
  ToolRow tools_total;
};

// Runs the query (ordered as the report prints it). Not for blocks
// (cli/blocks_command.h answers those).
absl::StatusOr<ReportAnswer> AnswerReport(Reader& db, const ReportQuery& query);

// The report's --json (one object, no trailing newline).
std::string ReportJson(const ReportQuery& query, const ReportAnswer& answer);

// Models with unpriced calls: how many, and the rows (days, sessions…) they
// fall in, so a user sees which figures are low.
std::map<std::string, std::pair<int64_t, std::vector<std::string>>> UnpricedModels(
    const std::vector<UsageRow>& rows);
// "2026-01-31" or "20260131"; nullopt for anything else.
std::optional<absl::CivilDay> ParseDay(const std::string& text);
std::string WeekdayName(absl::Weekday day);

}  // namespace cco

#endif  // CCO_CLI_REPORT_QUERY_H_
