// The ingest side of the data path: knows every transcript's state, decides
// what to read, tails it and hands chunks to the writer. Used by rescan and
// replay (one Reconcile) and by the daemon (Reconcile, then CheckPath per
// watcher hint).
//
// Thread-safety: one thread drives a Scanner; it talks to the writer only
// through Writer::Submit*.
#ifndef CCO_INGEST_SCANNER_H_
#define CCO_INGEST_SCANNER_H_

#include <sys/stat.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "ingest/line_parser.h"
#include "ingest/tailer.h"
#include "src/writer.h"

namespace cco {

struct ScanProgress {
  int64_t files_done = 0;
  int64_t files_total = 0;
  int64_t bytes_done = 0;
  int64_t bytes_total = 0;  // bytes pending when the pass started
};

struct ScanOptions {
  TailOptions tail;
  // Re-verify the fingerprints of files whose size and mtime did not change
  // (rescan does; the daemon's periodic reconcile trusts stat).
  bool verify_unchanged = true;
  std::function<void(const ScanProgress&)> progress;  // called after each file
  // Called on the scanning thread before each file and before each chunk goes
  // to the writer. A non-OK status ends the pass and is returned; the Scanner
  // must not be used after that (its state may be ahead of the writer). The
  // daemon stops on SIGTERM this way, and waits here, pinging its watchdog,
  // while the writer's queue is full.
  std::function<absl::Status()> pace;
};

struct ScanReport {
  int64_t files = 0;          // transcript files visited
  int64_t new_generations = 0;
  int64_t removed = 0;        // paths that disappeared (archived)
  int64_t renamed = 0;
  std::vector<std::string> errors;  // per-file problems; the pass went on
};

class Scanner {
 public:
  Scanner(Writer& writer, std::vector<FileState> states, ScanOptions options);

  // Walks `roots`, tails every new or changed transcript, archives the ones
  // that disappeared and follows renames (same inode, new path).
  absl::Status Reconcile(const std::vector<std::string>& roots, ScanReport* report);

  // Re-checks one path after a watcher hint. A path that no longer exists is
  // archived. An unknown path holding a known file whose old path is gone
  // (same dev and inode) is that file renamed: its row moves, nothing is
  // re-read.
  absl::Status CheckPath(const std::string& root, const std::string& path, ScanReport* report);

 private:
  absl::Status TailOne(const std::string& root, const std::string& path, const std::string& renamed_from,
                       ScanReport* report, int64_t* bytes_read);
  absl::Status Archive(const std::string& path, ScanReport* report);
  // The known path whose file `st` (found at `path`) is, if that path is gone.
  std::string FindRenameSource(const std::string& path, const struct stat& st) const;
  // Whether a live row's path is another name (hard link) of the file `st`.
  bool HasLiveAlias(const std::string& path, const struct stat& st) const;

  Writer& writer_;
  ScanOptions options_;
  LineParser parser_;
  absl::flat_hash_map<std::string, FileState> states_;  // by path
};

}  // namespace cco

#endif  // CCO_INGEST_SCANNER_H_
