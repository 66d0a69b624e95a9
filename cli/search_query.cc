#include "cli/search_query.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/report_query.h"
#include "src/json_writer.h"
#include "src/status.h"

namespace cco {
namespace {

// A flag's whole-number value within [low, high]; `fallback` when absent.
absl::StatusOr<int> Bounded(const Args& args, const std::string& flag, int low, int high, int fallback) {
  if (!args.Has(flag)) return fallback;
  int value = 0;
  if (!absl::SimpleAtoi(args.Get(flag), &value) || value < low || value > high) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, " '", args.Get(flag), "' is not a number from ", low, " to ", high));
  }
  return value;
}

}  // namespace

absl::StatusOr<SearchQuery> ParseSearchQuery(const Args& args) {
  if (args.positional().empty()) return absl::InvalidArgumentError("what to search for? cco search WORDS");
  SearchQuery q;
  SearchRequest& r = q.request;
  r.query = absl::StrJoin(args.positional(), " ");
  r.syntax = args.Has("fts") ? QuerySyntax::kFts5 : QuerySyntax::kWords;
  r.order = args.Has("newest") ? SearchOrder::kNewest : SearchOrder::kRank;
  r.session = args.Get("session");
  r.users = args.GetAll("user");        // a team server's rows only
  r.machines = args.GetAll("machine");
  for (const std::string& value : args.GetAll("kind")) {
    for (absl::string_view k : absl::StrSplit(value, ',', absl::SkipEmpty())) r.kinds.emplace_back(k);
  }
  ASSIGN_OR_RETURN(r.limit, Bounded(args, "limit", 1, kMaxSearchLimit, r.limit));
  ASSIGN_OR_RETURN(r.offset, Bounded(args, "offset", 0, kMaxSearchOffset, 0));
  ASSIGN_OR_RETURN(q.zone, ResolveReportZone(args.Get("tz")));
  ReportFilter days;
  days.tz = q.zone.tz;
  RETURN_IF_ERROR(ParseDayRange(args, &days));
  // Whole days in the zone: from the start of --since to the end of --until.
  const auto [since_ms, until_ms] = ReportBounds(days);
  if (days.since) r.since_ms = since_ms;
  if (days.until) r.until_ms = until_ms;
  q.project = args.Get("project");
  return q;
}

absl::Status ResolveSearchProject(Reader& db, SearchQuery* query, std::vector<std::string>* closest) {
  if (query->project.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(query->request.project_ids, ProjectIdsNamed(db, query->project, closest));
  query->request.restrict_projects = true;
  return absl::OkStatus();
}

std::string SearchJson(const SearchResult& result) {
  JsonWriter j;
  j.BeginObject().Key("results").BeginArray();
  for (const SearchHit& h : result.hits) {
    j.BeginObject().Field("uuid", h.uuid).Field("session", h.session).Field("project", h.project);
    j.Key("timestamp");
    if (h.timestamp_ms.has_value()) {
      j.String(IsoUtcMs(*h.timestamp_ms));
    } else {
      j.Null();
    }
    j.Field("kind", h.kind).Field("snippet", h.snippet).Field("rank", h.rank).EndObject();
  }
  j.EndArray().Field("total", result.total);
  // Best first over more matches than it ranks: how many (the newest).
  if (result.ranked > 0 && result.ranked < result.total) j.Field("ranked_newest", result.ranked);
  j.EndObject();
  return j.str();
}

}  // namespace cco
