#include "src/report.h"

#include <algorithm>
#include <map>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_format.h"
#include "src/status.h"

namespace cco {

void TokenTotals::Add(const TokenTotals& o) {
  input += o.input;
  output += o.output;
  cache_creation += o.cache_creation;
  cache_read += o.cache_read;
  cost_nanousd += o.cost_nanousd;
  api_calls += o.api_calls;
  unpriced_calls += o.unpriced_calls;
}

namespace {

// The token columns of token_rollups / session_token_rollups, summed.
constexpr char kTokenSums[] =
    "sum(input_tokens), sum(output_tokens), sum(cache_creation_tokens), sum(cache_read_tokens),"
    " sum(cost_nanousd), sum(api_calls), sum(unpriced_calls)";

// Adds the seven kTokenSums columns starting at `col`.
void AddSums(TokenTotals& t, const Stmt& s, int col) {
  t.input += s.ColumnInt(col);
  t.output += s.ColumnInt(col + 1);
  t.cache_creation += s.ColumnInt(col + 2);
  t.cache_read += s.ColumnInt(col + 3);
  t.cost_nanousd += s.ColumnInt(col + 4);
  t.api_calls += s.ColumnInt(col + 5);
  t.unpriced_calls += s.ColumnInt(col + 6);
}

// UTC bounds [start, end) of the filter's days in its zone.
std::pair<int64_t, int64_t> Bounds(const ReportFilter& f) {
  int64_t start = std::numeric_limits<int64_t>::min();
  int64_t end = std::numeric_limits<int64_t>::max();
  if (f.since.has_value()) start = absl::ToUnixMillis(absl::FromCivil(*f.since, f.tz));
  if (f.until.has_value()) end = absl::ToUnixMillis(absl::FromCivil(*f.until + 1, f.tz));
  return {start, end};
}

std::string ProjectClause(const ReportFilter& f, const char* column) {
  if (f.project.empty()) return "";
  return absl::StrFormat(" AND %s IN (SELECT id FROM projects WHERE dir_name = ?3 OR cwd = ?3)", column);
}

// Rows in the order ccusage prints: by key; models by cost descending.
std::vector<UsageRow> Finish(std::map<std::string, std::map<std::string, TokenTotals>>& grouped) {
  std::vector<UsageRow> out;
  for (auto& [key, models] : grouped) {
    UsageRow row;
    row.key = key;
    for (auto& [model, totals] : models) {
      if (totals.api_calls == 0 && totals.total() == 0) continue;
      row.tokens.Add(totals);
      // Responses without a model (or Claude Code's "<synthetic>" ones)
      // count in the totals but have no breakdown, as in the reference.
      if (model.empty() || model == "<synthetic>") continue;
      row.models.push_back({model, totals});
    }
    if (row.tokens.total() == 0) continue;  // zero-token periods do not appear
    std::sort(row.models.begin(), row.models.end(), [](const ModelTotals& a, const ModelTotals& b) {
      if (a.tokens.cost_nanousd != b.tokens.cost_nanousd) return a.tokens.cost_nanousd > b.tokens.cost_nanousd;
      return a.model < b.model;
    });
    out.push_back(std::move(row));
  }
  return out;
}

std::string PeriodKey(int64_t bucket_ms, Period period, const ReportFilter& f) {
  absl::CivilDay day = absl::ToCivilDay(absl::FromUnixMillis(bucket_ms), f.tz);
  switch (period) {
    case Period::kDay:
      return absl::FormatCivilTime(day);
    case Period::kMonth:
      return absl::FormatCivilTime(absl::CivilMonth(day));
    case Period::kWeek: {
      int back = (static_cast<int>(absl::GetWeekday(day)) - static_cast<int>(f.week_start) + 7) % 7;
      return absl::FormatCivilTime(day - back);
    }
  }
  return "";
}

}  // namespace

namespace {

using Grouped = std::map<std::string, std::map<std::string, TokenTotals>>;

// Reads `sql` (bucket start in column 0, model in 1, the kTokenSums from 2)
// into periods. With `whole_hours`, gives up (returns false) as soon as a
// bucket does not start on a whole local hour: the zone then needs the
// 15-minute rows.
absl::StatusOr<bool> Accumulate(Stmt& stmt, Period period, const ReportFilter& filter, bool whole_hours,
                                Grouped* grouped) {
  int64_t last_bucket = std::numeric_limits<int64_t>::min();
  std::map<std::string, TokenTotals>* period_models = nullptr;
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    const int64_t bucket = stmt.ColumnInt(0);
    if (bucket != last_bucket || period_models == nullptr) {
      if (whole_hours) {
        absl::CivilSecond local = absl::ToCivilSecond(absl::FromUnixMillis(bucket), filter.tz);
        if (local.minute() != 0 || local.second() != 0) return false;
      }
      period_models = &(*grouped)[PeriodKey(bucket, period, filter)];
      last_bucket = bucket;
    }
    AddSums((*period_models)[stmt.ColumnText(1)], stmt, 2);
  }
  return true;
}

}  // namespace

absl::StatusOr<std::vector<UsageRow>> PeriodReport(Db& db, Period period, const ReportFilter& filter) {
  auto [start, end] = Bounds(filter);
  Grouped grouped;
  if (filter.project.empty()) {
    // Hourly rows across projects: enough for any zone whose offsets are
    // whole hours over the range, which is nearly all of them.
    ASSIGN_OR_RETURN(Stmt hourly, db.Prepare(absl::StrFormat(
        "SELECT hour_ms, model, %s FROM token_rollups_hourly WHERE hour_ms >= ?1 AND hour_ms < ?2"
        " GROUP BY hour_ms, model", kTokenSums)));
    hourly.Bind(1, start).Bind(2, end);
    ASSIGN_OR_RETURN(bool complete, Accumulate(hourly, period, filter, /*whole_hours=*/true, &grouped));
    if (complete) return Finish(grouped);
    grouped.clear();
  }
  // 15-minute rows, read in key order (no sort) and summed over projects here.
  ASSIGN_OR_RETURN(Stmt stmt, db.Prepare(absl::StrFormat(
      "SELECT bucket_ms, model, %s FROM token_rollups"
      " WHERE bucket_ms >= ?1 AND bucket_ms < ?2%s GROUP BY bucket_ms, project_id, model",
      kTokenSums, ProjectClause(filter, "project_id"))));
  stmt.Bind(1, start).Bind(2, end);
  if (!filter.project.empty()) stmt.Bind(3, filter.project);
  RETURN_IF_ERROR(Accumulate(stmt, period, filter, /*whole_hours=*/false, &grouped).status());
  return Finish(grouped);
}

absl::StatusOr<std::vector<UsageRow>> SessionReport(Db& db, const ReportFilter& filter) {
  std::map<std::string, std::map<std::string, TokenTotals>> grouped;
  absl::flat_hash_map<std::string, std::string> project_of;
  {
    ASSIGN_OR_RETURN(Stmt stmt, db.Prepare(absl::StrFormat(
        "SELECT s.report_session, p.dir_name, s.model, %s"
        " FROM session_token_rollups s JOIN projects p ON p.id = s.project_id"
        " WHERE 1%s GROUP BY s.report_session, p.dir_name, s.model",
        kTokenSums, ProjectClause(filter, "s.project_id"))));
    if (!filter.project.empty()) stmt.Bind(3, filter.project);
    while (true) {
      ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      std::string key = stmt.ColumnText(0);
      project_of[key] = stmt.ColumnText(1);
      AddSums(grouped[key][stmt.ColumnText(2)], stmt, 3);
    }
  }
  std::vector<UsageRow> rows = Finish(grouped);
  ASSIGN_OR_RETURN(Stmt span, db.Prepare(
      "SELECT min(timestamp_ms), max(timestamp_ms) FROM usage_winners WHERE report_session = ?1"));
  auto [start, end] = Bounds(filter);
  std::vector<UsageRow> out;
  for (UsageRow& row : rows) {
    row.project = project_of[row.key];
    span.Bind(1, row.key);
    ASSIGN_OR_RETURN(bool found, span.Step());
    if (found) {
      row.first_ms = span.ColumnInt(0);
      row.last_ms = span.ColumnInt(1);
    }
    span.Reset();
    if (row.last_ms < start || row.last_ms >= end) continue;
    out.push_back(std::move(row));
  }
  // Most expensive first, as the reference orders sessions.
  std::sort(out.begin(), out.end(), [](const UsageRow& a, const UsageRow& b) {
    if (a.tokens.cost_nanousd != b.tokens.cost_nanousd) return a.tokens.cost_nanousd > b.tokens.cost_nanousd;
    return a.key < b.key;
  });
  return out;
}

absl::StatusOr<std::vector<UsageRow>> ProjectReport(Db& db, const ReportFilter& filter) {
  auto [start, end] = Bounds(filter);
  ASSIGN_OR_RETURN(Stmt stmt, db.Prepare(absl::StrFormat(
      "SELECT p.dir_name, a.model, %s FROM token_rollups a"
      " JOIN projects p ON p.id = a.project_id"
      " WHERE a.bucket_ms >= ?1 AND a.bucket_ms < ?2%s GROUP BY p.dir_name, a.model",
      kTokenSums, ProjectClause(filter, "a.project_id"))));
  stmt.Bind(1, start).Bind(2, end);
  if (!filter.project.empty()) stmt.Bind(3, filter.project);
  std::map<std::string, std::map<std::string, TokenTotals>> grouped;
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    AddSums(grouped[stmt.ColumnText(0)][stmt.ColumnText(1)], stmt, 2);
  }
  std::vector<UsageRow> rows = Finish(grouped);
  std::sort(rows.begin(), rows.end(), [](const UsageRow& a, const UsageRow& b) {
    if (a.tokens.cost_nanousd != b.tokens.cost_nanousd) return a.tokens.cost_nanousd > b.tokens.cost_nanousd;
    return a.key < b.key;
  });
  return rows;
}

absl::StatusOr<std::vector<ToolRow>> ToolReport(Db& db, const ReportFilter& filter) {
  auto [start, end] = Bounds(filter);
  // tool_executions is derived data (one row per call), indexed by tool and
  // start time; p95 needs the individual durations.
  ASSIGN_OR_RETURN(Stmt stmt, db.Prepare(absl::StrFormat(
      "SELECT tool_name, status, duration_ms FROM tool_executions"
      " WHERE tool_name IS NOT NULL AND started_ms >= ?1 AND started_ms < ?2%s"
      " ORDER BY tool_name",
      ProjectClause(filter, "project_id"))));
  stmt.Bind(1, start).Bind(2, end);
  if (!filter.project.empty()) stmt.Bind(3, filter.project);
  std::vector<ToolRow> out;
  std::vector<int64_t> durations;
  auto close = [&]() {
    if (out.empty()) return;
    ToolRow& r = out.back();
    if (!durations.empty()) {
      std::sort(durations.begin(), durations.end());
      double sum = 0;
      for (int64_t d : durations) sum += static_cast<double>(d);
      r.mean_ms = sum / static_cast<double>(durations.size());
      size_t idx = (durations.size() * 95 + 99) / 100;  // nearest-rank p95
      r.p95_ms = durations[std::max<size_t>(idx, 1) - 1];
    }
    durations.clear();
  };
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    std::string tool = stmt.ColumnText(0);
    if (out.empty() || out.back().tool != tool) {
      close();
      out.push_back(ToolRow{tool});
    }
    ToolRow& r = out.back();
    std::string status = stmt.ColumnText(1);
    ++r.calls;
    if (status == "error") ++r.errors;
    if (status == "rejected") ++r.rejected;
    if (status == "interrupted") ++r.interrupted;
    if (status == "pending") ++r.pending;
    if (!stmt.ColumnIsNull(2)) durations.push_back(stmt.ColumnInt(2));
  }
  close();
  std::sort(out.begin(), out.end(), [](const ToolRow& a, const ToolRow& b) {
    if (a.calls != b.calls) return a.calls > b.calls;
    return a.tool < b.tool;
  });
  return out;
}

}  // namespace cco
