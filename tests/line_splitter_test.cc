// Tests for cco::LineSplitter: the same lines and offsets however the bytes
// are cut into blocks, partial lines waiting, over-long lines reduced to
// their first bytes and full length, a final line without '\n' only when
// asked, and the callback's error ending the feed.

#include "ingest/line_splitter.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace cco {
namespace {

struct Line {
  std::string text;
  int64_t start, length, end;
  bool oversized;
  friend bool operator==(const Line&, const Line&) = default;
};

std::ostream& operator<<(std::ostream& os, const Line& l) {
  return os << "{\"" << l.text << "\" " << l.start << "+" << l.length << "->" << l.end
            << (l.oversized ? " oversized" : "") << "}";
}

struct Collect {
  std::vector<Line> lines;
  absl::Status operator()(const SplitLine& l) {
    lines.push_back(Line{std::string(l.text), l.start, l.length, l.end, l.oversized});
    return absl::OkStatus();
  }
};

// Feeds `bytes` in blocks of `block` bytes, starting at file offset `start`.
std::vector<Line> Split(const std::string& bytes, size_t block, int64_t start = 0, int64_t max_line = 1000,
                        size_t keep = 4, bool finish = false, int64_t* consumed = nullptr) {
  LineSplitter splitter(start, max_line, keep);
  Collect collect;
  for (size_t at = 0; at < bytes.size(); at += block) {
    EXPECT_TRUE(splitter.Feed(std::string_view(bytes).substr(at, block), std::ref(collect)).ok());
  }
  if (finish) {
    EXPECT_TRUE(splitter.Finish(std::ref(collect)).ok());
  }
  if (consumed != nullptr) *consumed = splitter.consumed();
  return collect.lines;
}

TEST(LineSplitterTest, LinesAndOffsetsDoNotDependOnBlockSize) {
  const std::string bytes = "alpha\nbe\n\nгамма\r\ndelta";
  const std::vector<Line> want = {
      {"alpha", 100, 5, 106, false},
      {"be", 106, 2, 109, false},
      {"", 109, 0, 110, false},
      {"гамма\r", 110, 11, 122, false},
  };
  for (size_t block = 1; block <= bytes.size(); ++block) {
    int64_t consumed = 0;
    EXPECT_EQ(Split(bytes, block, /*start=*/100, 1000, 4, false, &consumed), want) << "block " << block;
    EXPECT_EQ(consumed, 122) << "the partial \"delta\" waits";
  }
}

TEST(LineSplitterTest, FinalLineWithoutNewlineOnlyWhenFinished) {
  EXPECT_EQ(Split("a\nlast", 3, 0, 1000, 4, /*finish=*/true),
            (std::vector<Line>{{"a", 0, 1, 2, false}, {"last", 2, 4, 6, false}}));
  EXPECT_EQ(Split("a\n", 3, 0, 1000, 4, /*finish=*/true), (std::vector<Line>{{"a", 0, 1, 2, false}}))
      << "nothing after the last newline: no final line";
}

TEST(LineSplitterTest, OverlongLineKeepsItsFirstBytesAndFullLength) {
  const std::string bytes = "ok\n" + std::string(50, 'x') + "y\nafter\n";
  const std::vector<Line> want = {
      {"ok", 0, 2, 3, false},
      {"xxxx", 3, 51, 55, true},
      {"after", 55, 5, 61, false},
  };
  for (size_t block = 1; block <= bytes.size(); ++block) {
    EXPECT_EQ(Split(bytes, block, 0, /*max_line=*/10, /*keep=*/4), want) << "block " << block;
  }
}

TEST(LineSplitterTest, LineOfExactlyTheLimitIsKeptWhole) {
  const std::string line(10, 'z');
  for (size_t block = 1; block <= 11; ++block) {
    EXPECT_EQ(Split(line + "\n", block, 0, /*max_line=*/10, 4), (std::vector<Line>{{line, 0, 10, 11, false}}));
  }
}

TEST(LineSplitterTest, OverlongFinalLineIsReducedToo) {
  EXPECT_EQ(Split(std::string(30, 'q'), 7, 5, /*max_line=*/10, /*keep=*/3, /*finish=*/true),
            (std::vector<Line>{{"qqq", 5, 30, 35, true}}));
}

TEST(LineSplitterTest, CallbackErrorEndsTheFeed) {
  LineSplitter splitter(0, 1000, 4);
  int calls = 0;
  auto fail_second = [&calls](const SplitLine&) {
    return ++calls == 2 ? absl::ResourceExhaustedError("sink full") : absl::OkStatus();
  };
  absl::Status s = splitter.Feed("a\nb\nc\n", fail_second);
  EXPECT_TRUE(absl::IsResourceExhausted(s)) << s;
  EXPECT_EQ(calls, 2) << "no line after the failing one";
}

}  // namespace
}  // namespace cco
