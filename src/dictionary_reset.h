// Compression dictionaries replaced after a purge (`cco forget`).
//
// A zstd dictionary is trained on the database's own newest values
// (compressor.h) and holds verbatim segments of them: a secret repeated in
// the lines that trained it lives on in zstd_dictionaries after its rows
// are deleted, and no row records which values were in a training sample.
// So after a purge every dictionary is replaced: for each kind that has
// one, a new dictionary is trained on the values that remain (none when
// too little remains, as before a first training), every stored value
// compressed with an older dictionary of the kind is re-encoded, and the
// older dictionaries are deleted.
//
// REQUIRES: an open transaction on `db` (the caller's: the replacement
// commits with the purge or not at all, so a crash leaves either the old
// dictionaries with every row that uses them or only the new ones) and no
// other writer (the writer lock): a running writer would keep compressing
// with a dictionary deleted here.
#ifndef CCO_SRC_DICTIONARY_RESET_H_
#define CCO_SRC_DICTIONARY_RESET_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "src/compressor.h"
#include "src/sqlite.h"

namespace cco {

struct DictionaryReset {
  int64_t removed = 0;     // dictionaries deleted
  int64_t trained = 0;     // dictionaries trained on what remains
  int64_t reencoded = 0;   // stored values compressed again
};

// Stored values keep their logical bytes (cco_raw/cco_text give the same
// text), so nothing derived from them changes: the full-text indexes and
// change_seq are left as they are.
absl::StatusOr<DictionaryReset> ResetDictionaries(Db& db, int64_t now_ms, CompressorOptions options = {});

}  // namespace cco

#endif  // CCO_SRC_DICTIONARY_RESET_H_
