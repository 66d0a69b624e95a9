// The team server (docs/team.md) against a real PostgreSQL 15 server: two
// machines push into one server; totals, exact rows, row-level security,
// pushes killed inside an open server transaction, privacy settings.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <functional>
#include <thread>
#include <random>
#include <regex>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "simdjson.h"
#include "gtest/gtest.h"
#include "tests/pg_support.h"
#include "tests/process_support.h"
#include "tests/serve_support.h"
#include "tests/test_support.h"

namespace cco::testing {
namespace {

namespace fs = std::filesystem;

// Two machines with different transcripts: alice's laptop holds two corpus
// projects, bob's two others.
const std::vector<std::string> kProjectsA = {"-Users-chip-dev-ai-music", "-experiments-ideas"};
const std::vector<std::string> kProjectsB = {"-Users-dain-workspace-JSSoundRecorder", "-src-deep-manifest"};

class TeamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(CorpusDir().empty()) << "the corpus is missing";
    ASSERT_EQ(server_.error(), "");
    server_.Admin(
        "CREATE ROLE m_alice LOGIN PASSWORD 'pa' IN ROLE cco_machine;"
        "CREATE ROLE m_bob LOGIN PASSWORD 'pb' IN ROLE cco_machine;"
        "CREATE ROLE alice LOGIN PASSWORD 'ra' IN ROLE cco_member;"
        "CREATE ROLE bob LOGIN PASSWORD 'rb' IN ROLE cco_member;"
        "CREATE ROLE lead LOGIN PASSWORD 'rl' IN ROLE cco_lead;"
        "INSERT INTO cco_machines VALUES ('laptop-a', 'alice', 'm_alice'), ('laptop-b', 'bob', 'm_bob');"
        "INSERT INTO cco_members VALUES ('alice', 'alice'), ('bob', 'bob');");
    db_a_ = Local(kProjectsA, "a");
    db_b_ = Local(kProjectsB, "b");
  }

  // A local database replayed from corpus projects.
  std::string Local(const std::vector<std::string>& projects, const std::string& name) {
    const std::string root = dir_ / (name + "/projects");
    for (const std::string& p : projects) {
      fs::create_directories(root + "/" + p);
      fs::copy(CorpusDir() + "/projects/" + p, root + "/" + p, fs::copy_options::recursive);
    }
    const std::string db = dir_ / (name + ".db");
    CommandResult r = RunCco({"replay", root, "--db", db});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return db;
  }

  CommandResult Push(const std::string& db, const std::string& url, std::vector<std::string> extra = {},
                     std::vector<std::string> env = {}) {
    std::vector<std::string> args = {"push", "--to", url, "--db", db, "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunCco(args, env);
  }
  std::string UrlA() const { return server_.Url("m_alice", "pa"); }
  std::string UrlB() const { return server_.Url("m_bob", "pb"); }

  // usage per UTC day and model, as "day|model|input|output|cache_w|cache_r|cost|calls" rows.
  static std::string LocalSums(const std::vector<std::string>& dbs) {
    std::map<std::string, std::vector<int64_t>> sums;
    for (const std::string& db : dbs) {
      std::string rows = QueryRows(db,
          "SELECT date(timestamp_ms / 1000, 'unixepoch') || '|' || model, sum(input_tokens), sum(output_tokens),"
          " sum(cache_creation_tokens), sum(cache_read_tokens), sum(cost_nanousd), count(*) FROM usage_winners"
          " GROUP BY 1");
      for (absl::string_view line : absl::StrSplit(rows, '\n', absl::SkipEmpty())) {
        std::vector<std::string> f = absl::StrSplit(line, '|');
        const std::string key = f[0] + "|" + f[1];
        auto& v = sums[key];
        v.resize(6);
        for (int i = 0; i < 6; ++i) v[i] += std::stoll(f[2 + i]);
      }
    }
    std::string out;
    for (const auto& [key, v] : sums) {
      absl::StrAppend(&out, key);
      for (int64_t x : v) absl::StrAppend(&out, "|", x);
      out += "\n";
    }
    return out;
  }
  std::string ServerSums(const std::string& url) const {
    CommandResult r = server_.Psql(url,
        "SELECT to_char(to_timestamp(bucket_ms / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD') || '|' || model,"
        " sum(input_tokens), sum(output_tokens), sum(cache_creation_tokens), sum(cache_read_tokens),"
        " sum(cost_nanousd), sum(api_calls) FROM token_rollups GROUP BY 1 ORDER BY 1");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }

  // Every pushed table of one machine, row by row, local and server, in the
  // same text form (raw lines as hex).
  static std::string LocalRows(const std::string& db) {
    return QueryRows(db, "SELECT 'm', id, change_seq, coalesce(uuid, ''), hex(cco_raw(raw)), hex(cco_text(content))"
                         " FROM messages ORDER BY id") +
           "\n" + QueryRows(db, "SELECT 'e', id, change_seq, hex(cco_raw(raw)) FROM events ORDER BY id") + "\n" +
           QueryRows(db, "SELECT 'w', dedup_key, change_seq, input_tokens, output_tokens, cost_nanousd FROM usage_winners"
                         " ORDER BY dedup_key COLLATE BINARY") +
           "\n" + QueryRows(db, "SELECT 't', id, change_seq, status, coalesce(duration_ms, '') FROM tool_executions ORDER BY id") +
           "\n" + QueryRows(db, "SELECT 'c', id, change_seq, session_id, coalesce(title, '') FROM conversations ORDER BY id") +
           "\n" + QueryRows(db, "SELECT 'p', id, change_seq, dir_name FROM projects ORDER BY id");
  }
  std::string ServerRows(const std::string& machine) const {
    auto q = [&](const std::string& sql) {
      CommandResult r = server_.Psql(server_.AdminUrl(), sql);
      EXPECT_EQ(r.exit_code, 0) << r.err;
      std::string out = r.out;
      if (!out.empty() && out.back() == '\n') out.pop_back();
      return out;
    };
    const std::string m = "'" + machine + "'";
    return q("SELECT 'm', id, change_seq, coalesce(uuid, ''), upper(encode(raw, 'hex')),"
             " upper(encode(convert_to(content, 'UTF8'), 'hex')) FROM messages WHERE machine = " + m + " ORDER BY id") +
           "\n" + q("SELECT 'e', id, change_seq, upper(encode(raw, 'hex')) FROM events WHERE machine = " + m + " ORDER BY id") +
           "\n" + q("SELECT 'w', dedup_key, change_seq, input_tokens, output_tokens, cost_nanousd FROM usage_winners"
                    " WHERE machine = " + m + " ORDER BY dedup_key COLLATE \"C\"") +
           "\n" + q("SELECT 't', id, change_seq, status, coalesce(duration_ms::text, '') FROM tool_executions WHERE machine = " +
                    m + " ORDER BY id") +
           "\n" + q("SELECT 'c', id, change_seq, session_id, coalesce(title, '') FROM conversations WHERE machine = " + m +
                    " ORDER BY id") +
           "\n" + q("SELECT 'p', id, change_seq, project FROM projects WHERE machine = " + m + " ORDER BY id");
  }

  TempDir dir_;
  PgServer server_;
  std::string db_a_, db_b_;
};

TEST_F(TeamTest, TwoMachinesPushAndTeamTotalsAreTheSumOfTheirOwn) {
  CommandResult a = Push(db_a_, UrlA());
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_GT(JsonInt(a.out, "rows"), 0);
  CommandResult b = Push(db_b_, UrlB());
  ASSERT_EQ(b.exit_code, 0) << b.err;

  const std::string local = LocalSums({db_a_, db_b_});
  ASSERT_FALSE(local.empty());
  EXPECT_EQ(ServerSums(server_.Url("lead", "rl")), local);
  // Each machine's rows arrive exactly as stored locally.
  EXPECT_EQ(ServerRows("laptop-a"), LocalRows(db_a_));
  EXPECT_EQ(ServerRows("laptop-b"), LocalRows(db_b_));
  EXPECT_EQ(server_.Admin("SELECT DISTINCT user_name FROM messages WHERE machine = 'laptop-b'"), "bob\n");

  // Nothing new: nothing sent, nothing duplicated.
  CommandResult again = Push(db_a_, UrlA());
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(JsonInt(again.out, "rows"), 0);
  EXPECT_EQ(ServerRows("laptop-a"), LocalRows(db_a_));
  // The server has full-text search on the text.
  EXPECT_NE(server_.Admin("SELECT count(*) FROM messages WHERE content_tsv @@ plainto_tsquery('simple', 'the')"), "0\n");
}

TEST_F(TeamTest, EachRoleSeesAndWritesOnlyWhatThePoliciesAllow) {
  ASSERT_EQ(Push(db_a_, UrlA()).exit_code, 0);
  ASSERT_EQ(Push(db_b_, UrlB()).exit_code, 0);
  const std::string count = "SELECT count(*) FROM messages";
  const int64_t a = QueryInt(db_a_, count), b = QueryInt(db_b_, count);
  auto server_count = [&](const std::string& url, const std::string& sql) {
    CommandResult r = server_.Psql(url, sql);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return std::stoll(r.out);
  };
  EXPECT_EQ(server_count(server_.Url("lead", "rl"), count), a + b);
  EXPECT_EQ(server_count(server_.Url("alice", "ra"), count), a);
  EXPECT_EQ(server_count(server_.Url("bob", "rb"), count), b);
  // A machine role reads only its own rows.
  EXPECT_EQ(server_count(UrlA(), count + " WHERE machine = 'laptop-b'"), 0);
  // Sharing a project with alice shows her its rows, and only those.
  const std::string shared = "-src-deep-manifest";
  server_.Admin("INSERT INTO cco_shared_projects VALUES ('" + shared + "', 'alice')");
  EXPECT_EQ(server_count(server_.Url("alice", "ra"), count + " WHERE machine = 'laptop-b'"),
            server_count(server_.Url("lead", "rl"), count + " WHERE machine = 'laptop-b' AND project = '" + shared + "'"));

  // Inserting or changing another machine's rows is refused.
  CommandResult forged = server_.Psql(UrlA(),
      "INSERT INTO projects (machine, user_name, id, project, change_seq) VALUES ('laptop-b', 'bob', 999, 'x', 1)");
  EXPECT_NE(forged.exit_code, 0);
  EXPECT_NE(forged.err.find("row-level security"), std::string::npos) << forged.err;
  CommandResult as_alice = server_.Psql(UrlA(),
      "INSERT INTO projects (machine, user_name, id, project, change_seq) VALUES ('laptop-a', 'bob', 999, 'x', 1)");
  EXPECT_NE(as_alice.exit_code, 0) << "a machine may not tag rows with another user";
  CommandResult changed = server_.Psql(UrlA(), "UPDATE messages SET type = 'x' WHERE machine = 'laptop-b' RETURNING id");
  EXPECT_EQ(changed.exit_code, 0) << changed.err;
  EXPECT_EQ(changed.out, "") << "no row of another machine is visible to update";
  CommandResult member_write = server_.Psql(server_.Url("alice", "ra"), "DELETE FROM messages");
  EXPECT_NE(member_write.exit_code, 0);
  // Pushing as another machine is refused before anything is sent.
  CommandResult impostor = Push(db_a_, UrlA(), {"--machine", "laptop-b"});
  EXPECT_EQ(impostor.exit_code, 1);
  EXPECT_NE(impostor.err.find("may not push as machine 'laptop-b'"), std::string::npos) << impostor.err;
  EXPECT_EQ(impostor.err.find("pa@"), std::string::npos) << "the password is never printed: " << impostor.err;
}

TEST_F(TeamTest, PushKilledInsideOpenServerTransactionsResumesExactly) {
  // Small batches, killed inside a random batch's open transaction (after
  // its rows and mark are written, before COMMIT), several times.
  std::random_device seed_source;
  const unsigned seed = seed_source();
  std::mt19937 random(seed);
  SCOPED_TRACE(absl::StrCat("seed ", seed));
  const std::vector<std::string> small = {"--batch-rows", "40"};
  int kills = 0;
  for (int round = 0; round < 4; ++round) {
    const int at = std::uniform_int_distribution<int>(1, 4)(random);
    const std::string before = server_.Admin("SELECT coalesce(max(pushed_seq), -1) FROM push_marks");
    CommandResult killed = Push(db_a_, UrlA(), small, {"CCO_TEST_KILL_IN_PUSH=" + std::to_string(at)});
    if (killed.exit_code == 0) break;  // everything fit in fewer batches
    ASSERT_EQ(killed.exit_code, 128 + 9) << killed.err;
    ++kills;
    // The killed batch left nothing: the mark is that of the batch before.
    const int64_t mark = std::stoll(server_.Admin("SELECT coalesce(max(pushed_seq), -1) FROM push_marks"));
    EXPECT_EQ(std::stoll(server_.Admin("SELECT count(*) FROM messages WHERE change_seq > " + std::to_string(mark))), 0);
    EXPECT_GE(mark, std::stoll(before));
  }
  EXPECT_GE(kills, 1);
  CommandResult finished = Push(db_a_, UrlA(), small);
  ASSERT_EQ(finished.exit_code, 0) << finished.err;
  EXPECT_EQ(ServerRows("laptop-a"), LocalRows(db_a_));
}

// PostgreSQL's text takes only valid UTF-8 without NUL. A project directory
// whose name is Latin-1 (a file name is bytes), a NUL escape and a lone
// surrogate escape in the text arrive with U+FFFD in the text columns, the
// raw line byte-exact in bytea, and later pushes go on (one refused row
// used to stop every later push).
TEST_F(TeamTest, TextsThatAreNotValidUtf8ArriveWithReplacementCharactersAndDoNotBlockLaterPushes) {
  const std::string root = dir_ / "a/projects";
  const std::string project = "-home-u-caf\xE9";
  const std::string file = root + "/" + project + "/s-odd.jsonl";
  auto line = [](const std::string& uuid, const std::string& text) {
    return absl::StrCat(R"({"parentUuid":null,"isSidechain":false,"userType":"external","cwd":"/home/u/caf",)",
                        R"("sessionId":"s-odd","version":"2.1.1","type":"user","message":{"role":"user","content":")",
                        text, R"("},"uuid":")", uuid, R"(","timestamp":"2026-01-02T03:04:05.678Z"})", "\n");
  };
  WriteFile(file, line("odd-1", R"(lone \ud800 surrogate and a \u0000 nul)"));
  CommandResult replay = RunCco({"replay", root, "--db", db_a_});
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  CommandResult first = Push(db_a_, UrlA());
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(server_.Admin("SELECT count(*) FROM messages WHERE uuid = 'odd-1'"), "1\n");
  EXPECT_EQ(server_.Admin("SELECT position(U&'\\FFFD' IN content) > 0 AND position(U&'\\FFFD' IN project) > 0"
                          " FROM messages WHERE uuid = 'odd-1'"),
            "t\n");
  EXPECT_EQ(server_.Admin("SELECT upper(encode(raw, 'hex')) FROM messages WHERE uuid = 'odd-1'"),
            QueryRows(db_a_, "SELECT hex(cco_raw(raw)) FROM messages WHERE uuid = 'odd-1'") + "\n");

  // The next line of the same file goes too: nothing is stuck behind it.
  std::string body = ReadFile(file) + line("odd-2", "plain");
  WriteFile(file, body);
  replay = RunCco({"replay", root, "--db", db_a_});
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  CommandResult second = Push(db_a_, UrlA());
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_GT(JsonInt(second.out, "rows"), 0);
  EXPECT_EQ(server_.Admin("SELECT count(*) FROM messages WHERE uuid = 'odd-2'"), "1\n");
}

// An undo lifts a forget's tombstone without erasing it: a push after
// both still deletes what the forget removed (here the transcripts are gone,
// so nothing comes back), and the server equals the machine.
TEST_F(TeamTest, ForgetThenUndoBeforeThePushStillRemovesTheForgottenRowsFromTheServer) {
  ASSERT_EQ(Push(db_a_, UrlA()).exit_code, 0);
  const std::string session = QueryRows(db_a_, "SELECT session_id FROM conversations ORDER BY id LIMIT 1");
  ASSERT_FALSE(session.empty());
  for (absl::string_view path : absl::StrSplit(
           QueryRows(db_a_, "SELECT path FROM files WHERE session_id = '" + session + "'"), '\n', absl::SkipEmpty())) {
    fs::remove(std::string(path));
  }
  CommandResult forgot = RunCco({"forget", "--session", session, "--db", db_a_});
  ASSERT_EQ(forgot.exit_code, 0) << forgot.err;
  CommandResult undone = RunCco({"forget", "--undo", "--session", session, "--db", db_a_});
  ASSERT_EQ(undone.exit_code, 0) << undone.err;
  ASSERT_EQ(QueryInt(db_a_, "SELECT count(*) FROM conversations WHERE session_id = '" + session + "'"), 0);
  CommandResult pushed = Push(db_a_, UrlA());
  ASSERT_EQ(pushed.exit_code, 0) << pushed.err;
  EXPECT_EQ(server_.Admin("SELECT count(*) FROM conversations WHERE machine = 'laptop-a' AND session_id = '" +
                          session + "'"),
            "0\n");
  EXPECT_EQ(ServerRows("laptop-a"), LocalRows(db_a_));
}

TEST_F(TeamTest, UsageOnlyAndExcludedProjectsAreEnforcedOnEveryLaterPush) {
  CommandResult first = Push(db_a_, UrlA(), {"--usage-only", "--exclude-project", "-experiments-ideas"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(server_.Admin("SELECT count(*) FROM messages WHERE content IS NOT NULL OR raw IS NOT NULL"), "0\n");
  EXPECT_EQ(server_.Admin("SELECT count(*) FROM messages WHERE project = '-experiments-ideas'"), "0\n");
  EXPECT_EQ(server_.Admin("SELECT count(*) FROM usage_winners WHERE project = '-experiments-ideas'"), "0\n");
  EXPECT_NE(server_.Admin("SELECT count(*) FROM usage_winners"), "0\n");
  // A later push without the flags keeps them: new rows of the excluded
  // project stay local and no text is sent.
  for (const std::string& project : kProjectsA) {
    std::string path;
    for (const auto& e : fs::directory_iterator(dir_ / ("a/projects/" + project))) {
      if (e.path().extension() == ".jsonl") path = e.path().string();
    }
    ASSERT_FALSE(path.empty());
    const std::string session = fs::path(path).stem().string();
    AppendFile(path, "{\"type\":\"user\",\"sessionId\":\"" + session + "\",\"uuid\":\"new-" + project +
                         "\",\"timestamp\":\"2026-01-01T00:00:00Z\",\"message\":{\"role\":\"user\","
                         "\"content\":\"secret words\"}}\n");
  }
  ASSERT_EQ(RunCco({"replay", dir_ / "a/projects", "--db", db_a_}).exit_code, 0);
  CommandResult later = Push(db_a_, UrlA());
  ASSERT_EQ(later.exit_code, 0) << later.err;
  EXPECT_NE(later.out.find("\"usage_only\":true"), std::string::npos) << later.out;
  EXPECT_NE(later.out.find("-experiments-ideas"), std::string::npos) << later.out;
  EXPECT_EQ(server_.Admin("SELECT count(*) FROM messages WHERE project = '-experiments-ideas' OR content IS NOT NULL"),
            "0\n");
  EXPECT_EQ(server_.Admin("SELECT count(*) FROM messages WHERE uuid = 'new--Users-chip-dev-ai-music'"), "1\n");
}

// A setting widened after rows went to the server takes them back: the next
// push clears this machine's text there (--usage-only), or deletes its rows
// of a newly excluded project, before its first batch; another machine's
// rows are untouched, and team totals follow.
TEST_F(TeamTest, SettingsWidenedLaterTakeBackWhatWasPushed) {
  ASSERT_EQ(Push(db_a_, UrlA()).exit_code, 0);
  ASSERT_EQ(Push(db_b_, UrlB()).exit_code, 0);
  auto count = [&](const std::string& sql) { return server_.Admin(absl::StrCat("SELECT count(*) FROM ", sql)); };
  ASSERT_NE(count("messages WHERE machine = 'laptop-a' AND content IS NOT NULL"), "0\n");
  ASSERT_NE(count("tool_executions WHERE machine = 'laptop-a' AND input IS NOT NULL"), "0\n");
  const std::string b_text = count("messages WHERE machine = 'laptop-b' AND content IS NOT NULL");

  CommandResult usage_only = Push(db_a_, UrlA(), {"--usage-only"});
  ASSERT_EQ(usage_only.exit_code, 0) << usage_only.err;
  EXPECT_GT(JsonInt(usage_only.out, "taken_back"), 0) << usage_only.out;
  EXPECT_EQ(count("messages WHERE machine = 'laptop-a' AND (content IS NOT NULL OR raw IS NOT NULL)"), "0\n");
  EXPECT_EQ(count("events WHERE machine = 'laptop-a' AND raw IS NOT NULL"), "0\n");
  EXPECT_EQ(count("conversations WHERE machine = 'laptop-a' AND title IS NOT NULL"), "0\n");
  EXPECT_EQ(count("tool_executions WHERE machine = 'laptop-a' AND (input IS NOT NULL OR output IS NOT NULL)"), "0\n");
  EXPECT_EQ(count("messages WHERE machine = 'laptop-b' AND content IS NOT NULL"), b_text) << "another machine's";
  EXPECT_EQ(ServerSums(server_.AdminUrl()), LocalSums({db_a_, db_b_})) << "usage stays";
  CommandResult again = Push(db_a_, UrlA(), {"--usage-only"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(JsonInt(again.out, "taken_back"), 0) << "recorded: nothing more to take back";

  const std::string excluded = kProjectsA[1];
  CommandResult exclude = Push(db_a_, UrlA(), {"--exclude-project", excluded});
  ASSERT_EQ(exclude.exit_code, 0) << exclude.err;
  EXPECT_GT(JsonInt(exclude.out, "taken_back"), 0) << exclude.out;
  for (const char* table : {"messages", "events", "tool_executions", "usage_winners", "conversations", "projects"}) {
    EXPECT_EQ(count(absl::StrCat(table, " WHERE machine = 'laptop-a' AND project = '", excluded, "'")), "0\n")
        << table;
  }
  EXPECT_NE(count(absl::StrCat("messages WHERE machine = 'laptop-a' AND project = '", kProjectsA[0], "'")), "0\n");
  // The team's totals: bob's, and alice's without the excluded project.
  const std::string kept = dir_ / "kept.db";
  {
    const std::string root = dir_ / "kept/projects";
    fs::create_directories(root + "/" + kProjectsA[0]);
    fs::copy(CorpusDir() + "/projects/" + kProjectsA[0], root + "/" + kProjectsA[0], fs::copy_options::recursive);
    ASSERT_EQ(RunCco({"replay", root, "--db", kept}).exit_code, 0);
  }
  EXPECT_EQ(ServerSums(server_.AdminUrl()), LocalSums({kept, db_b_}));
  CommandResult status = RunCco({"status", "--db", db_a_, "--json"});
  EXPECT_NE(status.out.find(excluded), std::string::npos) << status.out;
}

// `cco status --db postgresql://…`: the server's rows and each machine's
// mark, as the role may read them: the lead every machine, a member theirs.
TEST_F(TeamTest, StatusOnTheServerShowsEachMachinesPush) {
  ASSERT_EQ(Push(db_a_, UrlA()).exit_code, 0);
  ASSERT_EQ(Push(db_b_, UrlB()).exit_code, 0);
  CommandResult lead = RunCco({"status", "--json", "--db", server_.Url("lead", "rl")});
  ASSERT_EQ(lead.exit_code, 0) << lead.err;
  EXPECT_EQ(absl::StrCat(JsonInt(lead.out, "messages"), "\n"), server_.Admin("SELECT count(*) FROM messages"));
  for (const auto& [machine, db] : {std::pair<std::string, std::string>{"laptop-a", db_a_}, {"laptop-b", db_b_}}) {
    const std::string mark = QueryRows(db, "SELECT pushed_seq FROM push_targets");
    EXPECT_TRUE(absl::StrContains(lead.out, absl::StrCat("\"machine\":\"", machine, "\"")) ) << lead.out;
    EXPECT_TRUE(absl::StrContains(lead.out, absl::StrCat("\"pushed_seq\":", mark))) << mark << " in " << lead.out;
  }
  EXPECT_EQ(lead.out.find(":rl@"), std::string::npos) << "no password";
  CommandResult alice = RunCco({"status", "--json", "--db", server_.Url("alice", "ra")});
  ASSERT_EQ(alice.exit_code, 0) << alice.err;
  EXPECT_TRUE(absl::StrContains(alice.out, "\"machine\":\"laptop-a\"")) << alice.out;
  EXPECT_FALSE(absl::StrContains(alice.out, "laptop-b")) << alice.out;
  CommandResult text = RunCco({"status", "--db", server_.Url("lead", "rl")});
  EXPECT_TRUE(absl::StrContains(text.out, "machine laptop-b (user bob): up to change")) << text.out;
}

// `cco search --db postgresql://…`: the team's messages through the
// server's tsvector index, in the local shape; --machine and --user narrow
// it, a member finds only what the policies let them read; what only the
// local index knows (--fts, --kind) is a usage error.
TEST_F(TeamTest, SearchOnTheServerFindsTheTeamsMessagesInTheLocalShape) {
  ASSERT_EQ(Push(db_a_, UrlA()).exit_code, 0);
  ASSERT_EQ(Push(db_b_, UrlB()).exit_code, 0);
  const std::string lead = server_.Url("lead", "rl");
  auto search = [&](const std::string& db, std::vector<std::string> args, int exit_code = 0) {
    args.insert(args.begin(), {"search", "--json", "--db", db});
    CommandResult r = RunCco(args);
    EXPECT_EQ(r.exit_code, exit_code) << r.out << r.err;
    return r;
  };
  auto sessions = [](const std::string& json) {
    std::set<std::string> out;
    static const std::regex kSession(R"re("session":"([^"]+)")re");
    for (auto it = std::sregex_iterator(json.begin(), json.end(), kSession); it != std::sregex_iterator(); ++it) {
      out.insert((*it)[1]);
    }
    return out;
  };
  auto local_sessions = [](const std::string& db) {
    std::vector<std::string> v = absl::StrSplit(QueryRows(db, "SELECT session_id FROM conversations"), '\n');
    return std::set<std::string>(v.begin(), v.end());
  };
  const std::set<std::string> a = local_sessions(db_a_), b = local_sessions(db_b_);
  // Every match counted: as the server's own index counts the word.
  const std::string expected =
      server_.Admin("SELECT count(*) FROM messages WHERE content_tsv @@ phraseto_tsquery('simple', 'file')");
  CommandResult all = search(lead, {"file", "--limit", "1000"});
  EXPECT_EQ(absl::StrCat(JsonInt(all.out, "total"), "\n"), expected) << all.out;
  EXPECT_GT(JsonInt(all.out, "total"), 0);
  for (const char* key : {"\"uuid\":", "\"project\":", "\"timestamp\":", "\"kind\":", "\"snippet\":", "\"rank\":"}) {
    EXPECT_TRUE(absl::StrContains(all.out, key)) << key << " in " << all.out.substr(0, 400);
  }
  EXPECT_TRUE(absl::StrContains(all.out, "[file]") || absl::StrContains(all.out, "[File]")) << "marked in snippets";
  std::set<std::string> found = sessions(all.out), from_a, from_b;
  for (const std::string& s : found) (a.count(s) ? from_a : from_b).insert(s);
  EXPECT_FALSE(from_a.empty());
  EXPECT_FALSE(from_b.empty());
  for (const std::string& s : from_b) EXPECT_TRUE(b.count(s)) << s;
  // Narrowed by machine and by user; a member reads their own.
  for (const std::string& s : sessions(search(lead, {"file", "--limit", "1000", "--machine", "laptop-a"}).out)) {
    EXPECT_TRUE(a.count(s)) << s;
  }
  for (const std::string& s : sessions(search(lead, {"file", "--limit", "1000", "--user", "bob"}).out)) {
    EXPECT_TRUE(b.count(s)) << s;
  }
  for (const std::string& s : sessions(search(server_.Url("alice", "ra"), {"file", "--limit", "1000"}).out)) {
    EXPECT_TRUE(a.count(s)) << "alice reads only her own: " << s;
  }
  // Newest first: times never go up.
  CommandResult newest = search(lead, {"file", "--newest", "--limit", "50"});
  std::vector<std::string> times;
  static const std::regex kTime(R"re("timestamp":"([^"]+)")re");
  for (auto it = std::sregex_iterator(newest.out.begin(), newest.out.end(), kTime); it != std::sregex_iterator(); ++it) {
    times.push_back((*it)[1]);
  }
  EXPECT_TRUE(std::is_sorted(times.rbegin(), times.rend())) << newest.out.substr(0, 600);
  EXPECT_TRUE(absl::StrContains(search(lead, {"--fts", "file*"}, 2).err, "--fts"));
  EXPECT_TRUE(absl::StrContains(search(lead, {"file", "--kind", "prompt"}, 2).err, "--kind"));
  EXPECT_TRUE(absl::StrContains(search(db_a_, {"file", "--user", "bob"}, 2).err, "team server"));
}

// (date, model) -> the four token counts and the cost in nano-USD, from
// `cco report daily --json`.
std::map<std::string, std::vector<int64_t>> DailyByModel(const std::string& json) {
  std::map<std::string, std::vector<int64_t>> out;
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(json);
  for (simdjson::dom::element day : doc["daily"].get_array()) {
    const std::string date{std::string_view(day["date"])};
    for (simdjson::dom::element m : day["modelBreakdowns"].get_array()) {
      auto& v = out[date + " " + std::string(std::string_view(m["modelName"]))];
      v.resize(5);
      v[0] += int64_t(m["inputTokens"]);
      v[1] += int64_t(m["outputTokens"]);
      v[2] += int64_t(m["cacheCreationTokens"]);
      v[3] += int64_t(m["cacheReadTokens"]);
      v[4] += std::llround(double(m["cost"]) * 1e9);
    }
  }
  return out;
}

TEST_F(TeamTest, ServerReportsHaveTheLocalShapesAndTeamTotalsAreTheSums) {
  ASSERT_EQ(Push(db_a_, UrlA()).exit_code, 0);
  ASSERT_EQ(Push(db_b_, UrlB()).exit_code, 0);
  const std::string lead = server_.Url("lead", "rl");
  auto report = [&](const std::string& db, std::vector<std::string> args) {
    args.insert(args.begin(), "report");
    args.insert(args.end(), {"--json", "--tz", "UTC", "--db", db});
    CommandResult r = RunCco(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  };
  // One machine's rows on the server give its own reports, byte for byte.
  for (const std::vector<std::string>& kind :
       std::vector<std::vector<std::string>>{{"daily"}, {"weekly"}, {"monthly"}, {"session", "--by-agent"},
                                             {"project"}, {"tools"}}) {
    std::vector<std::string> a = kind;
    a.insert(a.end(), {"--machine", "laptop-a"});
    EXPECT_EQ(report(lead, a), report(db_a_, kind)) << kind[0];
    std::vector<std::string> b = kind;
    b.insert(b.end(), {"--user", "bob"});
    EXPECT_EQ(report(lead, b), report(db_b_, kind)) << kind[0];
  }
  // A member sees their own usage only; the lead sees the team's, which is
  // the sum of the machines' own reports per day and model.
  EXPECT_EQ(report(server_.Url("alice", "ra"), {"daily"}), report(db_a_, {"daily"}));
  std::map<std::string, std::vector<int64_t>> sum = DailyByModel(report(db_a_, {"daily"}));
  for (const auto& [key, v] : DailyByModel(report(db_b_, {"daily"}))) {
    auto& s = sum[key];
    s.resize(5);
    for (int i = 0; i < 5; ++i) s[i] += v[i];
  }
  const std::map<std::string, std::vector<int64_t>> team = DailyByModel(report(lead, {"daily"}));
  ASSERT_EQ(team.size(), sum.size());
  for (const auto& [key, v] : sum) {
    ASSERT_TRUE(team.count(key)) << key;
    for (int i = 0; i < 4; ++i) EXPECT_EQ(team.at(key)[i], v[i]) << key;
    EXPECT_NEAR(team.at(key)[4], v[4], 2) << key << " cost (nano-USD, rounded from the JSON's dollars)";
  }
  // A project filter names a project across the team.
  EXPECT_EQ(report(lead, {"daily", "--project", "-src-deep-manifest"}),
            report(db_b_, {"daily", "--project", "-src-deep-manifest"}));
  // --user and --machine belong to the server.
  EXPECT_EQ(RunCco({"report", "daily", "--db", db_a_, "--user", "alice"}).exit_code, 2);
}

// Polls `done` every 100 ms until it holds or `limit` passes (a state to
// reach, never a duration to guess).
bool WaitFor(const std::function<bool()>& done, std::chrono::seconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return done();
}

// A setting given under another spelling of the server's URL (a target new
// to this database) takes back what the machine pushed as well; and a
// running `cco watch --push-to` follows a setting another push widened:
// what it sends next carries no text.
TEST_F(TeamTest, WidenedSettingsHoldAcrossUrlSpellingsAndARunningWatch) {
  ASSERT_EQ(Push(db_a_, UrlA()).exit_code, 0);
  auto text_rows = [&] {
    return server_.Admin("SELECT count(*) FROM messages WHERE machine = 'laptop-a' AND content IS NOT NULL");
  };
  ASSERT_NE(text_rows(), "0\n");
  CommandResult other = Push(db_a_, UrlA() + "?connect_timeout=10", {"--usage-only"});
  ASSERT_EQ(other.exit_code, 0) << other.err;
  EXPECT_EQ(text_rows(), "0\n") << other.out;

  // A watch pushing with text; another push widens the setting; the watch's
  // next rows come without text.
  const std::string db = dir_ / "w.db";
  ChildProcess watch({CCO_BINARY, "watch", "--root", dir_ / "a/projects", "--db", db, "--push-to", UrlB(), "--poll",
                      "--machine", "laptop-b"});
  auto b_rows = [&] {
    CommandResult r = server_.Psql(server_.AdminUrl(), "SELECT count(*) FROM messages WHERE machine = 'laptop-b'");
    return r.exit_code == 0 ? std::stoll(r.out) : -1;
  };
  const int64_t corpus = QueryInt(db_a_, "SELECT count(*) FROM messages");
  ASSERT_TRUE(WaitFor([&] { return b_rows() == corpus; }, std::chrono::seconds(120))) << watch.Stderr();
  CommandResult widen = Push(db, UrlB(), {"--usage-only", "--machine", "laptop-b"});
  ASSERT_EQ(widen.exit_code, 0) << widen.err;
  EXPECT_EQ(server_.Admin("SELECT count(*) FROM messages WHERE machine = 'laptop-b' AND content IS NOT NULL"), "0\n");
  std::string path;
  for (const auto& e : fs::directory_iterator(dir_ / ("a/projects/" + kProjectsA[0]))) {
    if (e.path().extension() == ".jsonl") path = e.path().string();
  }
  const std::string session = fs::path(path).stem().string();
  AppendFile(path, "{\"type\":\"user\",\"sessionId\":\"" + session + "\",\"uuid\":\"after-widen\",\"timestamp\":"
                   "\"2026-01-01T00:00:00Z\",\"message\":{\"role\":\"user\",\"content\":\"a secret said later\"}}\n");
  ASSERT_TRUE(WaitFor([&] { return b_rows() == corpus + 1; }, std::chrono::seconds(120))) << watch.Stderr();
  EXPECT_EQ(server_.Admin("SELECT count(*) FROM messages WHERE machine = 'laptop-b' AND content IS NOT NULL"), "0\n");
  EXPECT_EQ(server_.Admin("SELECT count(*) FROM messages WHERE uuid = 'after-widen' AND raw IS NULL"), "1\n");
}

TEST_F(TeamTest, WatchPushToCatchesUpAfterTheServerWasDownWithNothingDuplicated) {
  const std::string db = dir_ / "w.db";
  ChildProcess watch({CCO_BINARY, "watch", "--root", dir_ / "a/projects", "--db", db, "--push-to", UrlA(), "--poll"});
  auto server_messages = [&] {
    CommandResult r = server_.Psql(server_.AdminUrl(), "SELECT count(*) FROM messages");
    return r.exit_code == 0 ? std::stoll(r.out) : -1;
  };
  const int64_t corpus = QueryInt(db_a_, "SELECT count(*) FROM messages");
  ASSERT_TRUE(WaitFor([&] { return server_messages() == corpus; }, std::chrono::seconds(120)))
      << server_messages() << " of " << corpus << "\n" << watch.Stderr();

  // The server goes away; new lines are committed locally meanwhile.
  ASSERT_TRUE(server_.Stop());
  std::string path;
  for (const auto& e : fs::directory_iterator(dir_ / ("a/projects/" + kProjectsA[0]))) {
    if (e.path().extension() == ".jsonl") path = e.path().string();
  }
  const std::string session = fs::path(path).stem().string();
  for (int i = 0; i < 5; ++i) {
    AppendFile(path, "{\"type\":\"user\",\"sessionId\":\"" + session + "\",\"uuid\":\"while-down-" +
                         std::to_string(i) + "\",\"timestamp\":\"2026-01-01T00:00:00Z\",\"message\":{\"role\":"
                         "\"user\",\"content\":\"written while the server was down\"}}\n");
  }
  ASSERT_TRUE(WaitFor([&] { return QueryInt(db, "SELECT count(*) FROM messages") == corpus + 5; },
                      std::chrono::seconds(60)));
  // The failure is seen and shown: rows behind, the last error.
  ASSERT_TRUE(WaitFor([&] {
    CommandResult status = RunCco({"status", "--db", db, "--json"});
    return status.out.find("\"last_error\":\"") != std::string::npos;
  }, std::chrono::seconds(60)));
  CommandResult status = RunCco({"status", "--db", db});
  EXPECT_NE(status.out.find("rows behind"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("last attempt failed"), std::string::npos) << status.out;
  EXPECT_EQ(status.out.find(":pa@"), std::string::npos) << "no password in status";

  ASSERT_TRUE(server_.Start()) << server_.error();
  ASSERT_TRUE(WaitFor([&] { return server_messages() == corpus + 5; }, std::chrono::seconds(120)))
      << server_messages() << "\n" << watch.Stderr();
  ASSERT_TRUE(WaitFor([&] {
    return RunCco({"status", "--db", db, "--json"}).out.find("\"rows_behind\":0") != std::string::npos;
  }, std::chrono::seconds(60)));
  watch.Signal(SIGTERM);
  ASSERT_EQ(watch.WaitExit(std::chrono::seconds(30)), 0) << watch.Stderr();
  // Exactly the local rows: nothing lost, nothing twice.
  EXPECT_EQ(ServerRows("laptop-a"), LocalRows(db));
  EXPECT_EQ(watch.Stderr().find(":pa@"), std::string::npos) << "no password in the log";
}

// `cco serve --db postgresql://…`: the dashboard and its API over the team
// server, as far as the role may read. Each API answer is what the same
// command prints against the server (--user/--machine as ?user=/?machine=),
// and one machine's rows give that machine's own local answers; a
// conversation holds the same lines as on its machine; billing blocks are
// one person's; pages reload when a push arrives; no password on any page.
TEST_F(TeamTest, ServeOnTheServerAnswersTheTeamInTheLocalShapes) {
  ASSERT_EQ(Push(db_a_, UrlA()).exit_code, 0);
  const std::string lead = server_.Url("lead", "rl");
  const std::vector<std::string> now = {"CCO_NOW=2026-12-01T00:00:00Z"};
  std::unique_ptr<ChildProcess> started = StartCco({"serve", "--db", lead, "--port", "0"}, now);
  Served served = WaitForUrl(std::move(started));
  ASSERT_GT(served.port, 0);
  auto api = [&](const std::string& path, int status = 200) {
    Reply r = Get(served, path);
    EXPECT_EQ(r.status, status) << path << ": " << r.body;
    return r.body;
  };
  auto cli = [&](std::vector<std::string> args) {
    CommandResult r = RunCco(args, now);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  };
  const int64_t before = JsonInt(api("/api/changes"), "changeSeq");
  ASSERT_EQ(Push(db_b_, UrlB()).exit_code, 0);
  EXPECT_NE(JsonInt(api("/api/changes"), "changeSeq"), before) << "a push moves the version pages poll";

  // Reports: the server's own answer, and one machine's is its local one.
  EXPECT_EQ(api("/api/report/daily?tz=UTC"), cli({"report", "daily", "--json", "--tz", "UTC", "--db", lead}));
  EXPECT_EQ(api("/api/report/daily?tz=UTC&machine=laptop-a"),
            cli({"report", "daily", "--json", "--tz", "UTC", "--db", db_a_}));
  EXPECT_EQ(api("/api/sessions?tz=UTC&user=bob&by-agent=1"),
            cli({"report", "session", "--json", "--tz", "UTC", "--by-agent", "--db", db_b_}));
  EXPECT_EQ(api("/api/report/tools?tz=UTC&user=alice"), cli({"report", "tools", "--json", "--tz", "UTC", "--db", db_a_}));
  EXPECT_EQ(api("/api/search?q=file&machine=laptop-b&limit=50"),
            cli({"search", "file", "--json", "--limit", "50", "--db", lead, "--machine", "laptop-b"}));
  EXPECT_EQ(api("/api/status"), cli({"status", "--json", "--db", lead}));
  // Billing blocks meter one person: with ?user= they are that person's,
  // as on their own machine (one each here); over two users a clear 400.
  EXPECT_EQ(api("/api/report/blocks?user=alice"), cli({"report", "blocks", "--json", "--db", db_a_}));
  EXPECT_EQ(api("/api/report/blocks?user=bob&token-limit=max"),
            cli({"report", "blocks", "--json", "--token-limit", "max", "--db", db_b_}));
  EXPECT_TRUE(absl::StrContains(api("/api/report/blocks", 400), "name one with --user"));
  EXPECT_EQ(cli({"report", "blocks", "--json", "--db", lead, "--user", "bob"}),
            cli({"report", "blocks", "--json", "--db", db_b_}));

  // A conversation: the same messages as on its machine (the server keeps
  // no files, so the same set of lines rather than the same order).
  const std::string session =
      QueryRows(db_a_, "SELECT session_id FROM conversations WHERE message_count BETWEEN 5 AND 150"
                       " ORDER BY message_count DESC, session_id LIMIT 1");
  ASSERT_FALSE(session.empty());
  Served local = StartServe(db_a_);
  auto anchors = [](const std::string& html) {
    std::multiset<std::string> out;
    static const std::regex kAnchor(R"re(id="m-([^"]+)")re");
    for (auto it = std::sregex_iterator(html.begin(), html.end(), kAnchor); it != std::sregex_iterator(); ++it) {
      out.insert((*it)[1]);
    }
    return out;
  };
  const std::string page = api("/conversation/" + session.substr(0, 8));
  EXPECT_FALSE(anchors(page).empty());
  EXPECT_EQ(anchors(page), anchors(Get(local, "/conversation/" + session).body));
  auto lines = [](const std::string& jsonl) {
    std::vector<std::string> v = absl::StrSplit(jsonl, '\n', absl::SkipEmpty());
    return std::multiset<std::string>(v.begin(), v.end());
  };
  EXPECT_EQ(lines(api("/api/conversation/" + session)), lines(Get(local, "/api/conversation/" + session).body));
  api("/conversation/ffffffff-0000", 404);

  // Pages: the sessions list of one user holds their sessions, not the
  // other's; the status page names each machine; no page shows a password.
  const std::string b_session = QueryRows(db_b_, "SELECT report_session FROM usage_winners LIMIT 1");
  const std::string alice_sessions = api("/sessions?since=2000-01-01&user=alice&tz=UTC");
  const std::string bob_sessions = api("/sessions?since=2000-01-01&user=bob&tz=UTC");
  EXPECT_TRUE(absl::StrContains(bob_sessions, b_session)) << b_session;
  EXPECT_FALSE(absl::StrContains(alice_sessions, b_session)) << b_session;
  const std::string status = api("/status");
  EXPECT_TRUE(absl::StrContains(status, "laptop-a") && absl::StrContains(status, "laptop-b")) << status;
  for (const char* path : {"/", "/tools?since=2000-01-01", "/search?q=file", "/status"}) {
    const std::string html = api(path);
    EXPECT_EQ(html.find(":rl@"), std::string::npos) << path << " shows the password";
    EXPECT_EQ(html.find("class=\"error\""), std::string::npos) << path << ": " << html;
  }
  // The overview's active block: one person's, so over the whole team a
  // note asking for a user, with ?user= that user's (none active here).
  EXPECT_TRUE(absl::StrContains(api("/"), "id=\"block-user\""));
  const std::string alice_overview = api("/?user=alice&since=2000-01-01&tz=UTC");
  EXPECT_TRUE(absl::StrContains(alice_overview, "id=\"block-none\"")) << alice_overview;
  EXPECT_TRUE(absl::StrContains(alice_overview, "name=\"user\" size=\"12\" value=\"alice\"")) << "the picker";
  // On a local database the team filters are a clear 400.
  EXPECT_EQ(Get(local, "/api/report/daily?user=alice").status, 400);
}

}  // namespace
}  // namespace cco::testing
