// The SQLite store driven directly with hand-built chunks (no files, no
// parser): which lines are the same line (a uuid once per conversation;
// lines without one by transcript name, hash and occurrence, so repeated
// identical lines all stay and a re-read generation records duplicates), a
// new generation read from 0, archiving, the committed file states read back
// field for field, and a commit that fails half-way leaving nothing behind.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "src/hash.h"
#include "src/sqlite.h"
#include "src/sqlite_store.h"
#include "tests/test_support.h"

namespace cco {
namespace {

using ::cco::testing::QueryInt;
using ::cco::testing::QueryRows;
using ::cco::testing::Filler;
using ::cco::testing::TempDir;

constexpr char kSession[] = "5e55e55e-0000-4000-8000-000000000001";

LineRecord Line(RecordKind kind, const std::string& raw, const std::string& uuid = "") {
  LineRecord r;
  r.kind = kind;
  r.raw = raw;
  r.length = static_cast<int64_t>(raw.size());
  r.line_hash = StableHash(raw);
  r.uuid = uuid;
  r.session_id = kSession;
  switch (kind) {
    case RecordKind::kMessage:
      r.type = "user";
      r.content = raw;
      break;
    case RecordKind::kEvent:
      r.type = "summary";
      break;
    case RecordKind::kQuarantine:
      r.reason = "invalid_json: not JSON";
      break;
  }
  return r;
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SqliteStoreOptions options;
    options.now_ms = [] { return int64_t{0}; };  // as replay: no clock
    absl::StatusOr<std::unique_ptr<Store>> store = OpenSqliteStore(db_, options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  // The next chunk of `name` (under root `root`) holding `records`, laid
  // out one after another from the file's committed position (or from 0 for
  // a new generation).
  FileChunk Next(const std::string& name, std::vector<LineRecord> records, bool new_generation = false,
                 const std::string& root = "/r1/projects") {
    const std::string path = root + "/" + name;
    FileChunk c;
    c.location.path = path;
    c.location.root = root;
    c.location.project_dir = name.substr(0, name.find('/'));
    c.location.session_id = kSession;
    c.location.report_session = kSession;
    auto [it, fresh] = files_.try_emplace(path);
    Progress& p = it->second;
    c.new_generation = fresh || new_generation;
    if (c.new_generation) {
      ++p.generation;
      p.position = 0;
    }
    c.generation = p.generation;
    c.start = p.position;
    c.prior_checksum_len = c.new_generation ? 0 : p.position;
    c.prior_checksum = c.new_generation ? 0 : p.checksum;
    int64_t at = c.start;
    for (LineRecord& r : records) {
      r.offset = at;
      at += r.length + 1;
    }
    c.end = at;
    c.identity.size = at;
    c.identity.checksum_len = at;
    c.identity.checksum = StableHash(absl::StrCat(path, ":", p.generation, ":", at));
    c.records = std::move(records);
    return c;
  }

  // Commits `chunks` and remembers where each file now stands.
  CommitStats Commit(const std::vector<FileChunk>& chunks, const std::vector<FileRemoval>& removals = {}) {
    CommitStats stats;
    absl::Status status = store_->Commit(chunks, removals, &stats);
    EXPECT_TRUE(status.ok()) << status;
    EXPECT_EQ(stats.refused, 0) << (stats.refusals.empty() ? "" : stats.refusals.front());
    for (const FileChunk& c : chunks) {
      files_[c.location.path] = {c.generation, c.end, c.identity.checksum};
    }
    return stats;
  }

  int64_t Count(const std::string& table) { return QueryInt(db_, "SELECT count(*) FROM " + table); }

  struct Progress {
    int64_t generation = 0;
    int64_t position = 0;
    uint64_t checksum = 0;
  };

  TempDir tmp_;
  const std::string db_ = tmp_ / "cco.db";
  std::unique_ptr<Store> store_;
  std::map<std::string, Progress> files_;
};

TEST_F(StoreTest, ALineWithAUuidIsStoredOncePerConversation) {
  const std::string a = "-p/" + std::string(kSession) + ".jsonl";
  const std::string agent = "-p/" + std::string(kSession) + "/subagents/agent-1.jsonl";
  CommitStats first = Commit({Next(a, {Line(RecordKind::kMessage, R"({"uuid":"u-1","n":1})", "u-1"),
                                       Line(RecordKind::kEvent, R"({"uuid":"e-1","n":1})", "e-1")})});
  EXPECT_EQ(first.messages, 1);
  EXPECT_EQ(first.events, 1);
  // The same lines in another file of the session (a copy Claude Code
  // writes into a subagent's or a resumed session's transcript).
  CommitStats again = Commit({Next(agent, {Line(RecordKind::kMessage, R"({"uuid":"u-1","n":1})", "u-1"),
                                           Line(RecordKind::kEvent, R"({"uuid":"e-1","n":1})", "e-1")})});
  EXPECT_EQ(again.messages, 0);
  EXPECT_EQ(again.events, 0);
  EXPECT_EQ(again.duplicates, 2);
  EXPECT_EQ(again.lines, 2) << "both lines are accounted for";
  EXPECT_EQ(Count("messages"), 1);
  EXPECT_EQ(Count("events"), 1);
  EXPECT_EQ(QueryRows(db_, "SELECT kind FROM duplicates ORDER BY kind"), "event\nmessage");
  EXPECT_EQ(QueryInt(db_, "SELECT message_count FROM conversations"), 1);
  EXPECT_EQ(again.revisions, 0) << "the same bytes are a copy, not a revision";
  EXPECT_EQ(QueryInt(db_, "SELECT revisions FROM messages") + QueryInt(db_, "SELECT revisions FROM events"), 0);

  // Other bytes under the same uuid: a revision, shown when it ranks first
  // (a finished response), with the line it replaces kept as a duplicate.
  LineRecord finished = Line(RecordKind::kMessage, R"({"uuid":"u-1","n":1,"stop_reason":"end_turn"})", "u-1");
  finished.stop_reason = "end_turn";
  CommitStats revised = Commit({Next(agent, {finished})});
  EXPECT_EQ(revised.revisions, 1);
  EXPECT_EQ(revised.messages, 0);
  EXPECT_EQ(QueryRows(db_, "SELECT stop_reason, revisions FROM messages"), "end_turn|1");
  EXPECT_EQ(Count("duplicates"), 3);

  // The same uuid in another session is another line.
  LineRecord other = Line(RecordKind::kMessage, R"({"uuid":"u-1","n":1})", "u-1");
  other.session_id = "5e55e55e-0000-4000-8000-000000000002";
  CommitStats elsewhere = Commit({Next(a, {other})});
  EXPECT_EQ(elsewhere.messages, 1);
  EXPECT_EQ(Count("messages"), 2);
  EXPECT_EQ(Count("conversations"), 2);
}

TEST_F(StoreTest, IdenticalLinesWithoutUuidAllStayAndARereadGenerationRecordsThemAsDuplicates) {
  const std::string name = "-p/" + std::string(kSession) + ".jsonl";
  const std::string summary = R"({"type":"summary","summary":"Fix the build","leafUuid":"u-9"})";
  const std::string user = R"({"type":"user","message":{"role":"user","content":"again"}})";
  const std::string garbage = "{not json";
  auto lines = [&] {
    return std::vector<LineRecord>{Line(RecordKind::kEvent, summary),   Line(RecordKind::kEvent, summary),
                                   Line(RecordKind::kMessage, user),    Line(RecordKind::kMessage, user),
                                   Line(RecordKind::kQuarantine, garbage), Line(RecordKind::kQuarantine, garbage)};
  };
  CommitStats first = Commit({Next(name, lines())});
  EXPECT_EQ(first.events, 2);
  EXPECT_EQ(first.messages, 2);
  EXPECT_EQ(first.quarantined, 2);
  EXPECT_EQ(QueryRows(db_, "SELECT group_concat(occurrence) FROM (SELECT occurrence FROM events ORDER BY 1)"), "1,2");

  // The file replaced by a copy holding one more of each: a new generation
  // from 0. The lines already stored are duplicates; only the third copies are new.
  std::vector<LineRecord> more = lines();
  more.push_back(Line(RecordKind::kEvent, summary));
  more.push_back(Line(RecordKind::kMessage, user));
  more.push_back(Line(RecordKind::kQuarantine, garbage));
  CommitStats reread = Commit({Next(name, std::move(more), /*new_generation=*/true)});
  EXPECT_EQ(reread.duplicates, 6);
  EXPECT_EQ(reread.events, 1);
  EXPECT_EQ(reread.messages, 1);
  EXPECT_EQ(reread.quarantined, 1);
  EXPECT_EQ(reread.lines, 9);
  EXPECT_EQ(Count("events"), 3);
  EXPECT_EQ(Count("messages"), 3);
  EXPECT_EQ(Count("quarantine"), 3);
  EXPECT_EQ(QueryRows(db_, "SELECT generation, count(*) FROM duplicates GROUP BY 1"), "2|6");

  // The same transcript name under another root is the same stream: a copy
  // of the config directory stores nothing twice.
  CommitStats copy = Commit({Next(name, lines(), false, "/r2/projects")});
  EXPECT_EQ(copy.duplicates, 6);
  EXPECT_EQ(copy.events + copy.messages + copy.quarantined, 0);
  // Another transcript is another stream: its identical lines are its own.
  CommitStats other = Commit({Next("-p/5e55e55e-0000-4000-8000-000000000003.jsonl", lines())});
  EXPECT_EQ(other.duplicates, 0);
  EXPECT_EQ(other.events, 2);
  EXPECT_EQ(Count("events"), 5);
}

TEST_F(StoreTest, ANewGenerationStartsFromZeroAndCountsItsOwnLines) {
  const std::string name = "-p/" + std::string(kSession) + ".jsonl";
  Commit({Next(name, {Line(RecordKind::kEvent, R"({"n":1})"), Line(RecordKind::kEvent, R"({"n":2})"),
                      Line(RecordKind::kEvent, R"({"n":3})")})});
  EXPECT_EQ(QueryRows(db_, "SELECT generation, read_position, line_count FROM files"), "1|24|3");
  Commit({Next(name, {Line(RecordKind::kEvent, R"({"n":4})")}, /*new_generation=*/true)});
  EXPECT_EQ(QueryRows(db_, "SELECT generation, read_position, line_count FROM files"), "2|8|1");
  EXPECT_EQ(QueryRows(db_, "SELECT generation, byte_offset FROM events WHERE cco_raw(raw) = '{\"n\":4}'"), "2|0");

  // A new generation that does not start at 0, or skips one, is refused.
  FileChunk midway = Next(name, {Line(RecordKind::kEvent, R"({"n":5})")}, true);
  midway.start = 8;
  FileChunk skips = Next(name, {Line(RecordKind::kEvent, R"({"n":6})")}, true);
  skips.generation = 4;
  CommitStats stats;
  ASSERT_TRUE(store_->Commit({midway, skips}, {}, &stats).ok());
  EXPECT_EQ(stats.refused, 2);
  EXPECT_EQ(QueryRows(db_, "SELECT generation, read_position, line_count FROM files"), "2|8|1");
  EXPECT_EQ(Count("events"), 4);
}

TEST_F(StoreTest, ARemovedFileIsArchivedWithItsHistoryAndComesBackWhenReadAgain) {
  const std::string name = "-p/" + std::string(kSession) + ".jsonl";
  const std::string path = "/r1/projects/" + name;
  Commit({Next(name, {Line(RecordKind::kMessage, R"({"uuid":"u-1"})", "u-1")})});
  CommitStats removed = Commit({}, {FileRemoval{path}, FileRemoval{"/r1/projects/-p/never-seen.jsonl"}});
  EXPECT_EQ(removed.lines, 0);
  EXPECT_EQ(QueryInt(db_, "SELECT archived_ms IS NOT NULL FROM files"), 1);
  EXPECT_EQ(Count("messages"), 1) << "history outlives its source";
  EXPECT_EQ(Count("files"), 1) << "a removal of an unknown path adds nothing";
  absl::StatusOr<std::vector<FileState>> states = store_->LoadFileStates();
  ASSERT_TRUE(states.ok()) << states.status();
  ASSERT_EQ(states->size(), 1u);
  EXPECT_TRUE(states->front().archived);

  Commit({Next(name, {Line(RecordKind::kMessage, R"({"uuid":"u-2"})", "u-2")})});
  EXPECT_EQ(QueryInt(db_, "SELECT archived_ms IS NULL FROM files"), 1);
  EXPECT_EQ(Count("messages"), 2);
}

TEST_F(StoreTest, FileStatesReadBackEveryCommittedField) {
  FileChunk c = Next("-home-u-app/5e55e55e-0000-4000-8000-000000000001/subagents/agent-a1.jsonl",
                     {Line(RecordKind::kEvent, R"({"n":1})"), Line(RecordKind::kEvent, R"({"n":2})")});
  c.location.agent_id = "a1";
  c.location.agent_type = "Explore";
  c.location.report_session = "wf_7";  // differs from the session on purpose
  c.identity.dev = 2049;
  c.identity.inode = 9876543210;
  c.identity.size = 4096;
  c.identity.mtime_ns = 1772445600123456789;
  c.identity.head_len = 14;
  c.identity.head_checksum = 0xfedcba9876543210u;  // above INT64_MAX: stored bit-cast
  c.identity.checksum_len = 16;
  c.identity.checksum = 0x8000000000000001u;
  Commit({c});
  Commit({Next("-other/5e55e55e-0000-4000-8000-000000000002.jsonl", {Line(RecordKind::kEvent, R"({"n":3})")})},
         {FileRemoval{"/r1/projects/-other/5e55e55e-0000-4000-8000-000000000002.jsonl"}});

  absl::StatusOr<std::vector<FileState>> states = store_->LoadFileStates();
  ASSERT_TRUE(states.ok()) << states.status();
  ASSERT_EQ(states->size(), 2u);
  const FileState& s = states->front();  // ordered by path
  EXPECT_EQ(s.file_id, QueryInt(db_, "SELECT id FROM files WHERE agent_id = 'a1'"));
  EXPECT_EQ(s.location.path, c.location.path);
  EXPECT_EQ(s.location.root, "/r1/projects");
  EXPECT_EQ(s.location.project_dir, "-home-u-app");
  EXPECT_EQ(s.location.session_id, kSession);
  EXPECT_EQ(s.location.agent_id, "a1");
  EXPECT_EQ(s.location.agent_type, "Explore");
  EXPECT_EQ(s.location.report_session, "wf_7");
  EXPECT_EQ(s.identity.dev, 2049);
  EXPECT_EQ(s.identity.inode, 9876543210);
  EXPECT_EQ(s.identity.size, 4096);
  EXPECT_EQ(s.identity.mtime_ns, 1772445600123456789);
  EXPECT_EQ(s.identity.head_len, 14);
  EXPECT_EQ(s.identity.head_checksum, 0xfedcba9876543210u);
  EXPECT_EQ(s.identity.checksum_len, 16);
  EXPECT_EQ(s.identity.checksum, 0x8000000000000001u);
  EXPECT_EQ(s.generation, 1);
  EXPECT_EQ(s.read_position, 16);
  EXPECT_EQ(s.line_count, 2);
  EXPECT_FALSE(s.archived);
  const FileState& t = states->back();
  EXPECT_TRUE(t.archived);
  EXPECT_EQ(t.location.project_dir, "-other");
  EXPECT_EQ(t.location.agent_id, "");
  EXPECT_EQ(t.location.agent_type, "");
  EXPECT_EQ(t.read_position, 8);

  // What was committed is what a restarted writer reads: a second store on
  // the same file answers the same.
  store_.reset();
  absl::StatusOr<std::unique_ptr<Store>> reopened = OpenSqliteStore(db_);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  absl::StatusOr<std::vector<FileState>> again = (*reopened)->LoadFileStates();
  ASSERT_TRUE(again.ok()) << again.status();
  ASSERT_EQ(again->size(), 2u);
  EXPECT_EQ(again->front().identity.head_checksum, 0xfedcba9876543210u);
  EXPECT_EQ(again->front().read_position, 16);
}

TEST_F(StoreTest, ACommitThatFailsHalfWayLeavesNothingBehindAndTheNextOneWorks) {
  // A failure the store cannot refuse its way around (an I/O error, a full
  // disk), injected as a trigger that fails the insert of one line.
  {
    absl::StatusOr<Db> db = Db::Open(db_, Db::Mode::kReadWrite);
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE(db->Exec("CREATE TRIGGER fail_line BEFORE INSERT ON events WHEN NEW.raw = '{\"fail\":1}'"
                         " BEGIN SELECT RAISE(ABORT, 'injected failure'); END")
                    .ok());
  }
  const std::string kept = "-p/" + std::string(kSession) + ".jsonl";
  Commit({Next(kept, {Line(RecordKind::kEvent, R"({"n":0})")})});

  // One batch: more lines of a known file, a new project, file and
  // conversation, then a line whose insert fails.
  FileChunk more = Next(kept, {Line(RecordKind::kMessage, R"({"uuid":"u-1"})", "u-1")});
  more.records[0].timestamp_ms = 1767225600000;  // counted in analytics (staged until the batch's end)
  const std::string session2 = "5e55e55e-0000-4000-8000-000000000002";
  FileChunk fresh = Next("-q/" + session2 + ".jsonl",
                         {Line(RecordKind::kEvent, R"({"n":1})"), Line(RecordKind::kEvent, R"({"fail":1})")});
  for (LineRecord& r : fresh.records) r.session_id = session2;
  CommitStats stats;
  absl::Status failed = store_->Commit({more, fresh}, {FileRemoval{"/r1/projects/" + kept}}, &stats);
  EXPECT_FALSE(failed.ok());
  EXPECT_NE(std::string(failed.message()).find("injected failure"), std::string::npos) << failed;
  EXPECT_EQ(stats.lines, 0);
  EXPECT_EQ(stats.messages, 0);
  EXPECT_EQ(Count("files"), 1);
  EXPECT_EQ(Count("projects"), 1);
  EXPECT_EQ(Count("conversations"), 1);
  EXPECT_EQ(Count("messages"), 0);
  EXPECT_EQ(Count("events"), 1);
  EXPECT_EQ(QueryRows(db_, "SELECT read_position, line_count, archived_ms IS NULL FROM files"), "8|1|1");
  absl::StatusOr<std::vector<FileState>> states = store_->LoadFileStates();
  ASSERT_TRUE(states.ok()) << states.status();
  ASSERT_EQ(states->size(), 1u);
  EXPECT_EQ(states->front().read_position, 8);

  // The same batch once the failure is gone commits whole: the project and
  // conversation the failed batch created are created again (the store
  // forgets ids it cached inside a rolled-back transaction).
  {
    absl::StatusOr<Db> db = Db::Open(db_, Db::Mode::kReadWrite);
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE(db->Exec("DROP TRIGGER fail_line").ok());
  }
  CommitStats retried;
  absl::Status ok = store_->Commit({more, fresh}, {}, &retried);
  ASSERT_TRUE(ok.ok()) << ok;
  EXPECT_EQ(retried.lines, 3);
  EXPECT_EQ(QueryInt(db_, "SELECT sum(value) FROM analytics WHERE metric = 'messages:user'"), 1)
      << "what the rolled-back batch staged must not be counted again";
  EXPECT_EQ(Count("files"), 2);
  EXPECT_EQ(QueryRows(db_, "SELECT p.dir_name, count(*) FROM events e JOIN files f ON f.id = e.file_id"
                           " JOIN projects p ON p.id = f.project_id GROUP BY 1 ORDER BY 1"),
            "-p|1\n-q|2");
  EXPECT_EQ(QueryRows(db_, "SELECT c.session_id FROM events e JOIN conversations c ON c.id = e.conversation_id"
                           " WHERE cco_raw(e.raw) = '{\"fail\":1}'"),
            session2);
  EXPECT_EQ(QueryInt(db_, "PRAGMA foreign_key_check"), -1) << "no row points to a rolled-back id";
}

// A dictionary added by a commit that rolls back (a full disk, an I/O error)
// is added by the next commit, before its lines: the same dictionary, not one
// trained again from what is stored by then.
TEST_F(StoreTest, ADictionaryAddedByACommitThatRollsBackIsAddedByTheNextOne) {
  store_.reset();
  SqliteStoreOptions options;
  options.now_ms = [] { return int64_t{0}; };
  options.compression.sample_bytes = 64 << 10;
  options.compression.dictionary_bytes = 8192;
  absl::StatusOr<std::unique_ptr<Store>> store = OpenSqliteStore(db_, options);
  ASSERT_TRUE(store.ok()) << store.status();
  store_ = std::move(*store);
  const std::string name = "-p/" + std::string(kSession) + ".jsonl";
  // Short lines, over 64 KiB of them: the line dictionary is trained on
  // them while this commit ends.
  std::vector<LineRecord> short_lines;
  for (int i = 0; i < 800; ++i) {
    short_lines.push_back(Line(RecordKind::kEvent, absl::StrCat(R"({"type":"progress","n":)", i,
                                                                R"(,"data":{"tool":"Bash","step":)", i % 7,
                                                                R"(,"note":"building target )", i % 13, R"("}})")));
  }
  Commit({Next(name, short_lines)});
  {
    absl::StatusOr<Db> db = Db::Open(db_, Db::Mode::kReadWrite);
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE(db->Exec("CREATE TRIGGER fail_line BEFORE INSERT ON events WHEN NEW.raw = '{\"fail\":1}'"
                         " BEGIN SELECT RAISE(ABORT, 'injected failure'); END")
                    .ok());
  }
  // Long lines, then one that fails: the batch adds the dictionary first,
  // and all of it rolls back.
  std::vector<LineRecord> long_lines;
  for (int i = 0; i < 40; ++i) {
    long_lines.push_back(Line(RecordKind::kEvent, absl::StrCat(R"({"type":"progress","text":")", Filler(i, 2000), "\"}")));
  }
  long_lines.push_back(Line(RecordKind::kEvent, R"({"fail":1})"));
  const FileChunk chunk = Next(name, long_lines);
  CommitStats stats;
  ASSERT_FALSE(store_->Commit({chunk}, {}, &stats).ok());
  EXPECT_EQ(Count("zstd_dictionaries"), 0) << "added in the rolled-back transaction";
  {
    absl::StatusOr<Db> db = Db::Open(db_, Db::Mode::kReadWrite);
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE(db->Exec("DROP TRIGGER fail_line").ok());
  }
  Commit({chunk});
  // Trained on the short lines (about 110 bytes each): trained again now, on
  // the newest 64 KiB, its samples would be the 2 KB lines.
  EXPECT_EQ(QueryRows(db_, "SELECT kind, sample_bytes / samples < 200 FROM zstd_dictionaries"), "line|1");
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM events WHERE cco_raw(raw) LIKE '{\"type\":\"progress\",\"text\"%'"),
            40);
}

}  // namespace
}  // namespace cco
