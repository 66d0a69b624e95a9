// The ingest side of the data path: knows every transcript's state, decides
// what to read, tails it and hands chunks to the writer. Used by rescan and
// replay (one Reconcile) and by the daemon (Reconcile, then CheckPath per
// watcher hint).
//
// Thread-safety: one thread drives a Scanner; it talks to the writer only
// through Writer::Submit*.
#ifndef CCO_INGEST_SCANNER_H_
#define CCO_INGEST_SCANNER_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "ingest/env.h"
#include "ingest/line_parser.h"
#include "ingest/roots.h"
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
  // Where files are read and listed; null: Env::Default(). Must outlive the
  // scanner.
  Env* env = nullptr;
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
  // Entries below the roots not taken, as "<path>: <reason>": what the walk
  // could not take (a symlink loop, a dangling symlink, unreadable; see
  // WalkTranscripts) and *.jsonl files that are not transcripts (see
  // JudgeTranscript).
  std::vector<std::string> skipped;
  // *.jsonl files with no complete first line yet (empty, or a session
  // that just started): not read, not rejected; judged again when they
  // change.
  int64_t waiting = 0;
};

class Scanner {
 public:
  Scanner(Writer& writer, std::vector<FileState> states, ScanOptions options);

  // Walks `roots`, tails every new or changed transcript, archives the ones
  // that disappeared and follows moves (see Visit).
  absl::Status Reconcile(const std::vector<std::string>& roots, ScanReport* report);

  // Re-checks one path after a watcher hint. A path that no longer exists is
  // archived; one that does is visited like any file of a reconcile.
  absl::Status CheckPath(const std::string& root, const std::string& path, ScanReport* report);

  // True when the writer refused a chunk since the last Resync(): the states
  // kept here were apart from the committed ones for some file (a rename
  // chain that outran the reader, a file gone between event and open).
  bool NeedsResync() const { return writer_.refusals() != refusals_seen_; }
  // Takes the committed file states as its own, once everything submitted so
  // far is committed (waiting through ScanOptions::pace). A Reconcile
  // afterwards reads again whatever the refused chunks held.
  absl::Status Resync();

  // For one-shot commands after Reconcile: waits until everything is
  // committed and, while chunks were refused (files that moved while they
  // were read), resyncs and reconciles again, at most `max_passes` times.
  // Counts of the extra passes go into `report` (files are not counted
  // twice). NeedsResync() afterwards says whether anything is left.
  absl::Status Settle(const std::vector<std::string>& roots, ScanReport* report, int max_passes = 3);

  // The writer's ticket for the last item this scanner gave it (0: none
  // yet), for Writer::WaitCommitted.
  uint64_t last_ticket() const { return last_ticket_; }

 private:
  // Which files row the file `st` found at `path` continues, and then tails
  // it. Usually the path's own row. Otherwise (the path is new, or holds
  // another file than its row's) the row of a file that moved here: the
  // same (dev, inode) whose bytes still match (a rename), or failing that
  // the same first bytes (a replaced file renamed here), in both cases
  // only a row whose own path no longer holds its file (a file with one
  // link is where its descriptor says, whatever its old path showed a
  // moment before). A row that
  // held `path` but whose file is gone from it steps aside to a placeholder
  // path (FileChunk::displaced_to) until its file is found under its new
  // name, or it is archived. `search_moves` false skips the search (a
  // reconcile that found no row without its file).
  // Opens `path` once and decides and reads through that descriptor only.
  absl::Status Visit(const std::string& root, const std::string& path, bool search_moves, ScanReport* report,
                     int64_t* bytes_read);
  // The states a move changed, as they were (to undo it when nothing of
  // it reached the writer).
  struct MoveUndo {
    FileState source;                    // the moved row, under renamed_from
    std::optional<FileState> displaced;  // the row that held the path
  };
  absl::Status TailOne(const std::string& root, const std::string& path, RandomAccessFile& file, const FileInfo& info,
                       const std::string& renamed_from, const std::string& displaced_to,
                       const MoveUndo* before_move, ScanReport* report, int64_t* bytes_read);
  absl::Status Archive(const std::string& path, ScanReport* report);
  // `ticket`'s status, its ticket kept as last_ticket().
  absl::Status Submitted(const absl::StatusOr<uint64_t>& ticket);
  // Whether the file at `path`, which no row continues, is a transcript
  // (JudgeTranscript), counted in `report` as waiting or skipped when it is
  // not. Remembered per path while the file's (dev, inode, size, mtime)
  // stay, so an unchanged non-transcript is not read again every pass.
  absl::StatusOr<TranscriptVerdict> Judge(const std::string& root, const std::string& path, RandomAccessFile& file,
                                          const FileInfo& st, ScanReport* report);
  struct MoveSource {
    std::string key;          // the row's path here; "" when none
    bool same_inode = false;  // found by (dev, inode), not by first bytes
  };
  // The row whose file moved to `path` (see Visit).
  MoveSource FindMoveSource(const std::string& path, RandomAccessFile& file, const FileInfo& st) const;
  // The path of a live row that is another name (hard link) of the file
  // `st` found at `path`, or "".
  std::string LiveAlias(const std::string& path, const FileInfo& st) const;

  Writer& writer_;
  ScanOptions options_;
  Env& env_;
  LineParser parser_;
  absl::flat_hash_map<std::string, FileState> states_;  // by path
  int64_t refusals_seen_ = 0;
  uint64_t last_ticket_ = 0;  // see last_ticket()
  int64_t displaced_ = 0;  // placeholders handed out
  struct Judged {
    FileInfo info;
    TranscriptJudgement judgement;
  };
  absl::flat_hash_map<std::string, Judged> judged_;  // files not (yet) transcripts, by path
  bool walk_recorded_ = false;  // a walk of this scanner's is in the database
};

}  // namespace cco

#endif  // CCO_INGEST_SCANNER_H_
