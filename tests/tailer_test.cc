// Tests for cco::TailFile on real files: complete lines only, positions just
// after a '\n', partial lines waiting, long lines accepted, over-long lines
// quarantined in bounded memory. The over-long line is also taken through the
// real writer into a real SQLite database, and through the cco binary to
// measure its peak memory.

#include "ingest/tailer.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/base/config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ingest/line_parser.h"
#include "ingest/scanner.h"
#include "src/hash.h"
#include "src/sqlite_store.h"
#include "src/writer.h"
#include "tests/process_support.h"
#include "tests/test_support.h"

namespace cco {
namespace {

using ::cco::testing::AppendFile;
using ::cco::testing::JsonInt;
using ::cco::testing::QueryInt;
using ::cco::testing::QueryRows;
using ::cco::testing::RunCco;
using ::cco::testing::RunCcoMeasured;
using ::cco::testing::RusageResult;
using ::cco::testing::TempDir;
using ::cco::testing::WriteFile;

std::string UserLine(const std::string& uuid, const std::string& text) {
  return absl::StrCat(R"({"type":"user","uuid":")", uuid,
                      R"(","sessionId":"s-1","message":{"role":"user","content":")", text, R"("}})");
}

// Tails `path` once from `state`, collecting the chunks handed on.
struct Tail {
  FileState state;
  LineParser parser;
  std::vector<FileChunk> chunks;

  explicit Tail(const std::string& path) { state.location.path = path; }

  TailResult Run(const TailOptions& options = TailOptions()) {
    chunks.clear();
    absl::StatusOr<TailResult> result = TailFile(Env::Default(), state, options, parser, [this](FileChunk&& c) {
      chunks.push_back(std::move(c));
      return absl::OkStatus();
    });
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : TailResult();
  }

  std::vector<LineRecord> Records() const {
    std::vector<LineRecord> out;
    for (const FileChunk& c : chunks) out.insert(out.end(), c.records.begin(), c.records.end());
    return out;
  }
};

TEST(TailerTest, NewFileIsReadToItsLastNewline) {
  TempDir dir;
  const std::string a = UserLine("u-1", "one"), b = UserLine("u-2", "two");
  WriteFile(dir / "s.jsonl", a + "\n" + b + "\n");
  Tail tail(dir / "s.jsonl");
  TailResult result = tail.Run();
  EXPECT_TRUE(result.new_generation);
  std::vector<LineRecord> recs = tail.Records();
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].offset, 0);
  EXPECT_EQ(recs[0].raw, a);
  EXPECT_EQ(recs[1].offset, static_cast<int64_t>(a.size() + 1));
  EXPECT_EQ(recs[1].raw, b);
  EXPECT_EQ(tail.state.read_position, static_cast<int64_t>(a.size() + b.size() + 2));
  EXPECT_EQ(tail.state.generation, 1);
  EXPECT_EQ(tail.state.line_count, 2);
  ASSERT_FALSE(tail.chunks.empty());
  EXPECT_TRUE(tail.chunks.front().new_generation);
}

TEST(TailerTest, ResumesAfterPartialLine) {
  TempDir dir;
  const std::string path = dir / "s.jsonl";
  const std::string a = UserLine("u-1", "one"), b = UserLine("u-2", "two");
  const std::string b_head = b.substr(0, 20), b_rest = b.substr(20);
  WriteFile(path, a + "\n" + b_head);
  Tail tail(path);
  tail.Run();
  ASSERT_EQ(tail.Records().size(), 1u) << "the fragment waits for its newline";
  EXPECT_EQ(tail.state.read_position, static_cast<int64_t>(a.size() + 1));

  // Nothing new: the fragment still waits, nothing is handed on.
  TailResult idle = tail.Run();
  EXPECT_FALSE(idle.new_generation);
  EXPECT_TRUE(tail.Records().empty());

  AppendFile(path, b_rest + "\n");
  TailResult more = tail.Run();
  EXPECT_FALSE(more.new_generation);
  std::vector<LineRecord> recs = tail.Records();
  ASSERT_EQ(recs.size(), 1u) << "the completed line arrives once";
  EXPECT_EQ(recs[0].kind, RecordKind::kMessage);
  EXPECT_EQ(recs[0].raw, b);
  EXPECT_EQ(recs[0].offset, static_cast<int64_t>(a.size() + 1));
  EXPECT_EQ(tail.state.read_position, static_cast<int64_t>(a.size() + b.size() + 2));
  EXPECT_EQ(tail.state.line_count, 2);
}

TEST(TailerTest, FinalLineWithoutNewlineIsTakenOnlyInReplay) {
  TempDir dir;
  const std::string a = UserLine("u-1", "one"), b = UserLine("u-2", "two");
  WriteFile(dir / "s.jsonl", a + "\n" + b);
  Tail tail_mode(dir / "s.jsonl");
  tail_mode.Run();
  EXPECT_EQ(tail_mode.Records().size(), 1u);

  Tail replay(dir / "s.jsonl");
  TailOptions options;
  options.take_unterminated_final_line = true;
  replay.Run(options);
  std::vector<LineRecord> recs = replay.Records();
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[1].raw, b);
  EXPECT_EQ(replay.state.read_position, static_cast<int64_t>(a.size() + 1 + b.size()));
}

TEST(TailerTest, CrlfLineIsOneLineWithItsCarriageReturnStored) {
  TempDir dir;
  const std::string a = UserLine("u-1", "windows"), b = UserLine("u-2", "unix");
  WriteFile(dir / "s.jsonl", a + "\r\n" + b + "\n");
  Tail tail(dir / "s.jsonl");
  tail.Run();
  std::vector<LineRecord> recs = tail.Records();
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].kind, RecordKind::kMessage);
  EXPECT_EQ(recs[0].raw, a + "\r");
  EXPECT_EQ(recs[0].content, "windows");
  EXPECT_EQ(recs[1].offset, static_cast<int64_t>(a.size() + 2));
  EXPECT_EQ(tail.state.read_position, static_cast<int64_t>(a.size() + b.size() + 3));
}

// A UTF-8 byte-order mark at offset 0 belongs to the file, not to its first
// line: both lines are messages, the first one's bytes start after the mark,
// and the position counts every byte, so a later call resumes exactly.
TEST(TailerTest, ByteOrderMarkAtOffsetZeroIsPassedOver) {
  TempDir dir;
  const std::string path = dir / "s.jsonl";
  const std::string bom = "\xEF\xBB\xBF";
  const std::string a = UserLine("u-1", "one"), b = UserLine("u-2", "two"), c = UserLine("u-3", "three");
  WriteFile(path, bom + a + "\n" + b + "\n");
  Tail tail(path);
  tail.Run();
  std::vector<LineRecord> recs = tail.Records();
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].kind, RecordKind::kMessage) << recs[0].reason;
  EXPECT_EQ(recs[0].raw, a);
  EXPECT_EQ(recs[0].content, "one");
  EXPECT_EQ(recs[0].offset, 3);
  EXPECT_EQ(recs[0].length, static_cast<int64_t>(a.size()));
  EXPECT_EQ(recs[1].kind, RecordKind::kMessage);
  EXPECT_EQ(recs[1].offset, static_cast<int64_t>(3 + a.size() + 1));
  EXPECT_EQ(tail.state.read_position, static_cast<int64_t>(3 + a.size() + 1 + b.size() + 1));
  EXPECT_EQ(tail.state.line_count, 2);

  AppendFile(path, c + "\n");
  TailResult more = tail.Run();
  EXPECT_FALSE(more.new_generation) << more.reason;
  recs = tail.Records();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].kind, RecordKind::kMessage);
  EXPECT_EQ(recs[0].raw, c);
  EXPECT_EQ(recs[0].offset, static_cast<int64_t>(3 + a.size() + 1 + b.size() + 1));
  EXPECT_EQ(tail.state.line_count, 3);
}

// Only offset 0: the same bytes starting a later line (or a BOM-only file)
// are not passed over as a mark there.
TEST(TailerTest, ByteOrderMarkElsewhereIsLineContent) {
  TempDir dir;
  const std::string bom = "\xEF\xBB\xBF";
  const std::string a = UserLine("u-1", "one"), b = UserLine("u-2", "two");
  WriteFile(dir / "s.jsonl", a + "\n" + bom + b + "\n");
  Tail tail(dir / "s.jsonl");
  tail.Run();
  std::vector<LineRecord> recs = tail.Records();
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].kind, RecordKind::kMessage);
  EXPECT_EQ(recs[1].kind, RecordKind::kQuarantine);
  EXPECT_EQ(recs[1].offset, static_cast<int64_t>(a.size() + 1));

  WriteFile(dir / "only.jsonl", bom + "\n" + a + "\n");
  Tail only(dir / "only.jsonl");
  only.Run();
  ASSERT_EQ(only.Records().size(), 1u) << "a mark alone on the first line leaves a blank line";
  EXPECT_EQ(only.Records()[0].offset, 4);
  EXPECT_EQ(only.state.read_position, static_cast<int64_t>(4 + a.size() + 1));
}

TEST(TailerTest, BlankLinesAreSkippedButConsumed) {
  TempDir dir;
  const std::string a = UserLine("u-1", "one"), b = UserLine("u-2", "two");
  const std::string content = "\n\n" + a + "\n\r\n\n" + b + "\n\n";
  WriteFile(dir / "s.jsonl", content);
  Tail tail(dir / "s.jsonl");
  TailResult result = tail.Run();
  std::vector<LineRecord> recs = tail.Records();
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].offset, 2);
  EXPECT_EQ(recs[1].offset, static_cast<int64_t>(2 + a.size() + 4));
  EXPECT_EQ(tail.state.read_position, static_cast<int64_t>(content.size()));
  EXPECT_EQ(tail.state.line_count, 2);
}

TEST(TailerTest, OnlyBlankLinesMoveThePositionWithoutRecords) {
  TempDir dir;
  WriteFile(dir / "s.jsonl", "\n\n\r\n");
  Tail tail(dir / "s.jsonl");
  tail.Run();
  EXPECT_TRUE(tail.Records().empty());
  EXPECT_EQ(tail.state.read_position, 4);
}

TEST(TailerTest, EmptyFileIsStillRecorded) {
  TempDir dir;
  WriteFile(dir / "s.jsonl", "");
  Tail tail(dir / "s.jsonl");
  TailResult result = tail.Run();
  EXPECT_TRUE(result.new_generation);
  ASSERT_EQ(tail.chunks.size(), 1u) << "a new file gets a files row even when empty";
  EXPECT_TRUE(tail.chunks[0].new_generation);
  EXPECT_TRUE(tail.chunks[0].records.empty());
  EXPECT_EQ(tail.state.generation, 1);
  EXPECT_EQ(tail.state.read_position, 0);
}

TEST(TailerTest, AcceptsTwoMegabyteLine) {
  TempDir dir;
  const std::string big = UserLine("u-big", std::string(2 << 20, 'a'));
  const std::string after = UserLine("u-after", "after");
  WriteFile(dir / "s.jsonl", big + "\n" + after + "\n");
  Tail tail(dir / "s.jsonl");
  tail.Run();
  std::vector<LineRecord> recs = tail.Records();
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].kind, RecordKind::kMessage) << recs[0].reason;
  EXPECT_EQ(recs[0].length, static_cast<int64_t>(big.size()));
  EXPECT_EQ(recs[0].raw.size(), big.size());
  // The searchable text keeps its first MiB (kMaxSearchableText); the line
  // itself is whole in raw.
  EXPECT_EQ(recs[0].content, std::string(kMaxSearchableText, 'a'));
  EXPECT_EQ(recs[1].raw, after);
  EXPECT_EQ(tail.state.read_position, static_cast<int64_t>(big.size() + after.size() + 2));
}

TEST(TailerTest, LineOfExactlyMaxBytesIsAcceptedAndOneMoreIsQuarantined) {
  TempDir dir;
  TailOptions options;
  options.max_line_bytes = 4096;
  const std::string fits = UserLine("u-fit", std::string(4096 - UserLine("u-fit", "").size(), 'f'));
  const std::string over = UserLine("u-over", std::string(4097 - UserLine("u-over", "").size(), 'o'));
  ASSERT_EQ(fits.size(), 4096u);
  ASSERT_EQ(over.size(), 4097u);
  for (size_t block : {size_t{1} << 20, size_t{1000}}) {
    SCOPED_TRACE(absl::StrCat("read_block=", block));
    WriteFile(dir / "s.jsonl", fits + "\n" + over + "\n" + fits + "\n");
    options.read_block = block;
    Tail tail(dir / "s.jsonl");
    tail.Run(options);
    std::vector<LineRecord> recs = tail.Records();
    ASSERT_EQ(recs.size(), 3u);
    EXPECT_EQ(recs[0].kind, RecordKind::kMessage);
    EXPECT_EQ(recs[1].kind, RecordKind::kQuarantine);
    EXPECT_EQ(recs[1].length, 4097);
    EXPECT_TRUE(absl::StartsWith(recs[1].reason, "line_too_long")) << recs[1].reason;
    EXPECT_EQ(recs[1].offset, 4097);
    EXPECT_EQ(recs[2].kind, RecordKind::kMessage);
    EXPECT_EQ(recs[2].offset, 4097 + 4098);
    EXPECT_EQ(tail.state.read_position, 4097 + 4098 + 4097);
  }
}

TEST(TailerTest, OversizedLineHasTheSameKeyWhateverTheReadBlock) {
  // A re-read from 0 may meet the same over-long line at other block
  // boundaries; its key must not change or it would be stored twice.
  TempDir dir;
  const std::string over = UserLine("u-over", std::string(200000, 'o'));
  WriteFile(dir / "s.jsonl", "\n" + over + "\n");
  std::vector<uint64_t> hashes;
  for (size_t block : {size_t{1} << 20, size_t{4096}, size_t{999}}) {
    TailOptions options;
    options.max_line_bytes = 100000;
    options.read_block = block;
    Tail tail(dir / "s.jsonl");
    tail.Run(options);
    std::vector<LineRecord> recs = tail.Records();
    ASSERT_EQ(recs.size(), 1u);
    EXPECT_EQ(recs[0].kind, RecordKind::kQuarantine);
    EXPECT_EQ(recs[0].length, static_cast<int64_t>(over.size()));
    EXPECT_EQ(recs[0].raw, over.substr(0, kQuarantinePrefixBytes));
    hashes.push_back(recs[0].line_hash);
  }
  EXPECT_EQ(hashes[0], hashes[1]);
  EXPECT_EQ(hashes[0], hashes[2]);
}

TEST(TailerTest, OversizedPartialLineWaitsForItsNewline) {
  TempDir dir;
  const std::string path = dir / "s.jsonl";
  const std::string a = UserLine("u-1", "one");
  const std::string over = UserLine("u-over", std::string(3 << 20, 'o'));
  WriteFile(path, a + "\n" + over.substr(0, 2 << 20));
  TailOptions options;
  options.max_line_bytes = 1 << 20;
  Tail tail(path);
  tail.Run(options);
  ASSERT_EQ(tail.Records().size(), 1u) << "an unfinished line is not judged yet";
  EXPECT_EQ(tail.state.read_position, static_cast<int64_t>(a.size() + 1));

  AppendFile(path, over.substr(2 << 20) + "\n");
  tail.Run(options);
  std::vector<LineRecord> recs = tail.Records();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].kind, RecordKind::kQuarantine);
  EXPECT_EQ(recs[0].length, static_cast<int64_t>(over.size()));
  EXPECT_EQ(tail.state.read_position, static_cast<int64_t>(a.size() + over.size() + 2));
}

TEST(TailerTest, ChunksAreContiguousAndEndJustAfterANewline) {
  TempDir dir;
  std::string content;
  for (int i = 0; i < 50; ++i) content += UserLine(absl::StrCat("u-", i), std::string(i * 37, 'x')) + "\n";
  WriteFile(dir / "s.jsonl", content);
  TailOptions options;
  options.chunk_records = 3;
  options.chunk_bytes = 2000;
  options.read_block = 700;
  Tail tail(dir / "s.jsonl");
  tail.Run(options);
  ASSERT_GT(tail.chunks.size(), 5u);
  int64_t expected_start = 0;
  size_t records = 0;
  for (const FileChunk& c : tail.chunks) {
    EXPECT_EQ(c.start, expected_start);
    ASSERT_GT(c.end, 0);
    EXPECT_EQ(content[static_cast<size_t>(c.end - 1)], '\n') << "chunk ends mid-line at " << c.end;
    EXPECT_EQ(c.generation, 1);
    expected_start = c.end;
    records += c.records.size();
  }
  EXPECT_EQ(records, 50u);
  EXPECT_EQ(expected_start, static_cast<int64_t>(content.size()));
  EXPECT_TRUE(tail.chunks.front().new_generation);
  EXPECT_FALSE(tail.chunks.back().new_generation);
}

TEST(TailerTest, TruncatedFileIsReadAgainAsNewGeneration) {
  TempDir dir;
  const std::string path = dir / "s.jsonl";
  WriteFile(path, UserLine("u-1", "one") + "\n" + UserLine("u-2", "two") + "\n");
  Tail tail(path);
  tail.Run();
  ASSERT_EQ(tail.state.generation, 1);
  ASSERT_EQ(::truncate(path.c_str(), 0), 0);
  AppendFile(path, UserLine("u-3", "three") + "\n");
  TailResult result = tail.Run();
  EXPECT_TRUE(result.new_generation);
  EXPECT_EQ(tail.state.generation, 2);
  std::vector<LineRecord> recs = tail.Records();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].uuid, "u-3");
  EXPECT_EQ(recs[0].offset, 0);
  EXPECT_EQ(tail.state.line_count, 1);
}

// A 40 MB line with a 1 MiB limit, through the scanner, the writer and a real
// SQLite database: one quarantine row with the full length and a bounded raw
// prefix, and the position moved past it so the next lines arrive.
TEST(TailerTest, LineAboveMaxLineBytesIsQuarantinedAndSkipped) {
  TempDir dir;
  const std::string root = dir / "projects";
  const std::string path = root + "/-home-u-p/s-1.jsonl";
  const std::string before = UserLine("u-before", "before the long line");
  const std::string after = UserLine("u-after", "after the long line");
  const int64_t long_len = int64_t{40} << 20;
  const std::string long_head = R"({"type":"user","uuid":"u-long","message":{"content":")";
  WriteFile(path, before + "\n" + long_head);
  {
    // Written in 1 MiB pieces: the test itself stays small too.
    const std::string piece(1 << 20, 'L');
    int64_t left = long_len - static_cast<int64_t>(long_head.size());
    while (left > 0) {
      const size_t n = static_cast<size_t>(std::min<int64_t>(left, static_cast<int64_t>(piece.size())));
      AppendFile(path, piece.substr(0, n));
      left -= static_cast<int64_t>(n);
    }
  }
  AppendFile(path, "\n" + after + "\n");
  const int64_t file_size = static_cast<int64_t>(before.size() + 1) + long_len + 1 +
                            static_cast<int64_t>(after.size() + 1);

  const std::string db = dir / "cco.db";
  {
    absl::StatusOr<std::unique_ptr<Store>> store = OpenSqliteStore(db);
    ASSERT_TRUE(store.ok()) << store.status();
    absl::StatusOr<std::vector<FileState>> states = (*store)->LoadFileStates();
    ASSERT_TRUE(states.ok()) << states.status();
    Writer writer(std::move(*store), WriterOptions{});
    writer.Start();
    ScanOptions options;
    options.tail.max_line_bytes = 1 << 20;
    Scanner scanner(writer, std::move(*states), options);
    ScanReport report;
    ASSERT_TRUE(scanner.Reconcile({root}, &report).ok());
    ASSERT_TRUE(writer.Stop().ok());
    EXPECT_TRUE(report.errors.empty());
    CommitStats stats = writer.stats();
    EXPECT_EQ(stats.lines, 3);
    EXPECT_EQ(stats.messages, 2);
    EXPECT_EQ(stats.quarantined, 1);
    EXPECT_EQ(stats.bytes, file_size);
  }
  EXPECT_EQ(QueryRows(db, "SELECT byte_offset, length, raw_truncated, length(CAST(cco_raw(raw) AS BLOB)) FROM quarantine"),
            absl::StrCat(before.size() + 1, "|", long_len, "|1|", kQuarantinePrefixBytes));
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM quarantine WHERE reason LIKE 'line_too_long%'"), 1);
  EXPECT_EQ(QueryInt(db, "SELECT substr(cco_raw(raw), 1, 40) = '" + long_head.substr(0, 40) +
                             "' FROM quarantine"),
            1)
      << "the kept prefix is the line's first bytes";
  EXPECT_EQ(QueryRows(db, "SELECT uuid FROM messages ORDER BY byte_offset"), "u-before\nu-after");
  EXPECT_EQ(QueryInt(db, "SELECT read_position FROM files"), file_size);
  EXPECT_EQ(QueryInt(db, "SELECT line_count FROM files"), 3);
}

TEST(TailerTest, OversizedLineKeepsMemoryBounded) {
  TempDir dir;
  const std::string root = dir / "projects";
  WriteFile(root + "/-home-u-p/small.jsonl", UserLine("u-1", "one") + "\n");
  const RusageResult baseline =
      RunCcoMeasured({"rescan", "--root", root, "--db", dir / "baseline.db", "--max-line-bytes", "1048576"});
  ASSERT_EQ(baseline.exit_code, 0);

  const std::string path = root + "/-home-u-p/s-1.jsonl";
  WriteFile(path, R"({"type":"user","uuid":"u-long","message":{"content":")");
  const std::string piece(1 << 20, 'L');
  for (int i = 0; i < 40; ++i) AppendFile(path, piece);
  AppendFile(path, "\"}}\n" + UserLine("u-2", "after") + "\n");
  const RusageResult run =
      RunCcoMeasured({"rescan", "--root", root, "--db", dir / "cco.db", "--max-line-bytes", "1048576"});
  ASSERT_EQ(run.exit_code, 0);
  EXPECT_EQ(QueryInt(dir / "cco.db", "SELECT count(*) FROM quarantine WHERE length > 40000000"), 1);
  EXPECT_EQ(QueryInt(dir / "cco.db", "SELECT count(*) FROM messages"), 2);
  // A 40 MiB line must not be held in memory: the peak stays within 16 MiB of
  // a run over a one-line tree (natively it is ~2 MiB: the read block and the
  // partial line). TSan adds ~4x shadow to every heap byte, so those few MiB
  // show as ~20 there; a held 40 MiB line would still show as ~200.
#ifdef ABSL_HAVE_THREAD_SANITIZER
  constexpr int64_t kSlackKb = 64 * 1024;
#else
  constexpr int64_t kSlackKb = 16 * 1024;
#endif
  EXPECT_LT(run.max_rss_kb, baseline.max_rss_kb + kSlackKb)
      << "peak RSS " << run.max_rss_kb << " KiB vs baseline " << baseline.max_rss_kb << " KiB";
}

}  // namespace
}  // namespace cco
