// Disk faults injected through the file interface (ingest/env.h) into a real
// scan, writer and SQLite database: short reads change nothing, and a read
// failing with EIO (or ENOSPC) in the middle of a file is named in the scan's
// errors while every line before it stays committed once; the next pass
// reads on from there, so in the end each line is stored exactly once. A
// transcript that cannot be opened (EACCES) and a directory that cannot be
// listed (EACCES) are named, the rest is read, and once they are readable
// again they are read on without reading anything twice. (Injected, not
// made with chmod: CI runs as root, where permissions never fail.)

#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "ingest/env.h"
#include "ingest/scanner.h"
#include "src/sqlite_store.h"
#include "src/status.h"
#include "src/writer.h"
#include "tests/ci_summary.h"
#include "tests/test_support.h"

namespace cco {
namespace {

using ::cco::testing::QueryInt;
using ::cco::testing::TempDir;
using ::cco::testing::WriteFile;

// Reads at most `max_read` bytes per call, and fails one read of the file
// named `fail_path` with `fail_errno`: the `fail_at`-th read of it (1-based;
// 0 never).
class FaultyEnv final : public Env {
 public:
  size_t max_read = SIZE_MAX;
  std::string fail_path;
  int fail_at = 0;
  int fail_errno = EIO;
  int reads_of_fail_path = 0;
  int failures = 0;
  std::string refuse_open;  // Open of this path fails with EACCES
  std::string refuse_list;  // ListDir of this directory fails with EACCES

  absl::StatusOr<std::unique_ptr<RandomAccessFile>> Open(const std::string& path) override {
    if (path == refuse_open) {
      ++failures;
      return FileError(EACCES, absl::StrCat("cannot open ", path));
    }
    ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file, Env::Default().Open(path));
    return std::unique_ptr<RandomAccessFile>(std::make_unique<File>(this, path, std::move(file)));
  }
  absl::StatusOr<FileInfo> Stat(const std::string& path) override { return Env::Default().Stat(path); }
  absl::StatusOr<FileInfo> LinkStat(const std::string& path) override { return Env::Default().LinkStat(path); }
  absl::StatusOr<std::vector<DirEntry>> ListDir(const std::string& path) override {
    if (path == refuse_list) {
      ++failures;
      return FileError(EACCES, absl::StrCat("cannot list ", path));
    }
    return Env::Default().ListDir(path);
  }
  absl::StatusOr<std::string> RealPath(const std::string& path) override { return Env::Default().RealPath(path); }
  absl::Status CheckReadable(const std::string& path) override { return Env::Default().CheckReadable(path); }

 private:
  class File final : public RandomAccessFile {
   public:
    File(FaultyEnv* env, std::string path, std::unique_ptr<RandomAccessFile> real)
        : env_(env), path_(std::move(path)), real_(std::move(real)) {}
    absl::StatusOr<size_t> Read(int64_t offset, size_t n, char* scratch) override {
      if (path_ == env_->fail_path && ++env_->reads_of_fail_path == env_->fail_at) {
        ++env_->failures;
        return FileError(env_->fail_errno, absl::StrCat("cannot read ", path_));
      }
      return real_->Read(offset, std::min(n, env_->max_read), scratch);
    }
    absl::StatusOr<FileInfo> Stat() override { return real_->Stat(); }

   private:
    FaultyEnv* env_;
    std::string path_;
    std::unique_ptr<RandomAccessFile> real_;
  };
};

std::string Line(const std::string& uuid) {
  return absl::StrCat(R"({"type":"user","uuid":")", uuid, R"(","sessionId":"s-1","timestamp":"2026-01-01T00:00:00Z",)",
                      R"("message":{"role":"user","content":"text of )", uuid, R"("}})");
}

class EnvFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = dir_ / "projects";
    std::string big, small;
    for (int i = 0; i < 40; ++i) big += Line(absl::StrCat("big-", i)) + "\n";
    for (int i = 0; i < 3; ++i) small += Line(absl::StrCat("small-", i)) + "\n";
    big_path_ = root_ + "/-p/aaaa-big.jsonl";
    WriteFile(big_path_, big);
    WriteFile(root_ + "/-p/bbbb-small.jsonl", small);
    db_ = dir_ / "cco.db";
  }

  // One reconcile through `env`, with small reads and small chunks so that a
  // file takes many reads and several commits.
  CommitStats Scan(Env& env, ScanReport* report) {
    absl::StatusOr<std::unique_ptr<Store>> store = OpenSqliteStore(db_);
    EXPECT_TRUE(store.ok()) << store.status();
    absl::StatusOr<std::vector<FileState>> states = (*store)->LoadFileStates();
    EXPECT_TRUE(states.ok()) << states.status();
    Writer writer(std::move(*store), WriterOptions{});
    writer.Start();
    ScanOptions options;
    options.env = &env;
    options.tail.read_block = 256;
    options.tail.chunk_records = 5;
    Scanner scanner(writer, std::move(*states), options);
    EXPECT_TRUE(scanner.Reconcile({root_}, report).ok());
    EXPECT_TRUE(writer.Stop().ok());
    return writer.stats();
  }

  TempDir dir_;
  std::string root_, big_path_, db_;
};

TEST_F(EnvFaultTest, ShortReadsLoseAndRepeatNothing) {
  FaultyEnv env;
  env.max_read = 7;  // every read returns at most 7 bytes
  ScanReport report;
  CommitStats stats = Scan(env, &report);
  EXPECT_TRUE(report.errors.empty()) << report.errors.front();
  EXPECT_EQ(stats.lines, 43);
  EXPECT_EQ(stats.duplicates, 0);
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM messages"), 43);
  EXPECT_EQ(QueryInt(db_, "SELECT count(DISTINCT uuid) FROM messages"), 43);
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM quarantine"), 0) << "no line was cut";
  if (!HasFailure()) testing::CiSummary("fault injected and survived: short reads (7 bytes at most per read)");
}

class ReadErrorTest : public EnvFaultTest, public ::testing::WithParamInterface<int> {};

TEST_P(ReadErrorTest, IsNamedAndTheNextPassReadsOnWithoutDuplicates) {
  FaultyEnv env;
  env.fail_errno = GetParam();
  env.fail_path = big_path_;
  // Reads of the big file: the fingerprint checks' first, then 256-byte
  // blocks; the 12th falls well after the first chunks were handed on.
  env.fail_at = 12;
  ScanReport first;
  CommitStats stats = Scan(env, &first);
  ASSERT_EQ(env.failures, 1);
  ASSERT_EQ(first.errors.size(), 1u);
  EXPECT_TRUE(absl::StrContains(first.errors[0], big_path_)) << first.errors[0];
  EXPECT_TRUE(absl::StrContains(first.errors[0], std::strerror(GetParam()))) << first.errors[0];
  const int64_t big_rows = QueryInt(db_, "SELECT count(*) FROM messages WHERE uuid LIKE 'big-%'");
  EXPECT_GT(big_rows, 0) << "lines committed before the failure stay";
  EXPECT_LT(big_rows, 40);
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM messages WHERE uuid LIKE 'small-%'"), 3)
      << "the other file is read in the same pass";
  EXPECT_EQ(stats.duplicates, 0);
  // The stored position is just after the last committed line.
  int64_t after_committed = 0;
  for (int64_t i = 0; i < big_rows; ++i) after_committed += static_cast<int64_t>(Line(absl::StrCat("big-", i)).size()) + 1;
  EXPECT_EQ(QueryInt(db_, "SELECT read_position FROM files WHERE path = '" + big_path_ + "'"), after_committed);

  FaultyEnv healthy;
  ScanReport second;
  CommitStats more = Scan(healthy, &second);
  EXPECT_TRUE(second.errors.empty());
  EXPECT_EQ(second.new_generations, 0) << "read on, not again from the start";
  EXPECT_EQ(more.lines, 40 - big_rows);
  EXPECT_EQ(more.duplicates, 0);
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM messages"), 43);
  EXPECT_EQ(QueryInt(db_, "SELECT count(DISTINCT uuid) FROM messages"), 43);
  if (!HasFailure()) {
    testing::CiSummary(absl::StrCat("fault injected and survived: ", std::strerror(GetParam()), " on a read mid-file"));
  }
}

INSTANTIATE_TEST_SUITE_P(Errnos, ReadErrorTest, ::testing::Values(EIO, ENOSPC),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return std::string(info.param == EIO ? "EIO" : "ENOSPC");
                         });

TEST_F(EnvFaultTest, TranscriptThatCannotBeOpenedIsNamedAndReadOnceItCanBe) {
  FaultyEnv env;
  env.refuse_open = big_path_;
  ScanReport first;
  Scan(env, &first);
  ASSERT_GE(env.failures, 1);
  const std::string named = absl::StrJoin(first.errors, "\n") + absl::StrJoin(first.skipped, "\n");
  EXPECT_TRUE(absl::StrContains(named, big_path_)) << named;
  EXPECT_TRUE(absl::StrContains(named, std::strerror(EACCES))) << named;
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM messages WHERE uuid LIKE 'small-%'"), 3) << "the rest is read";

  FaultyEnv healthy;
  ScanReport second;
  CommitStats more = Scan(healthy, &second);
  EXPECT_TRUE(second.errors.empty()) << second.errors.front();
  EXPECT_EQ(more.duplicates, 0);
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM messages"), 43);
  EXPECT_EQ(QueryInt(db_, "SELECT count(DISTINCT uuid) FROM messages"), 43);
  if (!HasFailure()) testing::CiSummary("fault injected and survived: EACCES opening a transcript");
}

TEST_F(EnvFaultTest, DirectoryThatCannotBeListedIsNamedAndItsFilesAreReadOnWithoutDuplicates) {
  WriteFile(root_ + "/-q/cccc-other.jsonl", Line("other-0") + "\n");
  FaultyEnv healthy;
  ScanReport first;
  Scan(healthy, &first);
  ASSERT_EQ(QueryInt(db_, "SELECT count(*) FROM messages"), 44);

  // New lines arrive while the directory cannot be listed.
  cco::testing::AppendFile(root_ + "/-q/cccc-other.jsonl", Line("other-1") + "\n");
  FaultyEnv env;
  env.refuse_list = root_ + "/-q";
  ScanReport second;
  Scan(env, &second);
  ASSERT_GE(env.failures, 1);
  const std::string named = absl::StrJoin(second.errors, "\n") + absl::StrJoin(second.skipped, "\n");
  EXPECT_TRUE(absl::StrContains(named, root_ + "/-q")) << named;
  EXPECT_TRUE(absl::StrContains(named, std::strerror(EACCES))) << named;
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM messages"), 44) << "nothing lost, nothing read twice";

  ScanReport third;
  CommitStats more = Scan(healthy, &third);
  EXPECT_TRUE(third.errors.empty()) << third.errors.front();
  EXPECT_EQ(third.new_generations, 0) << "read on, not again from the start";
  EXPECT_EQ(more.duplicates, 0);
  EXPECT_EQ(QueryInt(db_, "SELECT count(*) FROM messages"), 45);
  EXPECT_EQ(QueryInt(db_, "SELECT count(DISTINCT uuid) FROM messages"), 45);
  if (!HasFailure()) testing::CiSummary("fault injected and survived: EACCES listing a project directory");
}

}  // namespace
}  // namespace cco
