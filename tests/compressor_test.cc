// Compression away from the writer thread: what a RecordEncoder makes on a
// producer's thread is exactly what the writer would store, and a form made
// with a dictionary the writer no longer uses (trained or forgotten since)
// is never stored as it is.
#include "src/compressor.h"

#include <zdict.h>
#include <zstd.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "src/migrate.h"
#include "src/sqlite.h"
#include "tests/test_support.h"

namespace cco {
namespace {

using ::cco::testing::TempDir;

std::string Line(int i) {
  return absl::StrCat(R"({"type":"assistant","uuid":"u-)", i,
                      R"(","sessionId":"s-1","timestamp":"2026-01-02T03:04:05.000Z","message":{"role":"assistant",)",
                      R"("content":[{"type":"text","text":"reading the file src/main.cc line )", i * 7,
                      R"( and the tests"}],"usage":{"input_tokens":)", i, R"(,"output_tokens":12}}})");
}

LineRecord Record(int i) {
  LineRecord rec;
  rec.kind = RecordKind::kMessage;
  rec.raw = Line(i);
  rec.content = absl::StrCat("reading the file src/main.cc line ", i * 7, " and the tests, again and again");
  return rec;
}

// The dictionary ID a stored frame names (0: none).
unsigned FrameDict(std::string_view frame) { return ZSTD_getDictID_fromFrame(frame.data(), frame.size()); }

// Adds a line dictionary trained on lines like Line() to the database, the
// way Compressor::Train stores one.
unsigned AddLineDictionary(Db& db) {
  std::string samples;
  std::vector<size_t> sizes;
  for (int i = 0; i < 2000; ++i) {
    const std::string l = Line(i);
    samples += l;
    sizes.push_back(l.size());
  }
  std::string dict(16384, '\0');
  const size_t n = ZDICT_trainFromBuffer(dict.data(), dict.size(), samples.data(), sizes.data(),
                                         static_cast<unsigned>(sizes.size()));
  EXPECT_FALSE(ZDICT_isError(n)) << ZDICT_getErrorName(n);
  dict.resize(n);
  const unsigned id = ZDICT_getDictID(dict.data(), dict.size());
  absl::StatusOr<Stmt> ins = db.Prepare(
      "INSERT INTO zstd_dictionaries(id, kind, created_ms, created_seq, samples, sample_bytes, dict)"
      " VALUES (?1, 'line', 0, 1, 2000, ?2, ?3)");
  EXPECT_TRUE(ins.ok()) << ins.status();
  EXPECT_TRUE(ins->Bind(1, static_cast<int64_t>(id))
                  .Bind(2, static_cast<int64_t>(samples.size()))
                  .BindBlob(3, dict)
                  .Run()
                  .ok());
  return id;
}

struct Fixture {
  explicit Fixture(Db opened) : db(std::move(opened)) {}
  Db db;
  std::unique_ptr<Compressor> compressor;
};

std::unique_ptr<Fixture> Open(const TempDir& dir) {
  absl::StatusOr<Db> db = Db::Open(dir / "cco.db", Db::Mode::kReadWrite);
  EXPECT_TRUE(db.ok()) << db.status();
  auto f = std::make_unique<Fixture>(std::move(*db));
  EXPECT_TRUE(Migrate(f->db).ok());
  absl::StatusOr<std::unique_ptr<Compressor>> c = Compressor::Load(f->db, CompressorOptions{});
  EXPECT_TRUE(c.ok()) << c.status();
  f->compressor = std::move(*c);
  return f;
}

TEST(CompressorTest, EncoderMakesWhatTheWriterWouldStore) {
  TempDir dir;
  std::unique_ptr<Fixture> f = Open(dir);
  LineRecord rec = Record(1);
  f->compressor->encoder()->Encode(rec);
  ASSERT_TRUE(rec.raw_encoded.ready);
  ASSERT_TRUE(rec.content_encoded.ready);
  EXPECT_TRUE(rec.raw_encoded.compressed);
  const std::string own = std::string(f->compressor->Encode(ValueKind::kLine, rec.raw).bytes);
  const Encoded taken = f->compressor->Encode(ValueKind::kLine, rec.raw, rec.raw_encoded);
  EXPECT_TRUE(taken.compressed);
  EXPECT_EQ(taken.bytes, own);
  EXPECT_EQ(taken.bytes.data(), rec.raw_encoded.frame.data()) << "taken as it is, not compressed again";

  // A short value is stored as it is, either way.
  LineRecord small;
  small.kind = RecordKind::kEvent;
  small.raw = R"({"type":"x"})";
  f->compressor->encoder()->Encode(small);
  EXPECT_TRUE(small.raw_encoded.ready);
  EXPECT_FALSE(small.raw_encoded.compressed);
  EXPECT_FALSE(small.content_encoded.ready) << "only a message's text is searchable text";
  const Encoded plain = f->compressor->Encode(ValueKind::kLine, small.raw, small.raw_encoded);
  EXPECT_FALSE(plain.compressed);
  EXPECT_EQ(plain.bytes, small.raw);
}

TEST(CompressorTest, FormsMadeWithAnotherDictionaryAreCompressedAgain) {
  TempDir dir;
  std::unique_ptr<Fixture> f = Open(dir);
  LineRecord before = Record(5);
  f->compressor->encoder()->Encode(before);
  ASSERT_TRUE(before.raw_encoded.compressed);
  EXPECT_EQ(FrameDict(before.raw_encoded.frame), 0u);

  // The writer now has a line dictionary (as after training in its open
  // transaction): the encoder does not use it before it is published.
  const unsigned id = AddLineDictionary(f->db);
  ASSERT_TRUE(f->compressor->Reload(f->db).ok());
  ASSERT_TRUE(f->compressor->has_dictionary(ValueKind::kLine));
  LineRecord unpublished = Record(6);
  f->compressor->encoder()->Encode(unpublished);
  EXPECT_EQ(unpublished.raw_encoded.dict_id, 0u);
  for (LineRecord* rec : {&before, &unpublished}) {
    const Encoded stored = f->compressor->Encode(ValueKind::kLine, rec->raw, rec->raw_encoded);
    ASSERT_TRUE(stored.compressed);
    EXPECT_EQ(FrameDict(stored.bytes), id) << "compressed again with the writer's dictionary";
    EXPECT_NE(stored.bytes, rec->raw_encoded.frame);
  }

  // Published (after the commit): the encoder's forms are taken as they are.
  f->compressor->PublishCommitted();
  LineRecord after = Record(7);
  f->compressor->encoder()->Encode(after);
  EXPECT_EQ(after.raw_encoded.dict_id, id);
  EXPECT_EQ(FrameDict(after.raw_encoded.frame), id);
  const Encoded stored = f->compressor->Encode(ValueKind::kLine, after.raw, after.raw_encoded);
  EXPECT_EQ(stored.bytes.data(), after.raw_encoded.frame.data());

  // A rolled-back dictionary (Reload without it) is forgotten: forms made
  // with it are compressed again without it.
  ASSERT_TRUE(f->db.Exec("DELETE FROM zstd_dictionaries").ok());
  ASSERT_TRUE(f->compressor->Reload(f->db).ok());
  const Encoded again = f->compressor->Encode(ValueKind::kLine, after.raw, after.raw_encoded);
  ASSERT_TRUE(again.compressed);
  EXPECT_EQ(FrameDict(again.bytes), 0u);
}

// Several producers encode at once with the shared dictionaries (run under
// TSan in CI): each gets the same bytes as one thread alone.
TEST(CompressorTest, EncodersOnSeveralThreadsAgree) {
  TempDir dir;
  std::unique_ptr<Fixture> f = Open(dir);
  AddLineDictionary(f->db);
  ASSERT_TRUE(f->compressor->Reload(f->db).ok());
  f->compressor->PublishCommitted();
  std::shared_ptr<const RecordEncoder> encoder = f->compressor->encoder();
  std::vector<std::vector<LineRecord>> out(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        out[t].push_back(Record(i));
        encoder->Encode(out[t].back());
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int i = 0; i < 200; ++i) {
    const std::string own = std::string(f->compressor->Encode(ValueKind::kLine, out[0][i].raw).bytes);
    for (int t = 0; t < 4; ++t) EXPECT_EQ(out[t][i].raw_encoded.frame, own) << "thread " << t << " line " << i;
  }
}

}  // namespace
}  // namespace cco
