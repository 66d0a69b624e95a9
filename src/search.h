// Full-text search over the stored messages: the query translation (a pure
// function, so every front end — `cco search`, `cco serve`, a PostgreSQL
// reader — gives words the same meaning) and the search itself over the
// SQLite read side, answering with plain structs.
//
// One index (docs/schema.md "Full-text search"): messages_fts, unicode61
// words over every message, where each character of a script written
// without spaces (Han, Kana, Hangul, Thai, …) is a word of its own
// (SplitUnspacedScript, src/message_kind.h). A query word is looked up as
// the phrase of its tokens, split the same way: `tail_reader.cc` as
// tail·reader·cc, `悬空` as 悬·空.
#ifndef CCO_SRC_SEARCH_H_
#define CCO_SRC_SEARCH_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "src/sqlite.h"

namespace cco {

enum class QuerySyntax {
  kWords,  // plain words: each quoted (a phrase of its tokens), all required
  kFts5,   // FTS5 query syntax as typed (phrases, NEAR, prefix*, AND/OR/NOT)
};

// What a query becomes: the MATCH expression for messages_fts. Plain words:
// each word quoted (a phrase of its tokens), all required. FTS5 syntax: as
// typed. Both with the characters of scripts written without spaces set
// apart as the index has them.
struct TranslatedQuery {
  std::string match;
  // Plain words: each word of the query as typed (those with a letter or
  // digit), for a front end with another index (the team server).
  std::vector<std::string> words;
};

// Limits on a query: longer ones are refused with a clear message.
inline constexpr size_t kMaxQueryBytes = 4096;
inline constexpr size_t kMaxQueryWords = 64;
// Limits on a page of matches.
inline constexpr int kMaxSearchLimit = 1000;
inline constexpr int kMaxSearchOffset = 100000;
// Best first without filters ranks the newest this many matches (by id:
// the order they were stored) when a query has more: ranking a word that a
// quarter of a million messages hold costs a pass of bm25 over every one
// (about 0.4 s), the newest 50,000 a fifth of that. SearchResult::ranked
// says how many were ranked; a filter (project, session, kind, range)
// ranks every match it keeps.
inline constexpr int64_t kRankWindow = 50000;
// Best first without filters over an index of at least this many messages
// (by id) scans the index in two halves by id, the older half on a second
// connection on a thread of its own, when the caller gives one
// (SecondConnection): FTS5 evaluates a phrase of two common words at about
// 30 ns a position, 30-60 ms at 1M messages, and a second core halves it.
inline constexpr int64_t kSplitScanFrom = 50000;

// Translates `query`. Errors (InvalidArgument, a message for a person): an
// empty query, one with nothing searchable (only punctuation such as `*`),
// invalid UTF-8 or a NUL byte, more than kMaxQueryBytes or kMaxQueryWords.
// FTS5 syntax itself is checked by the search (the index parses it).
absl::StatusOr<TranslatedQuery> TranslateQuery(std::string_view query, QuerySyntax syntax);

enum class SearchOrder { kRank, kNewest };

struct SearchRequest {
  std::string query;
  QuerySyntax syntax = QuerySyntax::kWords;
  // Filters; empty/unset: no filter.
  std::vector<int64_t> project_ids;   // from MatchProjects (report.h); see restrict_projects
  bool restrict_projects = false;     // true: only project_ids (empty: nothing matches)
  std::string session;                // a session id, or a unique prefix of one
  std::vector<std::string> kinds;     // message kinds (message_kind.h)
  std::optional<int64_t> since_ms;    // timestamp_ms >= since_ms
  std::optional<int64_t> until_ms;    // timestamp_ms < until_ms
  // Team server only (pg_reader.h): only rows of these users / machines.
  std::vector<std::string> users;
  std::vector<std::string> machines;
  SearchOrder order = SearchOrder::kRank;
  int limit = 20;                     // matches to return: 1..kMaxSearchLimit
  int offset = 0;                     // matches to skip first (the next page): 0..kMaxSearchOffset
  // Markers around each matched term in the snippet (text: plain markers or
  // a terminal's colours; HTML: the caller escapes, then replaces).
  std::string mark_begin = "[";
  std::string mark_end = "]";
  int snippet_tokens = 16;            // about this many tokens of context
  // Best first without filters: at most this many matches ranked, the newest.
  int64_t rank_window = kRankWindow;
  // ... whose index scan is split in two from this many messages on.
  int64_t split_scan_from = kSplitScanFrom;
};

struct SearchHit {
  int64_t message_id = 0;
  std::string uuid;                   // empty when the line has none
  std::string session;                // conversations.session_id
  std::string project;                // the project's cwd, else its directory name
  std::optional<int64_t> timestamp_ms;
  std::string kind;                   // message kind; empty while not yet backfilled
  // One line of context with the matched terms between the markers; control
  // characters (newlines, terminal escapes) are shown as spaces.
  std::string snippet;
  double rank = 0;                    // bm25: lower is better
};

struct SearchResult {
  std::vector<SearchHit> hits;        // at most limit, after skipping offset, in the requested order
  int64_t total = 0;                  // every match of the query and filters
  // How the page was found (tests and benchmarks read it): "index" (no
  // filter, best first: the matches ranked by the index alone, up to
  // kRankWindow of them), "time" (no
  // filter, newest first: the time index walked, the word index asked per
  // message), "join" (every match joined with its message, filtered and
  // ordered), "none" (no match to show).
  std::string_view plan = "none";
  // Best first: the matches ranked, the newest rank_window of them when
  // `total` is larger (plan "index"), else `total`. 0 when newest first.
  int64_t ranked = 0;
  // The index scan ran in two halves on two connections (kSplitScanFrom).
  bool split = false;
};

// InvalidArgument (a message for a person) for a limit or offset out of
// range (kMaxSearchLimit, kMaxSearchOffset): every front end's first check.
absl::Status CheckSearchPage(const SearchRequest& request);

// A snippet as a person reads it: on one line (control characters as
// spaces), the splits of scripts without spaces taken out, and
// kSnippetBegin/kSnippetEnd (private-use characters, which a transcript
// almost never holds: a front end asks its index to mark matches with them)
// replaced by the request's markers.
inline constexpr std::string_view kSnippetBegin = "\xEE\x80\x80";  // U+E000
inline constexpr std::string_view kSnippetEnd = "\xEE\x80\x81";    // U+E001
std::string MarkSnippet(std::string_view snippet, const SearchRequest& request);

// A second connection to the database being searched, for a scan split in
// two (kSplitScanFrom): called at most once per search, when a scan is worth
// splitting; returns a connection inside a read transaction of a snapshot
// holding the same index as the first one's (SqliteReader::Search compares
// their IndexVersion), or null when none can be had: the scan then runs
// whole.
using SecondConnection = std::function<Db*()>;

// Searches the messages of `db` (cco's schema, read-only is enough), with
// `second` for a split scan when given. The answer does not depend on
// whether the scan was split. Errors: InvalidArgument for a query
// TranslateQuery refuses or FTS5 cannot parse (a message for a person,
// never SQLite's), or a bad limit or offset; the database's own errors
// otherwise.
absl::StatusOr<SearchResult> SearchMessages(Db& db, const SearchRequest& request,
                                            const SecondConnection& second = {});

// What the word index holds as of `db`'s snapshot, as a token: two
// connections whose tokens are equal search the same messages. It holds the
// last change sequence (every change to the indexed text takes one), the
// deferred indexing's next id, the schema's version (migrations) and FTS5's
// averages and structure records, which every write to the index changes.
// FailedPrecondition without a storage_state row.
absl::StatusOr<std::string> IndexVersion(Db& db);

}  // namespace cco

#endif  // CCO_SRC_SEARCH_H_
