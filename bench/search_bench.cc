// search_bench: how long `cco search` takes on a database, per query class.
//
//   search_bench --db CCO_DB [--queries N] [--runs R] [--limit L] [--classes A,B]
//
// Queries are chosen from the database's own word index (fts5vocab over
// messages_fts), so they follow whatever text it holds, deterministically
// (terms in vocabulary order, spread evenly). The classes of the goal
// (p95 <= 50 ms at 1M messages), each matching at most 1% of the messages
// where it is not a common term by definition:
//   rare     a term in 10 .. 1% of the messages, best first;
//   phrase   two words that follow each other in a message, as a phrase
//            (`--fts "a b"`), in at most 1% of the messages, best first;
//   prefix   a rare term's first characters (at least 4), `abcd*` (--fts),
//            in at most 1% of the messages, best first;
//   project  a rare term within the project with the most messages, best
//            first;
//   common   one of the most frequent terms, newest first.
// Classes beyond the goal, for what they cost:
//   common-best    the same frequent terms, best first (every match ranked);
//   phrase-common  phrases as above, with no bound on their matches;
//   prefix-common  the first 3 characters of a frequent term, best first;
//   cjk3, cjk2     3 and 2 characters of a script without spaces from such
//                  a message (a phrase of 3 or 2 characters), best first.
// Each query runs through Reader::Search (src/search.h) on one read-only
// connection, exactly as `cco search` runs it after start-up (process start
// is not included), R times (the first run warms the page cache and is not
// counted); --classes times only the classes named. Prints one JSON object: messages, and per class the count of
// timings, p50, p95 and max in ms, the mean number of matches, and how many
// pages each plan found (SearchResult::plan).
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "percentile.h"
#include "src/json_writer.h"
#include "src/message_kind.h"
#include "src/reader.h"
#include "src/search.h"
#include "src/status.h"
#include "src/text.h"

namespace cco {
namespace {

struct Query {
  std::string text;
  QuerySyntax syntax = QuerySyntax::kWords;
  SearchOrder order = SearchOrder::kRank;
  std::vector<int64_t> projects;
};

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "search_bench: %s\n", message.c_str());
  std::exit(2);
}

template <typename T>
T Check(absl::StatusOr<T> v) {
  if (!v.ok()) Die(std::string(v.status().message()));
  return *std::move(v);
}

// Up to n rows of the query, spread evenly over its result.
std::vector<std::vector<std::string>> Spread(Db& db, const std::string& sql, size_t n) {
  Stmt s = Check(db.Prepare(sql));
  std::vector<std::vector<std::string>> all;
  absl::Status st = s.ForEachRow([&](const Stmt& r) {
    std::vector<std::string> row;
    for (int i = 0; i < r.ColumnCount(); ++i) row.push_back(r.ColumnText(i));
    all.push_back(std::move(row));
    return true;
  });
  if (!st.ok()) Die(std::string(st.message()));
  if (all.size() <= n) return all;
  std::vector<std::vector<std::string>> out;
  for (size_t i = 0; i < n; ++i) out.push_back(all[i * all.size() / n]);
  return out;
}

}  // namespace
}  // namespace cco

int main(int argc, char** argv) {
  using namespace cco;
  std::string db_path;
  size_t queries = 20;
  int runs = 4, limit = 20;
  std::vector<std::string> only;  // --classes: the classes to time, all when empty
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--db") {
      db_path = value();
    } else if (a == "--queries") {
      if (!absl::SimpleAtoi(value(), &queries) || queries == 0) Die("--queries needs a positive number");
    } else if (a == "--runs") {
      if (!absl::SimpleAtoi(value(), &runs) || runs < 2) Die("--runs needs a number >= 2");
    } else if (a == "--limit") {
      if (!absl::SimpleAtoi(value(), &limit) || limit < 1) Die("--limit needs a positive number");
    } else if (a == "--classes") {
      only = absl::StrSplit(value(), ',', absl::SkipEmpty());
    } else {
      Die("usage: search_bench --db CCO_DB [--queries N] [--runs R] [--limit L] [--classes A,B]");
    }
  }
  if (db_path.empty()) Die("--db is required");
  std::unique_ptr<SqliteReader> reader = Check(SqliteReader::Open(db_path));
  Db& db = reader->db();
  const int64_t messages = Check(db.QueryInt("SELECT count(*) FROM messages")).value_or(0);
  if (absl::Status s = db.Exec("CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, messages_fts, 'row')");
      !s.ok()) {
    Die(std::string(s.message()));
  }
  const std::string max_rare = std::to_string(std::max<int64_t>(10, messages / 100));
  std::map<std::string, std::vector<Query>> classes;
  auto wanted = [&only](std::string_view name) {
    return only.empty() || std::find(only.begin(), only.end(), name) != only.end();
  };
  // Rare terms: letters only, in 10 .. 1% of the messages.
  const auto rare = Spread(db, absl::StrCat("SELECT term FROM temp.vocab WHERE doc BETWEEN 10 AND ", max_rare,
                                            " AND term GLOB '[a-z][a-z][a-z]*' AND term NOT GLOB '*[0-9]*'"
                                            " ORDER BY term"),
                           queries);
  for (const auto& r : rare) classes["rare"].push_back({r[0], QuerySyntax::kWords, SearchOrder::kRank, {}});
  // Frequent terms: the most frequent, for prefixes and newest-first.
  const auto common = Spread(db, "SELECT term FROM temp.vocab WHERE length(term) >= 4 AND term GLOB '[a-z]*'"
                                 " ORDER BY doc DESC LIMIT 200", queries);
  for (const auto& r : common) {
    classes["common"].push_back({r[0], QuerySyntax::kWords, SearchOrder::kNewest, {}});
    classes["common-best"].push_back({r[0], QuerySyntax::kWords, SearchOrder::kRank, {}});
    classes["prefix-common"].push_back({r[0].substr(0, 3) + "*", QuerySyntax::kFts5, SearchOrder::kRank, {}});
  }
  // How many messages a MATCH expression finds.
  Stmt count = Check(db.Prepare("SELECT count(*) FROM messages_fts WHERE messages_fts MATCH ?1"));
  auto matches = [&](const std::string& match) {
    int64_t n = 0;
    if (!count.Bind(1, match).ForEachRow([&n](const Stmt& r) {
          n = r.ColumnInt(0);
          return false;
        }).ok()) {
      return int64_t{-1};
    }
    return n;
  };
  const int64_t one_percent = std::max<int64_t>(10, messages / 100);
  // Prefixes of rare terms (the first 4 or more characters, 2 fewer than
  // the term), in at most 1% of the messages.
  for (const auto& r : !wanted("prefix") ? std::vector<std::vector<std::string>>{} :
                       Spread(db, absl::StrCat("SELECT term FROM temp.vocab WHERE doc BETWEEN 10 AND ", max_rare,
                                               " AND length(term) >= 6 AND term GLOB '[a-z][a-z][a-z][a-z]*'"
                                               " AND term NOT GLOB '*[0-9]*' ORDER BY term"),
                              queries * 4)) {
    const std::string prefix = r[0].substr(0, r[0].size() - 2) + "*";
    if (classes["prefix"].size() < queries && matches(prefix) <= one_percent) {
      classes["prefix"].push_back({prefix, QuerySyntax::kFts5, SearchOrder::kRank, {}});
    }
  }
  // Phrases: two adjacent words of messages spread over the table; those
  // in at most 1% of the messages, and the others.
  // (every 997th id, probed rather than scanned)
  const auto texts = !wanted("phrase") && !wanted("phrase-common") ? std::vector<std::vector<std::string>>{} :
                     Spread(db, "WITH RECURSIVE k(id) AS (SELECT 997 UNION ALL SELECT id + 997 FROM k"
                                " WHERE id + 997 <= (SELECT max(id) FROM messages))"
                                " SELECT substr(cco_text(m.content), 1, 400) FROM k JOIN messages m ON m.id = k.id"
                                " WHERE length(m.content) > 40", queries * 20);
  for (const auto& t : texts) {
    if (classes["phrase"].size() >= queries && classes["phrase-common"].size() >= queries) break;
    std::vector<std::string> words;
    std::string w;
    for (char c : t[0] + " ") {
      if (std::isalpha(static_cast<unsigned char>(c))) {
        w += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      } else {
        if (w.size() >= 3) words.push_back(w);
        w.clear();
      }
    }
    for (size_t i = 0; i + 1 < words.size(); ++i) {
      const std::string phrase = absl::StrCat("\"", words[i], " ", words[i + 1], "\"");
      const int64_t n = matches(phrase);
      if (n <= 0) continue;  // not adjacent after all (punctuation between)
      const char* name = n <= one_percent ? "phrase" : "phrase-common";
      if (classes[name].size() < queries) {
        classes[name].push_back({phrase, QuerySyntax::kFts5, SearchOrder::kRank, {}});
        break;
      }
    }
  }
  // Scripts without spaces: 3 and 2 characters from the first run of such
  // characters in messages holding one, spread over the table.
  const auto cjk = !wanted("cjk2") && !wanted("cjk3") ? std::vector<std::vector<std::string>>{} :
                   Spread(db, "SELECT cco_text(content) FROM messages WHERE trigram = 1", queries * 4);
  for (const auto& t : cjk) {
    const std::string& text = t[0];
    bool found2 = false, found3 = false;
    for (size_t i = 0; i < text.size() && !(found2 && found3);) {
      const size_t start = i;
      size_t run = 0, end2 = start, end3 = start;  // code points of such a script from start on
      for (int32_t cp; i < text.size() && (cp = NextCodePoint(text, &i)) >= 0 &&
                       IsUnspacedScriptCodePoint(static_cast<char32_t>(cp));) {
        if (++run == 2) end2 = i;
        if (run == 3) end3 = i;
      }
      if (run >= 2 && !found2 && classes["cjk2"].size() < queries) {
        classes["cjk2"].push_back({text.substr(start, end2 - start), QuerySyntax::kWords, SearchOrder::kRank, {}});
        found2 = true;
      }
      if (run >= 3 && !found3 && classes["cjk3"].size() < queries) {
        classes["cjk3"].push_back({text.substr(start, end3 - start), QuerySyntax::kWords, SearchOrder::kRank, {}});
        found3 = true;
      }
    }
  }
  // Project filter: a rare term within the project with the most messages.
  const auto project = !wanted("project") ? std::vector<std::vector<std::string>>{} :
                       Spread(db, "SELECT c.project_id FROM messages m JOIN conversations c ON c.id = m.conversation_id"
                                  " GROUP BY c.project_id ORDER BY count(*) DESC LIMIT 1", 1);
  if (!project.empty()) {
    const auto terms = Spread(db, absl::StrCat("SELECT term FROM temp.vocab WHERE doc BETWEEN 10 AND ", max_rare,
                                               " AND term GLOB '[a-z][a-z][a-z]*' AND term NOT GLOB '*[0-9]*'"
                                               " ORDER BY term DESC"),
                              queries);
    for (const auto& r : terms) {
      classes["project"].push_back({r[0], QuerySyntax::kWords, SearchOrder::kRank, {std::stoll(project[0][0])}});
    }
  }

  JsonWriter j;
  j.BeginObject().Field("messages", messages).Field("runs", runs).Field("limit", limit).Key("classes").BeginObject();
  for (const auto& [name, list] : classes) {
    if (!wanted(name)) continue;
    std::vector<double> ms;
    int64_t matched = 0;
    std::map<std::string, int64_t> plans;
    for (const Query& q : list) {
      SearchRequest request;
      request.query = q.text;
      request.syntax = q.syntax;
      request.order = q.order;
      request.limit = limit;
      if (!q.projects.empty()) {
        request.restrict_projects = true;
        request.project_ids = q.projects;
      }
      for (int run = 0; run < runs; ++run) {
        const auto t0 = std::chrono::steady_clock::now();
        SearchResult result = Check(reader->Search(request));
        const auto t1 = std::chrono::steady_clock::now();
        if (run == 0) {
          matched += result.total;
          ++plans[std::string(result.plan)];
          continue;  // warms the page cache
        }
        ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
      }
    }
    auto round = [](double v) { return static_cast<double>(static_cast<int64_t>(v * 10 + 0.5)) / 10; };
    j.Key(name).BeginObject()
        .Field("queries", static_cast<int64_t>(list.size()))
        .Field("example", list.empty() ? std::string() : list.front().text)
        .Field("timings", static_cast<int64_t>(ms.size()))
        .Field("p50_ms", round(Percentile(ms, 50)))
        .Field("p95_ms", round(Percentile(ms, 95)))
        .Field("max_ms", round(ms.empty() ? 0 : *std::max_element(ms.begin(), ms.end())))
        .Field("mean_matches", list.empty() ? int64_t{0} : matched / static_cast<int64_t>(list.size()));
    j.Key("plans").BeginObject();
    for (const auto& [plan, n] : plans) j.Field(plan, n);
    j.EndObject().EndObject();
  }
  j.EndObject().EndObject();
  std::printf("%s\n", j.str().c_str());
  return 0;
}
