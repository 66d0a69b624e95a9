// The single writer and its store, driven directly: a chunk that does not
// continue its file's committed state is refused alone (the rest of its
// batch commits, the writer keeps running, the refusal is counted in the
// database); renames onto a path that has a row need a placeholder; the
// committed file states are answered after everything before the request;
// a database deleted under the writer stops it.

#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "src/sqlite_store.h"
#include "src/writer.h"
#include "tests/test_support.h"

namespace cco {
namespace {

using ::cco::testing::QueryInt;
using ::cco::testing::QueryRows;
using ::cco::testing::TempDir;

class WriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<Store>> store = OpenSqliteStore(db_);
    ASSERT_TRUE(store.ok()) << store.status();
    WriterOptions options;
    options.max_batch_delay = absl::Seconds(5);  // one batch, committed by Flush()
    options.heartbeat_every = heartbeat_every_;
    writer_ = std::make_unique<Writer>(std::move(*store), options);
    writer_->Start();
  }
  void TearDown() override {
    if (writer_ != nullptr) (void)writer_->Stop();
  }

  // A chunk of `lines` one-record lines of `path`, [start, start + 10 * lines).
  FileChunk Chunk(const std::string& path, int64_t generation, int64_t start, int lines, bool new_generation) {
    FileChunk c;
    c.location.path = root_ + "/" + path;
    c.location.root = root_;
    c.location.project_dir = "-p";
    c.location.session_id = "s";
    c.location.report_session = "s";
    c.generation = generation;
    c.new_generation = new_generation;
    c.start = start;
    c.end = start + 10 * lines;
    c.identity.size = c.end;
    for (int i = 0; i < lines; ++i) {
      LineRecord r;
      r.kind = RecordKind::kEvent;
      r.type = "summary";
      r.offset = start + 10 * i;
      r.raw = absl::StrCat("{\"n\":", next_++, "}");
      r.line_hash = static_cast<uint64_t>(next_);
      c.records.push_back(std::move(r));
    }
    return c;
  }

  int64_t Position(const std::string& path) {
    return QueryInt(db_, "SELECT read_position FROM files WHERE path = '" + root_ + "/" + path + "'");
  }

  TempDir tmp_;
  const std::string db_ = tmp_ / "cco.db";
  const std::string root_ = "/r/projects";
  absl::Duration heartbeat_every_ = absl::Seconds(30);
  std::unique_ptr<Writer> writer_;
  int next_ = 0;
};

TEST_F(WriterTest, ChunkThatDoesNotContinueItsFileIsRefusedAloneAndCounted) {
  ASSERT_TRUE(writer_->Submit(Chunk("a.jsonl", 1, 0, 2, true)).ok());
  ASSERT_TRUE(writer_->Submit(Chunk("a.jsonl", 1, 50, 1, false)).ok());  // the reader skipped 20..50
  ASSERT_TRUE(writer_->Submit(Chunk("b.jsonl", 1, 0, 3, true)).ok());
  ASSERT_TRUE(writer_->Submit(Chunk("a.jsonl", 1, 20, 1, false)).ok());  // continues a: committed
  ASSERT_TRUE(writer_->Flush().ok());
  EXPECT_EQ(writer_->refusals(), 1);
  EXPECT_EQ(writer_->stats().refused, 1);
  EXPECT_EQ(Position("a.jsonl"), 30);
  EXPECT_EQ(Position("b.jsonl"), 30);
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM events"), 6);
  EXPECT_EQ(QueryInt(db_, "SELECT refused_chunks FROM writer_state"), 1);
  EXPECT_TRUE(absl::StrContains(QueryRows(db_, "SELECT last_refusal FROM writer_state"),
                                "chunk starts at 50 (generation 1) but the stored read position is 20"))
      << QueryRows(db_, "SELECT last_refusal FROM writer_state");
  // A user sees it in `cco status`.
  ::cco::testing::CommandResult status = ::cco::testing::RunCco({"status", "--db", db_, "--json"});
  EXPECT_EQ(::cco::testing::JsonInt(status.out, "refused_chunks"), 1) << status.out << status.err;
  EXPECT_TRUE(absl::StrContains(status.out, "\"last_refusal\":{\"reason\":\"file state of")) << status.out;
  // Still running.
  ASSERT_TRUE(writer_->Submit(Chunk("a.jsonl", 1, 30, 1, false)).ok());
  ASSERT_TRUE(writer_->Flush().ok());
  EXPECT_EQ(Position("a.jsonl"), 40);
}

TEST_F(WriterTest, ChunkWhoseNumbersMatchButNotItsBytesIsRefused) {
  FileChunk first = Chunk("a.jsonl", 1, 0, 2, true);
  first.identity.checksum_len = 20;
  first.identity.checksum = 0xabc;
  ASSERT_TRUE(writer_->Submit(std::move(first)).ok());
  FileChunk other = Chunk("a.jsonl", 1, 20, 1, false);  // right position, other file's bytes
  other.prior_checksum_len = 20;
  other.prior_checksum = 0xdef;
  ASSERT_TRUE(writer_->Submit(std::move(other)).ok());
  FileChunk next = Chunk("a.jsonl", 1, 20, 1, false);
  next.prior_checksum_len = 20;
  next.prior_checksum = 0xabc;
  ASSERT_TRUE(writer_->Submit(std::move(next)).ok());
  ASSERT_TRUE(writer_->Flush().ok());
  EXPECT_EQ(writer_->refusals(), 1);
  EXPECT_EQ(Position("a.jsonl"), 30);
}

TEST_F(WriterTest, UnknownFileMidwayAndWrongGenerationAreRefused) {
  ASSERT_TRUE(writer_->Submit(Chunk("x.jsonl", 1, 100, 1, false)).ok());  // no row, not at 0
  ASSERT_TRUE(writer_->Submit(Chunk("y.jsonl", 1, 0, 1, true)).ok());
  ASSERT_TRUE(writer_->Submit(Chunk("y.jsonl", 3, 0, 1, true)).ok());  // skips generation 2
  ASSERT_TRUE(writer_->Flush().ok());
  EXPECT_EQ(writer_->refusals(), 2);
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM files WHERE path LIKE '%x.jsonl'"), 0);
  EXPECT_EQ(QueryInt(db_, "SELECT generation FROM files WHERE path LIKE '%y.jsonl'"), 1);
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM events"), 1);
}

TEST_F(WriterTest, RenamesAreRefusedUnlessTheyMoveAnExistingRowToAFreePath) {
  ASSERT_TRUE(writer_->Submit(Chunk("a.jsonl", 1, 0, 1, true)).ok());
  ASSERT_TRUE(writer_->Submit(Chunk("b.jsonl", 1, 0, 2, true)).ok());
  FileChunk from_nowhere = Chunk("c.jsonl", 1, 10, 1, false);
  from_nowhere.renamed_from = root_ + "/gone.jsonl";
  ASSERT_TRUE(writer_->Submit(std::move(from_nowhere)).ok());
  FileChunk onto_a_row = Chunk("b.jsonl", 1, 10, 1, false);
  onto_a_row.renamed_from = root_ + "/a.jsonl";
  ASSERT_TRUE(writer_->Submit(std::move(onto_a_row)).ok());
  ASSERT_TRUE(writer_->Flush().ok());
  EXPECT_EQ(writer_->refusals(), 2);
  EXPECT_EQ(Position("a.jsonl"), 10);
  EXPECT_EQ(Position("b.jsonl"), 20);

  // A swap: b's row steps aside to a placeholder, a's row takes b, and the
  // placeholder row takes a.
  FileChunk a_to_b = Chunk("b.jsonl", 1, 10, 1, false);
  a_to_b.renamed_from = root_ + "/a.jsonl";
  a_to_b.displaced_to = root_ + "/b.jsonl.displaced-1";
  ASSERT_TRUE(writer_->Submit(std::move(a_to_b)).ok());
  FileChunk b_to_a = Chunk("a.jsonl", 1, 20, 1, false);
  b_to_a.renamed_from = root_ + "/b.jsonl.displaced-1";
  ASSERT_TRUE(writer_->Submit(std::move(b_to_a)).ok());
  ASSERT_TRUE(writer_->Flush().ok());
  EXPECT_EQ(writer_->refusals(), 2);
  EXPECT_EQ(Position("b.jsonl"), 20);  // a's file: 10 + 10
  EXPECT_EQ(Position("a.jsonl"), 30);  // b's file: 20 + 10
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM files"), 2);

  // Another file at a's name whose own file went elsewhere: a's row steps
  // aside, the new file gets a row of its own from 0.
  FileChunk fresh = Chunk("a.jsonl", 1, 0, 1, true);
  fresh.displaced_to = root_ + "/a.jsonl.displaced-2";
  ASSERT_TRUE(writer_->Submit(std::move(fresh)).ok());
  ASSERT_TRUE(writer_->Flush().ok());
  EXPECT_EQ(writer_->refusals(), 2);
  EXPECT_EQ(Position("a.jsonl"), 10);
  EXPECT_EQ(Position("a.jsonl.displaced-2"), 30);
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM files"), 3);
}

TEST_F(WriterTest, FileStatesAreAnsweredAfterEverythingSubmittedBefore) {
  absl::StatusOr<uint64_t> submitted = writer_->Submit(Chunk("a.jsonl", 1, 0, 4, true));
  ASSERT_TRUE(submitted.ok()) << submitted.status();
  absl::StatusOr<uint64_t> ticket = writer_->RequestFileStates();
  ASSERT_TRUE(ticket.ok()) << ticket.status();
  absl::StatusOr<std::vector<FileState>> states = writer_->TakeFileStates(*ticket, absl::Seconds(10));
  ASSERT_TRUE(states.ok()) << states.status();
  ASSERT_EQ(states->size(), 1u);
  EXPECT_EQ(states->front().read_position, 40);
  EXPECT_EQ(states->front().generation, 1);
  // Tickets: everything up to the last one is committed.
  EXPECT_GT(*ticket, *submitted);
  EXPECT_TRUE(writer_->WaitCommitted(*ticket, absl::InfinitePast()).ok());
}

class WriterHeartbeatTest : public WriterTest {
 protected:
  WriterHeartbeatTest() { heartbeat_every_ = absl::Milliseconds(10); }
};

TEST_F(WriterHeartbeatTest, DatabaseDeletedUnderTheWriterStopsItWithDataLoss) {
  ASSERT_TRUE(writer_->Submit(Chunk("a.jsonl", 1, 0, 1, true)).ok());
  ASSERT_TRUE(writer_->Flush().ok());
  ASSERT_EQ(::unlink(db_.c_str()), 0);
  absl::Status status;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (status.ok() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    status = writer_->SubmitRemoval(FileRemoval{"/nothing"}).status();
  }
  EXPECT_TRUE(absl::IsDataLoss(status)) << status;
  EXPECT_TRUE(absl::StrContains(status.message(), "was deleted or replaced")) << status;
  EXPECT_TRUE(absl::IsDataLoss(writer_->Stop()));
}

}  // namespace
}  // namespace cco
