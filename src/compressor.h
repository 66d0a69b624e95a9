// The writer's side of stored-value compression (the encoding is described
// in sql_functions.h; readers decode with cco_raw()/cco_text()).
//
// Two kinds of value, each with its own zstd dictionary trained on this
// database's own rows: kLine (raw JSONL lines: messages.raw, events.raw,
// quarantine.raw) and kText (searchable text: messages.content). Until a
// kind has a dictionary its values are compressed without one. Once
// `sample_bytes` of a kind are stored, a dictionary is trained from the
// newest stored values (read back from the database, so a restart changes
// nothing) and inserted into zstd_dictionaries in the writer's open
// transaction; later values use it. Older rows keep theirs: every frame
// names its dictionary, so old rows stay readable.
//
// Compression is the writer's heaviest CPU work after SQLite itself, so it
// is done before the writer where it can: a RecordEncoder (encoder())
// compresses records on the producers' threads with the dictionaries the
// writer last committed, and Encode() then takes those forms as they are.
//
// Thread-safety: a Compressor belongs to the writer thread; its
// RecordEncoder may be used from any thread.
#ifndef CCO_SRC_COMPRESSOR_H_
#define CCO_SRC_COMPRESSOR_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "src/record.h"
#include "src/sqlite.h"

struct ZSTD_CCtx_s;
struct ZSTD_CDict_s;

namespace cco {

enum class ValueKind { kLine = 0, kText = 1 };

struct CompressorOptions {
  int level = 3;                    // zstd level: ~3x on lines at ~200 MB/s per core
  int64_t sample_bytes = 4 << 20;   // stored bytes of a kind before its dictionary is trained
  size_t dictionary_bytes = 112640; // zstd's default dictionary size
};

// One encoded value: bind `bytes` as a BLOB when `compressed`, else as TEXT.
struct Encoded {
  bool compressed = false;
  std::string_view bytes;  // valid until the next Encode
};

// Compresses records' stored values away from the writer thread, with the
// newest dictionary of each kind that the writer has committed (published
// by the Compressor after each commit). Thread-safe: each thread compresses
// with its own zstd context; the dictionaries are shared read-only.
class RecordEncoder {
 public:
  explicit RecordEncoder(int level) : level_(level) {}

  // Fills rec.raw_encoded and, for a message, rec.content_encoded with what
  // the writer would store for them right now.
  void Encode(LineRecord& rec) const;

 private:
  friend class Compressor;
  struct Dictionaries {
    uint32_t id[2] = {0, 0};
    std::shared_ptr<::ZSTD_CDict_s> cdict[2];
  };
  void Publish(std::shared_ptr<const Dictionaries> dictionaries);
  std::shared_ptr<const Dictionaries> dictionaries() const;

  const int level_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const Dictionaries> dictionaries_ ABSL_GUARDED_BY(mu_);
};

struct TrainedDictionary;  // compressor.cc

class Compressor {
 public:
  // Loads the newest dictionary of each kind from `db` (which must have the
  // zstd_dictionaries table).
  static absl::StatusOr<std::unique_ptr<Compressor>> Load(Db& db, CompressorOptions options);
  ~Compressor();

  // Compresses `value` (with the kind's dictionary when there is one). Values
  // that compression would not shrink come back as they are.
  Encoded Encode(ValueKind kind, std::string_view value);
  // The same, taking `pre` as it is when it was made (by encoder()) with the
  // dictionary Encode would use now.
  Encoded Encode(ValueKind kind, std::string_view value, const PreEncoded& pre);

  // Compresses records on other threads with the committed dictionaries.
  std::shared_ptr<RecordEncoder> encoder() const { return encoder_; }
  // Called after the writer's transaction committed: from now on encoder()
  // uses the dictionaries trained in it.
  void PublishCommitted();

  // Trains the dictionary of each kind that has none once enough of it is
  // stored. The samples are read in the caller's open transaction; zstd
  // trains on them on a thread of its own (about 0.1 s of CPU a kind) while
  // the writer finishes its commit, and a later call adds the dictionary in
  // its transaction once the training is done, or at once (waiting for it)
  // with `wait`. Returns true when a dictionary was added (older rows can
  // then be recompressed). A failed training (too few distinct samples) is
  // retried after as many bytes again.
  absl::StatusOr<bool> MaybeTrain(Db& db, int64_t now_ms, bool wait = false);
  // True while a training runs whose dictionary no transaction has added.
  bool training_under_way() const;

  // After a rolled-back transaction: the committed dictionaries again. For a
  // kind that has none, a dictionary the transaction added (or a training
  // still under way) is kept for the next transaction to add, rather than
  // trained anew once enough more is stored.
  absl::Status Reload(Db& db);

  bool has_dictionary(ValueKind kind) const;
  // The kind's dictionary's id, 0 when it has none.
  uint32_t dictionary_id(ValueKind kind) const;

  // Drops the kind's dictionary from this compressor and trains a new one on
  // what is stored now, however little was stored since the last one (in
  // the caller's open transaction; `cco forget` after a purge). False, and
  // values of the kind compressed without a dictionary, when too little is
  // stored to train one.
  absl::StatusOr<bool> Retrain(Db& db, ValueKind kind, int64_t now_ms);

 private:
  struct Kind;
  struct Samples {
    std::string values;  // back to back
    std::vector<size_t> sizes;
  };
  explicit Compressor(CompressorOptions options);
  // Reads the kind's newest values; false when there are too few to train.
  absl::StatusOr<bool> CollectSamples(Db& db, ValueKind kind, Samples* samples);
  // Samples and trains on this thread, and adds the dictionary.
  absl::StatusOr<bool> Train(Db& db, ValueKind kind, int64_t now_ms);
  // Adds a trained dictionary to zstd_dictionaries and compresses with it.
  absl::StatusOr<bool> Adopt(Db& db, ValueKind kind, const TrainedDictionary& trained, int64_t now_ms);

  CompressorOptions options_;
  std::unique_ptr<Kind> kinds_[2];
  std::shared_ptr<RecordEncoder> encoder_;
  uint32_t published_[2] = {0, 0};  // the dictionary ids encoder_ has
  bool published_once_ = false;
  ::ZSTD_CCtx_s* cctx_ = nullptr;
  std::string buffer_;
};

}  // namespace cco

#endif  // CCO_SRC_COMPRESSOR_H_
