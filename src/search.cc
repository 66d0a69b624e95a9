#include "src/search.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "src/conversation.h"
#include "src/message_kind.h"
#include "src/status.h"
#include "src/text.h"

namespace cco {
namespace {

// Markers the SQL snippet() writes, replaced by the request's markers after
// the text is made safe to print.
constexpr std::string_view kBegin = kSnippetBegin;
constexpr std::string_view kEnd = kSnippetEnd;

absl::Status QueryError(const std::string& message) { return absl::InvalidArgumentError(message); }

// Code points a word consists of, or nullopt for invalid UTF-8.
std::optional<std::vector<char32_t>> CodePoints(std::string_view s) {
  std::vector<char32_t> out;
  for (size_t i = 0; i < s.size();) {
    const int32_t cp = NextCodePoint(s, &i);
    if (cp < 0) return std::nullopt;
    out.push_back(static_cast<char32_t>(cp));
  }
  return out;
}

// Whether unicode61 makes a token of `cp`: letters and digits. Outside
// ASCII, everything but the punctuation, symbol and emoji blocks a query
// word is likely to hold (an approximation: a word the index has no token
// for is dropped from the query instead of matching nothing).
bool IsTokenCodePoint(char32_t cp) {
  if (cp < 0x80) return absl::ascii_isalnum(static_cast<unsigned char>(cp));
  if (cp >= 0x2000 && cp <= 0x2BFF) return false;   // punctuation, arrows, maths, box drawing, shapes
  if (cp >= 0x3000 && cp <= 0x303F) return false;   // CJK punctuation (、。「」)
  if (cp >= 0xFF01 && cp <= 0xFF0F) return false;   // full-width punctuation
  if (cp >= 0xFF1A && cp <= 0xFF20) return false;
  if (cp >= 0xFF3B && cp <= 0xFF40) return false;
  if (cp >= 0xFF5B && cp <= 0xFF65) return false;
  if (cp >= 0x1F000 && cp <= 0x1FAFF) return false; // emoji and pictographs
  if (cp == 0xA0 || cp == 0xAD || (cp >= 0x80 && cp < 0xA0)) return false;
  if (cp >= 0xA1 && cp <= 0xBF && cp != 0xAA && cp != 0xB5 && cp != 0xBA) return false;  // Latin-1 symbols
  return true;
}

std::string Quoted(absl::string_view word) {
  return absl::StrCat("\"", absl::StrReplaceAll(word, {{"\"", "\"\""}}), "\"");
}

// Spaces instead of control characters (newlines, tabs, terminal escape
// sequences' ESC), so a snippet is one line that cannot drive a terminal.
std::string OneLine(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool space = false;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      if (!space) out.push_back(' ');
      space = true;
      continue;
    }
    space = (c == ' ');
    out.push_back(c);
  }
  return out;
}

// The text of `word` (or a query) as the index has it.
std::string AsIndexed(std::string_view text) {
  std::optional<std::string> split = SplitUnspacedScript(text);
  return split.has_value() ? *std::move(split) : std::string(text);
}

}  // namespace

std::string MarkSnippet(std::string_view snippet, const SearchRequest& request) {
  return absl::StrReplaceAll(OneLine(snippet), {{absl::string_view(kBegin.data(), kBegin.size()), request.mark_begin},
                                                {absl::string_view(kEnd.data(), kEnd.size()), request.mark_end},
                                                {absl::string_view(kWordSplit.data(), kWordSplit.size()), ""}});
}

namespace {

// FTS5 reports a query it cannot parse as a generic SQL error; its texts
// start with "fts5:" (syntax), or name an unknown column filter or special
// query. Those are the person's query, not the database.
bool IsFts5QueryError(const absl::Status& status) {
  const absl::string_view m = status.message();
  return absl::StrContains(m, "fts5:") || absl::StrContains(m, "no such column") ||
         absl::StrContains(m, "unknown special query") || absl::StrContains(m, "malformed MATCH") ||
         absl::StrContains(m, "unterminated string");
}

absl::Status FtsSyntaxError() {
  return QueryError(
      "the query is not valid FTS5 syntax (with --fts: words, \"a phrase\", prefix*, AND/OR/NOT, "
      "NEAR(a b, 10), parentheses; without --fts every word is searched as typed)");
}

// An FTS5 complaint about the query as the person's error; others as they are.
absl::Status MapQueryError(absl::Status status) {
  return !status.ok() && IsFts5QueryError(status) ? FtsSyntaxError() : status;
}

// What one step of each way to the newest matches costs, relative to each
// other (bench/search_bench, 1M messages): asking the index whether one
// message matches, against taking one match into an ordered join.
constexpr double kLookupCost = 4.0;
constexpr double kOrderCost = 1.0;

// The newest `limit` matches after `offset`, by walking the messages from
// the newest (the time index messages_time) and asking the index about each:
// about (offset + limit) × messages / total lookups when the matches are
// spread over time, a few milliseconds for a common word where ordering all
// of its matches takes a second. Taken only when that is the cheaper way;
// gives up (false, nothing in *page) past three times the lookups expected,
// so a word used only long ago costs a bounded detour before the ordered
// join.
absl::StatusOr<bool> NewestByTime(Db& db, const std::string& match, int64_t total, const SearchRequest& request,
                                  std::vector<std::pair<int64_t, double>>* page) {
  const int64_t wanted = std::min<int64_t>(int64_t{request.limit} + request.offset, total);
  ASSIGN_OR_RETURN(const std::optional<int64_t> last_id, db.QueryInt("SELECT max(id) FROM messages"));
  const double expected = static_cast<double>(wanted) * static_cast<double>(last_id.value_or(0)) /
                          static_cast<double>(std::max<int64_t>(total, 1));
  if (expected * kLookupCost > static_cast<double>(total) * kOrderCost) return false;
  const int64_t budget = static_cast<int64_t>(3 * expected) + 100;
  ASSIGN_OR_RETURN(Stmt scan, db.Prepare("SELECT id FROM messages INDEXED BY messages_time"
                                         " ORDER BY timestamp_ms DESC, id DESC"));
  ASSIGN_OR_RETURN(Stmt probe, db.Prepare("SELECT 1 FROM messages_fts WHERE messages_fts MATCH ?1 AND rowid = ?2"));
  int64_t seen = 0, matched = 0;
  absl::Status lookup;
  RETURN_IF_ERROR(scan.ForEachRow([&](const Stmt& r) {
    if (++seen > budget) return false;
    const int64_t id = r.ColumnInt(0);
    bool hit = false;
    lookup = probe.Bind(1, match).Bind(2, id).ForEachRow([&hit](const Stmt&) {
      hit = true;
      return false;
    });
    if (!lookup.ok()) return false;
    if (hit && ++matched > request.offset) page->emplace_back(id, 0.0);
    return matched < wanted;
  }));
  RETURN_IF_ERROR(MapQueryError(lookup));
  if (matched < wanted) {
    page->clear();
    return false;
  }
  return true;
}

// Runs `here` on this thread and `there` on a thread of its own, both to
// the end (an exception in either is an Internal error, the other still
// joined), and returns the first error of the two; one after the other here
// when no thread can be started.
absl::Status BothAtOnce(const std::function<absl::Status()>& here, const std::function<absl::Status()>& there) {
  auto run = [](const std::function<absl::Status()>& f) {
    try {
      return f();
    } catch (const std::exception& e) {
      return absl::InternalError(absl::StrCat("search: ", e.what()));
    }
  };
  absl::Status there_status;
  {
    std::jthread thread;  // joined when this block ends
    try {
      thread = std::jthread([&there_status, &there, &run] { there_status = run(there); });
    } catch (const std::system_error&) {
      there_status = run(there);
    }
    RETURN_IF_ERROR(run(here));
  }
  return there_status;
}

// Where a scan is split: ids above `at` on the first connection, the others
// on `second`; no second connection, one scan.
struct Split {
  Db* second = nullptr;
  int64_t at = 0;
};

// Runs `select` (ending in `MATCH ?1`, `match` bound) + `tail` over the
// index: on `db` alone, or, split, the ids above split.at on `db` and the
// others on split.second at once. `row(half, r)` sees each row, on its
// half's thread: half 0 the newer (or the whole), 1 the older.
absl::Status QueryHalves(Db& db, const Split& split, const std::string& match, absl::string_view select,
                         absl::string_view tail, const std::function<bool(int half, const Stmt& r)>& row) {
  auto query = [&](Db& on, absl::string_view range, int half) -> absl::Status {
    ASSIGN_OR_RETURN(Stmt s, on.Prepare(absl::StrCat(select, range, tail)));
    s.Bind(1, match);
    if (!range.empty()) s.Bind(2, split.at);
    return MapQueryError(s.ForEachRow([&row, half](const Stmt& r) { return row(half, r); }));
  };
  if (split.second == nullptr) return query(db, "", 0);
  return BothAtOnce([&] { return query(db, " AND rowid > ?2", 0); },
                    [&] { return query(*split.second, " AND rowid <= ?2", 1); });
}

// Where to split a scan of the index of `db` with `second` (kSplitScanFrom:
// a large enough index, and a second connection to be had), else no split.
absl::StatusOr<Split> PlanSplit(Db& db, const SecondConnection& second, int64_t split_scan_from) {
  Split split;
  if (!second) return split;
  ASSIGN_OR_RETURN(const std::optional<int64_t> first_id, db.QueryInt("SELECT min(id) FROM messages"));
  ASSIGN_OR_RETURN(const std::optional<int64_t> last_id, db.QueryInt("SELECT max(id) FROM messages"));
  const int64_t first = first_id.value_or(0), last = last_id.value_or(0);
  if (last - first + 1 < split_scan_from) return split;
  split.second = second();
  split.at = first + (last - first) / 2;
  return split;
}

// The messages the index holds for `match`, from its doclists (in two
// halves at once when split).
absl::StatusOr<int64_t> CountMatches(Db& db, const std::string& match, const Split& split = {}) {
  int64_t total[2] = {0, 0};
  RETURN_IF_ERROR(QueryHalves(db, split, match, "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH ?1", "",
                              [&total](int half, const Stmt& r) {
                                total[half] = r.ColumnInt(0);
                                return false;
                              }));
  return total[0] + total[1];
}

// A match from the index: its id and the value selected for it (null: the
// ranking function declined, see cco_bm25_factor).
struct IndexRow {
  int64_t id = 0;
  std::optional<double> value;
};

// The newest `window` matches of `match` with `value` (an expression over
// messages_fts) for each, ids descending; a declined (null) value alone
// when there is one. Split, each half takes its newest `window`: the newer
// half's, then the older's, cut at `window`, are the newest `window` of all.
absl::StatusOr<std::vector<IndexRow>> NewestMatches(Db& db, const std::string& match, absl::string_view value,
                                                    int64_t window, const Split& split = {}) {
  std::vector<IndexRow> halves[2];
  RETURN_IF_ERROR(QueryHalves(db, split, match,
                              absl::StrCat("SELECT rowid, ", value, " FROM messages_fts WHERE messages_fts MATCH ?1"),
                              absl::StrCat(" ORDER BY rowid DESC LIMIT ", window), [&halves](int half, const Stmt& r) {
                                const bool declined = r.ColumnIsNull(1);
                                halves[half].push_back({r.ColumnInt(0), declined ? std::nullopt
                                                                                 : std::optional<double>(r.ColumnDouble(1))});
                                return !declined;
                              }));
  for (const std::vector<IndexRow>& half : halves) {
    for (const IndexRow& r : half) {
      if (!r.value.has_value()) return std::vector<IndexRow>{r};  // declined: the caller ranks another way
    }
  }
  std::vector<IndexRow>& newest = halves[0];
  for (const IndexRow& r : halves[1]) {
    if (static_cast<int64_t>(newest.size()) >= window) break;
    newest.push_back(r);
  }
  return std::move(newest);
}

// The conversation a session id or a unique prefix of one names, by the
// rule show and export follow (ResolveSession).
absl::StatusOr<int64_t> ConversationOf(Db& db, const std::string& session) {
  ASSIGN_OR_RETURN(const std::string id, ResolveSession(db, session));
  return ConversationId(db, id);
}

}  // namespace

absl::StatusOr<TranslatedQuery> TranslateQuery(std::string_view query, QuerySyntax syntax) {
  if (query.find('\0') != std::string_view::npos) return QueryError("the query holds a NUL byte");
  if (query.size() > kMaxQueryBytes) {
    return QueryError(absl::StrCat("the query is ", query.size(), " bytes long; at most ", kMaxQueryBytes));
  }
  if (!CodePoints(query).has_value()) return QueryError("the query is not valid UTF-8");
  const absl::string_view text(query.data(), query.size());
  if (absl::StripAsciiWhitespace(text).empty()) return QueryError("the query is empty");
  TranslatedQuery out;
  if (syntax == QuerySyntax::kFts5) {
    // A run of such characters, a bareword or inside a string, becomes the
    // phrase of its characters (FTS5 makes a phrase of a bareword's tokens).
    out.match = AsIndexed(query);
    return out;
  }
  std::vector<std::string> words;
  for (absl::string_view word : absl::StrSplit(text, absl::ByAnyChar(" \t\n\r\f\v"), absl::SkipEmpty())) {
    const std::vector<char32_t> cps = *CodePoints(std::string_view(word.data(), word.size()));
    if (std::none_of(cps.begin(), cps.end(), IsTokenCodePoint)) continue;
    if (words.size() == kMaxQueryWords) {
      return QueryError(absl::StrCat("the query has more than ", kMaxQueryWords, " words"));
    }
    words.push_back(Quoted(AsIndexed(std::string_view(word.data(), word.size()))));
    out.words.emplace_back(word);
  }
  if (words.empty()) {
    return QueryError(absl::StrCat("nothing to search for in '", text,
                                   "': give a word with letters or digits (--fts for FTS5 syntax)"));
  }
  out.match = absl::StrJoin(words, " ");
  return out;
}

absl::Status CheckSearchPage(const SearchRequest& request) {
  if (request.limit < 1 || request.limit > kMaxSearchLimit) {
    return QueryError(absl::StrCat("the limit must be 1 to ", kMaxSearchLimit, " (got ", request.limit, ")"));
  }
  if (request.offset < 0 || request.offset > kMaxSearchOffset) {
    return QueryError(absl::StrCat("the offset must be 0 to ", kMaxSearchOffset, " (got ", request.offset, ")"));
  }
  if (request.rank_window < 1) {
    return QueryError(absl::StrCat("the rank window must be at least 1 (got ", request.rank_window, ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> IndexVersion(Db& db) {
  // FTS5's averages record (id 1: rows and tokens) and structure record (id
  // 10: its segments and a counter of writes) change with every write to
  // the index; the schema's version with every migration.
  ASSIGN_OR_RETURN(Stmt s, db.Prepare("SELECT change_seq, fts_next_id, (SELECT schema_version FROM pragma_schema_version),"
                                      " (SELECT hex(block) FROM messages_fts_data WHERE id = 1),"
                                      " (SELECT hex(block) FROM messages_fts_data WHERE id = 10)"
                                      " FROM storage_state WHERE id = 1"));
  std::string version;
  RETURN_IF_ERROR(s.ForEachRow([&version](const Stmt& r) {
    version = absl::StrCat(r.ColumnInt(0), "/", r.ColumnInt(1), "/", r.ColumnInt(2), "/", r.ColumnText(3), "/",
                           r.ColumnText(4));
    return false;
  }));
  if (version.empty()) return absl::FailedPreconditionError("no storage_state row");
  return version;
}

absl::StatusOr<SearchResult> SearchMessages(Db& db, const SearchRequest& request, const SecondConnection& second) {
  RETURN_IF_ERROR(CheckSearchPage(request));
  for (const std::string& kind : request.kinds) {
    if (!IsMessageKind(kind)) {
      std::vector<std::string> all(std::begin(kMessageKinds), std::end(kMessageKinds));
      return QueryError(absl::StrCat("unknown kind '", kind, "' (one of: ", absl::StrJoin(all, ", "), ")"));
    }
  }
  if (!request.users.empty() || !request.machines.empty()) {
    return QueryError("--user and --machine go with a team server (--db postgresql://…)");
  }
  ASSIGN_OR_RETURN(TranslatedQuery q, TranslateQuery(request.query, request.syntax));
  SearchResult result;
  if (request.restrict_projects && request.project_ids.empty()) return result;

  // Filters, on m (messages) and c (conversations).
  std::vector<std::string> where;
  if (!request.session.empty()) {
    ASSIGN_OR_RETURN(const int64_t conversation, ConversationOf(db, request.session));
    where.push_back(absl::StrCat("m.conversation_id = ", conversation));
  }
  if (request.restrict_projects) {
    where.push_back(absl::StrCat("c.project_id IN (", absl::StrJoin(request.project_ids, ","), ")"));
  }
  if (!request.kinds.empty()) {
    std::vector<int> codes;
    for (const std::string& k : request.kinds) codes.push_back(MessageKindCode(k));  // validated above
    where.push_back(absl::StrCat("m.kind IN (", absl::StrJoin(codes, ","), ")"));
  }
  if (request.since_ms) where.push_back(absl::StrCat("m.timestamp_ms >= ", *request.since_ms));
  if (request.until_ms) where.push_back(absl::StrCat("m.timestamp_ms < ", *request.until_ms));

  const bool newest = request.order == SearchOrder::kNewest;
  // The page: message ids in the requested order, with their rank (bm25
  // when ranked; computed below for the shown hits when newest first).
  std::vector<std::pair<int64_t, double>> page;
  bool found = false;
  if (where.empty() && newest) {
    // Newest first from the time index when the matches are many enough to
    // meet soon; the total from the index's doclists.
    ASSIGN_OR_RETURN(result.total, CountMatches(db, q.match));
    if (result.total <= request.offset) return result;
    ASSIGN_OR_RETURN(found, NewestByTime(db, q.match, result.total, request, &page));
    if (found) result.plan = "time";
  }
  if (where.empty() && !newest) {
    // Best first without filters: the index alone, newest first, in one
    // pass over at most rank_window matches; the matches counted apart only
    // when there are more. A query of one phrase (a word, or a quoted
    // phrase) is ranked by bm25's factor per row, the phrase's IDF applied
    // once the matches are counted: FTS5's bm25() would evaluate the phrase
    // over the whole index a second time for it (sql_functions.h).
    // A large index is scanned in two halves at once, by id (kSplitScanFrom).
    ASSIGN_OR_RETURN(const Split split, PlanSplit(db, second, request.split_scan_from));
    result.split = split.second != nullptr;
    std::vector<std::pair<double, int64_t>> scored;  // (rank, id), or (factor, id) for one phrase
    // Plain words are a phrase each; FTS5 syntax says at the first match.
    bool one_phrase = request.syntax != QuerySyntax::kWords || q.words.size() == 1;
    int64_t index_rows = 0;
    if (one_phrase) {
      ASSIGN_OR_RETURN(const std::vector<IndexRow> factors,
                       NewestMatches(db, q.match, "cco_bm25_factor(messages_fts)", request.rank_window, split));
      for (const IndexRow& r : factors) {
        if (!r.value.has_value()) {  // more than one phrase
          one_phrase = false;
          break;
        }
        scored.emplace_back(*r.value, r.id);
      }
    }
    if (one_phrase && !scored.empty()) {
      ASSIGN_OR_RETURN(Stmt rows, db.Prepare("SELECT cco_fts_rows(messages_fts) FROM messages_fts"
                                             " WHERE messages_fts MATCH ?1 LIMIT 1"));
      RETURN_IF_ERROR(MapQueryError(rows.Bind(1, q.match).ForEachRow([&index_rows](const Stmt& r) {
        index_rows = r.ColumnInt(0);
        return false;
      })));
    }
    if (!one_phrase) {
      scored.clear();
      // bm25's IDF counts each phrase over the whole index whatever the
      // range: a split ranks the same.
      ASSIGN_OR_RETURN(const std::vector<IndexRow> ranks,
                       NewestMatches(db, q.match, "bm25(messages_fts)", request.rank_window, split));
      for (const IndexRow& r : ranks) scored.emplace_back(r.value.value_or(0.0), r.id);
    }
    result.ranked = static_cast<int64_t>(scored.size());
    result.total = result.ranked;
    if (result.ranked == request.rank_window) {
      ASSIGN_OR_RETURN(result.total, CountMatches(db, q.match, split));
    }
    if (one_phrase) {
      // bm25()'s IDF of the phrase (the messages holding it: every match)
      // and its value, with the same operations as FTS5.
      double idf = std::log((index_rows - result.total + 0.5) / (result.total + 0.5));
      if (idf <= 0.0) idf = 1e-6;
      for (auto& [rank, id] : scored) rank = -1.0 * (0.0 + idf * rank);
    }
    // The best offset + limit, in (rank, id) order.
    const size_t keep = std::min(scored.size(), static_cast<size_t>(request.offset) + static_cast<size_t>(request.limit));
    std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(keep), scored.end());
    for (size_t i = static_cast<size_t>(request.offset); i < keep; ++i) page.emplace_back(scored[i].second, scored[i].first);
    found = true;
    result.plan = page.empty() ? "none" : "index";
  }
  if (!found) {
    // Every match joined with its message, filtered, ordered, counted in
    // one pass: the cost grows with the matches.
    page.clear();
    const std::string from = absl::StrCat(
        " FROM (SELECT rowid AS id, ", newest ? "0.0" : "bm25(messages_fts)",
        " AS rank FROM messages_fts WHERE messages_fts MATCH ?1) h JOIN messages m ON m.id = h.id"
        " JOIN conversations c ON c.id = m.conversation_id",
        where.empty() ? "" : absl::StrCat(" WHERE ", absl::StrJoin(where, " AND ")));
    ASSIGN_OR_RETURN(Stmt stmt, db.Prepare(absl::StrCat(
        "SELECT h.id, h.rank, count(*) OVER ()", from, " ORDER BY ",
        newest ? "m.timestamp_ms DESC, m.id DESC" : "h.rank, h.id", " LIMIT ", request.limit, " OFFSET ",
        request.offset)));
    RETURN_IF_ERROR(MapQueryError(stmt.Bind(1, q.match).ForEachRow([&](const Stmt& r) {
      page.emplace_back(r.ColumnInt(0), r.ColumnDouble(1));
      result.total = r.ColumnInt(2);
      return true;
    })));
    result.plan = page.empty() ? "none" : "join";
    if (page.empty() && request.offset > 0) {
      // Past the last match: the rows carried no total, count it alone.
      ASSIGN_OR_RETURN(Stmt count, db.Prepare(absl::StrCat("SELECT count(*)", from)));
      RETURN_IF_ERROR(MapQueryError(count.Bind(1, q.match).ForEachRow([&result](const Stmt& r) {
        result.total = r.ColumnInt(0);
        return false;
      })));
    }
    if (!newest) result.ranked = result.total;
  }

  // Each hit's place and a snippet, for the hits shown only (a snippet costs
  // reading and tokenizing the message's text).
  ASSIGN_OR_RETURN(Stmt about, db.Prepare(
      "SELECT coalesce(m.uuid, ''), c.session_id, coalesce(p.cwd, p.dir_name, ''), m.timestamp_ms,"
      " coalesce(m.kind, 0) FROM messages m JOIN conversations c ON c.id = m.conversation_id"
      " LEFT JOIN projects p ON p.id = c.project_id WHERE m.id = ?1"));
  ASSIGN_OR_RETURN(Stmt snippet, db.Prepare(
      "SELECT snippet(messages_fts, 0, ?2, ?3, '…', ?4) FROM messages_fts WHERE messages_fts MATCH ?1 AND rowid = ?5"));
  for (const auto& [id, rank] : page) {
    SearchHit hit;
    hit.message_id = id;
    hit.rank = rank;
    RETURN_IF_ERROR(about.Bind(1, id).ForEachRow([&hit](const Stmt& r) {
      hit.uuid = r.ColumnText(0);
      hit.session = r.ColumnText(1);
      hit.project = r.ColumnText(2);
      hit.timestamp_ms = r.ColumnOptionalInt(3);
      const int64_t code = r.ColumnInt(4);  // 1-based place in kMessageKinds; 0 = not yet classified
      if (code >= 1 && code <= static_cast<int64_t>(std::size(kMessageKinds))) hit.kind = kMessageKinds[code - 1];
      return false;
    }));
    RETURN_IF_ERROR(snippet.Bind(1, q.match).Bind(2, kBegin).Bind(3, kEnd).Bind(4, request.snippet_tokens)
                        .Bind(5, id).ForEachRow([&](const Stmt& r) {
                          hit.snippet = MarkSnippet(r.ColumnView(0), request);
                          return false;
                        }));
    result.hits.push_back(std::move(hit));
  }
  if (newest && !result.hits.empty()) {
    // The hits' bm25, from one cursor: bm25 counts each term's messages once
    // per cursor (a pass over its whole list), so one statement per hit
    // would pay that pass per hit. The cursor reads only the ids between the
    // hits' lowest and highest.
    int64_t low = result.hits.front().message_id, high = low;
    std::vector<int64_t> ids;
    for (const SearchHit& h : result.hits) {
      low = std::min(low, h.message_id);
      high = std::max(high, h.message_id);
      ids.push_back(h.message_id);
    }
    ASSIGN_OR_RETURN(Stmt ranks, db.Prepare(absl::StrCat(
        "SELECT rowid, bm25(messages_fts) FROM messages_fts WHERE messages_fts MATCH ?1 AND rowid BETWEEN ?2 AND ?3"
        " AND +rowid IN (", absl::StrJoin(ids, ","), ")")));
    absl::flat_hash_map<int64_t, double> rank_of;
    RETURN_IF_ERROR(ranks.Bind(1, q.match).Bind(2, low).Bind(3, high).ForEachRow([&rank_of](const Stmt& r) {
      rank_of[r.ColumnInt(0)] = r.ColumnDouble(1);
      return true;
    }));
    for (SearchHit& h : result.hits) h.rank = rank_of[h.message_id];
  }
  return result;
}

}  // namespace cco
