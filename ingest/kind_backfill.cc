#include "ingest/kind_backfill.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "ingest/line_parser.h"
#include "spdlog/spdlog.h"
#include "src/change_sequence.h"
#include "src/message_kind.h"
#include "src/migrate.h"
#include "src/status.h"

namespace cco {

absl::StatusOr<KindBackfillReport> BackfillMessageKinds(Db& db, int64_t max_rows, int64_t batch) {
  KindBackfillReport report;
  ASSIGN_OR_RETURN(std::unique_ptr<ChangeSequence> change_seq, ChangeSequence::Attach(db));
  ASSIGN_OR_RETURN(Stmt pending, db.Prepare("SELECT id FROM messages WHERE kind IS NULL ORDER BY id LIMIT ?1"));
  ASSIGN_OR_RETURN(Stmt read, db.Prepare("SELECT byte_offset, cco_raw(raw), cco_text(content) FROM messages"
                                         " WHERE id = ?1"));
  ASSIGN_OR_RETURN(Stmt update, db.Prepare("UPDATE messages SET kind = ?2, trigram = ?3,"
                                           " change_seq = cco_change_seq() WHERE id = ?1"));
  LineParser parser;
  while (max_rows < 0 || report.classified < max_rows) {
    const int64_t want = max_rows < 0 ? batch : std::min(batch, max_rows - report.classified);
    ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db));
    RETURN_IF_ERROR(change_seq->Load());
    // The ids first: the rows leave the scanned index range as they are
    // classified.
    std::vector<int64_t> ids;
    RETURN_IF_ERROR(pending.Bind(1, want).ForEachRow([&](const Stmt& row) {
      ids.push_back(row.ColumnInt(0));
      return true;
    }));
    const int64_t rows = static_cast<int64_t>(ids.size());
    for (int64_t id : ids) {
      std::string kind;
      bool trigram = false;
      RETURN_IF_ERROR(read.Bind(1, id).ForEachRow([&](const Stmt& row) {
        const std::string raw = row.ColumnText(1);
        if (!raw.empty()) kind = parser.Parse(raw, row.ColumnInt(0)).message_kind;
        trigram = HasUnspacedScript(row.ColumnView(2));
        return false;
      }));
      // A stored line today's parser does not take as a message (it never
      // happens for rows the parser stored) is a system line: never NULL
      // again, so the backfill always ends.
      if (kind.empty()) kind = "system";
      report.trigram += trigram ? 1 : 0;
      RETURN_IF_ERROR(update.Bind(1, id).Bind(2, MessageKindCode(kind)).Bind(3, trigram ? 1 : 0).Run());
    }
    if (rows == 0) break;
    RETURN_IF_ERROR(change_seq->Save());
    RETURN_IF_ERROR(txn.Commit());
    report.classified += rows;
    ++report.batches;
    if (rows < want) break;
  }
  return report;
}

absl::StatusOr<KindBackfillReport> BackfillMessageKinds(const std::string& path) {
  ASSIGN_OR_RETURN(Db db, Db::Open(path, Db::Mode::kReadWrite));
  RETURN_IF_ERROR(Migrate(db));
  ASSIGN_OR_RETURN(KindBackfillReport report, BackfillMessageKinds(db));
  if (report.classified > 0) {
    spdlog::info("kinds: {} messages classified ({} in scripts without spaces) in {} transactions",
                 report.classified, report.trigram, report.batches);
  }
  return report;
}

}  // namespace cco
