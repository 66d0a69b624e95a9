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
// Thread-safety: belongs to the writer thread.
#ifndef CCO_SRC_COMPRESSOR_H_
#define CCO_SRC_COMPRESSOR_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "src/sqlite.h"

struct ZSTD_CCtx_s;

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

class Compressor {
 public:
  // Loads the newest dictionary of each kind from `db` (which must have the
  // zstd_dictionaries table).
  static absl::StatusOr<std::unique_ptr<Compressor>> Load(Db& db, CompressorOptions options);
  ~Compressor();

  // Compresses `value` (with the kind's dictionary when there is one). Values
  // that compression would not shrink come back as they are.
  Encoded Encode(ValueKind kind, std::string_view value);

  // Trains the dictionary of each kind that has none once enough of it is
  // stored, inside the caller's open transaction. Returns true when a
  // dictionary was added (older rows can then be recompressed). A failed
  // training (too few distinct samples) is retried after as many bytes again.
  absl::StatusOr<bool> MaybeTrain(Db& db, int64_t now_ms);

  // After a rolled-back transaction: forget a dictionary trained in it.
  absl::Status Reload(Db& db);

  bool has_dictionary(ValueKind kind) const;

 private:
  struct Kind;
  explicit Compressor(CompressorOptions options);
  absl::StatusOr<bool> Train(Db& db, ValueKind kind, int64_t now_ms);

  CompressorOptions options_;
  std::unique_ptr<Kind> kinds_[2];
  ::ZSTD_CCtx_s* cctx_ = nullptr;
  std::string buffer_;
};

}  // namespace cco

#endif  // CCO_SRC_COMPRESSOR_H_
