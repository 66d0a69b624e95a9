// `cco forget`: a session or a project purged from the database, with a
// tombstone the writer honours (its lines are passed over and counted in
// files.forgotten_lines), and the undo that lets them be read again.
//
// REQUIRES: the caller holds the database's writer lock (lock.h) and runs
// the rederive the purge asks for (rederive_requests) before anything else
// writes: derived rows that pointed at purged lines are removed here, the
// rest (usage winners that another copy now wins, rollups, conversation
// stats, titles) is rebuilt from what stays.
#ifndef CCO_SRC_FORGET_H_
#define CCO_SRC_FORGET_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "src/dictionary_reset.h"
#include "src/sqlite.h"

namespace cco {

struct ForgetTarget {
  bool project = false;  // else a session
  std::string key;       // the session id, or the project's directory name
};

struct ForgetResult {
  int64_t messages = 0, events = 0, quarantined = 0;  // rows purged
  int64_t conversations = 0;                          // conversations removed
  bool already = false;                               // a tombstone was there already
  DictionaryReset dictionaries;                       // compression dictionaries replaced
};

// In one transaction, with secure_delete on: the tombstone, every stored
// line of the target removed (and counted in its file's forgotten_lines for
// the current generation), derived rows pointing at them removed, every
// compression dictionary replaced by one trained on what remains
// (dictionary_reset.h: a dictionary may hold pieces of the purged lines),
// and a rederive request. Run again for a target already forgotten, it
// purges what is left and replaces the dictionaries again.
absl::StatusOr<ForgetResult> Forget(Db& db, const ForgetTarget& target, int64_t now_ms);

// After a purge, so that no byte of what was removed stays in the file:
// every FTS5 table's segments merged (deleted entries dropped), VACUUM
// (free pages gone), the WAL checkpointed and truncated. secure_delete on.
absl::Status ScrubDatabase(Db& db);

struct UndoResult {
  bool had_tombstone = false;
  std::vector<std::string> files_reread;  // files to read again from their start
  // Files of the target (its session's, or its project's) that held
  // forgotten lines and no longer exist: those lines cannot come back.
  std::vector<std::string> files_gone;
};

// Lifts the tombstone (its kind becomes 'session-lifted' or
// 'project-lifted': the writer no longer honours it, a replica still
// follows the deletion) and, for every file that holds forgotten lines and
// still exists, starts a new generation from byte 0, so the next writer
// reads it again: the lines no tombstone keeps out any more are stored, the
// others are passed over again or are duplicates of their rows. Files that
// no longer exist keep their state.
absl::StatusOr<UndoResult> UndoForget(Db& db, const ForgetTarget& target);

// The roots the files at `paths` were found under (UndoResult::files_reread:
// the roots a writer walks to read them again), each once, sorted; a path
// with no files row, or whose row cannot be read, gives none.
absl::StatusOr<std::vector<std::string>> RootsOfFiles(Db& db, const std::vector<std::string>& paths);

}  // namespace cco

#endif  // CCO_SRC_FORGET_H_
