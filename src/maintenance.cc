#include "src/maintenance.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "src/status.h"

namespace cco {
namespace {

// `name` as an SQL identifier.
std::string Quoted(const std::string& name) { return absl::StrCat("\"", absl::StrReplaceAll(name, {{"\"", "\"\""}}), "\""); }

}  // namespace

absl::StatusOr<std::vector<std::string>> FtsTables(Db& db) {
  ASSIGN_OR_RETURN(Stmt s, db.Prepare("SELECT name FROM sqlite_master WHERE type = 'table'"
                                      " AND sql LIKE 'CREATE VIRTUAL TABLE%' AND lower(sql) LIKE '%using fts5%'"
                                      " ORDER BY name"));
  std::vector<std::string> out;
  RETURN_IF_ERROR(s.ForEachRow([&out](const Stmt& r) {
    out.push_back(r.ColumnText(0));
    return true;
  }));
  return out;
}

absl::Status FtsIntegrityCheck(Db& db, const std::string& table) {
  const std::string t = Quoted(table);
  absl::Status s = db.Exec(absl::StrCat("INSERT INTO ", t, "(", t, ", rank) VALUES('integrity-check', 1)"));
  if (s.ok()) return s;
  return absl::DataLossError(absl::StrCat("full-text index ", table, " fails its integrity-check: ", s.message()));
}

absl::Status FtsOptimize(Db& db, const std::string& table) {
  const std::string t = Quoted(table);
  return db.Exec(absl::StrCat("INSERT INTO ", t, "(", t, ") VALUES('optimize')"));
}

absl::Status RefreshStatistics(Db& db) { return db.Exec("PRAGMA optimize"); }

absl::Status Vacuum(Db& db) { return db.Exec("VACUUM"); }

absl::StatusOr<CheckpointResult> Checkpoint(Db& db, bool truncate) {
  ASSIGN_OR_RETURN(Stmt s, db.Prepare(truncate ? "PRAGMA wal_checkpoint(TRUNCATE)" : "PRAGMA wal_checkpoint(PASSIVE)"));
  ASSIGN_OR_RETURN(bool row, s.Step());
  CheckpointResult out;
  if (row) {
    out.busy = s.ColumnInt(0) != 0;
    out.wal_frames = s.ColumnInt(1);
    out.checkpointed = s.ColumnInt(2);
  }
  return out;
}

}  // namespace cco
