// End-to-end tests of `cco rescan` and `cco replay` (the real binary, real
// files, a real SQLite database): exactly once across rescans, appends,
// truncation, replacement, copy-truncate, deletion and renames; repeated
// identical lines; uuids shared between sessions; one file under two roots;
// and the hand-written fixtures replayed against fixtures/expected_counts.json.

#include <simdjson.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/test_support.h"

namespace cco::testing {
namespace {

namespace fs = std::filesystem;

constexpr char kProject[] = "-home-alice-webapp";
constexpr char kSession[] = "5d0c9a7e-0000-4000-8000-000000000001";

std::string UserLine(const std::string& uuid, const std::string& text, const std::string& session = kSession) {
  return absl::StrCat(R"({"parentUuid":null,"isSidechain":false,"userType":"external","cwd":"/home/alice/webapp",)",
                      R"("sessionId":")", session, R"(","version":"2.1.27","type":"user",)",
                      R"("message":{"role":"user","content":")", text, R"("},"uuid":")", uuid,
                      R"(","timestamp":"2026-01-14T10:00:00.000Z"})");
}

std::string AssistantLine(const std::string& uuid, const std::string& text, const std::string& session = kSession) {
  return absl::StrCat(R"({"parentUuid":null,"isSidechain":false,"cwd":"/home/alice/webapp","sessionId":")", session,
                      R"(","type":"assistant","message":{"model":"claude-sonnet-4-5-20250929","id":"msg_)", uuid,
                      R"(","type":"message","role":"assistant","content":[{"type":"text","text":")", text,
                      R"("}],"usage":{"input_tokens":5,"output_tokens":7}},"requestId":"req_)", uuid,
                      R"(","uuid":")", uuid, R"(","timestamp":"2026-01-14T10:00:01.000Z"})");
}

// Lines without uuid: real repeats of these are real events.
std::string PermissionModeLine(const std::string& session = kSession) {
  return absl::StrCat(R"({"type":"permission-mode","permissionMode":"acceptEdits","sessionId":")", session, R"("})");
}
constexpr char kSnapshotLine[] =
    R"({"type":"file-history-snapshot","messageId":"m-1","snapshot":{"messageId":"m-1","trackedFileBackups":{},)"
    R"("timestamp":"2026-01-14T10:00:00.000Z"},"isSnapshotUpdate":false})";
constexpr char kSummaryLine[] = R"({"type":"summary","summary":"Login redirect fix","leafUuid":"elsewhere-1"})";

std::string Join(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) absl::StrAppend(&out, l, "\n");
  return out;
}

// What one rescan printed.
struct Summary {
  int64_t files = 0, lines = 0, messages = 0, events = 0, quarantined = 0, duplicates = 0;
  int64_t conversations = 0, projects = 0, bytes = 0, new_generations = 0, archived = 0, renamed = 0;
  int64_t waiting = 0, skipped = 0;
  std::string json;
};

Summary ParseSummary(const std::string& json) {
  Summary s;
  s.json = json;
  s.files = JsonInt(json, "files");
  s.lines = JsonInt(json, "lines");
  s.messages = JsonInt(json, "messages");
  s.events = JsonInt(json, "events");
  s.quarantined = JsonInt(json, "quarantined");
  s.duplicates = JsonInt(json, "duplicates");
  s.conversations = JsonInt(json, "conversations");
  s.projects = JsonInt(json, "projects");
  s.bytes = JsonInt(json, "bytes");
  s.new_generations = JsonInt(json, "new_generations");
  s.archived = JsonInt(json, "archived");
  s.renamed = JsonInt(json, "renamed");
  s.waiting = JsonInt(json, "waiting");
  s.skipped = JsonInt(json, "skipped");
  return s;
}

class RescanTest : public ::testing::Test {
 protected:
  std::string root() const { return dir_ / "projects"; }
  std::string db() const { return dir_ / "cco.db"; }
  std::string file(const std::string& name = absl::StrCat(kSession, ".jsonl"),
                   const std::string& project = kProject) const {
    return absl::StrCat(root(), "/", project, "/", name);
  }

  Summary Rescan(const std::vector<std::string>& extra_roots = {}) {
    std::vector<std::string> args = {"rescan", "--root", root(), "--db", db(), "--json"};
    for (const std::string& r : extra_roots) {
      args.push_back("--root");
      args.push_back(r);
    }
    CommandResult r = RunCco(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return ParseSummary(r.out);
  }

  int64_t Count(const std::string& sql) const { return QueryInt(db(), sql); }
  int64_t Messages() const { return Count("SELECT count(*) FROM messages"); }
  int64_t Events() const { return Count("SELECT count(*) FROM events"); }
  int64_t Quarantined() const { return Count("SELECT count(*) FROM quarantine"); }

  // Rows as (uuid or type) in file order, for readable comparisons.
  std::string MessageUuids() const {
    return QueryRows(db(), "SELECT uuid FROM messages ORDER BY uuid");
  }

  TempDir dir_;
};

TEST_F(RescanTest, FirstRescanStoresEveryLineAndSecondAddsNothing) {
  WriteFile(file(), Join({UserLine("u-1", "fix the login"), AssistantLine("a-1", "on it"), PermissionModeLine(),
                          kSnapshotLine, "{broken json"}));
  WriteFile(file("agent-1a2b3c4d.jsonl"), Join({UserLine("g-1", "warmup"), AssistantLine("g-2", "ready")}));
  WriteFile(file(absl::StrCat(kSession, "/subagents/agent-a1b2c3d.jsonl")), Join({UserLine("h-1", "explore")}));
  WriteFile(file("7e000000-0000-4000-8000-000000000002.jsonl", "-home-bob-cli"),
            Join({UserLine("b-1", "hello", "7e000000-0000-4000-8000-000000000002")}));

  Summary first = Rescan();
  EXPECT_EQ(first.files, 4);
  EXPECT_EQ(first.lines, 9);
  EXPECT_EQ(first.messages, 6);
  EXPECT_EQ(first.events, 2);
  EXPECT_EQ(first.quarantined, 1);
  EXPECT_EQ(first.duplicates, 0);
  EXPECT_EQ(first.conversations, 2);
  EXPECT_EQ(first.projects, 2);

  Summary second = Rescan();
  EXPECT_EQ(second.files, 4) << second.json;
  EXPECT_EQ(second.lines, 0) << second.json;
  EXPECT_EQ(second.messages, 0);
  EXPECT_EQ(second.events, 0);
  EXPECT_EQ(second.quarantined, 0);
  EXPECT_EQ(second.duplicates, 0);
  EXPECT_EQ(second.conversations, 0);
  EXPECT_EQ(second.projects, 0);
  EXPECT_EQ(second.bytes, 0);
  EXPECT_EQ(second.new_generations, 0);
  EXPECT_EQ(Messages(), 6);
  EXPECT_EQ(Events(), 2);
  EXPECT_EQ(Quarantined(), 1);
}

TEST_F(RescanTest, AgentFilesBelongToTheirParentSession) {
  WriteFile(file(), Join({UserLine("u-1", "main")}));
  WriteFile(file("agent-1a2b3c4d.jsonl"), Join({UserLine("g-1", "flat agent")}));
  WriteFile(file(absl::StrCat(kSession, "/subagents/agent-a1b2c3d.jsonl")), Join({UserLine("h-1", "nested agent")}));
  Rescan();
  EXPECT_EQ(Count("SELECT count(*) FROM conversations"), 1);
  EXPECT_EQ(QueryRows(db(), "SELECT session_id FROM conversations"), kSession);
  EXPECT_EQ(QueryRows(db(), "SELECT agent_id FROM files WHERE agent_id IS NOT NULL ORDER BY agent_id"),
            "1a2b3c4d\na1b2c3d");
  EXPECT_EQ(QueryRows(db(), "SELECT dir_name, cwd FROM projects"), absl::StrCat(kProject, "|/home/alice/webapp"));
}

TEST_F(RescanTest, AppendIngestsOnlyTheNewLines) {
  const std::string path = file();
  WriteFile(path, Join({UserLine("u-1", "one"), AssistantLine("a-1", "two"), PermissionModeLine()}));
  Rescan();
  const std::string partial = UserLine("u-3", "three");
  AppendFile(path, Join({AssistantLine("a-2", "four"), PermissionModeLine()}) + partial.substr(0, 30));
  Summary s = Rescan();
  EXPECT_EQ(s.lines, 2) << s.json;
  EXPECT_EQ(s.messages, 1);
  EXPECT_EQ(s.events, 1) << "an identical later permission-mode line is a real new event";
  EXPECT_EQ(s.duplicates, 0);
  EXPECT_EQ(s.new_generations, 0);
  EXPECT_EQ(Messages(), 3);
  EXPECT_EQ(Events(), 2);
  const int64_t size_without_fragment = static_cast<int64_t>(fs::file_size(path)) - 30;
  EXPECT_EQ(Count("SELECT read_position FROM files"), size_without_fragment);

  AppendFile(path, partial.substr(30) + "\n");
  Summary done = Rescan();
  EXPECT_EQ(done.lines, 1);
  EXPECT_EQ(done.messages, 1);
  EXPECT_EQ(MessageUuids(), "a-1\na-2\nu-1\nu-3");
  EXPECT_EQ(Count("SELECT read_position FROM files"), static_cast<int64_t>(fs::file_size(path)));
  EXPECT_EQ(Count("SELECT line_count FROM files"), 6);
}

TEST_F(RescanTest, TruncateAndRegrowWithDifferentContent) {
  const std::string path = file();
  WriteFile(path, Join({UserLine("u-1", "one"), AssistantLine("a-1", "two"), PermissionModeLine()}));
  Rescan();
  // Same inode, new content, larger than what was read: only the
  // fingerprints reveal it.
  ASSERT_EQ(::truncate(path.c_str(), 0), 0);
  AppendFile(path, Join({UserLine("u-9", std::string(400, 'n')), AssistantLine("a-9", "new answer"),
                         kSummaryLine}));
  Summary s = Rescan();
  EXPECT_EQ(s.new_generations, 1) << s.json;
  EXPECT_EQ(s.lines, 3);
  EXPECT_EQ(s.messages, 2);
  EXPECT_EQ(s.events, 1);
  EXPECT_EQ(s.duplicates, 0);
  EXPECT_EQ(MessageUuids(), "a-1\na-9\nu-1\nu-9") << "history of the first generation stays";
  EXPECT_EQ(Events(), 2);
  EXPECT_EQ(Count("SELECT generation FROM files"), 2);
  EXPECT_EQ(Count("SELECT line_count FROM files"), 3);
  EXPECT_EQ(Count("SELECT read_position FROM files"), static_cast<int64_t>(fs::file_size(path)));

  // And truncated to something shorter than what was read.
  ASSERT_EQ(::truncate(path.c_str(), 0), 0);
  AppendFile(path, Join({UserLine("u-10", "short")}));
  Summary shorter = Rescan();
  EXPECT_EQ(shorter.new_generations, 1);
  EXPECT_EQ(shorter.messages, 1);
  EXPECT_EQ(Count("SELECT generation FROM files"), 3);
  EXPECT_EQ(Messages(), 5);
}

TEST_F(RescanTest, AtomicReplaceWithDifferentContent) {
  const std::string path = file();
  WriteFile(path, Join({UserLine("u-1", "one"), PermissionModeLine()}));
  Rescan();
  WriteFile(path + ".tmp", Join({UserLine("u-2", "two"), kSnapshotLine}));
  ASSERT_EQ(std::rename((path + ".tmp").c_str(), path.c_str()), 0);
  Summary s = Rescan();
  EXPECT_EQ(s.new_generations, 1) << s.json;
  EXPECT_EQ(s.messages, 1);
  EXPECT_EQ(s.events, 1);
  EXPECT_EQ(s.duplicates, 0);
  EXPECT_EQ(MessageUuids(), "u-1\nu-2");
  EXPECT_EQ(Events(), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM files"), 1);
}

TEST_F(RescanTest, AtomicReplaceWithOldContentPlusMoreStoresOnlyTheNewLines) {
  const std::string path = file();
  const std::vector<std::string> old_lines = {UserLine("u-1", "one"), AssistantLine("a-1", "two"),
                                              PermissionModeLine(), PermissionModeLine(), kSnapshotLine,
                                              kSummaryLine, "not json at all", "[1,2,3]"};
  WriteFile(path, Join(old_lines));
  Summary first = Rescan();
  ASSERT_EQ(first.messages, 2);
  ASSERT_EQ(first.events, 4);
  ASSERT_EQ(first.quarantined, 2);

  // Claude Code never does this, but editors and sync tools do: a new file
  // with the old bytes and more, renamed over the old one.
  std::vector<std::string> new_lines = old_lines;
  new_lines.push_back(AssistantLine("a-2", "three"));
  new_lines.push_back(PermissionModeLine());
  new_lines.push_back("still not json");
  WriteFile(path + ".tmp", Join(new_lines));
  ASSERT_EQ(std::rename((path + ".tmp").c_str(), path.c_str()), 0);
  Summary s = Rescan();
  EXPECT_EQ(s.new_generations, 1) << s.json;
  EXPECT_EQ(s.lines, 11);
  EXPECT_EQ(s.messages, 1) << s.json;
  EXPECT_EQ(s.events, 1) << "only the third identical permission-mode line is new";
  EXPECT_EQ(s.quarantined, 1);
  EXPECT_EQ(s.duplicates, 8) << "every old line is recognised";
  EXPECT_EQ(Messages(), 3);
  EXPECT_EQ(Events(), 5);
  EXPECT_EQ(Quarantined(), 3);
  EXPECT_EQ(Count("SELECT count(*) FROM events WHERE type = 'permission-mode'"), 3);
  EXPECT_EQ(Count("SELECT line_count FROM files"), 11);

  // And the same bytes replaced once more: nothing at all is new.
  WriteFile(path + ".tmp", Join(new_lines));
  ASSERT_EQ(std::rename((path + ".tmp").c_str(), path.c_str()), 0);
  Summary again = Rescan();
  EXPECT_EQ(again.new_generations, 1);
  EXPECT_EQ(again.messages + again.events + again.quarantined, 0) << again.json;
  EXPECT_EQ(again.duplicates, 11);
}

TEST_F(RescanTest, CopyTruncate) {
  const std::string path = file();
  WriteFile(path, Join({UserLine("u-1", std::string(300, 'a')), AssistantLine("a-1", "two"), PermissionModeLine(),
                        kSnapshotLine}));
  Rescan();
  // logrotate copytruncate: copy aside (not a transcript name), truncate in
  // place, the writer keeps appending to the same inode.
  fs::copy_file(path, path + ".1");
  struct stat before;
  ASSERT_EQ(::stat(path.c_str(), &before), 0);
  ASSERT_EQ(::truncate(path.c_str(), 0), 0);
  AppendFile(path, Join({UserLine("u-2", "after rotation"), PermissionModeLine()}));
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  ASSERT_EQ(st.st_ino, before.st_ino);
  Summary s = Rescan();
  EXPECT_EQ(s.new_generations, 1) << s.json;
  EXPECT_EQ(s.files, 1) << "the copy aside is not a transcript";
  EXPECT_EQ(s.messages, 1);
  EXPECT_EQ(s.events, 0) << "the first permission-mode line of the new generation matches the stored one";
  EXPECT_EQ(s.duplicates, 1);
  EXPECT_EQ(MessageUuids(), "a-1\nu-1\nu-2");
  EXPECT_EQ(Count("SELECT read_position FROM files"), static_cast<int64_t>(fs::file_size(path)));
}

TEST_F(RescanTest, DeleteArchivesTheFileAndKeepsItsMessages) {
  const std::string keep = file();
  const std::string gone = file("7e000000-0000-4000-8000-000000000002.jsonl");
  WriteFile(keep, Join({UserLine("u-1", "kept")}));
  WriteFile(gone, Join({UserLine("d-1", "deleted later", "7e000000-0000-4000-8000-000000000002"),
                        PermissionModeLine("7e000000-0000-4000-8000-000000000002")}));
  Rescan();
  ASSERT_EQ(fs::remove(gone), true);
  Summary s = Rescan();
  EXPECT_EQ(s.archived, 1) << s.json;
  EXPECT_EQ(s.files, 1);
  EXPECT_EQ(s.lines, 0);
  EXPECT_EQ(Count("SELECT count(*) FROM files WHERE archived_ms IS NOT NULL"), 1);
  EXPECT_EQ(QueryRows(db(), "SELECT path FROM files WHERE archived_ms IS NOT NULL"), gone);
  EXPECT_EQ(MessageUuids(), "d-1\nu-1") << "messages outlive their source";
  EXPECT_EQ(Events(), 1);

  Summary again = Rescan();
  EXPECT_EQ(again.archived, 0) << "archived once";
  EXPECT_EQ(Count("SELECT count(*) FROM files WHERE archived_ms IS NOT NULL"), 1);
}

// Regression: a transcript moved away and back (or a root that was briefly
// unmounted) stayed archived until it grew again.
TEST_F(RescanTest, TranscriptThatComesBackIsNoLongerArchived) {
  const std::string path = file();
  WriteFile(path, Join({UserLine("u-1", "one"), PermissionModeLine()}));
  Rescan();
  ASSERT_EQ(std::rename(path.c_str(), (dir_ / "aside.jsonl").c_str()), 0);
  ASSERT_EQ(Rescan().archived, 1);
  ASSERT_EQ(std::rename((dir_ / "aside.jsonl").c_str(), path.c_str()), 0);
  Summary back = Rescan();
  EXPECT_EQ(back.lines, 0) << back.json;
  EXPECT_EQ(back.new_generations, 0);
  EXPECT_EQ(Count("SELECT count(*) FROM files WHERE archived_ms IS NOT NULL"), 0);
  EXPECT_EQ(Messages(), 1);
  EXPECT_EQ(Events(), 1);
  // And it is followed again like any live transcript.
  AppendFile(path, Join({UserLine("u-2", "two")}));
  EXPECT_EQ(Rescan().messages, 1);
  ASSERT_TRUE(fs::remove(path));
  EXPECT_EQ(Rescan().archived, 1) << "archived again when it goes again";
}

// Regression: ext4 hands a freed inode to the next new file at once. A
// transcript deleted while another is created must not be taken for a
// rename (that moved the deleted file's history onto the new path and never
// archived it).
TEST_F(RescanTest, DeleteThenCreateReusingTheInodeIsNotARename) {
  const std::string a = file("aaaaaaaa-0000-4000-8000-000000000001.jsonl");
  const std::string b = file("bbbbbbbb-0000-4000-8000-000000000002.jsonl");
  WriteFile(a, Join({UserLine("a-1", "from a", "aaaaaaaa-0000-4000-8000-000000000001")}));
  Rescan();
  struct stat st_a;
  ASSERT_EQ(::stat(a.c_str(), &st_a), 0);
  ASSERT_TRUE(fs::remove(a));
  WriteFile(b, Join({UserLine("b-1", "from b", "bbbbbbbb-0000-4000-8000-000000000002")}));
  struct stat st_b;
  ASSERT_EQ(::stat(b.c_str(), &st_b), 0);
  if (st_a.st_ino != st_b.st_ino) std::fprintf(stderr, "note: inode not reused on this file system\n");
  Summary s = Rescan();
  EXPECT_EQ(s.renamed, 0) << s.json;
  EXPECT_EQ(s.archived, 1) << s.json;
  EXPECT_EQ(QueryRows(db(), "SELECT path, archived_ms IS NOT NULL FROM files ORDER BY path"),
            absl::StrCat(a, "|1\n", b, "|0"));
  EXPECT_EQ(QueryRows(db(), "SELECT f.path FROM messages m JOIN files f ON f.id = m.file_id WHERE m.uuid = 'a-1'"), a);
  EXPECT_EQ(QueryRows(db(), "SELECT f.path FROM messages m JOIN files f ON f.id = m.file_id WHERE m.uuid = 'b-1'"), b);
}

TEST_F(RescanTest, RenameKeepsTheRowAndStoresNothingTwice) {
  const std::string from = file();
  const std::string to = file("5d0c9a7e-0000-4000-8000-00000000000f.jsonl");
  // Claude Code never renames transcripts, but users do.
  WriteFile(from, Join({UserLine("u-1", "one"), PermissionModeLine(), PermissionModeLine(), kSnapshotLine,
                        "garbage line"}));
  Rescan();
  ASSERT_EQ(std::rename(from.c_str(), to.c_str()), 0);
  Summary s = Rescan();
  EXPECT_EQ(s.renamed, 1) << s.json;
  EXPECT_EQ(s.archived, 0);
  EXPECT_EQ(s.new_generations, 0);
  EXPECT_EQ(s.lines, 0);
  EXPECT_EQ(s.duplicates, 0);
  EXPECT_EQ(QueryRows(db(), "SELECT path, archived_ms IS NULL, generation FROM files"), absl::StrCat(to, "|1|1"));
  EXPECT_EQ(Messages(), 1);
  EXPECT_EQ(Events(), 3);
  EXPECT_EQ(Quarantined(), 1);

  // Renamed and appended to before the next rescan: only the new line.
  const std::string third = file("5d0c9a7e-0000-4000-8000-0000000000ff.jsonl");
  ASSERT_EQ(std::rename(to.c_str(), third.c_str()), 0);
  AppendFile(third, Join({PermissionModeLine()}));
  Summary moved = Rescan();
  EXPECT_EQ(moved.renamed, 1);
  EXPECT_EQ(moved.lines, 1);
  EXPECT_EQ(moved.events, 1);
  EXPECT_EQ(Events(), 4);
  EXPECT_EQ(Count("SELECT count(*) FROM files"), 1);
}

TEST_F(RescanTest, IdenticalRepeatedEventsInOneFileAreAllStored) {
  // permission-mode lines carry no uuid and repeat byte for byte.
  WriteFile(file(), Join({PermissionModeLine(), UserLine("u-1", "one"), PermissionModeLine(), PermissionModeLine(),
                          kSnapshotLine, kSnapshotLine}));
  Summary s = Rescan();
  EXPECT_EQ(s.events, 5) << s.json;
  EXPECT_EQ(s.duplicates, 0);
  EXPECT_EQ(Count("SELECT count(*) FROM events WHERE type = 'permission-mode'"), 3);
  EXPECT_EQ(Count("SELECT count(*) FROM events WHERE type = 'file-history-snapshot'"), 2);
  EXPECT_EQ(Count("SELECT count(DISTINCT byte_offset) FROM events"), 5);
}

TEST_F(RescanTest, RereadFromZeroStoresNoRepeatedEventAgain) {
  const std::string path = file();
  const std::string content = Join({PermissionModeLine(), UserLine("u-1", "one"), PermissionModeLine(),
                                    PermissionModeLine(), kSnapshotLine, kSnapshotLine, "{oops"});
  WriteFile(path, content);
  Rescan();
  ASSERT_EQ(Events(), 5);
  // The identical bytes under a new inode: read again from 0.
  WriteFile(path + ".tmp", content);
  ASSERT_EQ(std::rename((path + ".tmp").c_str(), path.c_str()), 0);
  Summary s = Rescan();
  EXPECT_EQ(s.new_generations, 1) << s.json;
  EXPECT_EQ(s.lines, 7);
  EXPECT_EQ(s.events, 0) << s.json;
  EXPECT_EQ(s.messages, 0);
  EXPECT_EQ(s.quarantined, 0);
  EXPECT_EQ(s.duplicates, 7);
  EXPECT_EQ(Events(), 5);
  EXPECT_EQ(Quarantined(), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM duplicates"), 7);
}

TEST_F(RescanTest, UuidCopiedIntoAnotherSessionIsStoredInBoth) {
  // Claude Code copies lines (a 1.0.x "Caveat" meta line, resumed history)
  // into other session files with that session's id: same uuid, two sessions.
  const std::string s2 = "7e000000-0000-4000-8000-000000000002";
  WriteFile(file(), Join({UserLine("shared-uuid", "Caveat: the messages below were generated")}));
  WriteFile(file(s2 + ".jsonl"), Join({UserLine("shared-uuid", "Caveat: the messages below were generated", s2)}));
  Summary s = Rescan();
  EXPECT_EQ(s.messages, 2) << s.json;
  EXPECT_EQ(s.duplicates, 0);
  EXPECT_EQ(QueryRows(db(), "SELECT c.session_id FROM messages m JOIN conversations c ON c.id = m.conversation_id"
                            " WHERE m.uuid = 'shared-uuid' ORDER BY 1"),
            absl::StrCat(kSession, "\n", s2));
}

TEST_F(RescanTest, VerbatimCopyOfALineInTheSameSessionIsStoredOnce) {
  // A true copy (same session id, same uuid) in another file is one message.
  WriteFile(file(), Join({UserLine("u-1", "hello")}));
  WriteFile(file("agent-1a2b3c4d.jsonl"), Join({UserLine("u-1", "hello")}));
  Summary s = Rescan();
  EXPECT_EQ(s.lines, 2);
  EXPECT_EQ(s.messages, 1) << s.json;
  EXPECT_EQ(s.duplicates, 1);
  EXPECT_EQ(Messages(), 1);
}

TEST_F(RescanTest, SameRootNamedTwiceIsReadOnce) {
  WriteFile(file(), Join({UserLine("u-1", "one"), PermissionModeLine()}));
  // The config directory, its projects/ directory, and a symlink to it.
  fs::create_directory_symlink(root(), dir_ / "link");
  CommandResult r = RunCco({"rescan", "--root", dir_.path(), "--root", root(), "--root", dir_ / "link", "--db", db(),
                            "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Summary s = ParseSummary(r.out);
  EXPECT_EQ(s.files, 1) << s.json;
  EXPECT_EQ(s.events, 1);
  EXPECT_EQ(s.duplicates, 0);
  EXPECT_EQ(Count("SELECT count(*) FROM files"), 1);
}

TEST_F(RescanTest, SameFileUnderTwoRootsIsStoredOnce) {
  // One file reachable under two roots (a hard link; a bind-mounted config
  // directory looks the same): one files row, no row stored twice.
  const std::string other_root = dir_ / "other/projects";
  WriteFile(file(), Join({UserLine("u-1", "one"), AssistantLine("a-1", "two"), PermissionModeLine(),
                          PermissionModeLine(), kSnapshotLine, "{bad"}));
  fs::create_directories(other_root + "/" + kProject);
  fs::create_hard_link(file(), absl::StrCat(other_root, "/", kProject, "/", kSession, ".jsonl"));
  Summary s = Rescan({other_root});
  EXPECT_EQ(s.messages, 2) << s.json;
  EXPECT_EQ(s.events, 3);
  EXPECT_EQ(s.quarantined, 1);
  EXPECT_EQ(Messages(), 2);
  EXPECT_EQ(Events(), 3) << "uuid-less events of one file must not be stored once per path";
  EXPECT_EQ(Quarantined(), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM files WHERE archived_ms IS NULL"), 1);

  // Appended through either name: the new line once.
  AppendFile(file(), Join({PermissionModeLine()}));
  Summary more = Rescan({other_root});
  EXPECT_EQ(more.events, 1) << more.json;
  EXPECT_EQ(Events(), 4);
  Summary idle = Rescan({other_root});
  EXPECT_EQ(idle.lines, 0) << idle.json;
}

TEST_F(RescanTest, CopiedTranscriptUnderSecondRootStoresNoEventTwice) {
  // A config directory copied to the other default location: lines without
  // a uuid are keyed by (stream, line hash, occurrence), the stream being the
  // transcript's name under its root, so the copy stores nothing twice.
  const std::string other_root = dir_ / "other/projects";
  WriteFile(file(), Join({UserLine("u-1", "one"), PermissionModeLine(), kSnapshotLine}));
  fs::create_directories(other_root + "/" + kProject);
  fs::copy_file(file(), absl::StrCat(other_root, "/", kProject, "/", kSession, ".jsonl"));
  Summary s = Rescan({other_root});
  EXPECT_EQ(Messages(), 1) << s.json;
  EXPECT_EQ(Events(), 2) << s.json;
}

// Replay takes a final line without its '\n'. When that file later grows,
// tail mode must not take the rest of the line for a line of its own.
TEST_F(RescanTest, RescanAfterReplayOfAnUnterminatedLineReadsItWhole) {
  const std::string second = UserLine("u-2", "second");
  WriteFile(file(), UserLine("u-1", "first") + "\n" + second.substr(0, 40));
  CommandResult replay = RunCco({"replay", root(), "--db", db(), "--json"});
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  ASSERT_EQ(Quarantined(), 1);  // the half line, as replay saw it
  AppendFile(file(), second.substr(40) + "\n" + UserLine("u-3", "third") + "\n");
  Summary s = Rescan();
  EXPECT_EQ(s.new_generations, 1) << s.json;
  EXPECT_EQ(MessageUuids(), "u-1\nu-2\nu-3");
  EXPECT_EQ(Quarantined(), 1) << "the rest of the line was read as a line";
  EXPECT_EQ(Count("SELECT count(*) FROM duplicates"), 1);
}

TEST_F(RescanTest, BadLinesBecomeQuarantineRowsWithReasons) {
  const std::string good = UserLine("u-1", "good");
  const std::string bad_json = R"({"type":"user","message":{"content":"unterminated)";
  const std::string not_object = R"(["an","array"])";
  const std::string bad_utf8 = "{\"type\":\"user\",\"message\":{\"content\":\"caf\xe9\"}}";
  WriteFile(file(), Join({good, bad_json, not_object, bad_utf8}));
  CommandResult r = RunCco({"rescan", "--root", root(), "--db", db(), "--json"});
  EXPECT_EQ(r.exit_code, 0) << "quarantined lines do not fail the run: " << r.err;
  Summary s = ParseSummary(r.out);
  EXPECT_EQ(s.quarantined, 3) << s.json;
  EXPECT_EQ(s.messages, 1);
  const int64_t o1 = static_cast<int64_t>(good.size() + 1);
  const int64_t o2 = o1 + static_cast<int64_t>(bad_json.size() + 1);
  const int64_t o3 = o2 + static_cast<int64_t>(not_object.size() + 1);
  EXPECT_EQ(QueryRows(db(), "SELECT byte_offset, length, substr(reason, 1, instr(reason, ':') - 1), raw_truncated "
                            "FROM quarantine ORDER BY byte_offset"),
            absl::StrCat(o1, "|", bad_json.size(), "|invalid_json|0\n", o2, "|", not_object.size(),
                         "|not_an_object|0\n", o3, "|", bad_utf8.size(), "|invalid_utf8|0"));
  std::string hex;
  for (unsigned char c : bad_utf8) absl::StrAppend(&hex, absl::Hex(c, absl::kZeroPad2));
  EXPECT_EQ(QueryInt(db(), absl::StrCat("SELECT CAST(cco_raw(raw) AS BLOB) = x'", hex, "' FROM quarantine WHERE reason LIKE 'invalid_utf8%'")),
            1)
      << "the raw bytes are kept exactly";
}

TEST_F(RescanTest, UnknownTypeIsStoredAsEventWithRawJsonIntact) {
  const std::string unknown =
      R"({"type":"teleport-beacon","uuid":"t-1","sessionId":"5d0c9a7e-0000-4000-8000-000000000001","payload":{"a":[1,2.5,"\u00e9",null]}})";
  WriteFile(file(), Join({unknown}));
  Summary s = Rescan();
  EXPECT_EQ(s.events, 1) << s.json;
  EXPECT_EQ(s.quarantined, 0);
  EXPECT_EQ(QueryRows(db(), "SELECT type, uuid, cco_raw(raw) FROM events"), absl::StrCat("teleport-beacon|t-1|", unknown));
  EXPECT_EQ(Count("SELECT json_valid(cco_raw(raw)) FROM events"), 1);
}

TEST_F(RescanTest, EveryStoredRawLineIsValidJson) {
  WriteFile(file(), Join({UserLine("u-1", "one"), AssistantLine("a-1", "two"), PermissionModeLine(), kSnapshotLine,
                          kSummaryLine}));
  Rescan();
  EXPECT_EQ(Count("SELECT count(*) FROM messages WHERE NOT json_valid(cco_raw(raw))"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM events WHERE NOT json_valid(cco_raw(raw))"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM messages WHERE timestamp_ms IS NULL"), 0);
}

// ---------------------------------------------------------------------------
// The hand-written fixtures against fixtures/expected_counts.json.

std::string FixtureRoot() { return std::string(CCO_FIXTURES_DIR) + "/projects"; }

struct Expected {
  std::map<std::string, int64_t> totals;
  std::map<std::string, int64_t> by_type;
  std::map<std::string, std::map<std::string, int64_t>> per_file;  // relative path -> key -> n
  std::map<std::string, std::map<std::string, int64_t>> by_day;    // zone -> day -> n
};

// Reads one mode ("replay" or "tail") of expected_counts.json.
bool LoadExpected(const std::string& mode, Expected* out) {
  simdjson::padded_string json;
  if (simdjson::padded_string::load(std::string(CCO_FIXTURES_DIR) + "/expected_counts.json").get(json) !=
      simdjson::SUCCESS) {
    return false;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(json).get(doc) != simdjson::SUCCESS) return false;
  simdjson::dom::object counts;
  if (doc[mode].get(counts) != simdjson::SUCCESS) return false;
  for (auto field : counts) {
    int64_t n = 0;
    if (field.value.get(n) == simdjson::SUCCESS) out->totals[std::string(field.key)] = n;
  }
  simdjson::dom::object obj;
  if (counts["by_type"].get(obj) == simdjson::SUCCESS) {
    for (auto field : obj) {
      int64_t n = 0;
      if (field.value.get(n) == simdjson::SUCCESS) out->by_type[std::string(field.key)] = n;
    }
  }
  if (counts["per_file"].get(obj) == simdjson::SUCCESS) {
    for (auto file : obj) {
      simdjson::dom::object keys;
      if (file.value.get(keys) != simdjson::SUCCESS) continue;
      for (auto field : keys) {
        int64_t n = 0;
        if (field.value.get(n) == simdjson::SUCCESS) out->per_file[std::string(file.key)][std::string(field.key)] = n;
      }
    }
  }
  if (counts["messages_by_day"].get(obj) == simdjson::SUCCESS) {
    for (auto zone : obj) {
      simdjson::dom::object days;
      if (zone.value.get(days) != simdjson::SUCCESS) continue;
      for (auto day : days) {
        int64_t n = 0;
        if (day.value.get(n) == simdjson::SUCCESS) out->by_day[std::string(zone.key)][std::string(day.key)] = n;
      }
    }
  }
  return !out->totals.empty();
}

std::string ExpectedDays(const std::map<std::string, int64_t>& days) {
  std::vector<std::string> rows;
  for (const auto& [day, n] : days) rows.push_back(absl::StrCat(day, "|", n));
  return absl::StrJoin(rows, "\n");
}

// Compares a database built from the fixtures with one mode of the expected counts.
void ExpectDatabaseMatches(const std::string& db, const Expected& expected) {
  const std::string root = FixtureRoot() + "/";
  for (const auto& [rel, keys] : expected.per_file) {
    SCOPED_TRACE(rel);
    const std::string where = absl::StrCat(" WHERE file_id = (SELECT id FROM files WHERE path = '", root, rel, "')");
    EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM messages" + where), keys.at("messages"));
    EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM events" + where), keys.at("events"));
    EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM quarantine" + where), keys.at("quarantined"));
    EXPECT_EQ(QueryInt(db, absl::StrCat("SELECT read_position FROM files WHERE path = '", root, rel, "'")),
              keys.at("bytes"));
    EXPECT_EQ(QueryInt(db, absl::StrCat("SELECT line_count FROM files WHERE path = '", root, rel, "'")),
              keys.at("lines"));
  }
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM files"), expected.totals.at("files"));
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM conversations"), expected.totals.at("conversations"));
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM projects WHERE id IN (SELECT project_id FROM conversations)"),
            expected.totals.at("projects"));
  for (const auto& [type, n] : expected.by_type) {
    const std::string sql = type == "(quarantined)"
                                ? "SELECT count(*) FROM quarantine"
                                : absl::StrCat("SELECT (SELECT count(*) FROM messages WHERE type = '", type,
                                               "') + (SELECT count(*) FROM events WHERE type = '", type, "')");
    EXPECT_EQ(QueryInt(db, sql), n) << type;
  }
  const std::map<std::string, std::string> offsets = {
      {"UTC", "+0 minutes"}, {"Asia/Kolkata", "+330 minutes"}, {"Asia/Tokyo", "+540 minutes"}};
  for (const auto& [zone, days] : expected.by_day) {
    ASSERT_TRUE(offsets.contains(zone)) << zone;
    EXPECT_EQ(QueryRows(db, absl::StrCat("SELECT date(timestamp_ms / 1000, 'unixepoch', '", offsets.at(zone),
                                         "') AS d, count(*) FROM messages WHERE timestamp_ms IS NOT NULL"
                                         " GROUP BY d ORDER BY d")),
              ExpectedDays(days))
        << zone;
  }
}

void ExpectSummaryMatches(const Summary& s, const Expected& expected) {
  for (const auto& [key, value] : std::map<std::string, int64_t>{{"files", s.files},
                                                                 {"lines", s.lines},
                                                                 {"messages", s.messages},
                                                                 {"events", s.events},
                                                                 {"quarantined", s.quarantined},
                                                                 {"bytes", s.bytes},
                                                                 {"conversations", s.conversations},
                                                                 {"projects", s.projects},
                                                                 {"waiting", s.waiting},
                                                                 {"skipped", s.skipped}}) {
    ASSERT_TRUE(expected.totals.contains(key)) << key;
    EXPECT_EQ(value, expected.totals.at(key)) << key << " in " << s.json;
  }
  EXPECT_EQ(s.duplicates, 0) << s.json;
}

class FixtureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(std::string(CCO_FIXTURES_DIR) + "/expected_counts.json")) {
      GTEST_SKIP() << "fixtures/expected_counts.json is not there yet";
    }
  }
  TempDir dir_;
};

TEST_F(FixtureTest, ReplayMatchesExpectedCounts) {
  Expected expected;
  ASSERT_TRUE(LoadExpected("replay", &expected));
  CommandResult r = RunCco({"replay", FixtureRoot(), "--db", dir_ / "replay.db", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ExpectSummaryMatches(ParseSummary(r.out), expected);
  ExpectDatabaseMatches(dir_ / "replay.db", expected);

  CommandResult again = RunCco({"replay", FixtureRoot(), "--db", dir_ / "replay.db", "--json"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  Summary s = ParseSummary(again.out);
  EXPECT_EQ(s.lines + s.messages + s.events + s.quarantined + s.duplicates, 0) << s.json;
}

TEST_F(FixtureTest, RescanMatchesExpectedTailCounts) {
  Expected expected;
  ASSERT_TRUE(LoadExpected("tail", &expected));
  CommandResult r = RunCco({"rescan", "--root", FixtureRoot(), "--db", dir_ / "tail.db", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ExpectSummaryMatches(ParseSummary(r.out), expected);
  ExpectDatabaseMatches(dir_ / "tail.db", expected);
}

TEST_F(FixtureTest, ReplayIsDeterministic) {
  ASSERT_EQ(RunCco({"replay", FixtureRoot(), "--db", dir_ / "a.db"}).exit_code, 0);
  ASSERT_EQ(RunCco({"replay", FixtureRoot(), "--db", dir_ / "b.db"}).exit_code, 0);
  for (const char* sql : {
           "SELECT * FROM messages ORDER BY id", "SELECT * FROM events ORDER BY id",
           "SELECT * FROM quarantine ORDER BY id", "SELECT * FROM conversations ORDER BY id",
           "SELECT * FROM projects ORDER BY id",
           "SELECT id, path, generation, read_position, line_count, first_seen_ms, updated_ms FROM files ORDER BY id"}) {
    EXPECT_EQ(QueryRows(dir_ / "a.db", sql), QueryRows(dir_ / "b.db", sql)) << sql;
  }
  EXPECT_EQ(QueryInt(dir_ / "a.db", "SELECT count(*) FROM quarantine WHERE quarantined_ms != 0"), 0)
      << "replay uses no clock";
}

TEST_F(FixtureTest, ReplayedRowsAreSane) {
  const std::string db = dir_ / "replay.db";
  ASSERT_EQ(RunCco({"replay", FixtureRoot(), "--db", db}).exit_code, 0);
  // The pasted screenshot: a placeholder, never its base64.
  EXPECT_GE(QueryInt(db, "SELECT count(*) FROM messages WHERE cco_raw(raw) LIKE '%\"type\":\"image\"%'"), 1);
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM messages WHERE cco_raw(raw) LIKE '%\"type\":\"image\"%'"
                         " AND cco_text(content) LIKE '%[image]%' AND cco_text(content) NOT LIKE '%iVBORw0KGgo%'"),
            QueryInt(db, "SELECT count(*) FROM messages WHERE cco_raw(raw) LIKE '%\"type\":\"image\"%'"));
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM messages WHERE cco_text(content) LIKE '%iVBORw0KGgo%'"), 0);
  // Raw JSON kept and valid for every stored row; quarantine keeps its bytes.
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM messages WHERE NOT json_valid(cco_raw(raw))"), 0);
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM events WHERE NOT json_valid(cco_raw(raw))"), 0);
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM quarantine WHERE length(CAST(cco_raw(raw) AS BLOB)) = 0 OR length(CAST(cco_raw(raw) AS BLOB)) > length"), 0);
  // Every user/assistant line of the fixtures has a uuid and a timestamp.
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM messages WHERE type IN ('user','assistant') AND uuid IS NULL"), 0);
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM messages WHERE timestamp_ms < 1700000000000"), 0);
  // Tool uses are searchable by tool name; agent files carry their agent id.
  EXPECT_GT(QueryInt(db, "SELECT count(*) FROM messages WHERE cco_text(content) LIKE '%[tool_use %'"), 0);
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM files WHERE path LIKE '%/agent-%' AND agent_id IS NULL"), 0);
  // Project cwd from the lines, not from the encoded directory name.
  EXPECT_EQ(QueryRows(db, "SELECT cwd FROM projects WHERE dir_name = '-home-alice-webapp'"), "/home/alice/webapp");
  // read_position of every file is its size (replay takes a final line
  // without newline too).
  for (const fs::directory_entry& e : fs::recursive_directory_iterator(FixtureRoot())) {
    if (e.path().extension() != ".jsonl") continue;
    if (e.file_size() == 0) {
      // No first line: waiting, not a row.
      EXPECT_EQ(QueryInt(db, absl::StrCat("SELECT count(*) FROM files WHERE path = '", e.path().string(), "'")), 0);
      continue;
    }
    EXPECT_EQ(QueryInt(db, absl::StrCat("SELECT read_position FROM files WHERE path = '", e.path().string(), "'")),
              static_cast<int64_t>(e.file_size()))
        << e.path();
  }
  EXPECT_EQ(QueryRows(db, "PRAGMA integrity_check"), "ok");
}

}  // namespace
}  // namespace cco::testing
