// `cco search QUERY…`: full-text search over every stored message, best
// first or newest first, with a snippet per hit and how to open it.
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/help.h"
#include "cli/open_reader.h"
#include "cli/search_query.h"
#include "cli/time_zone.h"
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

void PrintText(const SearchResult& result, const SearchRequest& request, const ReportZone& zone, bool colour) {
  const std::string& query = request.query;
  const bool newest = request.order == SearchOrder::kNewest;
  if (result.hits.empty()) {
    if (result.total > 0) {
      std::printf("%lld message%s match %s, none past --offset %d\n", static_cast<long long>(result.total),
                  result.total == 1 ? "" : "s", query.c_str(), request.offset);
    } else {
      std::printf("no messages match %s\n", query.c_str());
    }
    return;
  }
  const char* dim = colour ? "\x1b[2m" : "";
  const char* bold = colour ? "\x1b[1m" : "";
  const char* reset = colour ? "\x1b[0m" : "";
  const std::string shown =
      request.offset == 0 ? absl::StrCat(result.hits.size())
                          : absl::StrCat(request.offset + 1, "-", request.offset + static_cast<int64_t>(result.hits.size()));
  std::printf("%s of %lld message%s matching %s, %s (times in %s)\n", shown.c_str(),
              static_cast<long long>(result.total), result.total == 1 ? "" : "s", query.c_str(),
              newest ? "newest first"
                     : result.ranked < result.total
                           ? absl::StrCat("best first among the newest ", result.ranked,
                                          " (more words, --project or --since rank them all)")
                                 .c_str()
                           : "best first",
              zone.name.c_str());
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
  absl::StatusOr<SearchQuery> query = ParseSearchQuery(*args);
  if (!query.ok()) return Usage(std::string(query.status().message()));
  SearchRequest& request = query->request;
  const bool json = args->Has("json");
  const bool colour = !json && Colour();
  if (colour) {
    request.mark_begin = "\x1b[1;33m";
    request.mark_end = "\x1b[0m";
  }

  int exit_code = kExitOk;
  std::unique_ptr<Reader> reader = OpenReader("search", args->Get("db"),
                                              !request.users.empty() || !request.machines.empty(), &exit_code);
  if (reader == nullptr) return exit_code;
  Reader& db = *reader;
  std::vector<std::string> closest;
  if (absl::Status resolved = ResolveSearchProject(db, &*query, &closest); !resolved.ok()) {
    if (absl::IsNotFound(resolved)) return ReportNoProject("cco search", query->project, closest);
    return ReportFailure(resolved, "cco search");
  }
  absl::StatusOr<SearchResult> result = db.Search(request);
  if (!result.ok()) return ReportFailure(result.status(), "cco search");
  if (json) {
    std::printf("%s\n", SearchJson(*result).c_str());
  } else {
    PrintText(*result, request, query->zone, colour);
  }
  return kExitOk;
}

}  // namespace cco
