// Tests for the resume-or-new-generation decision (ingest/identity.h) on
// real files: appends resume, everything that changes bytes already read
// (truncation, rewrite, replacement) starts a new generation.

#include "ingest/identity.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "src/hash.h"
#include "tests/test_support.h"

namespace cco {
namespace {

using ::cco::testing::AppendFile;
using ::cco::testing::TempDir;
using ::cco::testing::WriteFile;

// The state the store would remember after reading `path` up to `position`.
FileState StateAfterReading(const std::string& path, int64_t position) {
  absl::StatusOr<std::unique_ptr<RandomAccessFile>> file = Env::Default().Open(path);
  EXPECT_TRUE(file.ok()) << file.status();
  absl::StatusOr<FileInfo> info = (*file)->Stat();
  EXPECT_TRUE(info.ok()) << info.status();
  FileState state;
  state.location.path = path;
  state.generation = 1;
  state.read_position = position;
  state.identity.dev = info->dev;
  state.identity.inode = info->inode;
  state.identity.size = info->size;
  EXPECT_TRUE(Fingerprint(**file, position, &state.identity).ok());
  return state;
}

IdentityCheck Check(const std::string& path, const FileState& prev) {
  absl::StatusOr<std::unique_ptr<RandomAccessFile>> file = Env::Default().Open(path);
  EXPECT_TRUE(file.ok()) << file.status();
  absl::StatusOr<FileInfo> info = (*file)->Stat();
  EXPECT_TRUE(info.ok()) << info.status();
  absl::StatusOr<IdentityCheck> check = CheckIdentity(**file, *info, prev);
  EXPECT_TRUE(check.ok()) << check.status();
  return check.ok() ? *check : IdentityCheck{};
}

// Lines long enough that the head and tail fingerprints cover different bytes.
std::string Lines(char fill, int count) {
  std::string out;
  for (int i = 0; i < count; ++i) out += "{\"n\":\"" + std::string(300, fill) + std::to_string(i) + "\"}\n";
  return out;
}

TEST(IdentityTest, NeverSeenFileStartsFirstGeneration) {
  TempDir dir;
  WriteFile(dir / "s.jsonl", Lines('a', 3));
  FileState never_seen;
  never_seen.location.path = dir / "s.jsonl";
  IdentityCheck check = Check(dir / "s.jsonl", never_seen);
  EXPECT_EQ(check.decision, ResumeDecision::kNewGeneration);
  EXPECT_EQ(check.reason, "new");
}

TEST(IdentityTest, AppendedFileResumes) {
  TempDir dir;
  const std::string path = dir / "s.jsonl";
  const std::string first = Lines('a', 10);
  WriteFile(path, first);
  FileState state = StateAfterReading(path, static_cast<int64_t>(first.size()));
  AppendFile(path, Lines('b', 5));
  EXPECT_EQ(Check(path, state).decision, ResumeDecision::kResume);
}

TEST(IdentityTest, UnchangedFileResumes) {
  TempDir dir;
  const std::string path = dir / "s.jsonl";
  const std::string lines = Lines('a', 10);
  WriteFile(path, lines);
  // Three whole lines read (read positions always follow a '\n').
  FileState state = StateAfterReading(path, static_cast<int64_t>(lines.find('\n', 2 * 310) + 1));
  EXPECT_EQ(Check(path, state).decision, ResumeDecision::kResume);
}

TEST(IdentityTest, TruncatedFileStartsNewGeneration) {
  TempDir dir;
  const std::string path = dir / "s.jsonl";
  const std::string content = Lines('a', 10);
  WriteFile(path, content);
  FileState state = StateAfterReading(path, static_cast<int64_t>(content.size()));
  ASSERT_EQ(::truncate(path.c_str(), 100), 0);
  IdentityCheck check = Check(path, state);
  EXPECT_EQ(check.decision, ResumeDecision::kNewGeneration);
  EXPECT_EQ(check.reason, "truncated");
}

TEST(IdentityTest, TruncatedAndRegrownPastPositionStartsNewGeneration) {
  TempDir dir;
  const std::string path = dir / "s.jsonl";
  const std::string content = Lines('a', 10);
  WriteFile(path, content);
  FileState state = StateAfterReading(path, static_cast<int64_t>(content.size()));
  // Same inode, different bytes, and larger than before: only the
  // fingerprints can tell.
  const int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC);
  ASSERT_GE(fd, 0);
  const std::string regrown = Lines('z', 12);
  ASSERT_EQ(::write(fd, regrown.data(), regrown.size()), static_cast<ssize_t>(regrown.size()));
  ::close(fd);
  IdentityCheck check = Check(path, state);
  EXPECT_EQ(check.decision, ResumeDecision::kNewGeneration);
  EXPECT_EQ(check.reason, "rewritten");
}

TEST(IdentityTest, ChangedFirstBytesStartNewGeneration) {
  TempDir dir;
  const std::string path = dir / "s.jsonl";
  const std::string content = Lines('a', 20);
  WriteFile(path, content);
  FileState state = StateAfterReading(path, static_cast<int64_t>(content.size()));
  // Rewrite only byte 10 in place: the tail before read_position is unchanged.
  const int fd = ::open(path.c_str(), O_WRONLY);
  ASSERT_EQ(::pwrite(fd, "Q", 1, 10), 1);
  ::close(fd);
  EXPECT_EQ(Check(path, state).decision, ResumeDecision::kNewGeneration);
}

TEST(IdentityTest, ChangedBytesJustBeforePositionStartNewGeneration) {
  TempDir dir;
  const std::string path = dir / "s.jsonl";
  const std::string content = Lines('a', 20);
  WriteFile(path, content);
  const int64_t position = static_cast<int64_t>(content.size());
  FileState state = StateAfterReading(path, position);
  const int fd = ::open(path.c_str(), O_WRONLY);
  ASSERT_EQ(::pwrite(fd, "Q", 1, position - 5), 1);
  ::close(fd);
  EXPECT_EQ(Check(path, state).decision, ResumeDecision::kNewGeneration);
}

TEST(IdentityTest, AtomicallyReplacedFileStartsNewGeneration) {
  TempDir dir;
  const std::string path = dir / "s.jsonl";
  const std::string content = Lines('a', 10);
  WriteFile(path, content);
  FileState state = StateAfterReading(path, static_cast<int64_t>(content.size()));
  // The same bytes plus more, written to a new file renamed over the old one:
  // a different inode.
  WriteFile(dir / "s.jsonl.tmp", content + Lines('b', 2));
  ASSERT_EQ(std::rename((dir / "s.jsonl.tmp").c_str(), path.c_str()), 0);
  IdentityCheck check = Check(path, state);
  EXPECT_EQ(check.decision, ResumeDecision::kNewGeneration);
  EXPECT_EQ(check.reason, "replaced");
}

TEST(IdentityTest, FingerprintCoversHeadAndBytesBeforePosition) {
  TempDir dir;
  const std::string path = dir / "s.jsonl";
  const std::string content = Lines('a', 20);
  WriteFile(path, content);
  const int64_t position = 3000;
  FileState state = StateAfterReading(path, position);
  EXPECT_EQ(state.identity.head_len, kFingerprintBytes);
  EXPECT_EQ(state.identity.head_checksum, StableHash(content.substr(0, kFingerprintBytes)));
  EXPECT_EQ(state.identity.checksum_len, kFingerprintBytes);
  EXPECT_EQ(state.identity.checksum,
            StableHash(content.substr(position - kFingerprintBytes, kFingerprintBytes)));

  FileState small = StateAfterReading(path, 100);
  EXPECT_EQ(small.identity.head_len, 100);
  EXPECT_EQ(small.identity.checksum_len, 100);
  EXPECT_EQ(small.identity.checksum, StableHash(content.substr(0, 100)));
}

}  // namespace
}  // namespace cco
