#include "src/forget.h"

#include <unistd.h>

#include <set>

#include "absl/strings/str_cat.h"
#include "src/change_sequence.h"
#include "src/maintenance.h"
#include "src/status.h"

namespace cco {
namespace {

absl::StatusOr<int64_t> Count(Db& db, const std::string& sql) {
  ASSIGN_OR_RETURN(std::optional<int64_t> n, db.QueryInt(sql));
  return n.value_or(0);
}

// The target's rows into temp tables forget_m, forget_e, forget_q (rows)
// and forget_c (conversations); ?1 is the key.
absl::Status SelectTarget(Db& db, const ForgetTarget& target) {
  RETURN_IF_ERROR(db.Exec("DROP TABLE IF EXISTS temp.forget_c; DROP TABLE IF EXISTS temp.forget_f;"
                          " DROP TABLE IF EXISTS temp.forget_m; DROP TABLE IF EXISTS temp.forget_e;"
                          " DROP TABLE IF EXISTS temp.forget_q;"
                          " CREATE TEMP TABLE forget_c(id INTEGER PRIMARY KEY);"
                          " CREATE TEMP TABLE forget_f(id INTEGER PRIMARY KEY);"));
  ASSIGN_OR_RETURN(Stmt c, db.Prepare(target.project
                                          ? "INSERT INTO forget_c SELECT c.id FROM conversations c"
                                            " JOIN projects p ON p.id = c.project_id WHERE p.dir_name = ?1"
                                          : "INSERT INTO forget_c SELECT id FROM conversations WHERE session_id = ?1"));
  RETURN_IF_ERROR(c.Bind(1, target.key).Run());
  ASSIGN_OR_RETURN(Stmt f, db.Prepare(target.project
                                          ? "INSERT INTO forget_f SELECT f.id FROM files f"
                                            " JOIN projects p ON p.id = f.project_id WHERE p.dir_name = ?1"
                                          : "INSERT INTO forget_f SELECT id FROM files WHERE session_id = ?1"));
  RETURN_IF_ERROR(f.Bind(1, target.key).Run());
  // A session's rows are its conversation's (in whatever file); a
  // project's, also every row read from its files.
  const std::string where = target.project ? "conversation_id IN forget_c OR file_id IN forget_f"
                                           : "conversation_id IN forget_c";
  RETURN_IF_ERROR(db.Exec(absl::StrCat(
      "CREATE TEMP TABLE forget_m AS SELECT id, file_id, generation FROM messages WHERE ", where, ";",
      " CREATE TEMP TABLE forget_e AS SELECT id, file_id, generation FROM events WHERE ", where, ";",
      " CREATE TEMP TABLE forget_q AS SELECT id, file_id, generation FROM quarantine WHERE file_id IN forget_f;")));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ForgetResult> Forget(Db& db, const ForgetTarget& target, int64_t now_ms) {
  RETURN_IF_ERROR(db.Exec("PRAGMA secure_delete=ON"));
  ASSIGN_OR_RETURN(std::unique_ptr<ChangeSequence> change_seq, ChangeSequence::Attach(db));
  ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db));
  ForgetResult result;
  {
    ASSIGN_OR_RETURN(Stmt t, db.Prepare("SELECT count(*) FROM tombstones WHERE kind = ?1 AND key = ?2"));
    t.Bind(1, target.project ? "project" : "session").Bind(2, target.key);
    ASSIGN_OR_RETURN(bool row, t.Step());
    result.already = row && t.ColumnInt(0) > 0;
  }
  RETURN_IF_ERROR(SelectTarget(db, target));
  ASSIGN_OR_RETURN(result.messages, Count(db, "SELECT count(*) FROM forget_m"));
  ASSIGN_OR_RETURN(result.events, Count(db, "SELECT count(*) FROM forget_e"));
  ASSIGN_OR_RETURN(result.quarantined, Count(db, "SELECT count(*) FROM forget_q"));
  RETURN_IF_ERROR(db.Exec(
      // Every line stays accounted for in its file's current generation.
      "UPDATE files SET forgotten_lines = forgotten_lines"
      "   + (SELECT count(*) FROM forget_m r WHERE r.file_id = files.id AND r.generation = files.generation)"
      "   + (SELECT count(*) FROM forget_e r WHERE r.file_id = files.id AND r.generation = files.generation)"
      "   + (SELECT count(*) FROM forget_q r WHERE r.file_id = files.id AND r.generation = files.generation)"
      " WHERE id IN (SELECT file_id FROM forget_m UNION SELECT file_id FROM forget_e"
      "   UNION SELECT file_id FROM forget_q);"
      // Derived rows that point at the purged lines (the rederive rebuilds
      // the rest from what stays).
      "DELETE FROM tool_executions WHERE conversation_id IN forget_c"
      "   OR use_message_id IN (SELECT id FROM forget_m) OR result_message_id IN (SELECT id FROM forget_m);"
      "DELETE FROM usage_winners WHERE conversation_id IN forget_c"
      "   OR (source = 'message' AND source_id IN (SELECT id FROM forget_m))"
      "   OR (source = 'event' AND source_id IN (SELECT id FROM forget_e));"
      "UPDATE conversations SET title = NULL, title_source = NULL, title_event_id = NULL"
      "   WHERE title_event_id IN (SELECT id FROM forget_e);"
      "DELETE FROM pending_titles WHERE event_id IN (SELECT id FROM forget_e);"
      "DELETE FROM messages WHERE id IN (SELECT id FROM forget_m);"
      "DELETE FROM events WHERE id IN (SELECT id FROM forget_e);"
      "DELETE FROM quarantine WHERE id IN (SELECT id FROM forget_q);"));
  ASSIGN_OR_RETURN(result.conversations,
                   Count(db, "SELECT count(*) FROM forget_c c WHERE NOT EXISTS (SELECT 1 FROM messages m"
                             " WHERE m.conversation_id = c.id) AND NOT EXISTS (SELECT 1 FROM events e"
                             " WHERE e.conversation_id = c.id)"));
  RETURN_IF_ERROR(db.Exec(
      "DELETE FROM conversations WHERE id IN forget_c"
      " AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = conversations.id)"
      " AND NOT EXISTS (SELECT 1 FROM events e WHERE e.conversation_id = conversations.id)"
      " AND NOT EXISTS (SELECT 1 FROM tool_executions t WHERE t.conversation_id = conversations.id)"
      " AND NOT EXISTS (SELECT 1 FROM usage_winners w WHERE w.conversation_id = conversations.id);"
      "DROP TABLE temp.forget_c; DROP TABLE temp.forget_f; DROP TABLE temp.forget_m;"
      " DROP TABLE temp.forget_e; DROP TABLE temp.forget_q;"));
  // Dictionaries trained while the target's lines were stored may hold
  // pieces of them; which values a dictionary was trained on is not
  // recorded, so every one is replaced.
  ASSIGN_OR_RETURN(result.dictionaries, ResetDictionaries(db, now_ms));
  if (!result.already) {
    ASSIGN_OR_RETURN(Stmt t, db.Prepare("INSERT INTO tombstones(change_seq, kind, key, created_ms)"
                                        " VALUES (cco_change_seq(), ?1, ?2, ?3)"));
    RETURN_IF_ERROR(t.Bind(1, target.project ? "project" : "session").Bind(2, target.key).Bind(3, now_ms).Run());
  }
  ASSIGN_OR_RETURN(Stmt r, db.Prepare("INSERT OR IGNORE INTO rederive_requests(reason) VALUES (?1)"));
  RETURN_IF_ERROR(r.Bind(1, "forget: derived data rebuilt without the forgotten lines").Run());
  RETURN_IF_ERROR(change_seq->Save());
  RETURN_IF_ERROR(txn.Commit());
  return result;
}

absl::Status ScrubDatabase(Db& db) {
  RETURN_IF_ERROR(db.Exec("PRAGMA secure_delete=ON"));
  ASSIGN_OR_RETURN(std::vector<std::string> tables, FtsTables(db));
  for (const std::string& t : tables) RETURN_IF_ERROR(FtsOptimize(db, t));
  RETURN_IF_ERROR(Vacuum(db));
  ASSIGN_OR_RETURN(CheckpointResult checkpoint, Checkpoint(db, /*truncate=*/true));
  if (checkpoint.busy) {
    return absl::UnavailableError("a reader kept the WAL in use: it was not truncated (run cco optimize later)");
  }
  return absl::OkStatus();
}

absl::StatusOr<UndoResult> UndoForget(Db& db, const ForgetTarget& target) {
  ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db));
  UndoResult result;
  {
    // Lifted, not deleted: the tombstone is also the deletion a replica
    // (cco push) must still follow for the rows the forget removed.
    ASSIGN_OR_RETURN(Stmt t, db.Prepare("UPDATE tombstones SET kind = kind || '-lifted' WHERE kind = ?1 AND key = ?2"));
    RETURN_IF_ERROR(t.Bind(1, target.project ? "project" : "session").Bind(2, target.key).Run());
    result.had_tombstone = db.changes() > 0;
  }
  // Every file with forgotten lines is read again: which forgotten lines a
  // file holds is counted, not recorded, and a session's lines may sit in
  // any file. The writer passes over again what other tombstones still keep
  // out; the rest of a file's lines are duplicates of their rows.
  ASSIGN_OR_RETURN(Stmt files,
                   db.Prepare(target.project
                                  ? "SELECT f.id, f.path, f.archived_ms IS NOT NULL,"
                                    " coalesce((SELECT dir_name FROM projects p WHERE p.id = f.project_id) = ?1, 0)"
                                    " FROM files f WHERE f.forgotten_lines > 0"
                                  : "SELECT id, path, archived_ms IS NOT NULL, session_id = ?1 FROM files"
                                    " WHERE forgotten_lines > 0"));
  files.Bind(1, target.key);
  ASSIGN_OR_RETURN(Stmt reset, db.Prepare("UPDATE files SET generation = generation + 1, read_position = 0,"
                                          " line_count = 0, forgotten_lines = 0, checksum_len = 0, checksum = 0"
                                          " WHERE id = ?1"));
  struct Found {
    int64_t id;
    std::string path;
    bool archived, targets;
  };
  std::vector<Found> found;
  RETURN_IF_ERROR(files.ForEachRow([&found](const Stmt& r) {
    found.push_back({r.ColumnInt(0), r.ColumnText(1), r.ColumnInt(2) != 0, r.ColumnInt(3) != 0});
    return true;
  }));
  for (const Found& f : found) {
    // An archived row's transcript was deleted (its path may hold another
    // file now, with its own row).
    if (f.archived || ::access(f.path.c_str(), F_OK) != 0) {
      if (f.targets) result.files_gone.push_back(f.path);
      continue;
    }
    RETURN_IF_ERROR(reset.Bind(1, f.id).Run());
    result.files_reread.push_back(f.path);
  }
  RETURN_IF_ERROR(txn.Commit());
  return result;
}

absl::StatusOr<std::vector<std::string>> RootsOfFiles(Db& db, const std::vector<std::string>& paths) {
  std::set<std::string> roots;
  for (const std::string& path : paths) {
    ASSIGN_OR_RETURN(Stmt s, db.Prepare("SELECT root FROM files WHERE path = ?1"));
    s.Bind(1, path);
    absl::StatusOr<bool> row = s.Step();
    if (row.ok() && *row) roots.insert(s.ColumnText(0));
  }
  return std::vector<std::string>(roots.begin(), roots.end());
}

}  // namespace cco
