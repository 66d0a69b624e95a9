// The single writer: the only thread that writes the database. Producers
// Submit() owned FileChunks into a bounded queue (back-pressure by bytes); the
// writer takes the whole queue at once and commits it in batches, each one
// transaction holding the rows, the derived data and the files' new state.
//
// A batch closes at max_batch_records records, max_batch_bytes bytes, or
// max_batch_delay after its first chunk arrived. A busy database is retried;
// disk full waits and retries; any other error stops the writer and is
// returned to the next Submit/Flush/Stop.
#ifndef CCO_SRC_WRITER_H_
#define CCO_SRC_WRITER_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "src/store.h"

namespace cco {

struct WriterOptions {
  size_t max_batch_records = 20000;
  int64_t max_batch_bytes = 16 << 20;
  absl::Duration max_batch_delay = absl::Milliseconds(50);
  int64_t max_queued_bytes = 32 << 20;  // producers block above this
  absl::Duration heartbeat_every = absl::Seconds(30);  // idle heartbeat + WAL checkpoint
};

class Writer {
 public:
  Writer(std::unique_ptr<Store> store, WriterOptions options);
  ~Writer();  // stops the thread if still running (queued work is committed)

  void Start();

  // Queues a chunk; blocks while the queue is over max_queued_bytes.
  // Returns the writer's error if it has stopped on one.
  absl::Status Submit(FileChunk chunk);
  absl::Status SubmitRemoval(FileRemoval removal);

  // Waits until everything submitted before the call is committed.
  absl::Status Flush();

  // Commits what is queued, then joins the thread. Idempotent.
  absl::Status Stop();

  // Totals over every commit so far. Thread-safe.
  CommitStats stats() const;
  int64_t queued_bytes() const;

 private:
  struct Item {
    FileChunk chunk;
    std::optional<FileRemoval> removal;
    int64_t bytes = 0;
  };

  void Run();
  absl::Status CommitWithRetry(std::vector<FileChunk>& chunks, std::vector<FileRemoval>& removals,
                               CommitStats* stats);
  bool BatchReady() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  std::unique_ptr<Store> store_;  // writer thread only
  const WriterOptions options_;

  mutable absl::Mutex mu_;
  std::deque<Item> queue_ ABSL_GUARDED_BY(mu_);
  int64_t queued_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  size_t queued_records_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time oldest_ ABSL_GUARDED_BY(mu_);
  uint64_t submitted_ ABSL_GUARDED_BY(mu_) = 0;   // items submitted
  uint64_t committed_ ABSL_GUARDED_BY(mu_) = 0;   // items committed
  int flush_waiters_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status error_ ABSL_GUARDED_BY(mu_);
  CommitStats stats_ ABSL_GUARDED_BY(mu_);

  std::thread thread_;
};

}  // namespace cco

#endif  // CCO_SRC_WRITER_H_
