// Reports over the rollups: token usage and cost per day, week, month,
// session and project, and tool reliability. Reads derived tables only
// (token_rollups, session_token_rollups, usage_winners, tool_executions), never the
// messages table, so answers take milliseconds however long the history.
#ifndef CCO_SRC_REPORT_H_
#define CCO_SRC_REPORT_H_

#include <cstdint>
#include <optional>
#include <string>
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

struct UsageRow {
  std::string key;  // date (YYYY-MM-DD), week start date, month (YYYY-MM), session id or project
  TokenTotals tokens;
  std::vector<ModelTotals> models;  // by cost, then name
  // Sessions only.
  std::string project;
  int64_t first_ms = 0;
  int64_t last_ms = 0;
};

enum class Period { kDay, kWeek, kMonth };

struct ReportFilter {
  absl::TimeZone tz = absl::UTCTimeZone();
  std::optional<absl::CivilDay> since;  // inclusive, in tz
  std::optional<absl::CivilDay> until;  // inclusive, in tz
  std::string project;                  // project directory name or cwd; empty: all
  absl::Weekday week_start = absl::Weekday::sunday;
};

absl::StatusOr<std::vector<UsageRow>> PeriodReport(Db& db, Period period, const ReportFilter& filter);
absl::StatusOr<std::vector<UsageRow>> SessionReport(Db& db, const ReportFilter& filter);
absl::StatusOr<std::vector<UsageRow>> ProjectReport(Db& db, const ReportFilter& filter);

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

absl::StatusOr<std::vector<ToolRow>> ToolReport(Db& db, const ReportFilter& filter);

}  // namespace cco

#endif  // CCO_SRC_REPORT_H_
