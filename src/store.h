// The narrow storage interface the writer calls. SQLite is the embedded
// implementation (sqlite_store.h); a team PostgreSQL sink is a second one.
//
// Thread-safety: a Store belongs to the writer thread; nothing else calls it
// once the writer has started.
#ifndef CCO_SRC_STORE_H_
#define CCO_SRC_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "src/record.h"

namespace cco {

class RecordEncoder;

// What one commit (or a whole run) did.
struct CommitStats {
  int64_t lines = 0;        // non-empty lines accounted for
  int64_t bytes = 0;        // bytes of read position advanced
  int64_t messages = 0;     // rows inserted
  int64_t events = 0;
  int64_t quarantined = 0;
  int64_t duplicates = 0;   // lines already stored (re-read after replacement), revisions included
  int64_t revisions = 0;    // keyed lines seen again with other bytes that the row now shows
  // Chunks refused because they did not continue the committed state of
  // their file (the reader's view was stale: a rename chain that outran it,
  // a file gone between event and open). Nothing of them was applied; the
  // producer re-reads the committed state and the file again.
  int64_t refused = 0;
  std::vector<std::string> refusals;  // why, one per refused chunk
  absl::flat_hash_set<int64_t> conversations;  // ids touched
  absl::flat_hash_set<int64_t> projects;

  void Add(const CommitStats& other);
};

// Who writes, recorded when a writing command starts (for `cco status`
// from any shell: which command holds the lock, since when, on which roots).
struct WriterStart {
  std::string command;             // "watch", "rescan", "replay", "check"
  std::vector<std::string> roots;  // resolved roots it reads
};

// A walk of the roots (Scanner::Reconcile) and how far its reading is
// committed. Counts as ScanProgress: `files` every transcript found,
// `bytes` the bytes found not yet committed when the walk began.
struct WalkProgress {
  bool starting = false;  // the walk's first record (its totals)
  bool done = false;      // everything it found is read and committed
  int64_t files = 0;
  int64_t files_read = 0;
  int64_t bytes = 0;
  int64_t bytes_read = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // Every files row, archived ones included: the committed truth a reader
  // starts from, and re-reads after a refusal.
  virtual absl::StatusOr<std::vector<FileState>> LoadFileStates() = 0;

  // Commits the chunks (rows, derived data and each file's new state) and the
  // removals in one transaction: all of it or none of it. A chunk that does
  // not continue its file's committed state (its start is not the stored
  // read position, its generation is not the stored one or the next, it
  // renames a row that is not there or onto a path that has one) is refused
  // (Aborted, internally) before anything of it is applied: counted in stats->refused (and in the
  // database, for `cco status`) while the rest of the batch commits. This
  // check is what makes committing a line twice impossible. On error the
  // store is left as before the call.
  virtual absl::Status Commit(const std::vector<FileChunk>& chunks,
                              const std::vector<FileRemoval>& removals, CommitStats* stats) = 0;

  // Records who writes (replacing a previous writer's record and walk) and
  // a first heartbeat. Called once, before the writer starts.
  virtual absl::Status RecordStart(const WriterStart& start) = 0;

  // Records a walk's totals or progress; `walk` is committed truth: the
  // writer records it once everything submitted before it is committed.
  virtual absl::Status RecordWalk(const WalkProgress& walk) = 0;

  // Records the writer's heartbeat for `cco status`.
  virtual absl::Status Heartbeat(int64_t queue_depth) = 0;

  // Records why the service polls besides watching (empty: everything is
  // watched), for `cco status`.
  virtual absl::Status RecordPolling(const std::string& why) = 0;

  // Checkpoints the write-ahead log and truncates it (called when idle, so
  // the WAL stays bounded while readers come and go).
  virtual absl::Status Checkpoint() = 0;
  // Storage upkeep while idle, and once before the writer exits, one
  // bounded transaction per call (adding a compression dictionary trained
  // in the background, recompressing rows stored before one existed).
  // Returns true while more remains.
  virtual absl::StatusOr<bool> Maintain() = 0;

  // Gives back what the store caches that it can read again (SQLite's page
  // cache), when the writer goes idle. Never fails; the default has nothing
  // to give.
  virtual void ReleaseMemory() {}

  // Prepares records on the producers' threads so that Commit has less to
  // do (compresses their stored values: RecordEncoder in compressor.h).
  // Thread-safe; null when the store has nothing to prepare.
  virtual std::shared_ptr<const RecordEncoder> encoder() const { return nullptr; }
};

}  // namespace cco

#endif  // CCO_SRC_STORE_H_
