// Push: replicate the local database's committed rows into the team server
// (docs/team.md), incrementally and exactly once.
//
// Rows are read from SQLite by the change sequence (change_sequence.h), in
// batches of at most `batch_rows` rows: a batch is every replicable row and
// tombstone whose change_seq lies in (mark, bound], read in one SQLite read
// transaction, where `mark` is this machine's high-water mark on the server
// and `bound` the batch_rows-th change_seq above it. One PostgreSQL
// transaction upserts the batch by (machine, local key), applies its
// tombstones, and moves the mark to `bound`; so a push stopped at any
// instant resumes from the committed mark, and a batch sent twice changes
// nothing. The local writer never waits: SQLite in WAL mode lets this
// reader run beside it, and a row changed after its batch was read carries
// a larger change_seq, so a later batch brings it.
//
// Stored text travels decompressed (the server keeps messages.content as
// text for its tsvector index, raw lines as bytea, byte-exact), so the
// server needs no dictionaries. A NUL character in searchable text, which
// PostgreSQL's text cannot hold, is sent as U+FFFD.
//
// Privacy settings are kept per server in the local push_targets table and
// only ever widen: a push never sends what an earlier push to the same
// server was told to keep local (`usage_only`: no message text, raw lines,
// titles or tool input/output previews; `exclude_projects`: no row of those
// projects). A setting widened after rows were pushed takes them back: it is
// recorded with what it takes back (push_targets.take_back_*), and every
// push first reads the settings again and clears this machine's text on
// the server, or deletes its rows of the newly excluded projects, in one
// server transaction holding the machine's mark (so after any batch in
// flight), then clears the record; a push stopped in between takes them
// back again (clearing and deleting twice change nothing). A batch checks,
// holding the mark, that the settings did not widen since it was read.
// Credentials are never stored (push_targets keeps the URL without its
// password).
//
// Thread-safety: a Pusher belongs to one thread at a time.
#ifndef CCO_SRC_PUSH_H_
#define CCO_SRC_PUSH_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "src/pg.h"
#include "src/sqlite.h"

namespace cco {

struct PushOptions {
  std::string url;            // postgresql://…
  std::string machine;        // "": the one machine the server registers for this role
  bool usage_only = false;    // widens the stored setting, never narrows it
  std::vector<std::string> exclude_projects;  // added to the stored ones (a directory name or cwd)
  int64_t batch_rows = 5000;
  // Called inside each batch's open PostgreSQL transaction, after its rows
  // are written and before COMMIT (test hook: kill the process there).
  std::function<void(int64_t batch)> before_commit;
};

// The local record of a push target (push_targets), for `cco status`.
struct PushTarget {
  std::string target;          // URL without password
  std::string machine;
  bool usage_only = false;
  std::vector<std::string> excluded_projects;
  std::optional<int64_t> pushed_seq;   // the server's mark at the last success
  int64_t rows_pushed = 0;
  std::optional<int64_t> last_attempt_ms;
  std::optional<int64_t> last_success_ms;
  std::string last_error;      // "" after a success
  int64_t rows_behind = 0;     // local rows and tombstones above pushed_seq
};

struct PushResult {
  std::string machine;
  std::string user;
  int64_t rows = 0;       // rows and tombstones sent
  int64_t batches = 0;
  int64_t pushed_seq = 0; // the server's mark now
  // Rows taken back because a setting widened (cleared text, deleted rows
  // of newly excluded projects); 0 when nothing was taken back.
  int64_t taken_back = 0;
};

class Pusher {
 public:
  // Opens the local database at `db_path` (which must have every local
  // migration) and remembers the options; connects on the first Push.
  static absl::StatusOr<std::unique_ptr<Pusher>> Open(const std::string& db_path, PushOptions options);

  // Pushes until the server holds everything committed locally when the
  // last batch was read. On failure the connection is dropped (the next
  // call reconnects) and the error is recorded in push_targets.
  absl::StatusOr<PushResult> Push();

  const PushOptions& options() const { return options_; }
  // The last change sequence number committed locally (storage_state).
  absl::StatusOr<int64_t> LocalSeq();

 private:
  Pusher(Db db, PushOptions options) : db_(std::move(db)), options_(std::move(options)) {}
  absl::StatusOr<PushResult> PushOnce();
  // Reads the stored settings, widens them by the options, and records a
  // widening together with what it has to take back (pending_).
  absl::Status LoadSettings();
  // Clears or deletes on the server what pending_ names, then clears the
  // record; returns the rows changed.
  absl::StatusOr<int64_t> TakeBack(PgConn& pg, const std::string& machine);
  // Whether the stored settings keep more local than options_ (another push
  // widened them since they were read).
  absl::StatusOr<bool> SettingsWidened();
  absl::Status Record(const absl::Status& status, const PushResult& result);

  Db db_;
  PushOptions options_;
  std::optional<PgConn> conn_;
  bool staged_ = false;  // the connection's temporary staging tables exist
  // What the settings still have to take back from the server before the
  // next batch (push_targets.take_back_*; empty: nothing).
  struct Pending {
    bool text = false;                  // usage_only newly set
    std::vector<std::string> projects;  // newly excluded (as given)
  } pending_;
};

// Every push target recorded in the local database, with rows behind.
absl::StatusOr<std::vector<PushTarget>> ReadPushTargets(Db& db);

}  // namespace cco

#endif  // CCO_SRC_PUSH_H_
