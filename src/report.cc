#include "src/report.h"

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>
#include <set>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "src/derive.h"
#include "src/status.h"
#include "src/tool_rollups.h"

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

// The token columns of token_rollups / token_rollups_hourly /
// session_token_rollups. Each read selects rows by their primary key and sums
// them in AddSums: a GROUP BY over the key would hold one row per group and
// cost SQLite's aggregate machinery (7 ms of a 10 ms daily report at 1 GB).
constexpr char kTokenColumns[] =
    "input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens,"
    " cost_nanousd, api_calls, unpriced_calls";

// The same summed, for reads that group many rows into one.
constexpr char kTokenSums[] =
    "sum(input_tokens), sum(output_tokens), sum(cache_creation_tokens), sum(cache_read_tokens),"
    " sum(cost_nanousd), sum(api_calls), sum(unpriced_calls)";

// Adds the seven kTokenColumns (or kTokenSums) starting at `col`.
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
  if (!f.restrict_projects) return "";
  if (f.project_ids.empty()) return " AND 0";
  return absl::StrFormat(" AND %s IN (%s)", column, absl::StrJoin(f.project_ids, ","));
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

// The period a local day belongs to: the day, its week's first day, or its
// month.
std::string PeriodKey(absl::CivilDay day, Period period, const ReportFilter& f) {
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

// Reads `sql` (bucket start in column 0, model in 1, the kTokenColumns from 2)
// into periods. With `whole_hours`, gives up (returns false) as soon as a
// bucket does not start on a whole local hour: the zone then needs the
// 15-minute rows.
absl::StatusOr<bool> Accumulate(Stmt& stmt, Period period, const ReportFilter& filter, bool whole_hours,
                                Grouped* grouped) {
  int64_t last_bucket = std::numeric_limits<int64_t>::min();
  absl::CivilDay last_day;
  std::map<std::string, TokenTotals>* period_models = nullptr;
  bool complete = true;
  RETURN_IF_ERROR(stmt.ForEachRow([&](const Stmt& r) {
    const int64_t bucket = r.ColumnInt(0);
    if (bucket != last_bucket || period_models == nullptr) {
      // One zone lookup per bucket; the period's key is made once per day.
      const absl::CivilSecond local = filter.tz.At(absl::FromUnixMillis(bucket)).cs;
      if (whole_hours && (local.minute() != 0 || local.second() != 0)) {
        complete = false;
        return false;
      }
      const absl::CivilDay day(local);
      if (period_models == nullptr || day != last_day) {
        period_models = &(*grouped)[PeriodKey(day, period, filter)];
        last_day = day;
      }
      last_bucket = bucket;
    }
    AddSums((*period_models)[r.ColumnText(1)], r, 2);
    return true;
  }));
  return complete;
}

}  // namespace

absl::StatusOr<std::vector<UsageRow>> PeriodReport(Db& db, Period period, const ReportFilter& filter) {
  auto [start, end] = Bounds(filter);
  Grouped grouped;
  // A bound inside a UTC hour (a zone such as Asia/Kolkata, UTC+5:30) cuts
  // an hour that the hourly rows cannot split: the hour would be dropped,
  // and with it a range whose only usage lies there would look empty.
  const bool whole_hour_bounds = (!filter.since.has_value() || start % kHourMs == 0) &&
                                 (!filter.until.has_value() || end % kHourMs == 0);
  if (!filter.restrict_projects && whole_hour_bounds) {
    // Hourly rows across projects: enough for any zone whose offsets are
    // whole hours over the range, which is nearly all of them.
    ASSIGN_OR_RETURN(Stmt hourly, db.Prepare(absl::StrFormat(
        "SELECT hour_ms, model, %s FROM token_rollups_hourly WHERE hour_ms >= ?1 AND hour_ms < ?2"
        " ORDER BY hour_ms", kTokenColumns)));
    hourly.Bind(1, start).Bind(2, end);
    ASSIGN_OR_RETURN(bool complete, Accumulate(hourly, period, filter, /*whole_hours=*/true, &grouped));
    if (complete) return Finish(grouped);
    grouped.clear();
  }
  // 15-minute rows, read in key order (no sort) and summed over projects here.
  ASSIGN_OR_RETURN(Stmt stmt, db.Prepare(absl::StrFormat(
      "SELECT bucket_ms, model, %s FROM token_rollups"
      " WHERE bucket_ms >= ?1 AND bucket_ms < ?2%s ORDER BY bucket_ms",
      kTokenColumns, ProjectClause(filter, "project_id"))));
  stmt.Bind(1, start).Bind(2, end);
  RETURN_IF_ERROR(Accumulate(stmt, period, filter, /*whole_hours=*/false, &grouped).status());
  return Finish(grouped);
}

absl::StatusOr<std::vector<UsageRow>> SessionReport(Db& db, const ReportFilter& filter) {
  std::map<std::string, std::map<std::string, TokenTotals>> grouped;
  absl::flat_hash_map<std::string, std::pair<std::string, std::string>> project_of;  // dir_name, cwd
  {
    ASSIGN_OR_RETURN(Stmt stmt, db.Prepare(absl::StrFormat(
        "SELECT s.report_session, p.dir_name, s.model, %s, coalesce(p.cwd, '')"
        " FROM session_token_rollups s JOIN projects p ON p.id = s.project_id"
        " WHERE 1%s",
        kTokenColumns, ProjectClause(filter, "s.project_id"))));
    RETURN_IF_ERROR(stmt.ForEachRow([&](const Stmt& r) {
      std::string key = r.ColumnText(0);
      // A session under several projects is shown under the greatest
      // dir_name (as when these rows were read grouped by it).
      std::string dir_name = r.ColumnText(1);
      auto [at, inserted] = project_of.try_emplace(key, dir_name, r.ColumnText(10));
      if (!inserted && dir_name > at->second.first) at->second = {std::move(dir_name), r.ColumnText(10)};
      AddSums(grouped[key][r.ColumnText(2)], r, 3);
      return true;
    }));
  }
  std::vector<UsageRow> rows = Finish(grouped);
  // Each bound alone: one index probe each (both in one SELECT read every row).
  ASSIGN_OR_RETURN(Stmt span, db.Prepare(
      "SELECT (SELECT min(timestamp_ms) FROM usage_winners WHERE report_session = ?1),"
      " (SELECT max(timestamp_ms) FROM usage_winners WHERE report_session = ?1)"));
  ASSIGN_OR_RETURN(Stmt title, db.Prepare(absl::StrCat("SELECT ", SessionTitleSql("?1"))));
  auto [start, end] = Bounds(filter);
  std::vector<UsageRow> out;
  for (UsageRow& row : rows) {
    std::tie(row.project, row.project_cwd) = project_of[row.key];
    span.Bind(1, row.key);
    ASSIGN_OR_RETURN(bool found, span.Step());
    if (found) {
      row.first_ms = span.ColumnInt(0);
      row.last_ms = span.ColumnInt(1);
    }
    span.Reset();
    if (row.last_ms < start || row.last_ms >= end) continue;
    title.Bind(1, row.key);
    ASSIGN_OR_RETURN(bool has_title, title.Step());
    if (has_title) row.title = title.ColumnText(0);
    title.Reset();
    out.push_back(std::move(row));
  }
  // Most expensive first, as the reference orders sessions.
  std::sort(out.begin(), out.end(), [](const UsageRow& a, const UsageRow& b) {
    if (a.tokens.cost_nanousd != b.tokens.cost_nanousd) return a.tokens.cost_nanousd > b.tokens.cost_nanousd;
    return a.key < b.key;
  });
  return out;
}

std::string SessionTitleSql(const std::string& session) {
  // The fallback walks the session's winners in time order, so it is asked
  // only of a session without a conversation of its own.
  return absl::StrCat(
      "CASE WHEN EXISTS (SELECT 1 FROM conversations WHERE session_id = ", session, ")"
      " THEN coalesce((SELECT title FROM conversations WHERE session_id = ", session, "), '')"
      " ELSE coalesce((SELECT c.title FROM usage_winners w JOIN conversations c ON c.id = w.conversation_id"
      " WHERE w.report_session = ", session, " AND w.source = 'message' AND c.title IS NOT NULL"
      " ORDER BY w.timestamp_ms LIMIT 1), '') END");
}

absl::StatusOr<std::vector<UsageRow>> ProjectReport(Db& db, const ReportFilter& filter) {
  auto [start, end] = Bounds(filter);
  ASSIGN_OR_RETURN(Stmt stmt, db.Prepare(absl::StrFormat(
      "SELECT p.dir_name, a.model, %s FROM token_rollups a"
      " JOIN projects p ON p.id = a.project_id"
      " WHERE a.bucket_ms >= ?1 AND a.bucket_ms < ?2%s GROUP BY p.dir_name, a.model",
      kTokenSums, ProjectClause(filter, "a.project_id"))));
  stmt.Bind(1, start).Bind(2, end);
  std::map<std::string, std::map<std::string, TokenTotals>> grouped;
  RETURN_IF_ERROR(stmt.ForEachRow([&grouped](const Stmt& r) {
    AddSums(grouped[r.ColumnText(0)][r.ColumnText(1)], r, 2);
    return true;
  }));
  std::vector<UsageRow> rows = Finish(grouped);
  std::sort(rows.begin(), rows.end(), [](const UsageRow& a, const UsageRow& b) {
    if (a.tokens.cost_nanousd != b.tokens.cost_nanousd) return a.tokens.cost_nanousd > b.tokens.cost_nanousd;
    return a.key < b.key;
  });
  return rows;
}

void ToolTally::Summarize(std::vector<int64_t>& d, ToolRow& r) {
  if (d.empty()) return;
  std::sort(d.begin(), d.end());
  double sum = 0;
  for (int64_t v : d) sum += static_cast<double>(v);
  r.mean_ms = sum / static_cast<double>(d.size());
  size_t idx = (d.size() * 95 + 99) / 100;  // nearest-rank p95
  // Its duration bin, as the local report reads it from tool_rollups (the
  // bin is monotonic, so this is the nearest rank of the bins): a team
  // server's report of one machine equals that machine's.
  r.p95_ms = DurationBin(d[std::max<size_t>(idx, 1) - 1]);
}

void ToolTally::Close() {
  if (out_.empty()) return;
  all_durations_.insert(all_durations_.end(), durations_.begin(), durations_.end());
  Summarize(durations_, out_.back());
  durations_.clear();
}

void ToolTally::Add(const std::string& tool, const std::string& status, std::optional<int64_t> duration_ms) {
  if (out_.empty() || out_.back().tool != tool) {
    Close();
    out_.push_back(ToolRow{tool});
  }
  ToolRow& r = out_.back();
  ++r.calls;
  if (status == "error") ++r.errors;
  if (status == "rejected") ++r.rejected;
  if (status == "interrupted") ++r.interrupted;
  if (status == "pending") ++r.pending;
  if (duration_ms.has_value()) durations_.push_back(*duration_ms);
}

std::vector<ToolRow> ToolTally::Finish(ToolRow* total) {
  Close();
  if (total != nullptr) {
    *total = ToolRow{"Total"};
    for (const ToolRow& r : out_) {
      total->calls += r.calls;
      total->errors += r.errors;
      total->rejected += r.rejected;
      total->interrupted += r.interrupted;
      total->pending += r.pending;
    }
    Summarize(all_durations_, *total);
  }
  std::sort(out_.begin(), out_.end(), [](const ToolRow& a, const ToolRow& b) {
    if (a.calls != b.calls) return a.calls > b.calls;
    return a.tool < b.tool;
  });
  return std::move(out_);
}

namespace {

// Calls and the duration histogram of one tool (or of all) over a period,
// summed over rollup rows, some of them taken out again (sign -1: ToolPeriods'
// corrections): counts by status, the exact sum of the known durations, and
// calls per duration bin.
struct ToolSums {
  ToolRow row;
  int64_t timed = 0;  // calls with a known duration
  int64_t duration_sum = 0;

  // Columns from `col`: calls, errors, rejected, interrupted, pending, and
  // the sum of the durations, added only `with_durations` (a row of a bin
  // >= 0: the reports leave unknown and negative durations out of means).
  void AddCounts(const Stmt& s, int col, int64_t sign, bool with_durations) {
    row.calls += sign * s.ColumnInt(col);
    row.errors += sign * s.ColumnInt(col + 1);
    row.rejected += sign * s.ColumnInt(col + 2);
    row.interrupted += sign * s.ColumnInt(col + 3);
    row.pending += sign * s.ColumnInt(col + 4);
    if (with_durations) duration_sum += sign * s.ColumnInt(col + 5);
  }
  void AddBin(int64_t bin, int64_t calls) {
    timed += calls;
    AddEntry(bin, calls);
  }
  void Merge(const ToolSums& o) {
    row.calls += o.row.calls;
    row.errors += o.row.errors;
    row.rejected += o.row.rejected;
    row.interrupted += o.row.interrupted;
    row.pending += o.row.pending;
    timed += o.timed;
    duration_sum += o.duration_sum;
    for (const auto& [bin, n] : o.few) AddEntry(bin, n);
    for (const auto& [bin, n] : o.many) AddEntry(bin, n);
  }
  // Mean over every known duration; p95 by nearest rank over the bins (the
  // bin's lower bound: exact below 1 s, within 1 % above).
  ToolRow Finish() {
    ToolRow r = row;
    if (timed <= 0) return r;
    r.mean_ms = static_cast<double>(duration_sum) / static_cast<double>(timed);
    const int64_t rank = std::max<int64_t>(1, (timed * 95 + 99) / 100);
    few.insert(few.end(), many.begin(), many.end());
    many.clear();
    r.p95_ms = NearestRankBin(few, rank);
    return r;
  }

 private:
  // The smallest bin whose calls and those of every smaller bin reach
  // `rank`, by selection (partitions around a bin) rather than a sort. A
  // bin may be there more than once, some of it taken out again; its net
  // count is never negative, so those sums grow with the bin.
  static int64_t NearestRankBin(std::vector<std::pair<int64_t, int64_t>>& bins, int64_t rank) {
    auto first = bins.begin(), last = bins.end();
    while (first != last) {
      const int64_t pivot = first[(last - first) / 2].first;
      auto at = std::partition(first, last, [pivot](const auto& e) { return e.first < pivot; });
      auto above = std::partition(at, last, [pivot](const auto& e) { return e.first == pivot; });
      int64_t below_calls = 0, at_calls = 0;
      for (auto it = first; it != at; ++it) below_calls += it->second;
      if (below_calls >= rank) {
        last = at;
        continue;
      }
      for (auto it = at; it != above; ++it) at_calls += it->second;
      if (below_calls + at_calls >= rank) return pivot;
      rank -= below_calls + at_calls;
      first = above;
    }
    return 0;  // fewer calls than `rank`: not reached
  }

  // Calls per duration bin: appended to `few` (a tool's day holds a few
  // bins), summed in `many` once they are more.
  void AddEntry(int64_t bin, int64_t calls) {
    if (!many.empty()) {
      many[bin] += calls;
      return;
    }
    if (few.empty()) few.reserve(64);
    few.emplace_back(bin, calls);
    if (few.size() < 1024) return;
    for (const auto& [b, n] : few) many[b] += n;
    few.clear();
  }
  std::vector<std::pair<int64_t, int64_t>> few;
  absl::flat_hash_map<int64_t, int64_t> many;
};

// Reads a tool_rollups_daily histogram, `{"bin":calls,...}` as SQLite's
// JSON functions write it, into `sums`; false when it is not that.
bool AddDurations(std::string_view json, int64_t sign, ToolSums& sums) {
  size_t i = 0;
  auto number = [&json, &i](int64_t* out) {
    bool negative = i < json.size() && json[i] == '-';
    if (negative) ++i;
    const size_t begin = i;
    int64_t v = 0;
    for (; i < json.size() && json[i] >= '0' && json[i] <= '9' && i - begin < 18; ++i) v = v * 10 + (json[i] - '0');
    *out = negative ? -v : v;
    return i > begin;
  };
  if (json.empty() || json[i++] != '{') return false;
  if (i < json.size() && json[i] == '}') return i + 1 == json.size();
  while (i < json.size()) {
    int64_t bin = 0, calls = 0;
    if (json[i++] != '"' || !number(&bin) || i + 1 >= json.size() || json[i] != '"' || json[i + 1] != ':') {
      return false;
    }
    i += 2;
    if (!number(&calls) || i >= json.size()) return false;
    sums.AddBin(bin, sign * calls);
    const char next = json[i++];
    if (next == '}') return i == json.size();
    if (next != ',') return false;
  }
  return false;
}

// Tool sums per period and tool, the periods being [bounds[i], bounds[i+1])
// (UTC milliseconds, ascending): the days of a zone, or one range.
struct PeriodTools {
  std::vector<std::string> tools;  // by tool id, in the order they came
  absl::flat_hash_map<std::string, size_t> ids;
  std::vector<std::vector<ToolSums>> sums;  // [period][tool id]; a tool without calls has calls 0

  ToolSums& Of(int64_t period, std::string_view tool) {
    auto it = ids.find(absl::string_view(tool.data(), tool.size()));
    if (it == ids.end()) {
      it = ids.emplace(std::string(tool), tools.size()).first;
      tools.emplace_back(tool);
    }
    std::vector<ToolSums>& in_period = sums[static_cast<size_t>(period)];
    if (in_period.size() <= it->second) in_period.resize(tools.size());
    return in_period[it->second];
  }
  // Calls `f(name, sums)` for each tool with calls in `period`, by name.
  template <typename F>
  void ForEachTool(size_t period, F f) {
    std::vector<size_t> order(tools.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [this](size_t a, size_t b) { return tools[a] < tools[b]; });
    for (size_t id : order) {
      if (id < sums[period].size() && sums[period][id].row.calls != 0) f(tools[id], sums[period][id]);
    }
  }
};

// Fills `out` from the rollups (the caller holds a read snapshot).
// Every UTC day of tool_rollups_daily counts whole for the period holding
// its noon; where a period boundary cuts a UTC day (a zone's midnight that
// is not UTC's, or the range's ends), the 15-minute rows of the day's part
// on the other side of it are taken out of that period and added to their
// own: exact counts with at most half a day of 15-minute rows per boundary
// (none in UTC), instead of every 15-minute row of the range.
absl::Status ToolPeriods(Db& db, const ReportFilter& filter, const std::vector<int64_t>& bounds, PeriodTools* out) {
  constexpr int64_t kDay = 86400000;
  constexpr int64_t kHalfDay = kDay / 2;
  out->sums.assign(bounds.size() < 2 ? 0 : bounds.size() - 1, {});
  if (out->sums.empty()) return absl::OkStatus();
  const std::string projects = ProjectClause(filter, "project_id");
  ASSIGN_OR_RETURN(Stmt days, db.Prepare(absl::StrCat(
      "SELECT tool_name, day_ms, calls, errors, rejected, interrupted, pending, duration_sum_ms, durations"
      " FROM tool_rollups_daily WHERE day_ms >= ?1 AND day_ms < ?2", projects)));
  ASSIGN_OR_RETURN(Stmt quarters, db.Prepare(absl::StrCat(
      "SELECT tool_name, duration_bin, calls, errors, rejected, interrupted, pending, duration_sum_ms"
      " FROM tool_rollups WHERE bucket_ms >= ?1 AND bucket_ms < ?2", projects)));
  // The period holding `t`, or -1.
  auto period_of = [&bounds](int64_t t) -> int64_t {
    if (t < bounds.front() || t >= bounds.back()) return -1;
    return std::upper_bound(bounds.begin(), bounds.end(), t) - bounds.begin() - 1;
  };
  auto floor_day = [](int64_t t) { return t - ((t % kDay) + kDay) % kDay; };

  // Whole days, each to the period of its noon.
  days.Bind(1, bounds.front() - kHalfDay).Bind(2, bounds.back() - kHalfDay);
  int64_t day = std::numeric_limits<int64_t>::min();
  int64_t period = -1;
  bool parsed = true;
  RETURN_IF_ERROR(days.ForEachRow([&](const Stmt& r) {
    if (const int64_t d = r.ColumnInt(1); d != day) {
      day = d;
      period = period_of(d + kHalfDay);
    }
    if (period < 0) return true;  // (the days read are those whose noon is in a period)
    ToolSums& sums = out->Of(period, r.ColumnView(0));
    sums.AddCounts(r, 2, 1, true);
    parsed = AddDurations(r.ColumnView(8), 1, sums);
    return parsed;
  }));
  if (!parsed) return absl::DataLossError("tool_rollups_daily: a durations value is not as written");

  // The parts of each UTC day that belong to another period than its noon.
  auto move = [&](int64_t from_ms, int64_t to_ms, int64_t add_to, int64_t take_from) -> absl::Status {
    quarters.Bind(1, from_ms).Bind(2, to_ms);
    return quarters.ForEachRow([&](const Stmt& r) {
      const int64_t bin = r.ColumnInt(1);
      for (auto [p, sign] : {std::pair<int64_t, int64_t>{add_to, 1}, {take_from, -1}}) {
        if (p < 0) continue;
        ToolSums& sums = out->Of(p, r.ColumnView(0));
        sums.AddCounts(r, 2, sign, bin >= 0);
        if (bin >= 0) sums.AddBin(bin, sign * r.ColumnInt(2));
      }
      return true;
    });
  };
  for (int64_t d = floor_day(bounds.front()); d < bounds.back(); d += kDay) {
    const int64_t noon = period_of(d + kHalfDay);
    int64_t from = d;
    auto cut = std::upper_bound(bounds.begin(), bounds.end(), d);
    while (from < d + kDay) {
      const int64_t to = (cut != bounds.end() && *cut < d + kDay) ? *cut++ : d + kDay;
      if (const int64_t p = period_of(from); p != noon) RETURN_IF_ERROR(move(from, to, p, noon));
      from = to;
    }
  }
  return absl::OkStatus();
}

// The filter's range cut to the UTC days tool_rollups_daily holds (nothing
// lies outside them); nullopt when nothing is left.
absl::StatusOr<std::optional<std::pair<int64_t, int64_t>>> StoredToolRange(Db& db, const ReportFilter& filter) {
  ASSIGN_OR_RETURN(Stmt s, db.Prepare("SELECT (SELECT min(day_ms) FROM tool_rollups_daily),"
                                      " (SELECT max(day_ms) + 86400000 FROM tool_rollups_daily)"));
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row || s.ColumnIsNull(0)) return std::nullopt;
  auto [start, end] = Bounds(filter);
  start = std::max(start, s.ColumnInt(0));
  end = std::min(end, s.ColumnInt(1));
  if (start >= end) return std::nullopt;
  return std::make_pair(start, end);
}

}  // namespace

absl::StatusOr<std::vector<ToolRow>> ToolReport(Db& db, const ReportFilter& filter, ToolRow* total) {
  if (total != nullptr) *total = ToolRow{"Total"};
  ASSIGN_OR_RETURN(ReadSnapshot snapshot, ReadSnapshot::Begin(db));
  ASSIGN_OR_RETURN(auto range, StoredToolRange(db, filter));
  if (!range.has_value()) return std::vector<ToolRow>{};
  PeriodTools periods;  // the range as one period
  RETURN_IF_ERROR(ToolPeriods(db, filter, {range->first, range->second}, &periods));
  std::vector<ToolRow> out;
  ToolSums all;
  periods.ForEachTool(0, [&](const std::string& name, ToolSums& sums) {
    sums.row.tool = name;
    out.push_back(sums.Finish());
    all.Merge(sums);
  });
  if (total != nullptr) {
    all.row.tool = "Total";
    *total = all.Finish();
  }
  std::sort(out.begin(), out.end(), [](const ToolRow& a, const ToolRow& b) {
    if (a.calls != b.calls) return a.calls > b.calls;
    return a.tool < b.tool;
  });
  return out;
}

absl::StatusOr<std::optional<int64_t>> SessionCostNanousd(Db& db, const std::string& session) {
  ASSIGN_OR_RETURN(Stmt s, db.Prepare("SELECT sum(cost_nanousd), count(*) FROM session_token_rollups"
                                      " WHERE report_session = ?"));
  s.Bind(1, session);
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row || s.ColumnInt(1) == 0) return std::nullopt;
  return s.ColumnInt(0);
}

absl::StatusOr<int64_t> CostNanousdBetween(Db& db, int64_t from_ms, int64_t to_ms) {
  ASSIGN_OR_RETURN(Stmt s, db.Prepare("SELECT sum(cost_nanousd) FROM token_rollups WHERE bucket_ms >= ? AND bucket_ms < ?"));
  s.Bind(1, from_ms).Bind(2, to_ms);
  ASSIGN_OR_RETURN(bool row, s.Step());
  return row ? s.ColumnInt(0) : 0;
}

absl::StatusOr<std::vector<ToolDayRow>> ToolTimeline(Db& db, const ReportFilter& filter) {
  ASSIGN_OR_RETURN(ReadSnapshot snapshot, ReadSnapshot::Begin(db));
  ASSIGN_OR_RETURN(auto range, StoredToolRange(db, filter));
  if (!range.has_value()) return std::vector<ToolDayRow>{};
  auto [start, end] = *range;
  // The zone's days from the one holding the first stored or asked-for
  // instant to the one holding the last.
  std::vector<absl::CivilDay> days;
  std::vector<int64_t> bounds;
  const absl::CivilDay last = absl::ToCivilDay(absl::FromUnixMillis(end - 1), filter.tz);
  for (absl::CivilDay d = absl::ToCivilDay(absl::FromUnixMillis(start), filter.tz); d <= last; ++d) {
    days.push_back(d);
    bounds.push_back(absl::ToUnixMillis(absl::FromCivil(d, filter.tz)));
  }
  bounds.push_back(absl::ToUnixMillis(absl::FromCivil(last + 1, filter.tz)));
  PeriodTools periods;
  RETURN_IF_ERROR(ToolPeriods(db, filter, bounds, &periods));
  std::vector<ToolDayRow> out;
  for (size_t i = 0; i < days.size(); ++i) {
    periods.ForEachTool(i, [&](const std::string& name, ToolSums& sums) {
      sums.row.tool = name;
      out.push_back(ToolDayRow{absl::FormatCivilTime(days[i]), sums.Finish()});
    });
  }
  return out;
}

std::pair<int64_t, int64_t> ReportBounds(const ReportFilter& filter) { return Bounds(filter); }
std::string ReportPeriodKey(int64_t bucket_ms, Period period, const ReportFilter& filter) {
  return PeriodKey(absl::ToCivilDay(absl::FromUnixMillis(bucket_ms), filter.tz), period, filter);
}
std::vector<UsageRow> FinishUsageRows(UsageGroups& grouped) { return Finish(grouped); }

namespace {

// Claude Code's project directory name for a working directory.
std::string EncodeCwd(const std::string& cwd) {
  std::string out = cwd;
  for (char& c : out) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-') c = '-';
  }
  return out;
}

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

}  // namespace

absl::StatusOr<ProjectMatch> MatchProjects(Db& db, const std::string& query) {
  std::string q = query;
  while (q.size() > 1 && q.back() == '/') q.pop_back();
  ProjectMatch match;
  {
    ASSIGN_OR_RETURN(Stmt stmt, db.Prepare(
        "SELECT id FROM projects WHERE dir_name = ?1 OR cwd = ?1 OR dir_name = ?2"
        " UNION SELECT project_id FROM project_cwds WHERE cwd = ?1 ORDER BY 1"));
    stmt.Bind(1, q).Bind(2, EncodeCwd(q));
    RETURN_IF_ERROR(stmt.ForEachRow([&match](const Stmt& r) {
      match.ids.push_back(r.ColumnInt(0));
      return true;
    }));
  }
  if (!match.ids.empty()) return match;
  // Nearest names, one per project: its directory name or any cwd seen.
  ASSIGN_OR_RETURN(Stmt names, db.Prepare(
      "SELECT p.id, p.dir_name, coalesce(p.cwd, ''), p.dir_name FROM projects p"
      " UNION ALL SELECT c.project_id, c.cwd, c.cwd, p.dir_name FROM project_cwds c"
      " JOIN projects p ON p.id = c.project_id"));
  std::map<int64_t, std::pair<size_t, std::string>> best;  // project -> (distance, label)
  RETURN_IF_ERROR(names.ForEachRow([&](const Stmt& r) {
    const int64_t id = r.ColumnInt(0);
    const std::string candidate = r.ColumnText(1);
    const std::string cwd = r.ColumnText(2);
    const std::string dir = r.ColumnText(3);
    const size_t distance = EditDistance(q, candidate);
    std::string label = cwd.empty() ? dir : absl::StrCat(cwd, " (", dir, ")");
    auto [it, inserted] = best.try_emplace(id, distance, label);
    if (!inserted && (distance < it->second.first || (distance == it->second.first && label < it->second.second))) {
      it->second = {distance, std::move(label)};
    }
    return true;
  }));
  std::vector<std::pair<size_t, std::string>> ranked;
  for (auto& [id, entry] : best) ranked.push_back(std::move(entry));
  std::sort(ranked.begin(), ranked.end());
  for (size_t i = 0; i < ranked.size() && i < 3; ++i) match.closest.push_back(ranked[i].second);
  return match;
}

absl::Status AddAgentBreakdown(Db& db, const ReportFilter& filter, std::vector<UsageRow>* sessions) {
  // The file of each winner's line says which agent's transcript it came
  // from; a copy embedded in a progress line of the main transcript names
  // its agent in data.agentId.
  ASSIGN_OR_RETURN(Stmt stmt, db.Prepare(absl::StrFormat(
      "SELECT coalesce(f.agent_id, CASE WHEN w.source = 'event' THEN json_extract(cco_raw(e.raw), '$.data.agentId') END, ''),"
      " w.model, sum(w.input_tokens), sum(w.output_tokens), sum(w.cache_creation_tokens), sum(w.cache_read_tokens),"
      " sum(w.cost_nanousd), count(*), sum(w.priced = 0)"
      " FROM usage_winners w"
      " LEFT JOIN messages m ON w.source = 'message' AND m.id = w.source_id"
      " LEFT JOIN events e ON w.source = 'event' AND e.id = w.source_id"
      " LEFT JOIN files f ON f.id = coalesce(m.file_id, e.file_id)"
      " WHERE w.report_session = ?1%s GROUP BY 1, 2",
      ProjectClause(filter, "w.project_id"))));
  ASSIGN_OR_RETURN(Stmt types, db.Prepare(
      "SELECT agent_id, max(agent_type) FROM files WHERE report_session = ?1 AND agent_id IS NOT NULL"
      " GROUP BY agent_id"));
  for (UsageRow& session : *sessions) {
    Grouped by_agent;
    stmt.Bind(1, session.key);
    RETURN_IF_ERROR(stmt.ForEachRow([&by_agent](const Stmt& r) {
      AddSums(by_agent[r.ColumnText(0)][r.ColumnText(1)], r, 2);
      return true;
    }));
    absl::flat_hash_map<std::string, std::string> type_of;
    types.Bind(1, session.key);
    RETURN_IF_ERROR(types.ForEachRow([&type_of](const Stmt& r) {
      type_of[r.ColumnText(0)] = r.ColumnText(1);
      return true;
    }));
    session.agents.clear();
    for (UsageRow& row : Finish(by_agent)) {
      AgentRow agent;
      agent.agent_id = row.key;
      if (auto it = type_of.find(row.key); it != type_of.end()) agent.agent_type = it->second;
      agent.tokens = row.tokens;
      agent.models = std::move(row.models);
      session.agents.push_back(std::move(agent));
    }
    std::sort(session.agents.begin(), session.agents.end(), [](const AgentRow& a, const AgentRow& b) {
      if (a.agent_id.empty() != b.agent_id.empty()) return a.agent_id.empty();
      if (a.tokens.cost_nanousd != b.tokens.cost_nanousd) return a.tokens.cost_nanousd > b.tokens.cost_nanousd;
      return a.agent_id < b.agent_id;
    });
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> ProjectDirName(Db& db, int64_t project_id) {
  ASSIGN_OR_RETURN(Stmt s, db.Prepare("SELECT dir_name FROM projects WHERE id = ?1"));
  std::optional<std::string> name;
  RETURN_IF_ERROR(s.Bind(1, project_id).ForEachRow([&name](const Stmt& r) {
    name = r.ColumnText(0);
    return false;
  }));
  return name;
}

}  // namespace cco
