// The dashboard's bounded reads give what the full reads give: the largest
// completed billing block from the hourly rollups equals the one from every
// block at any moment (also when entries fall exactly on a block's end);
// the active blocks read from the chain holding now equal the full
// history's; one page of the sessions list, filtered, sorted and cut by
// SQL, is that page of the session report; the project picker's names are
// every project.
#include <algorithm>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "src/blocks.h"
#include "src/reader.h"
#include "src/report.h"
#include "src/session_list.h"
#include "src/sqlite.h"
#include "tests/test_support.h"

namespace cco::testing {
namespace {

namespace fs = std::filesystem;
constexpr int64_t kMin = 60'000;
constexpr int64_t kHour = 60 * kMin;


// The reference: every block of the history, then the largest completed.
int64_t FullMax(Db& db, int64_t now, int64_t session_ms = kDefaultSessionMs) {
  BlocksQuery all;
  all.now_ms = now;
  all.session_ms = session_ms;
  absl::StatusOr<std::vector<BillingBlock>> every = LoadBlocks(db, all);
  EXPECT_TRUE(every.ok()) << every.status();
  return every.ok() ? MaxCompletedBlockTokens(*every) : -1;
}

std::vector<std::string> ActiveIds(Db& db, int64_t now, bool bounded) {
  BlocksQuery q;
  q.now_ms = now;
  q.active_only = bounded;
  absl::StatusOr<std::vector<BillingBlock>> blocks = LoadBlocks(db, q);
  EXPECT_TRUE(blocks.ok()) << blocks.status();
  std::vector<std::string> ids;
  if (!blocks.ok()) return ids;
  for (const BillingBlock& b : *blocks) {
    if (b.is_active) ids.push_back(absl::StrCat(b.id, " ", b.entries, " ", b.tokens.total()));
  }
  return ids;
}

// Across the generated month (and a day past it), every 37 minutes: the
// limit and the active blocks equal the full history's.
TEST(BoundedBlocks, LimitAndActiveBlocksEqualTheFullHistoryAtEveryMoment) {
  TempDir dir;
  const std::string path = dir / "g.db";
  ASSERT_EQ(RunCco({"replay", Golden("blocks_tree/projects"), "--db", path}).exit_code, 0);
  absl::StatusOr<Db> db = Db::Open(path, Db::Mode::kReadOnly);
  ASSERT_TRUE(db.ok()) << db.status();
  absl::StatusOr<std::optional<int64_t>> last = db->QueryInt("SELECT max(timestamp_ms) FROM usage_winners");
  ASSERT_TRUE(last.ok() && last->has_value());
  int with_limit = 0;
  for (int64_t now = **last - 32 * 24 * kHour; now <= **last + 30 * kHour; now += 37 * kMin) {
    const int64_t expected = FullMax(*db, now);
    absl::StatusOr<int64_t> got = LoadMaxCompletedBlockTokens(*db, now);
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_EQ(*got, expected) << now;
    if (expected > 0) ++with_limit;
    ASSERT_EQ(ActiveIds(*db, now, /*bounded=*/true), ActiveIds(*db, now, /*bounded=*/false)) << now;
  }
  EXPECT_GT(with_limit, 100);
  // A length that is not whole hours reads every block, and agrees too.
  absl::StatusOr<int64_t> odd = LoadMaxCompletedBlockTokens(*db, **last, 90 * kMin + 1);
  ASSERT_TRUE(odd.ok()) << odd.status();
  EXPECT_EQ(*odd, FullMax(*db, **last, 90 * kMin + 1));
}

std::string Line(const std::string& session, int n, int64_t ms, int output_tokens) {
  return AssistantUsageLine(session, absl::StrCat(n), output_tokens, ms);
}

// Entries stamped exactly on a block's end belong to that block (the next
// one starts only past it), alone on their hour or with later ones.
TEST(BoundedBlocks, EntriesOnABlocksEndCountInThatBlock) {
  TempDir dir;
  const std::string session = "b0b0b0b0-0000-4000-8000-000000000001";
  const int64_t t0 = absl::ToUnixMillis(absl::FromCivil(absl::CivilHour(2026, 3, 2, 10), absl::UTCTimeZone()));
  std::string lines;
  int n = 0;
  // Block 10:00-15:00: entries at 10:20 and exactly 15:00 (alone on its hour).
  lines += Line(session, ++n, t0 + 20 * kMin, 1000);
  lines += Line(session, ++n, t0 + 5 * kHour, 5000);
  // Next block from 16:00 (first entry 16:10) to 21:00: an entry exactly at
  // 21:00 and one at 21:30 on the same hour, which starts the block after.
  lines += Line(session, ++n, t0 + 6 * kHour + 10 * kMin, 300);
  lines += Line(session, ++n, t0 + 11 * kHour, 7000);
  lines += Line(session, ++n, t0 + 11 * kHour + 30 * kMin, 200);
  // A day later, a small block.
  lines += Line(session, ++n, t0 + 30 * kHour, 50);
  WriteFile(dir / absl::StrCat("projects/-home-t-w/", session, ".jsonl"), lines);
  const std::string path = dir / "edge.db";
  ASSERT_EQ(RunCco({"replay", dir / "projects", "--db", path}).exit_code, 0);
  absl::StatusOr<Db> db = Db::Open(path, Db::Mode::kReadOnly);
  ASSERT_TRUE(db.ok()) << db.status();
  for (int64_t now = t0 - kHour; now <= t0 + 40 * kHour; now += 10 * kMin) {
    absl::StatusOr<int64_t> got = LoadMaxCompletedBlockTokens(*db, now);
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_EQ(*got, FullMax(*db, now)) << (now - t0) / kMin << " min";
  }
  // Long after: the 16:00 block holds 300 + 7,000 output and 200 input.
  absl::StatusOr<int64_t> late = LoadMaxCompletedBlockTokens(*db, t0 + 100 * kHour);
  ASSERT_TRUE(late.ok());
  EXPECT_EQ(*late, 7300 + 200);
}

// The reference page: the session report, filtered, sorted and cut here.
std::vector<UsageRow> ReportPage(Db& db, const SessionListQuery& q, int64_t* total) {
  absl::StatusOr<std::vector<UsageRow>> all = SessionReport(db, q.filter);
  EXPECT_TRUE(all.ok()) << all.status();
  std::vector<UsageRow> rows;
  const std::string needle = absl::AsciiStrToLower(q.text);
  for (const UsageRow& r : *all) {
    if (!needle.empty() && !absl::StrContains(absl::AsciiStrToLower(r.title), needle) &&
        !absl::StrContains(absl::AsciiStrToLower(r.project), needle) &&
        !absl::StrContains(absl::AsciiStrToLower(r.project_cwd), needle) &&
        !absl::StrContains(absl::AsciiStrToLower(r.key), needle)) {
      continue;
    }
    rows.push_back(r);
  }
  auto value_less = [&q](const UsageRow& a, const UsageRow& b) {
    switch (q.sort) {
      case SessionSort::kFirst: return a.first_ms < b.first_ms;
      case SessionSort::kCost: return a.tokens.cost_nanousd < b.tokens.cost_nanousd;
      case SessionSort::kTokens: return a.tokens.total() < b.tokens.total();
      case SessionSort::kCalls: return a.tokens.api_calls < b.tokens.api_calls;
      case SessionSort::kProject: return a.project < b.project;
      case SessionSort::kTitle: return a.title < b.title;
      default: return a.last_ms < b.last_ms;
    }
  };
  // By the value, then the session id, both in the query's direction.
  auto ordered = [&value_less](const UsageRow& a, const UsageRow& b) {
    return value_less(a, b) || (!value_less(b, a) && a.key < b.key);
  };
  std::sort(rows.begin(), rows.end(), [&](const UsageRow& a, const UsageRow& b) {
    return q.ascending ? ordered(a, b) : ordered(b, a);
  });
  *total = static_cast<int64_t>(rows.size());
  std::vector<UsageRow> page;
  for (int64_t i = q.offset; i < std::min<int64_t>(*total, q.offset + q.limit); ++i) page.push_back(rows[i]);
  return page;
}

void ExpectPagesEqual(Db& db, const std::string& what) {
  absl::StatusOr<std::vector<UsageRow>> every = SessionReport(db, ReportFilter{});
  ASSERT_TRUE(every.ok()) << every.status();
  ASSERT_FALSE(every->empty());
  const int64_t middle_ms = (*every)[every->size() / 2].last_ms;
  const absl::CivilDay middle = absl::ToCivilDay(absl::FromUnixMillis(middle_ms), absl::UTCTimeZone());
  int compared = 0;
  for (SessionSort sort : {SessionSort::kLast, SessionSort::kFirst, SessionSort::kCost, SessionSort::kTokens,
                           SessionSort::kCalls, SessionSort::kProject, SessionSort::kTitle}) {
    for (bool ascending : {false, true}) {
      for (const std::string text : {"", "-", "A", "zzz-nothing"}) {
        for (bool ranged : {false, true}) {
          for (int64_t offset : {0, 3}) {
            SessionListQuery q;
            q.sort = sort;
            q.ascending = ascending;
            q.text = text;
            q.offset = offset;
            q.limit = 4;
            if (ranged) q.filter.since = middle;
            int64_t total = 0;
            const std::vector<UsageRow> expected = ReportPage(db, q, &total);
            absl::StatusOr<SessionList> got = ListSessions(db, q);
            ASSERT_TRUE(got.ok()) << got.status();
            const std::string where = absl::StrCat(what, " sort ", static_cast<int>(sort), ascending ? " asc" : " desc",
                                                   " text '", text, "' ranged ", ranged, " offset ", offset);
            ASSERT_EQ(got->total, total) << where;
            ASSERT_EQ(got->rows.size(), expected.size()) << where;
            for (size_t i = 0; i < expected.size(); ++i) {
              const UsageRow& g = got->rows[i].usage;
              ASSERT_EQ(g.key, expected[i].key) << where << " row " << i;
              EXPECT_EQ(g.project, expected[i].project) << where;
              EXPECT_EQ(g.project_cwd, expected[i].project_cwd) << where;
              EXPECT_EQ(g.title, expected[i].title) << where;
              EXPECT_EQ(g.first_ms, expected[i].first_ms) << where;
              EXPECT_EQ(g.last_ms, expected[i].last_ms) << where;
              EXPECT_EQ(g.tokens.total(), expected[i].tokens.total()) << where;
              EXPECT_EQ(g.tokens.cost_nanousd, expected[i].tokens.cost_nanousd) << where;
              EXPECT_EQ(g.tokens.api_calls, expected[i].tokens.api_calls) << where;
              absl::StatusOr<std::optional<int64_t>> messages = db.QueryInt(
                  absl::StrCat("SELECT message_count FROM conversations WHERE session_id = '", g.key, "'"));
              ASSERT_TRUE(messages.ok());
              EXPECT_EQ(got->rows[i].messages, messages->value_or(0)) << where;
              ++compared;
            }
          }
        }
      }
    }
  }
  EXPECT_GT(compared, 100) << what;
}

TEST(SessionList, EachPageIsThatPageOfTheSessionReport) {
  TempDir dir;
  const std::string path = dir / "fixtures.db";
  ASSERT_EQ(RunCco({"replay", std::string(CCO_FIXTURES_DIR) + "/projects", "--db", path}).exit_code, 0);
  absl::StatusOr<Db> db = Db::Open(path, Db::Mode::kReadOnly);
  ASSERT_TRUE(db.ok()) << db.status();
  ExpectPagesEqual(*db, "fixtures");
  if (CorpusDir().empty()) GTEST_SKIP() << "no corpus";
  const std::string corpus = dir / "corpus.db";
  ASSERT_EQ(RunCco({"replay", CorpusDir(), "--db", corpus}).exit_code, 0);
  absl::StatusOr<Db> cdb = Db::Open(corpus, Db::Mode::kReadOnly);
  ASSERT_TRUE(cdb.ok()) << cdb.status();
  ExpectPagesEqual(*cdb, "corpus");
}

TEST(ProjectNames, EveryProjectSorted) {
  TempDir dir;
  const std::string path = dir / "fixtures.db";
  ASSERT_EQ(RunCco({"replay", std::string(CCO_FIXTURES_DIR) + "/projects", "--db", path}).exit_code, 0);
  absl::StatusOr<std::unique_ptr<SqliteReader>> reader = SqliteReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status();
  absl::StatusOr<std::vector<std::string>> names = (*reader)->ProjectNames();
  ASSERT_TRUE(names.ok()) << names.status();
  EXPECT_EQ(absl::StrJoin(*names, "\n"), QueryRows(path, "SELECT dir_name FROM projects ORDER BY dir_name"));
  // The default (a reader without a project list) gives those with usage.
  absl::StatusOr<std::vector<std::string>> with_usage = (*reader)->Reader::ProjectNames();
  ASSERT_TRUE(with_usage.ok()) << with_usage.status();
  for (const std::string& name : *with_usage) EXPECT_TRUE(absl::StrContains(absl::StrJoin(*names, ","), name));
}

}  // namespace
}  // namespace cco::testing
