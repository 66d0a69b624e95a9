#include "src/compressor.h"

// ZDICT_trainFromBuffer_fastCover: in zstd's experimental section, exported
// by its shared library too.
#define ZDICT_STATIC_LINKING_ONLY
#include <zdict.h>
#include <zstd.h>

#include <future>
#include <optional>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "spdlog/spdlog.h"
#include "src/status.h"
#include "src/synced_lock.h"

namespace cco {

namespace {
constexpr size_t kMinCompressible = 64;     // shorter values gain nothing after the frame header
constexpr size_t kMaxSampleBytes = 16384;   // of one value, for training
const char* const kKindNames[2] = {"line", "text"};

// Compresses `value` into `out` (with `cdict` when not null). Returns false
// when the value is stored as it is: too short, or compression would not
// shrink it. One rule for the writer and the encoders.
bool Compress(ZSTD_CCtx* cctx, const ZSTD_CDict* cdict, int level, std::string_view value, std::string* out) {
  if (value.size() < kMinCompressible) return false;
  out->resize(ZSTD_compressBound(value.size()));
  const size_t n = cdict != nullptr
                       ? ZSTD_compress_usingCDict(cctx, out->data(), out->size(), value.data(), value.size(), cdict)
                       : ZSTD_compressCCtx(cctx, out->data(), out->size(), value.data(), value.size(), level);
  if (ZSTD_isError(n) || n >= value.size()) return false;
  out->resize(n);
  return true;
}

std::shared_ptr<ZSTD_CDict> MakeCDict(const std::string& dict, int level) {
  ZSTD_CDict* d = ZSTD_createCDict(dict.data(), dict.size(), level);
  if (d == nullptr) return nullptr;
  return std::shared_ptr<ZSTD_CDict>(d, [](ZSTD_CDict* p) { ZSTD_freeCDict(p); });
}
// The newest values of a kind, decoded, newest first.
const char* const kSampleSql[2] = {
    "SELECT cco_raw(raw) FROM (SELECT raw FROM messages ORDER BY id DESC LIMIT ?1)"
    " UNION ALL SELECT cco_raw(raw) FROM (SELECT raw FROM events ORDER BY id DESC LIMIT ?1)",
    "SELECT cco_text(content) FROM (SELECT content FROM messages ORDER BY id DESC LIMIT ?1)"};

}  // namespace

// What a training made of its samples: the dictionary, or why there is none.
struct TrainedDictionary {
  std::string dict;  // empty when training failed
  std::string error;
  size_t samples = 0;
  size_t sample_bytes = 0;
  int64_t ms = 0;
};

namespace {

// zstd's fastCover training with its defaults (ZDICT_trainFromBuffer's:
// d = 8, f = 20, accel = 1) but one segment size, k = 1024, rather than the
// best of several: ZDICT_trainFromBuffer trains for each candidate k and
// compresses a quarter of the samples with each, 3-4 times the work (250-365
// ms a kind on 4 MiB of samples, against 70-110 ms), for a dictionary that
// did no better here (it chose k = 537 to 1511; the generated 100 MiB tree's
// database was 76.5 MB with it, 75.1 MB with k = 1024, the shared corpus's
// 26.43 and 26.39 MB).
constexpr unsigned kSegmentSize = 1024;

// A future already holding `trained` (trained on this thread, or kept).
std::future<TrainedDictionary> Ready(TrainedDictionary trained) {
  std::promise<TrainedDictionary> done;
  done.set_value(std::move(trained));
  return done.get_future();
}

// Trains on `samples` (the values back to back) of `sizes`: pure
// computation on its own buffers, so it runs on a thread of its own.
TrainedDictionary TrainOn(const std::string& samples, const std::vector<size_t>& sizes, size_t dictionary_bytes) {
  TrainedDictionary t;
  t.samples = sizes.size();
  t.sample_bytes = samples.size();
  const absl::Time start = absl::Now();
  std::string dict(dictionary_bytes, '\0');
  ZDICT_fastCover_params_t params{};
  params.k = kSegmentSize;
  params.d = 8;
  params.f = 20;
  params.accel = 1;
  params.zParams.compressionLevel = ZSTD_CLEVEL_DEFAULT;
  const size_t n = ZDICT_trainFromBuffer_fastCover(dict.data(), dict.size(), samples.data(), sizes.data(),
                                                   static_cast<unsigned>(sizes.size()), params);
  t.ms = absl::ToInt64Milliseconds(absl::Now() - start);
  if (ZDICT_isError(n)) {
    t.error = ZDICT_getErrorName(n);
    return t;
  }
  dict.resize(n);
  t.dict = std::move(dict);
  return t;
}

}  // namespace

struct Compressor::Kind {
  uint32_t dict_id = 0;
  std::shared_ptr<ZSTD_CDict> cdict;  // shared with the encoder once published
  int64_t stored_since_attempt = 0;  // bytes encoded since the last training attempt
  int64_t next_attempt_at = 0;
  std::future<TrainedDictionary> training;  // under way on a thread of its own
  // Added in the open transaction: added again by the next one if this one
  // rolls back (Reload), rather than trained anew.
  std::optional<TrainedDictionary> uncommitted;
};

void RecordEncoder::Publish(std::shared_ptr<const Dictionaries> dictionaries) {
  SyncedLock lock(&mu_);
  dictionaries_ = std::move(dictionaries);
}

std::shared_ptr<const RecordEncoder::Dictionaries> RecordEncoder::dictionaries() const {
  SyncedLock lock(&mu_);
  return dictionaries_;
}

void RecordEncoder::Encode(LineRecord& rec) const {
  struct CctxFree {
    void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
  };
  thread_local std::unique_ptr<ZSTD_CCtx, CctxFree> cctx(ZSTD_createCCtx());
  thread_local std::string buffer;
  const std::shared_ptr<const Dictionaries> dicts = dictionaries();
  if (dicts == nullptr) return;  // nothing published yet: the writer compresses
  auto encode = [&](ValueKind kind, std::string_view value, PreEncoded& out) {
    const int k = static_cast<int>(kind);
    out.ready = true;
    out.dict_id = dicts->id[k];
    out.compressed = Compress(cctx.get(), dicts->cdict[k].get(), level_, value, &buffer);
    if (out.compressed) {
      out.frame.assign(buffer);  // exactly its size: it waits in the queue
    } else {
      out.frame.clear();
    }
  };
  encode(ValueKind::kLine, rec.raw, rec.raw_encoded);
  if (rec.kind == RecordKind::kMessage) encode(ValueKind::kText, rec.content, rec.content_encoded);
  // A long line leaves a long buffer behind: give it back.
  if (buffer.capacity() > (size_t{1} << 20)) std::string().swap(buffer);
}

Compressor::Compressor(CompressorOptions options)
    : options_(options), encoder_(std::make_shared<RecordEncoder>(options.level)) {
  for (auto& k : kinds_) k = std::make_unique<Kind>();
  cctx_ = ZSTD_createCCtx();
}

Compressor::~Compressor() { ZSTD_freeCCtx(cctx_); }

absl::StatusOr<std::unique_ptr<Compressor>> Compressor::Load(Db& db, CompressorOptions options) {
  std::unique_ptr<Compressor> c(new Compressor(options));
  RETURN_IF_ERROR(c->Reload(db));
  c->PublishCommitted();  // what was loaded is committed
  return c;
}

absl::Status Compressor::Reload(Db& db) {
  std::unique_ptr<Kind> before[2] = {std::move(kinds_[0]), std::move(kinds_[1])};
  for (int k = 0; k < 2; ++k) {
    kinds_[k] = std::make_unique<Kind>();
    // A database that holds data but no dictionary (written before
    // compression, or small so far) tries at the first chance.
    kinds_[k]->next_attempt_at = options_.sample_bytes;
    ASSIGN_OR_RETURN(Stmt s, db.Prepare("SELECT id, dict FROM zstd_dictionaries WHERE kind = ?1"
                                        " ORDER BY created_seq DESC LIMIT 1"));
    s.Bind(1, kKindNames[k]);
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) {
      ASSIGN_OR_RETURN(std::optional<int64_t> stored, db.QueryInt(k == 0 ? "SELECT (SELECT count(*) FROM messages) + "
                                                           "(SELECT count(*) FROM events)"
                                                         : "SELECT count(*) FROM messages"));
      // Roughly: each stored row counts as a kilobyte towards the threshold.
      kinds_[k]->stored_since_attempt = stored.value_or(0) * 1024;
      // Still none committed: a training under way, or a dictionary the
      // rolled-back transaction added, goes to the next transaction.
      if (before[k] != nullptr && before[k]->training.valid()) {
        kinds_[k]->training = std::move(before[k]->training);
      } else if (before[k] != nullptr && before[k]->uncommitted.has_value()) {
        kinds_[k]->training = Ready(*std::move(before[k]->uncommitted));
      }
      continue;
    }
    const std::string dict = s.ColumnBlob(1);
    kinds_[k]->dict_id = static_cast<uint32_t>(s.ColumnInt(0));
    kinds_[k]->cdict = MakeCDict(dict, options_.level);
    if (kinds_[k]->cdict == nullptr) return absl::InternalError("cannot load a compression dictionary");
  }
  return absl::OkStatus();
}

bool Compressor::has_dictionary(ValueKind kind) const { return kinds_[static_cast<int>(kind)]->cdict != nullptr; }

uint32_t Compressor::dictionary_id(ValueKind kind) const { return kinds_[static_cast<int>(kind)]->dict_id; }

absl::StatusOr<bool> Compressor::Retrain(Db& db, ValueKind kind, int64_t now_ms) {
  Kind& k = *kinds_[static_cast<int>(kind)];
  if (k.training.valid()) k.training.wait();  // trained on what is being dropped
  k.training = {};
  k.cdict = nullptr;
  k.dict_id = 0;
  return Train(db, kind, now_ms);
}

Encoded Compressor::Encode(ValueKind kind, std::string_view value) {
  Kind& k = *kinds_[static_cast<int>(kind)];
  if (k.cdict == nullptr) k.stored_since_attempt += static_cast<int64_t>(value.size());
  if (!Compress(cctx_, k.cdict.get(), options_.level, value, &buffer_)) return Encoded{false, value};
  return Encoded{true, buffer_};
}

Encoded Compressor::Encode(ValueKind kind, std::string_view value, const PreEncoded& pre) {
  Kind& k = *kinds_[static_cast<int>(kind)];
  if (!pre.ready || pre.dict_id != k.dict_id) return Encode(kind, value);
  if (k.cdict == nullptr) k.stored_since_attempt += static_cast<int64_t>(value.size());
  if (!pre.compressed) return Encoded{false, value};
  return Encoded{true, pre.frame};
}

void Compressor::PublishCommitted() {
  for (auto& k : kinds_) k->uncommitted.reset();
  if (published_once_ && published_[0] == kinds_[0]->dict_id && published_[1] == kinds_[1]->dict_id) return;
  published_once_ = true;
  auto dicts = std::make_shared<RecordEncoder::Dictionaries>();
  for (int k = 0; k < 2; ++k) {
    dicts->id[k] = kinds_[k]->dict_id;
    dicts->cdict[k] = kinds_[k]->cdict;
    published_[k] = kinds_[k]->dict_id;
  }
  encoder_->Publish(std::move(dicts));
}

absl::StatusOr<bool> Compressor::MaybeTrain(Db& db, int64_t now_ms, bool wait) {
  bool added = false;
  for (int k = 0; k < 2; ++k) {
    Kind& kind = *kinds_[k];
    if (kind.cdict != nullptr) continue;
    if (!kind.training.valid() && kind.stored_since_attempt >= kind.next_attempt_at) {
      Samples samples;
      ASSIGN_OR_RETURN(bool enough, CollectSamples(db, static_cast<ValueKind>(k), &samples));
      if (enough) {
        const size_t bytes = options_.dictionary_bytes;
        auto shared = std::make_shared<const Samples>(std::move(samples));
        try {
          kind.training = std::async(std::launch::async, [shared, bytes] {
            return TrainOn(shared->values, shared->sizes, bytes);
          });
        } catch (const std::system_error& e) {
          // No thread to be had (a process or thread limit): train here.
          spdlog::warn("training a compression dictionary on the writer's thread error=\"{}\"", e.what());
          kind.training = Ready(TrainOn(shared->values, shared->sizes, bytes));
        }
      }
    }
    if (!kind.training.valid()) continue;
    if (!wait && kind.training.wait_for(std::chrono::seconds(0)) != std::future_status::ready) continue;
    ASSIGN_OR_RETURN(bool ok, Adopt(db, static_cast<ValueKind>(k), kind.training.get(), now_ms));
    added = added || ok;
  }
  return added;
}

bool Compressor::training_under_way() const {
  return kinds_[0]->training.valid() || kinds_[1]->training.valid();
}

absl::StatusOr<bool> Compressor::CollectSamples(Db& db, ValueKind which, Samples* samples) {
  Kind& kind = *kinds_[static_cast<int>(which)];
  // The newest values, each cut to kMaxSampleBytes, up to sample_bytes in
  // all.
  ASSIGN_OR_RETURN(Stmt s, db.Prepare(kSampleSql[static_cast<int>(which)]));
  s.Bind(1, static_cast<int64_t>(1) << 20);
  RETURN_IF_ERROR(s.ForEachRow([&](const Stmt& row) {
    std::string_view v = row.ColumnView(0);
    if (v.size() > kMaxSampleBytes) v = v.substr(0, kMaxSampleBytes);
    if (v.size() < 8) return true;
    samples->values.append(v);
    samples->sizes.push_back(v.size());
    return static_cast<int64_t>(samples->values.size()) < options_.sample_bytes;
  }));
  kind.next_attempt_at = kind.stored_since_attempt + options_.sample_bytes;
  return static_cast<int64_t>(samples->values.size()) >= options_.sample_bytes / 2;
}

absl::StatusOr<bool> Compressor::Train(Db& db, ValueKind which, int64_t now_ms) {
  Samples samples;
  ASSIGN_OR_RETURN(bool enough, CollectSamples(db, which, &samples));
  if (!enough) return false;
  return Adopt(db, which, TrainOn(samples.values, samples.sizes, options_.dictionary_bytes), now_ms);
}

absl::StatusOr<bool> Compressor::Adopt(Db& db, ValueKind which, const TrainedDictionary& trained, int64_t now_ms) {
  Kind& kind = *kinds_[static_cast<int>(which)];
  const char* name = kKindNames[static_cast<int>(which)];
  if (trained.dict.empty()) {
    spdlog::info("compression dictionary not trained yet kind={} samples={} reason=\"{}\"", name, trained.samples,
                 trained.error);
    return false;
  }
  const std::string& dict = trained.dict;
  const uint32_t id = ZDICT_getDictID(dict.data(), dict.size());
  ASSIGN_OR_RETURN(std::optional<int64_t> taken,
                   db.QueryInt(absl::StrCat("SELECT count(*) FROM zstd_dictionaries WHERE id = ", id)));
  if (id == 0 || taken.value_or(0) != 0) return false;  // a 32-bit id collision: try again later
  ASSIGN_OR_RETURN(Stmt ins, db.Prepare("INSERT INTO zstd_dictionaries(id, kind, created_ms, created_seq, samples,"
                                        " sample_bytes, dict) VALUES (?1, ?2, ?3,"
                                        " (SELECT coalesce(max(created_seq), 0) + 1 FROM zstd_dictionaries),"
                                        " ?4, ?5, ?6)"));
  RETURN_IF_ERROR(ins.Bind(1, static_cast<int64_t>(id))
                      .Bind(2, name)
                      .Bind(3, now_ms)
                      .Bind(4, static_cast<int64_t>(trained.samples))
                      .Bind(5, static_cast<int64_t>(trained.sample_bytes))
                      .BindBlob(6, dict)
                      .Run());
  kind.cdict = MakeCDict(dict, options_.level);
  if (kind.cdict == nullptr) return absl::InternalError("cannot load a compression dictionary");
  kind.dict_id = id;
  kind.uncommitted = trained;
  spdlog::info("compression dictionary trained kind={} id={} bytes={} samples={} sample_bytes={} ms={}", name, id,
               dict.size(), trained.samples, trained.sample_bytes, trained.ms);
  return true;
}

}  // namespace cco
