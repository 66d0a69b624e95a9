#include "src/dictionary_reset.h"

#include <zstd.h>

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "src/status.h"

namespace cco {
namespace {

constexpr int64_t kBatch = 1000;  // rows read, then re-encoded, at a time

struct Column {
  const char* table;
  const char* column;
};
// Where each kind of value is stored (compressor.h).
const std::vector<Column> kLineColumns = {{"messages", "raw"}, {"events", "raw"}, {"quarantine", "raw"}};
const std::vector<Column> kTextColumns = {{"messages", "content"}};
const char* const kKindNames[2] = {"line", "text"};

// Re-encodes every value of `col` compressed with one of `old_ids`.
absl::StatusOr<int64_t> Reencode(Db& db, Compressor& compressor, ValueKind kind, const Column& col,
                                 const std::set<uint32_t>& old_ids) {
  ASSIGN_OR_RETURN(Stmt sel, db.Prepare(absl::StrCat("SELECT id, ", col.column, " FROM ", col.table, " WHERE id > ?1 AND typeof(",
                                                     col.column, ") = 'blob' ORDER BY id LIMIT ?2")));
  ASSIGN_OR_RETURN(Stmt decode, db.Prepare("SELECT cco_raw(?1)"));
  ASSIGN_OR_RETURN(Stmt upd,
                   db.Prepare(absl::StrCat("UPDATE ", col.table, " SET ", col.column, " = ?2 WHERE id = ?1")));
  int64_t reencoded = 0, after = 0;
  for (;;) {
    // The batch is read whole before any row of it is written: SQLite does
    // not promise a scan's course over rows changed under it.
    std::vector<std::pair<int64_t, std::string>> frames;
    int64_t seen = 0;
    sel.Reset();
    sel.Bind(1, after).Bind(2, kBatch);
    RETURN_IF_ERROR(sel.ForEachRow([&](const Stmt& r) {
      const std::string_view frame = r.ColumnView(1);
      if (old_ids.count(ZSTD_getDictID_fromFrame(frame.data(), frame.size())) > 0) {
        frames.emplace_back(r.ColumnInt(0), std::string(frame));
      }
      after = r.ColumnInt(0);
      ++seen;
      return true;
    }));
    for (const auto& [id, frame] : frames) {
      decode.Reset();
      decode.BindBlob(1, frame);
      ASSIGN_OR_RETURN(bool row, decode.Step());
      if (!row || decode.ColumnIsNull(0)) {
        return absl::DataLossError(absl::StrCat(col.table, ".", col.column, " of row ", id, " does not decode"));
      }
      const std::string value(decode.ColumnView(0));
      const Encoded e = compressor.Encode(kind, value);
      upd.Reset();
      upd.Bind(1, id);
      if (e.compressed) {
        upd.BindBlob(2, e.bytes);
      } else {
        upd.Bind(2, e.bytes);
      }
      RETURN_IF_ERROR(upd.Run());
      ++reencoded;
    }
    if (seen < kBatch) break;
  }
  return reencoded;
}

}  // namespace

absl::StatusOr<DictionaryReset> ResetDictionaries(Db& db, int64_t now_ms, CompressorOptions options) {
  DictionaryReset result;
  ASSIGN_OR_RETURN(std::unique_ptr<Compressor> compressor, Compressor::Load(db, options));
  for (int k = 0; k < 2; ++k) {
    std::set<uint32_t> old_ids;
    ASSIGN_OR_RETURN(Stmt ids, db.Prepare("SELECT id FROM zstd_dictionaries WHERE kind = ?1"));
    ids.Bind(1, kKindNames[k]);
    RETURN_IF_ERROR(ids.ForEachRow([&old_ids](const Stmt& r) {
      old_ids.insert(static_cast<uint32_t>(r.ColumnInt(0)));
      return true;
    }));
    if (old_ids.empty()) continue;
    // Re-encoding keeps every value's text: the full-text indexes' update
    // trigger compares texts (0021) and leaves them alone.
    const ValueKind kind = static_cast<ValueKind>(k);
    ASSIGN_OR_RETURN(bool trained, compressor->Retrain(db, kind, now_ms));
    if (trained) ++result.trained;
    for (const Column& col : kind == ValueKind::kLine ? kLineColumns : kTextColumns) {
      ASSIGN_OR_RETURN(int64_t n, Reencode(db, *compressor, kind, col, old_ids));
      result.reencoded += n;
    }
    ASSIGN_OR_RETURN(Stmt del, db.Prepare("DELETE FROM zstd_dictionaries WHERE kind = ?1 AND id <> ?2"));
    RETURN_IF_ERROR(del.Bind(1, kKindNames[k]).Bind(2, static_cast<int64_t>(compressor->dictionary_id(kind))).Run());
    result.removed += db.changes();
  }
  return result;
}

}  // namespace cco
