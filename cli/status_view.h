// What `cco status` knows: the database's own account (from the reader)
// and what only this machine can see now (the writer lock, the files on
// disk). `cco status` prints it; `cco serve` shows it on its status page
// and as /api/status, in the same JSON.
#ifndef CCO_CLI_STATUS_VIEW_H_
#define CCO_CLI_STATUS_VIEW_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "src/pg_reader.h"
#include "src/push.h"
#include "src/reader.h"

namespace cco {

inline constexpr size_t kTopLagging = 10;

struct LaggingFile {
  std::string path;
  int64_t pending_bytes = 0;
};

// A file whose last line has waited for its newline longer than
// kUnterminatedAfter: Claude Code stopped mid-line (a crash, a cut
// connection), or is writing a very long line slowly.
struct UnterminatedFile {
  std::string path;
  int64_t bytes = 0;      // the line so far
  int64_t waiting_s = 0;  // since the file was last written
};
inline constexpr int64_t kUnterminatedAfterS = 60;

// What `cco status` shows.
struct StatusView {
  std::string db_path;
  bool running = false;
  std::optional<int> pid;
  bool db_exists = false;
  DatabaseStatus db;
  std::vector<int64_t> root_pending;  // per db.roots entry
  int64_t files_missing = 0;  // followed files gone from disk (archived at the next check)
  int64_t pending_bytes = 0;
  int64_t pending_files = 0;
  int64_t db_bytes = 0;
  int64_t wal_bytes = 0;
  std::vector<LaggingFile> lagging;
  std::vector<UnterminatedFile> unterminated;
  // The writer's last walk has not read everything it found: a backfill
  // under way, or one that was interrupted. Then `pending` is what it found
  // and has not read yet.
  bool walk_open = false;
  std::optional<int64_t> eta_s;  // of a backfill under way, from its rate so far
  // Entries below the roots that ingest cannot take (symlink loops, dangling
  // symlinks, unreadable), found by walking the roots now.
  std::vector<std::string> skipped;
  // Team servers this database pushes to (push.h): settings, last success,
  // last error, rows behind.
  std::vector<PushTarget> push;
};

// Reads the database at `db_path` (read-only; a missing one is an answer:
// db_exists false) and measures its files on disk. Errors carry the
// reader's ErrorKind.
absl::StatusOr<StatusView> CollectStatus(const std::string& db_path);

// `cco status --json` (one object, no trailing newline).
std::string StatusJson(const StatusView& status);

// `cco status --db postgresql://…`: what a team server holds, as far as the
// role may read: its messages and events, and each machine's push mark.
struct ServerStatusView {
  std::string server;  // the URL without its password (RedactedUrl)
  int64_t messages = 0;
  int64_t events = 0;
  std::vector<PushedMachine> machines;  // by name
};
absl::StatusOr<ServerStatusView> CollectServerStatus(PgReader& server, const std::string& url);
// Its --json (one object, no trailing newline).
std::string ServerStatusJson(const ServerStatusView& status);

}  // namespace cco

#endif  // CCO_CLI_STATUS_VIEW_H_
