// `cco search QUERY…`: full-text search over every stored message, best
// first or newest first, with a snippet per hit and how to open it.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/help.h"
#include "cli/report_query.h"
#include "cli/time_zone.h"
#include "src/daemon/paths.h"
#include "src/json_writer.h"
#include "src/reader.h"
#include "src/search.h"

namespace cco {
namespace {

int Usage(const std::string& message) {
  std::fprintf(stderr, "cco search: %s (see cco help search)\n", message.c_str());
  return kExitUsage;
}

// Colours only for a person at a terminal (https://no-color.org).
bool Colour() { return ::isatty(STDOUT_FILENO) == 1 && !NoColorFromEnvironment(); }

std::string Time(const std::optional<int64_t>& ms, const absl::TimeZone& tz) {
  if (!ms.has_value()) return "(no time)";
  return absl::FormatTime("%Y-%m-%d %H:%M", absl::FromUnixMillis(*ms), tz);
}

void PrintJson(const SearchResult& result) {
  JsonWriter j;
  j.BeginObject().Key("results").BeginArray();
  for (const SearchHit& h : result.hits) {
    j.BeginObject().Field("uuid", h.uuid).Field("session", h.session).Field("project", h.project);
    j.Key("timestamp");
    if (h.timestamp_ms.has_value()) {
      j.String(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(*h.timestamp_ms), absl::UTCTimeZone()));
    } else {
      j.Null();
    }
    j.Field("kind", h.kind).Field("snippet", h.snippet).Field("rank", h.rank).EndObject();
  }
  j.EndArray().Field("total", result.total).EndObject();
  std::printf("%s\n", j.str().c_str());
}

void PrintText(const SearchResult& result, const std::string& query, bool newest, const ReportZone& zone,
               bool colour) {
  if (result.hits.empty()) {
    std::printf("no messages match %s\n", query.c_str());
    return;
  }
  const char* dim = colour ? "\x1b[2m" : "";
  const char* bold = colour ? "\x1b[1m" : "";
  const char* reset = colour ? "\x1b[0m" : "";
  std::printf("%zu of %lld message%s matching %s, %s (times in %s)\n", result.hits.size(),
              static_cast<long long>(result.total), result.total == 1 ? "" : "s", query.c_str(),
              newest ? "newest first" : "best first", zone.name.c_str());
  for (const SearchHit& h : result.hits) {
    std::printf("\n%s%s%s  %s  %s  %s\n", bold, Time(h.timestamp_ms, zone.tz).c_str(), reset, h.project.c_str(),
                h.kind.empty() ? "message" : h.kind.c_str(), h.session.c_str());
    std::printf("  %s\n", h.snippet.c_str());
    std::printf("  %scco show %s%s%s%s\n", dim, h.session.c_str(), h.uuid.empty() ? "" : " --at ", h.uuid.c_str(),
                reset);
  }
}

}  // namespace

int RunSearch(const std::vector<std::string>& argv) {
  auto args = ParseArgs(argv, FlagsFor("search"));
  if (!args.ok()) return Usage(std::string(args.status().message()));
  if (args->positional().empty()) return Usage("what to search for? cco search WORDS");
  SearchRequest request;
  request.query = absl::StrJoin(args->positional(), " ");
  request.syntax = args->Has("fts") ? QuerySyntax::kFts5 : QuerySyntax::kWords;
  request.order = args->Has("newest") ? SearchOrder::kNewest : SearchOrder::kRank;
  request.session = args->Get("session");
  for (const std::string& value : args->GetAll("kind")) {
    for (absl::string_view k : absl::StrSplit(value, ',', absl::SkipEmpty())) request.kinds.emplace_back(k);
  }
  if (args->Has("limit")) {
    int limit = 0;
    if (!absl::SimpleAtoi(args->Get("limit"), &limit) || limit < 1 || limit > 1000) {
      return Usage(absl::StrCat("--limit '", args->Get("limit"), "' is not a number from 1 to 1000"));
    }
    request.limit = limit;
  }
  auto zone = ResolveReportZone(args->Get("tz"));
  if (!zone.ok()) return Usage(std::string(zone.status().message()));
  ReportFilter days;
  days.tz = zone->tz;
  if (absl::Status parsed = ParseDayRange(*args, &days); !parsed.ok()) return Usage(std::string(parsed.message()));
  // Whole days in the zone: from the start of --since to the end of --until.
  const auto [since_ms, until_ms] = ReportBounds(days);
  if (days.since) request.since_ms = since_ms;
  if (days.until) request.until_ms = until_ms;
  const bool json = args->Has("json");
  const bool colour = !json && Colour();
  if (colour) {
    request.mark_begin = "\x1b[1;33m";
    request.mark_end = "\x1b[0m";
  }

  auto db_path = ResolveDbPath(args->Get("db"));
  if (!db_path.ok()) return Usage(std::string(db_path.status().message()));
  absl::StatusOr<std::unique_ptr<SqliteReader>> opened = SqliteReader::Open(*db_path);
  if (!opened.ok()) return ReportFailure(opened.status(), "cco search");
  Reader& db = **opened;
  if (args->Has("project")) {
    const std::string query = args->Get("project");
    auto match = db.MatchProjects(query);
    if (!match.ok()) return ReportFailure(match.status(), "cco search");
    if (match->ids.empty()) return ReportNoProject("cco search", query, match->closest);
    request.restrict_projects = true;
    request.project_ids = std::move(match->ids);
  }
  absl::StatusOr<SearchResult> result = db.Search(request);
  if (!result.ok()) return ReportFailure(result.status(), "cco search");
  if (json) {
    PrintJson(*result);
  } else {
    PrintText(*result, request.query, request.order == SearchOrder::kNewest, *zone, colour);
  }
  return kExitOk;
}

}  // namespace cco
