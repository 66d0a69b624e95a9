// Compiled twice: into the core (linked against libsqlite3) and, with
// CCO_SQLITE_EXTENSION defined, into the loadable extension, where every
// sqlite3_* call goes through the host's API table (sqlite3ext.h).
#include "src/sql_functions.h"

#ifdef CCO_SQLITE_EXTENSION
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1
#else
#include <sqlite3.h>
#endif

#define ZSTD_STATIC_LINKING_ONLY  // ZSTD_getFrameContentSize's constants only
#include <zstd.h>

#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "src/message_kind.h"

namespace cco {
namespace {

constexpr unsigned long long kMaxDecoded = 1ull << 30;  // SQLite's own limit is 1e9 bytes

// Per connection: the decompression context and the dictionaries read so
// far. Dictionaries never change once written (a new one gets a new id), so
// the cache needs no invalidation.
struct DecodeState {
  ZSTD_DCtx* dctx = nullptr;
  std::map<unsigned, ZSTD_DDict*> dicts;
  ~DecodeState() {
    for (auto& [id, d] : dicts) ZSTD_freeDDict(d);
    ZSTD_freeDCtx(dctx);
  }
};

void FreeState(void* p) { delete static_cast<DecodeState*>(p); }

// The dictionary `id`, read from zstd_dictionaries on the calling connection.
ZSTD_DDict* Dictionary(sqlite3_context* ctx, DecodeState* state, unsigned id) {
  auto it = state->dicts.find(id);
  if (it != state->dicts.end()) return it->second;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(sqlite3_context_db_handle(ctx), "SELECT dict FROM zstd_dictionaries WHERE id = ?1", -1,
                         &stmt, nullptr) != SQLITE_OK) {
    return nullptr;
  }
  sqlite3_bind_int64(stmt, 1, static_cast<sqlite3_int64>(id));
  ZSTD_DDict* dict = nullptr;
  if (sqlite3_step(stmt) == SQLITE_ROW) {
    dict = ZSTD_createDDict(sqlite3_column_blob(stmt, 0), static_cast<size_t>(sqlite3_column_bytes(stmt, 0)));
  }
  sqlite3_finalize(stmt);
  if (dict != nullptr) state->dicts[id] = dict;
  return dict;
}

void Decode(sqlite3_context* ctx, int /*argc*/, sqlite3_value** argv) {
  sqlite3_value* v = argv[0];
  if (sqlite3_value_type(v) != SQLITE_BLOB) {
    sqlite3_result_value(ctx, v);  // NULL, TEXT (stored as is) or a number
    return;
  }
  const void* src = sqlite3_value_blob(v);
  const size_t n = static_cast<size_t>(sqlite3_value_bytes(v));
  const unsigned long long size = ZSTD_getFrameContentSize(src, n);
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN) {
    sqlite3_result_error(ctx, "cco_raw: the value is not a zstd frame written by cco", -1);
    return;
  }
  if (size > kMaxDecoded) {
    sqlite3_result_error(ctx, "cco_raw: the value would decompress past 1 GiB", -1);
    return;
  }
  auto* state = static_cast<DecodeState*>(sqlite3_user_data(ctx));
  if (state->dctx == nullptr) state->dctx = ZSTD_createDCtx();
  ZSTD_DDict* dict = nullptr;
  if (const unsigned id = ZSTD_getDictID_fromFrame(src, n); id != 0) {
    dict = Dictionary(ctx, state, id);
    if (dict == nullptr) {
      sqlite3_result_error(ctx, "cco_raw: the value names a dictionary missing from zstd_dictionaries", -1);
      return;
    }
  }
  char* out = static_cast<char*>(sqlite3_malloc64(size + 1));
  if (out == nullptr) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  const size_t got = dict != nullptr ? ZSTD_decompress_usingDDict(state->dctx, out, size, src, n, dict)
                                     : ZSTD_decompressDCtx(state->dctx, out, size, src, n);
  if (ZSTD_isError(got) || got != size) {
    sqlite3_free(out);
    sqlite3_result_error(ctx, "cco_raw: the value does not decompress (damaged)", -1);
    return;
  }
  out[size] = '\0';
  sqlite3_result_text64(ctx, out, size, sqlite3_free, SQLITE_UTF8);
}

// cco_word_text(text): SplitUnspacedScript of a TEXT; anything else as it is.
void WordText(sqlite3_context* ctx, int /*argc*/, sqlite3_value** argv) {
  sqlite3_value* v = argv[0];
  if (sqlite3_value_type(v) != SQLITE_TEXT) {
    sqlite3_result_value(ctx, v);
    return;
  }
  const auto* p = reinterpret_cast<const char*>(sqlite3_value_text(v));
  const std::optional<std::string> split =
      SplitUnspacedScript(std::string_view(p, static_cast<size_t>(sqlite3_value_bytes(v))));
  if (!split.has_value()) {
    sqlite3_result_value(ctx, v);
    return;
  }
  sqlite3_result_text64(ctx, split->data(), split->size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

void FtsDeferred(sqlite3_context* ctx, int /*argc*/, sqlite3_value** /*argv*/) { sqlite3_result_int(ctx, 0); }

// bm25's per-row factor for a query of one phrase, without the phrase's
// IDF: f·(k1+1) / (f + k1·(1 − b + b·D/avgdl)), with f the phrase's
// instances in the row, D the row's tokens, avgdl the index's mean, k1 = 1.2
// and b = 0.75 (FTS5's bm25(), sqlite.org/fts5.html 5.1.1; the same
// operations in the same order, so that -(0.0 + idf · factor) is the value
// bm25() returns for that row). NULL for a query of more than one phrase.
void Bm25Factor(const Fts5ExtensionApi* api, Fts5Context* fts, sqlite3_context* ctx, int /*argc*/,
                sqlite3_value** /*argv*/) {
  if (api->xPhraseCount(fts) != 1) return sqlite3_result_null(ctx);
  auto* avgdl = static_cast<double*>(api->xGetAuxdata(fts, 0));
  if (avgdl == nullptr) {
    sqlite3_int64 rows = 0, tokens = 0;
    int rc = api->xRowCount(fts, &rows);
    if (rc == SQLITE_OK) rc = api->xColumnTotalSize(fts, -1, &tokens);
    if (rc != SQLITE_OK) return sqlite3_result_error_code(ctx, rc);
    avgdl = static_cast<double*>(sqlite3_malloc(sizeof(double)));
    if (avgdl == nullptr) return sqlite3_result_error_nomem(ctx);
    *avgdl = static_cast<double>(tokens) / static_cast<double>(rows);
    if ((rc = api->xSetAuxdata(fts, avgdl, sqlite3_free)) != SQLITE_OK) return sqlite3_result_error_code(ctx, rc);
  }
  const double k1 = 1.2, b = 0.75;
  int instances = 0, row_tokens = 0;
  int rc = api->xInstCount(fts, &instances);
  if (rc == SQLITE_OK) rc = api->xColumnSize(fts, -1, &row_tokens);
  if (rc != SQLITE_OK) return sqlite3_result_error_code(ctx, rc);
  const double f = static_cast<double>(instances), d = static_cast<double>(row_tokens);
  sqlite3_result_double(ctx, (f * (k1 + 1.0)) / (f + k1 * (1 - b + b * d / *avgdl)));
}

// The rows of the index (bm25's N).
void FtsRows(const Fts5ExtensionApi* api, Fts5Context* fts, sqlite3_context* ctx, int /*argc*/,
             sqlite3_value** /*argv*/) {
  sqlite3_int64 rows = 0;
  if (const int rc = api->xRowCount(fts, &rows); rc != SQLITE_OK) return sqlite3_result_error_code(ctx, rc);
  sqlite3_result_int64(ctx, rows);
}

// The FTS5 API of `db` (sqlite.org/fts5.html 7.1), or null.
fts5_api* Fts5Api(sqlite3* db) {
  fts5_api* api = nullptr;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &stmt, nullptr) == SQLITE_OK) {
    sqlite3_bind_pointer(stmt, 1, static_cast<void*>(&api), "fts5_api_ptr", nullptr);
    sqlite3_step(stmt);
  }
  sqlite3_finalize(stmt);
  return api;
}
}  // namespace

int RegisterSqlFunctions(sqlite3* db) {
  for (const char* name : {"cco_raw", "cco_text"}) {
    const int rc = sqlite3_create_function_v2(db, name, 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
                                              new DecodeState(), Decode, nullptr, nullptr, FreeState);
    if (rc != SQLITE_OK) return rc;
  }
  const int rc = sqlite3_create_function_v2(db, "cco_word_text", 1,
                                            SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, nullptr, WordText,
                                            nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return rc;
  if (fts5_api* fts5 = Fts5Api(db); fts5 != nullptr) {
    for (const auto& [name, fn] : {std::pair<const char*, fts5_extension_function>{"cco_bm25_factor", Bm25Factor},
                                   {"cco_fts_rows", FtsRows}}) {
      if (const int frc = fts5->xCreateFunction(fts5, name, nullptr, fn, nullptr); frc != SQLITE_OK) return frc;
    }
  }
  // 0 on every connection: the insert trigger of messages in databases
  // before migration 0028 (0016, 0024) calls it, and indexes the rows an
  // older cco or a script inserts there, as it did.
  return sqlite3_create_function_v2(db, "cco_fts_deferred", 0, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
                                    nullptr, FtsDeferred, nullptr, nullptr, nullptr);
}

}  // namespace cco

#ifdef CCO_SQLITE_EXTENSION
// Entry point for `.load libcco_sqlite` (SQLite derives the name from the
// file name) and the generic one.
extern "C" int sqlite3_ccosqlite_init(sqlite3* db, char** /*err*/, const sqlite3_api_routines* api) {
  SQLITE_EXTENSION_INIT2(api);
  return cco::RegisterSqlFunctions(db);
}
extern "C" int sqlite3_extension_init(sqlite3* db, char** err, const sqlite3_api_routines* api) {
  return sqlite3_ccosqlite_init(db, err, api);
}
#endif
