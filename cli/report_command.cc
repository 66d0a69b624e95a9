// `cco report daily|weekly|monthly|session|project|tools`: reads the
// rollups through a read-only connection; works while the daemon writes.
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "cli/commands.h"
#include "cli/format.h"
#include "cli/flags.h"
#include "src/json_writer.h"
#include "src/daemon/paths.h"
#include "src/reader.h"

namespace cco {
namespace {

constexpr char kReportUsage[] =
    "usage: cco report daily|weekly|monthly|session|project|tools [--db PATH] [--tz ZONE]\n"
    "                  [--since YYYY-MM-DD] [--until YYYY-MM-DD] [--project NAME] [--json]\n"
    "                  [--start-of-week sunday|monday|...] [--by-agent (session)]\n";

double Usd(int64_t nano) { return static_cast<double>(nano) / 1e9; }

std::string Thousands(int64_t v) {
  std::string digits = std::to_string(v < 0 ? -v : v);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return v < 0 ? "-" + out : out;
}

void WriteTokens(JsonWriter& j, const TokenTotals& t) {
  j.Field("inputTokens", t.input)
      .Field("outputTokens", t.output)
      .Field("cacheCreationTokens", t.cache_creation)
      .Field("cacheReadTokens", t.cache_read)
      .Field("totalTokens", t.total());
}

// modelsUsed and modelBreakdowns of a row or an agent.
void WriteModels(JsonWriter& j, const std::vector<ModelTotals>& models) {
  j.Key("modelsUsed").BeginArray();
  for (const ModelTotals& m : models) j.String(m.model);
  j.EndArray();
  j.Key("modelBreakdowns").BeginArray();
  for (const ModelTotals& m : models) {
    j.BeginObject().Field("modelName", m.model);
    j.Field("inputTokens", m.tokens.input)
        .Field("outputTokens", m.tokens.output)
        .Field("cacheCreationTokens", m.tokens.cache_creation)
        .Field("cacheReadTokens", m.tokens.cache_read)
        .Field("cost", Usd(m.tokens.cost_nanousd));
    if (m.tokens.unpriced_calls > 0) {
      j.Field("missingPricing", true).Field("unpricedCalls", m.tokens.unpriced_calls);
    }
    j.EndObject();
  }
  j.EndArray();
}

void WriteUsageRow(JsonWriter& j, const UsageRow& row, const char* key_name, bool session) {
  j.BeginObject();
  j.Field(key_name, row.key);
  if (session) {
    j.Field("projectPath", row.project);
    j.Field("firstActivity", IsoMs(row.first_ms));
    j.Field("lastActivity", IsoMs(row.last_ms));
  }
  WriteTokens(j, row.tokens);
  j.Field("totalCost", Usd(row.tokens.cost_nanousd));
  WriteModels(j, row.models);
  if (!row.agents.empty()) {
    // --by-agent: the session per agent; agentId null is the main transcript.
    j.Key("agents").BeginArray();
    for (const AgentRow& a : row.agents) {
      j.BeginObject();
      if (a.agent_id.empty()) {
        j.Key("agentId").Null();
      } else {
        j.Field("agentId", a.agent_id);
      }
      if (a.agent_type.empty()) {
        j.Key("agentType").Null();
      } else {
        j.Field("agentType", a.agent_type);
      }
      WriteTokens(j, a.tokens);
      j.Field("totalCost", Usd(a.tokens.cost_nanousd));
      WriteModels(j, a.models);
      j.EndObject();
    }
    j.EndArray();
  }
  j.EndObject();
}

// Models with unpriced calls: how many, and the rows (days, sessions…) they
// fall in, so a user sees which figures are low.
std::map<std::string, std::pair<int64_t, std::vector<std::string>>> UnpricedModels(
    const std::vector<UsageRow>& rows) {
  std::map<std::string, std::pair<int64_t, std::vector<std::string>>> out;
  for (const UsageRow& row : rows) {
    for (const ModelTotals& m : row.models) {
      if (m.tokens.unpriced_calls == 0) continue;
      auto& [calls, keys] = out[m.model];
      calls += m.tokens.unpriced_calls;
      keys.push_back(row.key);
    }
  }
  return out;
}

std::string UsageJson(const std::vector<UsageRow>& rows, const char* array_name, const char* key_name,
                      bool session) {
  TokenTotals totals;
  JsonWriter j;
  j.BeginObject().Key(array_name).BeginArray();
  for (const UsageRow& row : rows) {
    WriteUsageRow(j, row, key_name, session);
    totals.Add(row.tokens);
  }
  j.EndArray().Key("totals").BeginObject();
  WriteTokens(j, totals);
  j.Field("totalCost", Usd(totals.cost_nanousd));
  if (totals.unpriced_calls > 0) {
    j.Field("unpricedCalls", totals.unpriced_calls);
    j.Key("unpricedModels").BeginArray();
    for (const auto& entry : UnpricedModels(rows)) j.String(entry.first);
    j.EndArray();
  }
  j.EndObject().EndObject();
  return j.str();
}

void PrintTable(const std::vector<std::vector<std::string>>& rows) {
  if (rows.empty()) return;
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& r : rows) {
    for (size_t c = 0; c < r.size(); ++c) width[c] = std::max(width[c], r[c].size());
  }
  for (size_t i = 0; i < rows.size(); ++i) {
    std::string line;
    for (size_t c = 0; c < rows[i].size(); ++c) {
      const std::string& cell = rows[i][c];
      std::string pad(width[c] - cell.size(), ' ');
      line += c == 0 || c == 1 ? cell + pad : pad + cell;  // text left, numbers right
      if (c + 1 < rows[i].size()) line += "  ";
    }
    std::printf("%s\n", line.c_str());
    if (i == 0) {
      size_t total = 0;
      for (size_t w : width) total += w + 2;
      std::printf("%s\n", std::string(total - 2, '-').c_str());
    }
  }
}

std::string ShortModels(const std::vector<ModelTotals>& models) {
  std::vector<std::string> names;
  for (const ModelTotals& m : models) names.push_back(absl::StrReplaceAll(m.model, {{"claude-", ""}}));
  return absl::StrJoin(names, ", ");
}

std::vector<std::string> TokenCells(const std::string& label, const std::string& models, const TokenTotals& t) {
  return {label,
          models,
          Thousands(t.input),
          Thousands(t.output),
          Thousands(t.cache_creation),
          Thousands(t.cache_read),
          Thousands(t.total()),
          absl::StrFormat("%.2f", Usd(t.cost_nanousd))};
}

void PrintUsage(const std::vector<UsageRow>& rows, const std::string& heading) {
  std::vector<std::vector<std::string>> table = {
      {heading, "Models", "Input", "Output", "Cache create", "Cache read", "Total tokens", "Cost (USD)"}};
  TokenTotals totals;
  for (const UsageRow& row : rows) {
    const TokenTotals& t = row.tokens;
    table.push_back(TokenCells(row.key, ShortModels(row.models), t));
    for (const AgentRow& a : row.agents) {
      std::string label = a.agent_id.empty() ? "  main" : absl::StrCat("  agent ", a.agent_id);
      if (!a.agent_type.empty()) absl::StrAppend(&label, " (", a.agent_type, ")");
      table.push_back(TokenCells(label, ShortModels(a.models), a.tokens));
    }
    totals.Add(t);
  }
  table.push_back(TokenCells("Total", "", totals));
  PrintTable(table);
  if (totals.unpriced_calls > 0) {
    std::printf("\n%lld API calls used models without a known price and count 0 USD:\n",
                static_cast<long long>(totals.unpriced_calls));
    for (const auto& [model, where] : UnpricedModels(rows)) {
      std::printf("  %s: %lld %s (%s)\n", model.c_str(), static_cast<long long>(where.first),
                  where.first == 1 ? "call" : "calls", absl::StrJoin(where.second, ", ").c_str());
    }
    std::printf("A cco whose price table knows them prices them again (see cco rederive).\n");
  }
  std::printf("\nOutput tokens are a lower bound: most Claude Code versions never write a streamed\n"
              "response's final usage to the transcript.\n");
}

std::optional<absl::CivilDay> ParseDay(const std::string& text) {
  std::string s = text;
  if (s.size() == 8 && s.find('-') == std::string::npos) s = s.substr(0, 4) + "-" + s.substr(4, 2) + "-" + s.substr(6);
  absl::CivilDay day;
  if (!absl::ParseCivilTime(s, &day)) return std::nullopt;
  return day;
}

std::optional<absl::Weekday> ParseWeekday(const std::string& text) {
  static const std::pair<const char*, absl::Weekday> kDays[] = {
      {"monday", absl::Weekday::monday},     {"tuesday", absl::Weekday::tuesday},
      {"wednesday", absl::Weekday::wednesday}, {"thursday", absl::Weekday::thursday},
      {"friday", absl::Weekday::friday},     {"saturday", absl::Weekday::saturday},
      {"sunday", absl::Weekday::sunday}};
  std::string lower = absl::AsciiStrToLower(text);
  for (const auto& [name, day] : kDays) {
    if (lower == name) return day;
  }
  return std::nullopt;
}

int Usage(const std::string& message) {
  std::fprintf(stderr, "cco report: %s\n%s", message.c_str(), kReportUsage);
  return kExitUsage;
}

}  // namespace

int RunReport(const std::vector<std::string>& argv) {
  FlagSpec spec;
  spec.value_flags = {"db", "tz", "since", "until", "project", "start-of-week"};
  spec.bool_flags = {"json", "by-agent"};
  spec.max_positional = 1;
  auto args = ParseArgs(argv, spec);
  if (!args.ok()) return Usage(std::string(args.status().message()));
  if (args->positional().empty()) return Usage("which report? daily, weekly, monthly, session, project or tools");
  const std::string kind = args->positional()[0];

  ReportFilter filter;
  const std::string tz_name = args->Get("tz", "UTC");
  if (!absl::LoadTimeZone(tz_name, &filter.tz)) {
    std::fprintf(stderr, "cco report: unknown time zone '%s' (use an IANA name such as Europe/Berlin)\n",
                 tz_name.c_str());
    return kExitUsage;
  }
  for (const char* flag : {"since", "until"}) {
    if (!args->Has(flag)) continue;
    auto day = ParseDay(args->Get(flag));
    if (!day.has_value()) return Usage(absl::StrCat("--", flag, " needs a date YYYY-MM-DD"));
    (std::string(flag) == "since" ? filter.since : filter.until) = day;
  }
  if (args->Has("start-of-week")) {
    auto day = ParseWeekday(args->Get("start-of-week"));
    if (!day.has_value()) return Usage("--start-of-week needs a day name");
    filter.week_start = *day;
  }

  auto db_path = ResolveDbPath(args->Get("db"));
  if (!db_path.ok()) return Usage(std::string(db_path.status().message()));
  absl::StatusOr<std::unique_ptr<SqliteReader>> opened = SqliteReader::Open(*db_path);
  if (!opened.ok()) return ReportFailure(opened.status(), "cco report");
  Reader& db = **opened;
  const bool json = args->Has("json");
  const bool by_agent = args->Has("by-agent");
  if (by_agent && kind != "session") return Usage("--by-agent goes with the session report");
  if (args->Has("project")) {
    // A name that matches nothing is a mistake to show, not an empty report.
    const std::string query = args->Get("project");
    auto match = db.MatchProjects(query);
    if (!match.ok()) return ReportFailure(match.status(), "cco report");
    if (match->ids.empty()) {
      std::fprintf(stderr, "cco report: no project matches '%s'\n", query.c_str());
      if (!match->closest.empty()) {
        std::fprintf(stderr, "closest known projects:\n");
        for (const std::string& name : match->closest) std::fprintf(stderr, "  %s\n", name.c_str());
      }
      return kExitUsage;
    }
    filter.restrict_projects = true;
    filter.project_ids = std::move(match->ids);
  }

  auto fail = [](const absl::Status& s) { return ReportFailure(s, "cco report"); };
  if (kind == "daily" || kind == "weekly" || kind == "monthly") {
    Period period = kind == "daily" ? Period::kDay : kind == "weekly" ? Period::kWeek : Period::kMonth;
    auto rows = db.PeriodReport(period, filter);
    if (!rows.ok()) return fail(rows.status());
    const char* key = kind == "daily" ? "date" : kind == "weekly" ? "week" : "month";
    if (json) {
      std::printf("%s\n", UsageJson(*rows, kind.c_str(), key, false).c_str());
    } else {
      PrintUsage(*rows, kind == "daily" ? "Date" : kind == "weekly" ? "Week of" : "Month");
    }
    return kExitOk;
  }
  if (kind == "session" || kind == "project") {
    auto rows = kind == "session" ? db.SessionReport(filter) : db.ProjectReport(filter);
    if (!rows.ok()) return fail(rows.status());
    if (by_agent) {
      if (absl::Status s = db.AddAgentBreakdown(filter, &*rows); !s.ok()) return fail(s);
    }
    if (json) {
      std::printf("%s\n", UsageJson(*rows, kind == "session" ? "sessions" : "projects",
                                    kind == "session" ? "sessionId" : "project", kind == "session")
                              .c_str());
    } else {
      PrintUsage(*rows, kind == "session" ? "Session" : "Project");
    }
    return kExitOk;
  }
  if (kind == "tools") {
    auto rows = db.ToolReport(filter);
    if (!rows.ok()) return fail(rows.status());
    if (json) {
      JsonWriter j;
      j.BeginObject().Key("tools").BeginArray();
      for (const ToolRow& r : *rows) {
        j.BeginObject()
            .Field("tool", r.tool)
            .Field("calls", r.calls)
            .Field("errors", r.errors)
            .Field("rejected", r.rejected)
            .Field("interrupted", r.interrupted)
            .Field("pending", r.pending)
            .Field("errorRate", r.error_rate())
            .Field("meanDurationMs", r.mean_ms)
            .Field("p95DurationMs", r.p95_ms)
            .EndObject();
      }
      j.EndArray().EndObject();
      std::printf("%s\n", j.str().c_str());
    } else {
      std::vector<std::vector<std::string>> table = {
          {"Tool", "", "Calls", "Errors", "Error rate", "Rejected", "Interrupted", "Pending", "Mean", "p95"}};
      for (const ToolRow& r : *rows) {
        table.push_back({r.tool, "", Thousands(r.calls), Thousands(r.errors),
                         absl::StrFormat("%.1f%%", r.error_rate() * 100), Thousands(r.rejected),
                         Thousands(r.interrupted), Thousands(r.pending),
                         absl::StrFormat("%.0f ms", r.mean_ms), absl::StrFormat("%d ms", r.p95_ms)});
      }
      PrintTable(table);
    }
    return kExitOk;
  }
  return Usage(absl::StrCat("unknown report '", kind, "'"));
}

}  // namespace cco
