#include "src/search.h"

#include <algorithm>
#include <string>
#include <utility>

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

// Markers the SQL snippet() writes (private-use characters, which a
// transcript almost never holds), replaced by the request's markers after
// the text is made safe to print.
constexpr std::string_view kBegin = "\xEE\x80\x80";  // U+E000
constexpr std::string_view kEnd = "\xEE\x80\x81";    // U+E001

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

std::string Marked(std::string_view snippet, const SearchRequest& request) {
  const std::string begin(kBegin), end(kEnd);
  return absl::StrReplaceAll(OneLine(snippet), {{begin, request.mark_begin}, {end, request.mark_end}});
}

// The snippet of a match found by comparing text (a short term in a
// trigram message): context around the first term found.
std::string ScannedSnippet(std::string_view text, const std::vector<std::string>& terms,
                           const SearchRequest& request) {
  std::string lower(text);
  absl::AsciiStrToLower(&lower);
  size_t at = std::string::npos, len = 0;
  for (const std::string& term : terms) {
    const size_t found = lower.find(term);
    if (found != std::string::npos && found < at) {
      at = found;
      len = term.size();
    }
  }
  if (at == std::string::npos) return OneLine(TruncateUtf8(text, 120));
  constexpr size_t kContext = 60;
  size_t begin = at > kContext ? at - kContext : 0;
  while (begin > 0 && (static_cast<unsigned char>(text[begin]) & 0xC0) == 0x80) --begin;
  const std::string after = TruncateUtf8(text.substr(at + len), kContext);
  // One line first, then the markers (which may be a terminal's escapes).
  return absl::StrCat(begin > 0 ? "…" : "", OneLine(text.substr(begin, at - begin)), request.mark_begin,
                      OneLine(text.substr(at, len)), request.mark_end, OneLine(after),
                      at + len + after.size() < text.size() ? "…" : "");
}

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
    // The trigram index has no positions: FTS5's phrases cannot run on it.
    out.word_match = std::string(query);
    return out;
  }
  std::vector<std::string> words, trigram;
  for (absl::string_view word : absl::StrSplit(text, absl::ByAnyChar(" \t\n\r\f\v"), absl::SkipEmpty())) {
    const std::vector<char32_t> cps = *CodePoints(std::string_view(word.data(), word.size()));
    if (std::none_of(cps.begin(), cps.end(), IsTokenCodePoint)) continue;
    if (words.size() == kMaxQueryWords) {
      return QueryError(absl::StrCat("the query has more than ", kMaxQueryWords, " words"));
    }
    words.push_back(Quoted(word));
    if (cps.size() >= 3) {
      // Its trigrams, each a token of its own (three code points).
      size_t at = 0;
      std::vector<size_t> starts;  // byte offset of each code point
      for (size_t i = 0; i < cps.size(); ++i) {
        starts.push_back(at);
        NextCodePoint(std::string_view(word.data(), word.size()), &at);
      }
      starts.push_back(word.size());
      for (size_t i = 0; i + 3 <= cps.size(); ++i) {
        trigram.push_back(Quoted(word.substr(starts[i], starts[i + 3] - starts[i])));
      }
      out.trigram_terms.push_back(absl::AsciiStrToLower(std::string(word)));
    } else {
      out.scan_terms.push_back(absl::AsciiStrToLower(std::string(word)));
    }
  }
  if (words.empty()) {
    return QueryError(absl::StrCat("nothing to search for in '", text,
                                   "': give a word with letters or digits (--fts for FTS5 syntax)"));
  }
  out.word_match = absl::StrJoin(words, " ");
  out.trigram_match = absl::StrJoin(trigram, " ");
  return out;
}

absl::StatusOr<SearchResult> SearchMessages(Db& db, const SearchRequest& request) {
  if (request.limit < 1 || request.limit > kMaxSearchLimit) {
    return QueryError(absl::StrCat("the limit must be 1 to ", kMaxSearchLimit, " (got ", request.limit, ")"));
  }
  if (request.offset < 0 || request.offset > kMaxSearchOffset) {
    return QueryError(absl::StrCat("the offset must be 0 to ", kMaxSearchOffset, " (got ", request.offset, ")"));
  }
  for (const std::string& kind : request.kinds) {
    if (!IsMessageKind(kind)) {
      std::vector<std::string> all(std::begin(kMessageKinds), std::end(kMessageKinds));
      return QueryError(absl::StrCat("unknown kind '", kind, "' (one of: ", absl::StrJoin(all, ", "), ")"));
    }
  }
  ASSIGN_OR_RETURN(TranslatedQuery q, TranslateQuery(request.query, request.syntax));
  SearchResult result;
  if (request.restrict_projects && request.project_ids.empty()) return result;

  // Filters, on m (messages) and c (conversations).
  std::vector<std::string> where;
  std::optional<int64_t> conversation;
  if (!request.session.empty()) {
    ASSIGN_OR_RETURN(conversation, ConversationOf(db, request.session));
    where.push_back(absl::StrCat("m.conversation_id = ", *conversation));
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

  // The trigram side only when the database has trigram messages.
  ASSIGN_OR_RETURN(std::optional<int64_t> any_trigram,
                   db.QueryInt("SELECT EXISTS (SELECT 1 FROM messages WHERE trigram = 1)"));
  const bool trigram = any_trigram.value_or(0) != 0 && (!q.trigram_match.empty() || !q.scan_terms.empty());
  // What a trigram message's text must hold: every word (the index found
  // candidates holding each of their trigrams somewhere).
  std::vector<std::string> checks = q.trigram_terms;
  checks.insert(checks.end(), q.scan_terms.begin(), q.scan_terms.end());
  // ?1 word match, ?2 trigram match, ?3.. the checks.
  std::vector<std::string> scans;
  for (size_t i = 0; i < checks.size(); ++i) {
    scans.push_back(absl::StrCat("instr(lower(cco_text(s.content)), ?", i + 3, ") > 0"));
  }
  const std::string scan_sql = absl::StrJoin(scans, " AND ");
  // Newest first needs no rank to choose the hits: bm25 (a cost per match,
  // large for a common term) is then computed for the hits shown only.
  const bool newest = request.order == SearchOrder::kNewest;
  const std::string word_rank = newest ? "0.0" : "bm25(messages_fts)";
  const std::string trigram_rank = newest ? "0.0" : "bm25(messages_trigram)";
  std::string hits;
  if (!trigram) {
    hits = absl::StrCat("SELECT rowid AS id, ", word_rank,
                        " AS rank, 0 AS src FROM messages_fts WHERE messages_fts MATCH ?1");
  } else {
    std::string side;
    if (!q.trigram_match.empty()) {
      // Candidates the word index found already need no text check.
      side = absl::StrCat("SELECT t.rowid, ", trigram_rank,
                          ", 1 FROM messages_trigram t JOIN messages s ON s.id = t.rowid"
                          " WHERE messages_trigram MATCH ?2"
                          " AND t.rowid NOT IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?1) AND ",
                          scan_sql);
    } else {
      side = absl::StrCat("SELECT s.id, 0.0, 2 FROM messages s WHERE s.trigram = 1 AND ", scan_sql);
    }
    hits = absl::StrCat(
        "SELECT id, min(rank) AS rank, min(src) AS src FROM ("
        "SELECT rowid AS id, ", word_rank, " AS rank, 0 AS src FROM messages_fts WHERE messages_fts MATCH ?1"
        " UNION ALL ", side, ") GROUP BY id");
  }
  const std::string order = request.order == SearchOrder::kNewest
                                ? "m.timestamp_ms IS NULL, m.timestamp_ms DESC, m.id DESC"
                                : "h.rank, m.id";
  const std::string from = absl::StrCat(
      " FROM h JOIN messages m ON m.id = h.id JOIN conversations c ON c.id = m.conversation_id"
      " LEFT JOIN projects p ON p.id = c.project_id",
      where.empty() ? "" : absl::StrCat(" WHERE ", absl::StrJoin(where, " AND ")));
  auto prepare = [&](const std::string& sql) -> absl::StatusOr<Stmt> {
    ASSIGN_OR_RETURN(Stmt stmt, db.Prepare(sql));
    stmt.Bind(1, q.word_match);
    if (trigram && !q.trigram_match.empty()) stmt.Bind(2, q.trigram_match);
    for (size_t i = 0; i < checks.size() && trigram; ++i) stmt.Bind(static_cast<int>(i + 3), checks[i]);
    return stmt;
  };
  ASSIGN_OR_RETURN(Stmt stmt, prepare(absl::StrCat(
      "WITH h AS (", hits, ") "
      "SELECT m.id, h.rank, h.src, coalesce(m.uuid, ''), c.session_id, coalesce(p.cwd, p.dir_name, ''),"
      " m.timestamp_ms, coalesce(m.kind, 0), count(*) OVER ()", from,
      " ORDER BY ", order, " LIMIT ", request.limit, " OFFSET ", request.offset)));
  std::vector<int> sources;
  absl::Status run = stmt.ForEachRow([&](const Stmt& r) {
    SearchHit hit;
    hit.message_id = r.ColumnInt(0);
    hit.rank = r.ColumnDouble(1);
    sources.push_back(static_cast<int>(r.ColumnInt(2)));
    hit.uuid = r.ColumnText(3);
    hit.session = r.ColumnText(4);
    hit.project = r.ColumnText(5);
    hit.timestamp_ms = r.ColumnOptionalInt(6);
    const int64_t code = r.ColumnInt(7);  // message_kinds: 1-based place in kMessageKinds; 0 = not yet classified
    if (code >= 1 && code <= static_cast<int64_t>(std::size(kMessageKinds))) hit.kind = kMessageKinds[code - 1];
    result.total = r.ColumnInt(8);
    result.hits.push_back(std::move(hit));
    return true;
  });
  if (!run.ok()) return IsFts5QueryError(run) ? FtsSyntaxError() : run;
  if (result.hits.empty() && request.offset > 0) {
    // Past the last match: the rows carried no total, count it alone.
    ASSIGN_OR_RETURN(Stmt count, prepare(absl::StrCat("WITH h AS (", hits, ") SELECT count(*)", from)));
    RETURN_IF_ERROR(count.ForEachRow([&result](const Stmt& r) {
      result.total = r.ColumnInt(0);
      return false;
    }));
  }

  // Snippets for the hits shown only (each costs reading and tokenizing
  // the message's text).
  ASSIGN_OR_RETURN(Stmt word_snippet,
                   db.Prepare("SELECT snippet(messages_fts, 0, ?2, ?3, '…', ?4), bm25(messages_fts) FROM messages_fts"
                              " WHERE messages_fts MATCH ?1 AND rowid = ?5"));
  std::optional<Stmt> text, trigram_rank_of;
  for (size_t i = 0; i < result.hits.size(); ++i) {
    SearchHit& hit = result.hits[i];
    std::string raw;
    auto take = [&raw, &hit, newest](const Stmt& r) {
      raw = r.ColumnText(0);
      if (newest && r.ColumnCount() > 1) hit.rank = r.ColumnDouble(1);
      return false;
    };
    if (sources[i] == 0) {
      RETURN_IF_ERROR(word_snippet.Bind(1, q.word_match).Bind(2, kBegin).Bind(3, kEnd)
                          .Bind(4, request.snippet_tokens).Bind(5, hit.message_id).ForEachRow(take));
      hit.snippet = Marked(raw, request);
    } else {
      // A trigram message: the context of the first word found in its text
      // (the trigram index keeps no positions for snippet()).
      if (!text) {
        ASSIGN_OR_RETURN(text, db.Prepare("SELECT cco_text(content) FROM messages WHERE id = ?1"));
      }
      RETURN_IF_ERROR(text->Bind(1, hit.message_id).ForEachRow(take));
      hit.snippet = ScannedSnippet(raw, checks, request);
      if (newest && sources[i] == 1) {
        if (!trigram_rank_of) {
          ASSIGN_OR_RETURN(trigram_rank_of, db.Prepare("SELECT bm25(messages_trigram) FROM messages_trigram"
                                                       " WHERE messages_trigram MATCH ?1 AND rowid = ?2"));
        }
        RETURN_IF_ERROR(trigram_rank_of->Bind(1, q.trigram_match).Bind(2, hit.message_id).ForEachRow([&hit](const Stmt& r) {
          hit.rank = r.ColumnDouble(0);
          return false;
        }));
      }
    }
  }
  return result;
}

}  // namespace cco
