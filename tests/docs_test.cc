// The documentation tells the truth about the binary it ships with: every
// table and view of a fresh database is documented in docs/schema.md, the
// README's SQL example opens the database read-only, the systemd unit points
// at cco's own manual.

#include <regex>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/test_support.h"

namespace cco::testing {
namespace {

std::string Source(const std::string& rel) { return ReadFile(absl::StrCat(CCO_SOURCE_DIR, "/", rel)); }

// True when `doc` defines `name`: a heading naming it (### `name`, or a
// heading with it in parentheses) or a bullet that starts with it.
bool Documents(const std::string& doc, const std::string& name) {
  const std::string quoted = absl::StrCat("`", name, "`");
  for (absl::string_view line : absl::StrSplit(doc, '\n')) {
    if (absl::StartsWith(line, "#") && absl::StrContains(line, quoted)) return true;
    if (absl::StartsWith(line, absl::StrCat("- ", quoted))) return true;
  }
  return false;
}

TEST(DocsTest, EveryTableAndViewOfAFreshDatabaseIsInSchemaMd) {
  TempDir dir;
  WriteFile(dir / "projects/.keep", "");
  const std::string db = dir / "cco.db";
  CommandResult r = RunCco({"replay", dir / "projects", "--db", db, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // FTS5's shadow tables are documented together as messages_fts_*.
  const std::string names = QueryRows(
      db, "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'"
          " AND name NOT LIKE 'messages_fts_%' ORDER BY name");
  const std::string doc = Source("docs/schema.md");
  std::vector<std::string> tables = absl::StrSplit(names, '\n', absl::SkipEmpty());
  ASSERT_GE(tables.size(), 15u) << names;
  for (const std::string& name : tables) {
    EXPECT_TRUE(Documents(doc, name)) << "docs/schema.md has no heading or bullet for `" << name << "`";
  }
}

TEST(DocsTest, ReadmeSqlExamplesOpenTheDatabaseReadOnly) {
  const std::string readme = Source("README.md");
  int examples = 0;
  for (absl::string_view line : absl::StrSplit(readme, '\n')) {
    if (!absl::StartsWith(absl::StripLeadingAsciiWhitespace(line), "sqlite3 ")) continue;
    ++examples;
    EXPECT_TRUE(absl::StrContains(line, "-readonly")) << line;
  }
  EXPECT_GE(examples, 1);
}

TEST(DocsTest, SystemdUnitPointsAtCcosOwnManual) {
  const std::string unit = Source("systemd/cco.service");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(unit, m, std::regex("\nDocumentation=([^\n]*)"))) << unit;
  EXPECT_TRUE(absl::StrContains(m[1].str(), "man:cco(1)")) << m[1];
  EXPECT_FALSE(absl::StrContains(m[1].str(), "systemd")) << m[1];
}

}  // namespace
}  // namespace cco::testing
