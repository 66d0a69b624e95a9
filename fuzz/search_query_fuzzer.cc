// libFuzzer target: the search query translator (TranslateQuery, src/search.h).
//
// The input is a query as a person could type it (any bytes). What must hold
// for any bytes:
//   - TranslateQuery returns (no crash, no sanitizer report), in both modes;
//   - a refusal is InvalidArgument (a message for the person);
//   - in plain-words mode, an accepted query is a valid FTS5 query: FTS5
//     parses its match on messages_fts of the real schema (migrated into an
//     in-memory database: any error aborts).
// In --fts mode the query is the person's FTS5 text, which FTS5 may reject:
// only the first two points hold there (the search turns FTS5's rejection
// into a usage error; cli tests cover that).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "src/migrate.h"
#include "src/search.h"
#include "src/sqlite.h"

namespace {

void Require(bool ok) {
  if (!ok) std::abort();
}

// The schema (the full-text index as the database has it), made once
// per process.
cco::Db& Schema() {
  static cco::Db* db = [] {
    absl::StatusOr<cco::Db> opened = cco::Db::Open(":memory:", cco::Db::Mode::kReadWrite);
    Require(opened.ok());
    auto* out = new cco::Db(*std::move(opened));
    Require(cco::Migrate(*out).ok());
    return out;
  }();
  return *db;
}

// FTS5 parses `match` on `table`: the statement runs to its end.
void RequireParses(std::string_view table, const std::string& match) {
  const std::string sql = std::string("SELECT count(*) FROM ") + std::string(table) + " WHERE " +
                          std::string(table) + " MATCH ?1";
  absl::StatusOr<cco::Stmt> s = Schema().Prepare(sql);
  Require(s.ok());
  Require(s->Bind(1, match).ForEachRow([](const cco::Stmt&) { return true; }).ok());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string query(reinterpret_cast<const char*>(data), size);
  for (cco::QuerySyntax syntax : {cco::QuerySyntax::kWords, cco::QuerySyntax::kFts5}) {
    absl::StatusOr<cco::TranslatedQuery> q = cco::TranslateQuery(query, syntax);
    if (!q.ok()) {
      Require(absl::IsInvalidArgument(q.status()) && !q.status().message().empty());
      continue;
    }
    if (syntax != cco::QuerySyntax::kWords) continue;
    Require(!q->match.empty());
    RequireParses("messages_fts", q->match);
  }
  return 0;
}
