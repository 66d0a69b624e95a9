// One search as a query: what `cco search QUERY [flags]` asks for, parsed
// from its flags, and its answer written as --json. `cco search` and
// `cco serve` (/api/search and the search page) both go through these
// functions (the server turns its URL parameters into the same flags), so
// the two cannot disagree on a value or a shape.
#ifndef CCO_CLI_SEARCH_QUERY_H_
#define CCO_CLI_SEARCH_QUERY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/flags.h"
#include "cli/time_zone.h"
#include "src/reader.h"
#include "src/search.h"

namespace cco {

struct SearchQuery {
  SearchRequest request;  // words, order, filters, limit, offset; projects resolved by ResolveSearchProject
  ReportZone zone;        // of --since/--until and of the times shown
  std::string project;    // --project as given; "" for every project
};

// The search `args` (parsed with FlagsFor("search"); the words are its
// positional arguments, joined by spaces) describes. InvalidArgument with
// the message a user sees for a missing query, a bad --limit/--offset, a
// zone or day that is not one. The query's own syntax is checked by the
// search (SearchMessages).
absl::StatusOr<SearchQuery> ParseSearchQuery(const Args& args);

// Restricts `query` to the projects its --project names (a local
// database refuses --user and --machine in the search itself). NotFound when none
// matches: the message names the query, and `closest` (when given) gets up
// to three known names.
absl::Status ResolveSearchProject(Reader& db, SearchQuery* query, std::vector<std::string>* closest = nullptr);

// `cco search --json`: {"results": [{uuid, session, project, timestamp
// (UTC, ISO 8601 with milliseconds, or null), kind, snippet, rank}],
// "total": N}, without a trailing newline.
std::string SearchJson(const SearchResult& result);

}  // namespace cco

#endif  // CCO_CLI_SEARCH_QUERY_H_
