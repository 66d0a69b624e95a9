#include "ingest/rederive.h"

#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "ingest/line_parser.h"
#include "spdlog/spdlog.h"
#include "src/blocks.h"
#include "src/change_sequence.h"
#include "src/message_kind.h"
#include "src/check.h"
#include "src/compressor.h"
#include "src/derive.h"
#include "src/deriver.h"
#include "src/migrate.h"
#include "src/record.h"
#include "src/sqlite_deriver.h"
#include "src/status.h"

namespace cco {
namespace {

// Rows are read in id order, a batch at a time, and derived after each read
// completes (no statement reads a table while another writes it).
constexpr int kBatchRows = 4096;

// Everything the deriver maintains, emptied before the rebuild. Conversation
// titles and counters are reset by kResetConversations.
constexpr char kClearDerived[] =
    "DELETE FROM usage_winners; DELETE FROM token_rollups; DELETE FROM token_rollups_hourly;"
    " DELETE FROM session_token_rollups; DELETE FROM analytics; DELETE FROM tool_executions;"
    " DELETE FROM pending_titles; DELETE FROM usage_limits;";

// The store's per-message counters are recomputed here too (cheap, and a
// rederive should leave nothing that a recompute would not give).
constexpr char kResetConversations[] =
    "UPDATE conversations SET tool_use_count = 0, total_tokens = 0, title = NULL, title_source = NULL,"
    " title_event_id = NULL, change_seq = cco_change_seq(),"
    " message_count = (SELECT count(*) FROM messages m WHERE m.conversation_id = conversations.id),"
    " started_ms = (SELECT min(timestamp_ms) FROM messages m WHERE m.conversation_id = conversations.id),"
    " ended_ms = (SELECT max(timestamp_ms) FROM messages m WHERE m.conversation_id = conversations.id)";

struct StoredRow {
  int64_t id = 0;
  int64_t conversation_id = 0;
  int64_t file_id = 0;
  int64_t byte_offset = 0;
  std::string raw;
  // messages only: what the row shows now, to update when the parse differs
  std::string content;
  std::optional<int64_t> input, output, cache_creation, cache_read;
  int64_t kind = 0;  // message_kinds code; 0 when NULL (not yet classified)
};

struct FileInfo {
  FileLocation location;
  int64_t project_id = 0;
};

absl::StatusOr<absl::flat_hash_map<int64_t, FileInfo>> LoadFiles(Db& db) {
  ASSIGN_OR_RETURN(Stmt s, db.Prepare(
      "SELECT f.id, f.path, f.root, p.dir_name, f.session_id, coalesce(f.agent_id, ''),"
      " coalesce(f.agent_type, ''), f.report_session, f.project_id FROM files f JOIN projects p ON p.id = f.project_id"));
  // Columns 1..7, in the order of the SELECT.
  static constexpr std::string FileLocation::*kColumns[] = {
      &FileLocation::path,     &FileLocation::root,       &FileLocation::project_dir,   &FileLocation::session_id,
      &FileLocation::agent_id, &FileLocation::agent_type, &FileLocation::report_session};
  absl::flat_hash_map<int64_t, FileInfo> files;
  RETURN_IF_ERROR(s.ForEachRow([&files](const Stmt& r) {
    FileInfo& f = files[r.ColumnInt(0)];
    for (int i = 0; i < 7; ++i) f.location.*kColumns[i] = r.ColumnText(i + 1);
    f.project_id = r.ColumnInt(8);
    return true;
  }));
  return files;
}

absl::StatusOr<std::vector<StoredRow>> ReadBatch(Stmt& select, int64_t after_id, bool messages) {
  std::vector<StoredRow> rows;
  select.Bind(1, after_id).Bind(2, kBatchRows);
  RETURN_IF_ERROR(select.ForEachRow([&rows, messages](const Stmt& r) {
    StoredRow row;
    row.id = r.ColumnInt(0);
    row.conversation_id = r.ColumnInt(1);
    row.file_id = r.ColumnInt(2);
    row.byte_offset = r.ColumnInt(3);
    row.raw = r.ColumnText(4);
    if (messages) {
      row.content = r.ColumnText(5);
      row.input = r.ColumnOptionalInt(6);
      row.output = r.ColumnOptionalInt(7);
      row.cache_creation = r.ColumnOptionalInt(8);
      row.cache_read = r.ColumnOptionalInt(9);
      row.kind = r.ColumnInt(10);
    }
    rows.push_back(std::move(row));
    return true;
  }));
  return rows;
}

bool SameTokens(const StoredRow& row, const std::optional<Usage>& usage) {
  if (!usage.has_value()) return !row.input.has_value();
  return row.input == usage->input && row.output == usage->output && row.cache_creation == usage->cache_creation &&
         row.cache_read == usage->cache_read;
}

// Parses and derives every row of `table` in id order.
absl::Status DeriveTable(Db& db, Deriver& deriver, Compressor& compressor,
                         const absl::flat_hash_map<int64_t, FileInfo>& files, bool messages, RederiveReport* report) {
  ASSIGN_OR_RETURN(Stmt select, db.Prepare(messages
      ? "SELECT id, conversation_id, file_id, byte_offset, cco_raw(raw), cco_text(content), input_tokens, output_tokens,"
        " cache_creation_tokens, cache_read_tokens, coalesce(kind, 0) FROM messages WHERE id > ?1 ORDER BY id LIMIT ?2"
      : "SELECT id, conversation_id, file_id, byte_offset, cco_raw(raw) FROM events WHERE id > ?1 ORDER BY id LIMIT ?2"));
  ASSIGN_OR_RETURN(Stmt update, db.Prepare(
      "UPDATE messages SET content = ?2, input_tokens = ?3, output_tokens = ?4, cache_creation_tokens = ?5,"
      " cache_read_tokens = ?6, stop_reason = ?7, kind = ?8, trigram = ?9, change_seq = cco_change_seq()"
      " WHERE id = ?1"));
  LineParser parser;
  int64_t after = 0;
  while (true) {
    ASSIGN_OR_RETURN(std::vector<StoredRow> rows, ReadBatch(select, after, messages));
    if (rows.empty()) break;
    after = rows.back().id;
    for (const StoredRow& row : rows) {
      auto file = files.find(row.file_id);
      LineRecord rec;
      if (!row.raw.empty()) {
        rec = parser.Parse(row.raw, row.byte_offset);
        rec.usage_copy = CountedUsage(rec);
      }
      if (file == files.end() || row.raw.empty() || rec.kind == RecordKind::kQuarantine) {
        ++report->unparsable;
        continue;
      }
      RowContext ctx;
      ctx.row_id = row.id;
      ctx.conversation_id = row.conversation_id;
      ctx.project_id = file->second.project_id;
      ctx.byte_offset = row.byte_offset;
      ctx.location = &file->second.location;
      if (!messages) {
        ++report->events;
        RETURN_IF_ERROR(deriver.OnEvent(rec, ctx));
        continue;
      }
      ++report->messages;
      if (rec.content != row.content || !SameTokens(row, rec.usage) || MessageKindCode(rec.message_kind) != row.kind) {
        update.Bind(1, row.id).BindTextOrNull(7, rec.stop_reason).Bind(8, MessageKindCode(rec.message_kind))
            .Bind(9, HasUnspacedScript(rec.content) ? 1 : 0);
        if (const Encoded content = compressor.Encode(ValueKind::kText, rec.content); content.compressed) {
          update.BindBlob(2, content.bytes);
        } else {
          update.Bind(2, content.bytes);
        }
        if (rec.usage.has_value()) {
          update.Bind(3, rec.usage->input).Bind(4, rec.usage->output).Bind(5, rec.usage->cache_creation)
              .Bind(6, rec.usage->cache_read);
        } else {
          update.BindNull(3).BindNull(4).BindNull(5).BindNull(6);
        }
        RETURN_IF_ERROR(update.Run());
        ++report->rows_updated;
      }
      RETURN_IF_ERROR(deriver.OnMessage(rec, ctx));
    }
  }
  return deriver.Flush();
}

absl::StatusOr<int64_t> Int(Db& db, const char* sql) {
  ASSIGN_OR_RETURN(std::optional<int64_t> v, db.QueryInt(sql));
  return v.value_or(0);
}

}  // namespace

absl::StatusOr<RederiveReport> Rederive(Db& db) {
  RederiveReport report;
  ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db));
  {
    ASSIGN_OR_RETURN(Stmt s, db.Prepare("SELECT reason FROM rederive_requests ORDER BY reason"));
    RETURN_IF_ERROR(s.ForEachRow([&report](const Stmt& r) {
      report.requests.push_back(r.ColumnText(0));
      return true;
    }));
  }
  ASSIGN_OR_RETURN(report.cost_before_nanousd, Int(db, "SELECT coalesce(sum(cost_nanousd), 0) FROM usage_winners"));
  ASSIGN_OR_RETURN(std::unique_ptr<ChangeSequence> change_seq, ChangeSequence::Attach(db));
  ASSIGN_OR_RETURN(std::unique_ptr<Compressor> compressor, Compressor::Load(db, CompressorOptions{}));
  RETURN_IF_ERROR(db.Exec(kClearDerived));
  // Replicas drop every derived row written before the rebuild.
  for (const char* table : {"usage_winners", "tool_executions"}) {
    ASSIGN_OR_RETURN(Stmt t, db.Prepare("INSERT INTO tombstones(change_seq, kind, table_name, created_ms)"
                                        " VALUES (cco_change_seq(), 'rederive', ?1, ?2)"));
    RETURN_IF_ERROR(t.Bind(1, table).Bind(2, absl::ToUnixMillis(absl::Now())).Run());
  }
  RETURN_IF_ERROR(db.Exec(kResetConversations));
  {
    // The deriver's statements must be finalized before the transaction
    // ends, so it lives in this scope.
    ASSIGN_OR_RETURN(std::unique_ptr<SqliteDeriver> deriver, SqliteDeriver::Create(db));
    ASSIGN_OR_RETURN(auto files, LoadFiles(db));
    RETURN_IF_ERROR(DeriveTable(db, *deriver, *compressor, files, /*messages=*/true, &report));
    RETURN_IF_ERROR(DeriveTable(db, *deriver, *compressor, files, /*messages=*/false, &report));
  }
  ASSIGN_OR_RETURN(report.cost_after_nanousd, Int(db, "SELECT coalesce(sum(cost_nanousd), 0) FROM usage_winners"));
  ASSIGN_OR_RETURN(report.api_calls, Int(db, "SELECT count(*) FROM usage_winners"));
  {
    ASSIGN_OR_RETURN(Stmt s, db.Prepare(
        "SELECT model, count(*), sum(input_tokens + output_tokens + cache_creation_tokens + cache_read_tokens)"
        " FROM usage_winners WHERE priced = 0 GROUP BY model ORDER BY model"));
    RETURN_IF_ERROR(s.ForEachRow([&report](const Stmt& r) {
      report.unpriced.push_back({r.ColumnText(0), r.ColumnInt(1), r.ColumnInt(2)});
      report.unpriced_calls += r.ColumnInt(1);
      return true;
    }));
  }
  RETURN_IF_ERROR(RefreshBlockStarts(db));
  // The same recompute `cco check` runs: the rebuilt rollups and stats must
  // equal what the rebuilt rows imply, or nothing is kept.
  ASSIGN_OR_RETURN(CheckReport check, CheckDatabase(db));
  if (!check.derived_ok()) {
    return absl::InternalError(absl::StrCat(
        "rederive: the rebuilt derived data does not equal its recompute (", check.rollup_mismatches,
        " rollup, ", check.session_mismatches, " session, ", check.conversation_mismatches,
        " conversation, ", check.block_start_mismatches, " block start mismatches; integrity ", check.integrity, "); nothing was changed"));
  }
  RETURN_IF_ERROR(db.Exec("DELETE FROM rederive_requests"));
  RETURN_IF_ERROR(change_seq->Save());
  RETURN_IF_ERROR(txn.Commit());
  return report;
}

absl::StatusOr<std::optional<RederiveReport>> RederiveIfRequested(const std::string& path) {
  ASSIGN_OR_RETURN(Db db, Db::Open(path, Db::Mode::kReadWrite));
  RETURN_IF_ERROR(Migrate(db));
  ASSIGN_OR_RETURN(int64_t requests, Int(db, "SELECT count(*) FROM rederive_requests"));
  if (requests == 0) return std::optional<RederiveReport>();
  spdlog::info("rederive: rebuilding derived data for {} request(s)", requests);
  ASSIGN_OR_RETURN(RederiveReport report, Rederive(db));
  spdlog::info("rederive: {} messages and {} events, {} API calls ({} unpriced), cost {} -> {} nano-USD",
               report.messages, report.events, report.api_calls, report.unpriced_calls,
               report.cost_before_nanousd, report.cost_after_nanousd);
  return std::optional<RederiveReport>(std::move(report));
}

}  // namespace cco
