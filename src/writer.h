// The single writer: the only thread that writes the database. Producers
// Submit() owned FileChunks into a bounded queue (back-pressure by bytes); the
// writer takes the whole queue at once and commits it in batches, each one
// transaction holding the rows, the derived data and the files' new state.
//
// A batch closes at max_batch_records records, max_batch_bytes bytes, or
// max_batch_delay after its first chunk arrived. A busy database is retried;
// disk full waits and retries. A chunk that does not continue its file's
// committed state is refused by the store (see Store::Commit): the writer
// counts it (refusals()) and goes on; the producer then re-reads the
// committed file states (RequestFileStates) and the file. Any other error
// (the database gone, corrupt or replaced) stops the writer and is returned
// to the next Submit/Flush/Stop.
//
// Every Submit* returns its item's ticket (tickets rise in submission
// order); WaitCommitted(ticket, deadline) waits until everything up to it is
// committed.
#ifndef CCO_SRC_WRITER_H_
#define CCO_SRC_WRITER_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "src/memory_budget.h"
#include "src/store.h"

namespace cco {

struct WriterOptions {
  size_t max_batch_records = 20000;
  int64_t max_batch_bytes = kWriterBatchBytes;
  absl::Duration max_batch_delay = absl::Milliseconds(50);
  // Producers block while the chunks submitted and not yet committed (queued
  // or in the batch being committed) hold more than this (RecordBytes: the
  // records' memory); a chunk is always admitted when nothing is in flight.
  int64_t max_queued_bytes = kWriterInFlightBytes;
  absl::Duration heartbeat_every = absl::Seconds(30);  // idle heartbeat + WAL checkpoint
};

class Writer {
 public:
  Writer(std::unique_ptr<Store> store, WriterOptions options);
  ~Writer();  // stops the thread if still running (queued work is committed)

  void Start();

  // Queues a chunk; blocks while the queue is over max_queued_bytes.
  // Returns its ticket, or the writer's error if it has stopped on one.
  absl::StatusOr<uint64_t> Submit(FileChunk chunk);
  absl::StatusOr<uint64_t> SubmitRemoval(FileRemoval removal);
  // Queues a walk's totals or progress, recorded (Store::RecordWalk) once
  // everything submitted before it is committed, without closing a batch.
  // A failure to record it is logged, never fatal.
  absl::StatusOr<uint64_t> SubmitWalk(const WalkProgress& walk);

  // Waits until everything submitted before the call is committed.
  absl::Status Flush();

  // OK once everything up to `ticket` (a Submit*'s) is committed (or
  // refused); DeadlineExceeded if that is not so by `deadline`; the writer's
  // error if it stopped on one. A waiter makes the writer commit at once; a
  // deadline already past only looks (the batch delay is kept).
  absl::Status WaitCommitted(uint64_t ticket, absl::Time deadline);

  // OK once the chunks queued and not yet taken into a batch hold at most
  // `bytes` (RecordBytes, as queued_bytes()); DeadlineExceeded if they still
  // hold more at `deadline`; the writer's error if it stopped on one. For a
  // producer that paces itself below max_queued_bytes instead of blocking in
  // Submit.
  absl::Status WaitQueuedBytesAtMost(int64_t bytes, absl::Time deadline);

  // Chunks refused so far (see the class comment). Thread-safe.
  int64_t refusals() const;

  // OK while the writer runs; its error once it stopped on one.
  absl::Status status() const;
  // Called (on the writer thread) when the writer stops on an error, so a
  // thread waiting elsewhere (the daemon's watcher) wakes and sees it.
  void OnError(std::function<void()> callback);

  // Why the caller polls besides watching (empty: everything is watched);
  // recorded (Store::RecordPolling) with the next heartbeat, within a
  // second of the next commit or at the idle heartbeat.
  void SetPolling(std::string why);

  // Asks for every committed files row, read after everything submitted
  // before this call is committed. Returns the request's ticket; one request
  // at a time.
  absl::StatusOr<uint64_t> RequestFileStates();
  // The answer to the request `ticket`, waiting at most `timeout`
  // (DeadlineExceeded: not yet; ask again).
  absl::StatusOr<std::vector<FileState>> TakeFileStates(uint64_t ticket, absl::Duration timeout);

  // Waits until everything submitted before the call is committed, then has
  // the writer thread give back the memory it can (the store's cache, and
  // freed heap to the system). The daemon calls it after its backfill; the
  // writer does the same by itself once it has been idle for
  // kReleaseWhenIdleFor after committing more than kReleaseAfterBytes.
  absl::Status ReleaseMemory();
  static constexpr int64_t kReleaseAfterBytes = 4 << 20;
  static constexpr absl::Duration kReleaseWhenIdleFor = absl::Seconds(1);

  // Commits what is queued, then joins the thread. Idempotent.
  absl::Status Stop();

  // Totals over every commit so far. Thread-safe.
  CommitStats stats() const;
  int64_t queued_bytes() const;

 private:
  struct Item {
    FileChunk chunk;
    std::optional<FileRemoval> removal;
    std::optional<WalkProgress> walk;
    bool load_states = false;  // a RequestFileStates() barrier
    bool release_memory = false;  // a ReleaseMemory() barrier
    int64_t bytes = 0;
  };

  void Run();
  // Queues `item` unless the writer stopped (its error) or is stopping
  // (Cancelled); returns its ticket.
  absl::StatusOr<uint64_t> EnqueueLocked(Item item) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status CommitWithRetry(std::vector<FileChunk>& chunks, std::vector<FileRemoval>& removals,
                               CommitStats* stats);
  bool BatchReady() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Records the heartbeat. False (and the writer's error set) when the
  // database was deleted or replaced; other failures are logged.
  bool HeartbeatOk(int64_t queue_depth);
  void RecordWalk(const WalkProgress& walk);
  // The store's cache and malloc's free memory back to the system. Writer
  // thread only.
  void GiveBackMemory();

  std::unique_ptr<Store> store_;  // writer thread only
  const std::shared_ptr<const RecordEncoder> encoder_;  // any thread (null: the store compresses)
  bool maintenance_pending_ = true;  // writer thread only: Store::Maintain has more to do
  const WriterOptions options_;

  mutable absl::Mutex mu_;
  std::deque<Item> queue_ ABSL_GUARDED_BY(mu_);
  int64_t queued_bytes_ ABSL_GUARDED_BY(mu_) = 0;    // queued, not yet taken
  int64_t inflight_bytes_ ABSL_GUARDED_BY(mu_) = 0;  // submitted, not yet committed
  size_t queued_records_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time oldest_ ABSL_GUARDED_BY(mu_);
  uint64_t submitted_ ABSL_GUARDED_BY(mu_) = 0;   // items submitted
  uint64_t committed_ ABSL_GUARDED_BY(mu_) = 0;   // items committed
  int flush_waiters_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status error_ ABSL_GUARDED_BY(mu_);
  CommitStats stats_ ABSL_GUARDED_BY(mu_);
  int64_t refusals_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t states_ticket_ ABSL_GUARDED_BY(mu_) = 0;  // the open RequestFileStates
  std::optional<absl::StatusOr<std::vector<FileState>>> states_answer_ ABSL_GUARDED_BY(mu_);
  uint64_t states_answer_ticket_ ABSL_GUARDED_BY(mu_) = 0;  // the request states_answer_ answers
  std::function<void()> on_error_ ABSL_GUARDED_BY(mu_);
  std::string polling_ ABSL_GUARDED_BY(mu_);
  bool polling_changed_ ABSL_GUARDED_BY(mu_) = false;

  std::thread thread_;
};

}  // namespace cco

#endif  // CCO_SRC_WRITER_H_
