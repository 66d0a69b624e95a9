#include "src/writer.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "absl/base/config.h"
#include "absl/time/clock.h"
#include "spdlog/spdlog.h"
#include "src/compressor.h"
#include "src/status.h"
#include "src/synced_lock.h"


namespace cco {
namespace {

// mu->AwaitWithTimeout(ready), annotated. abseil evaluates a waiter's
// condition on whichever thread holds or releases `mu`, so the condition
// acquires and releases too. REQUIRES: `mu` held (through a SyncedLock).
template <typename Ready>
bool AwaitSynced(absl::Mutex* mu, Ready& ready, absl::Duration timeout = absl::InfiniteDuration())
    ABSL_NO_THREAD_SAFETY_ANALYSIS {
  auto synced = [mu, &ready]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
    TsanAcquire(mu);
    const bool result = ready();
    TsanRelease(mu);
    return result;
  };
  const absl::Condition condition(&synced);
  TsanRelease(mu);
  const bool result = mu->AwaitWithTimeout(condition, timeout);
  TsanAcquire(mu);
  return result;
}

// What a chunk holds in memory, near enough for a budget: each record
// itself, its long strings (their capacity) and the vector's spare room.
int64_t RecordBytes(const FileChunk& chunk) {
  size_t bytes = sizeof(FileChunk) + chunk.records.capacity() * sizeof(LineRecord);
  for (const LineRecord& r : chunk.records) {
    bytes += r.raw.capacity() + r.content.capacity() + r.tool_use_result_text.capacity() +
             r.raw_encoded.frame.capacity() + r.content_encoded.frame.capacity();
    for (const ToolUse& use : r.tool_uses) bytes += sizeof(ToolUse) + use.input_json.capacity();
    for (const ToolResult& result : r.tool_results) bytes += sizeof(ToolResult) + result.text.capacity();
  }
  return static_cast<int64_t>(bytes);
}

}  // namespace

Writer::Writer(std::unique_ptr<Store> store, WriterOptions options)
    : store_(std::move(store)), encoder_(store_->encoder()), options_(options) {}

Writer::~Writer() { (void)Stop(); }

void Writer::Start() { thread_ = std::thread([this] { Run(); }); }

absl::StatusOr<uint64_t> Writer::Submit(FileChunk chunk) {
  // Compression on the caller's thread, outside the lock: the writer thread
  // then only binds (compressing was a fifth of its time).
  if (encoder_ != nullptr) {
    for (LineRecord& rec : chunk.records) encoder_->Encode(rec);
  }
  Item item;
  item.bytes = RecordBytes(chunk);
  const size_t records = chunk.records.size();
  item.chunk = std::move(chunk);
  SyncedLock lock(&mu_);
  // Back-pressure: wait for room, but always admit when nothing is in flight
  // so a single huge chunk cannot deadlock. In flight counts what the writer
  // is committing too: that memory is held until its commit, so the budget
  // bounds queue and batch together.
  auto room = [this, &item]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !error_.ok() || stopping_ || inflight_bytes_ == 0 ||
           inflight_bytes_ + item.bytes <= options_.max_queued_bytes;
  };
  AwaitSynced(&mu_, room);
  if (!error_.ok()) return error_;
  if (stopping_) return absl::CancelledError("writer is stopping");
  if (queue_.empty()) oldest_ = absl::Now();
  queued_bytes_ += item.bytes;
  inflight_bytes_ += item.bytes;
  queued_records_ += records;
  queue_.push_back(std::move(item));
  return ++submitted_;
}

absl::StatusOr<uint64_t> Writer::SubmitRemoval(FileRemoval removal) {
  SyncedLock lock(&mu_);
  if (!error_.ok()) return error_;
  Item item;
  item.removal = std::move(removal);
  if (queue_.empty()) oldest_ = absl::Now();
  queue_.push_back(std::move(item));
  return ++submitted_;
}

absl::StatusOr<uint64_t> Writer::EnqueueLocked(Item item) {
  if (!error_.ok()) return error_;
  if (stopping_) return absl::CancelledError("writer is stopping");
  if (queue_.empty()) oldest_ = absl::Now();
  queue_.push_back(std::move(item));
  return ++submitted_;
}

absl::StatusOr<uint64_t> Writer::SubmitWalk(const WalkProgress& walk) {
  Item item;
  item.walk = walk;
  SyncedLock lock(&mu_);
  return EnqueueLocked(std::move(item));
}

absl::Status Writer::Flush() {
  SyncedLock lock(&mu_);
  const uint64_t target = submitted_;
  ++flush_waiters_;
  auto done = [this, target]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return committed_ >= target || !error_.ok();
  };
  AwaitSynced(&mu_, done);
  --flush_waiters_;
  return error_;
}

absl::Status Writer::Stop() {
  {
    SyncedLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
  SyncedLock lock(&mu_);
  return error_;
}

absl::Status Writer::WaitCommitted(uint64_t ticket, absl::Time deadline) {
  SyncedLock lock(&mu_);
  auto done = [this, ticket]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return committed_ >= ticket || !error_.ok(); };
  bool reached = done();
  if (!reached && deadline > absl::Now()) {
    ++flush_waiters_;  // a waiter: commit now rather than after the batch delay
    reached = AwaitSynced(&mu_, done, deadline - absl::Now());
    --flush_waiters_;
  }
  if (!error_.ok()) return error_;
  if (!reached) return absl::DeadlineExceededError("not committed yet");
  return absl::OkStatus();
}

absl::Status Writer::WaitQueuedBytesAtMost(int64_t bytes, absl::Time deadline) {
  SyncedLock lock(&mu_);
  auto below = [this, bytes]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return queued_bytes_ <= bytes || !error_.ok(); };
  bool reached = below();
  if (!reached && deadline > absl::Now()) reached = AwaitSynced(&mu_, below, deadline - absl::Now());
  if (!error_.ok()) return error_;
  if (!reached) return absl::DeadlineExceededError("the writer's queue is still over the bound");
  return absl::OkStatus();
}

absl::Status Writer::status() const {
  SyncedLock lock(&mu_);
  return error_;
}

void Writer::OnError(std::function<void()> callback) {
  SyncedLock lock(&mu_);
  on_error_ = std::move(callback);
}

int64_t Writer::refusals() const {
  SyncedLock lock(&mu_);
  return refusals_;
}

absl::Status Writer::ReleaseMemory() {
  Item item;
  item.release_memory = true;
  uint64_t ticket;
  {
    SyncedLock lock(&mu_);
    ASSIGN_OR_RETURN(ticket, EnqueueLocked(std::move(item)));
  }
  return WaitCommitted(ticket, absl::InfiniteFuture());
}

void Writer::GiveBackMemory() {
  store_->ReleaseMemory();
#ifdef __GLIBC__
  ::malloc_trim(0);
#endif
}

absl::StatusOr<uint64_t> Writer::RequestFileStates() {
  Item item;
  item.load_states = true;
  SyncedLock lock(&mu_);
  ASSIGN_OR_RETURN(states_ticket_, EnqueueLocked(std::move(item)));
  states_answer_.reset();
  return states_ticket_;
}

absl::StatusOr<std::vector<FileState>> Writer::TakeFileStates(uint64_t ticket, absl::Duration timeout) {
  SyncedLock lock(&mu_);
  ++flush_waiters_;
  auto answered = [this, ticket]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !error_.ok() || (states_answer_.has_value() && states_answer_ticket_ == ticket);
  };
  const bool reached = AwaitSynced(&mu_, answered, timeout);
  --flush_waiters_;
  if (!error_.ok()) return error_;
  if (states_ticket_ != ticket) return absl::FailedPreconditionError("file states request superseded");
  if (!reached) return absl::DeadlineExceededError("file states not read yet");
  absl::StatusOr<std::vector<FileState>> answer = std::move(*states_answer_);
  states_answer_.reset();
  return answer;
}

CommitStats Writer::stats() const {
  SyncedLock lock(&mu_);
  return stats_;
}

int64_t Writer::queued_bytes() const {
  SyncedLock lock(&mu_);
  return queued_bytes_;
}

bool Writer::BatchReady() const {
  if (queue_.empty()) return false;
  return stopping_ || flush_waiters_ > 0 || queued_records_ >= options_.max_batch_records ||
         queued_bytes_ >= options_.max_batch_bytes ||
         absl::Now() - oldest_ >= options_.max_batch_delay;
}

absl::Status Writer::CommitWithRetry(std::vector<FileChunk>& chunks, std::vector<FileRemoval>& removals,
                                     CommitStats* stats) {
  absl::Duration backoff = absl::Milliseconds(10);
  for (int attempt = 0;; ++attempt) {
    absl::Status s = store_->Commit(chunks, removals, stats);
    if (s.ok()) return s;
    if (absl::IsUnavailable(s) && attempt < 50) {
      spdlog::warn("database busy, retrying attempt={} error=\"{}\"", attempt + 1, s.message());
    } else if (absl::IsResourceExhausted(s)) {
      // Disk full: nothing is lost (the batch rolled back), so wait for room.
      spdlog::error("cannot commit, waiting for space error=\"{}\"", s.message());
      backoff = absl::Seconds(5);
      SyncedLock lock(&mu_);
      if (stopping_ && attempt > 3) return s;
    } else {
      return s;
    }
    absl::SleepFor(backoff);
    backoff = std::min(backoff * 2, absl::Seconds(5));
  }
}

void Writer::Run() {
  absl::Time last_heartbeat = absl::InfinitePast();
  int64_t committed_since_release = 0;  // bytes of records committed since memory was given back
  absl::Time drained_at = absl::Now();   // when the last batch was committed
  while (true) {
    std::deque<Item> work;
    {
      SyncedLock lock(&mu_);
      while (!BatchReady()) {
        if (stopping_ && queue_.empty()) break;
        const bool was_empty = queue_.empty();
        if (was_empty && maintenance_pending_) break;  // idle: storage upkeep first
        if (was_empty && absl::Now() - last_heartbeat >= options_.heartbeat_every) break;
        const bool release_due = was_empty && committed_since_release >= kReleaseAfterBytes;
        if (release_due && absl::Now() - drained_at >= kReleaseWhenIdleFor) break;
        // Wake for the first item, a full batch, a flush, a stop, the batch
        // deadline, or the moment to give memory back.
        absl::Duration wait = was_empty ? options_.heartbeat_every
                                        : options_.max_batch_delay - (absl::Now() - oldest_);
        if (release_due) wait = std::min(wait, kReleaseWhenIdleFor - (absl::Now() - drained_at));
        if (wait < absl::ZeroDuration()) wait = absl::ZeroDuration();
        // A flush waiter only matters while there is something to commit;
        // waking for it with an empty queue would spin and starve it.
        auto wake = [this, was_empty]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return stopping_ || (flush_waiters_ > 0 && !queue_.empty()) || (was_empty && !queue_.empty()) ||
                 queued_records_ >= options_.max_batch_records ||
                 queued_bytes_ >= options_.max_batch_bytes;
        };
        AwaitSynced(&mu_, wake, wait);
      }
      if (stopping_ && queue_.empty()) break;
      if (BatchReady()) {
        work.swap(queue_);  // take the whole queue; work on it outside the lock
        queued_bytes_ = 0;
        queued_records_ = 0;
      }
    }
    if (work.empty()) {
      if (maintenance_pending_) {
        // One bounded transaction, then the queue is looked at again.
        absl::StatusOr<bool> more = store_->Maintain();
        if (!more.ok()) spdlog::warn("storage upkeep failed error=\"{}\"", more.status().message());
        maintenance_pending_ = more.ok() && *more;
        continue;
      }
      // Idle after a burst (a backfill, a big append): the page cache and
      // the freed batches go back to the system until the next one.
      if (committed_since_release >= kReleaseAfterBytes && absl::Now() - drained_at >= kReleaseWhenIdleFor) {
        GiveBackMemory();
        committed_since_release = 0;
      }
      if (absl::Now() - last_heartbeat >= options_.heartbeat_every) {
        if (!HeartbeatOk(0)) return;
        last_heartbeat = absl::Now();
        // Idle: fold the WAL (heartbeat included) back into the database so
        // it stays small, and give back the page cache.
        if (absl::Status s = store_->Checkpoint(); !s.ok()) {
          spdlog::warn("checkpoint failed error=\"{}\"", s.message());
        }
      }
      continue;
    }
    // Commit in batches bounded by records and bytes.
    absl::Status status;
    while (!work.empty() && status.ok()) {
      std::vector<FileChunk> chunks;
      std::vector<FileRemoval> removals;
      size_t records = 0;
      int64_t bytes = 0;
      uint64_t items = 0;
      std::optional<WalkProgress> walk;  // the latest walk record behind this batch's chunks
      while (!work.empty() && (items == 0 || (records < options_.max_batch_records &&
                                              bytes < options_.max_batch_bytes))) {
        Item& item = work.front();
        if (item.load_states || item.release_memory) break;  // below, after what precedes it
        if (item.walk.has_value()) {
          // Walk records ride along: one that nothing uncommitted precedes
          // is recorded now; a later one after this batch commits.
          if (items == 0) {
            RecordWalk(*item.walk);
            work.pop_front();
            SyncedLock lock(&mu_);
            ++committed_;
          } else {
            walk = std::move(item.walk);
            work.pop_front();
            ++items;
          }
          continue;
        }
        // Removals and chunks apply in their own transactions, so a path
        // removed and created again keeps the order it happened in.
        const bool is_removal = item.removal.has_value();
        if (items > 0 && is_removal != !removals.empty()) break;
        if (is_removal) {
          removals.push_back(std::move(*item.removal));
        } else {
          records += item.chunk.records.size();
          bytes += item.bytes;
          chunks.push_back(std::move(item.chunk));
        }
        work.pop_front();
        ++items;
      }
      if (items == 0 && (work.empty() || !(work.front().load_states || work.front().release_memory))) {
        continue;  // walk records only
      }
      if (items == 0 && work.front().release_memory) {
        // A ReleaseMemory() barrier: everything before it is committed.
        work.pop_front();
        GiveBackMemory();
        committed_since_release = 0;
        SyncedLock lock(&mu_);
        ++committed_;
        continue;
      }
      if (items == 0) {
        // A RequestFileStates() barrier: everything before it is committed.
        absl::StatusOr<std::vector<FileState>> states = store_->LoadFileStates();
        work.pop_front();
        SyncedLock lock(&mu_);
        states_answer_ = std::move(states);
        states_answer_ticket_ = committed_ + 1;  // items are answered in submission order
        ++committed_;
        continue;
      }
      CommitStats batch_stats;
      if (!chunks.empty() || !removals.empty()) status = CommitWithRetry(chunks, removals, &batch_stats);
      if (status.ok() && walk.has_value()) RecordWalk(*walk);
      if (status.ok()) {
        for (const std::string& why : batch_stats.refusals) {
          spdlog::warn("chunk refused, its file will be re-read from the committed state reason=\"{}\"", why);
        }
        batch_stats.refusals.clear();
        // Free the committed records before making room for more.
        chunks = {};
        committed_since_release += bytes;
        maintenance_pending_ = true;
        SyncedLock lock(&mu_);
        inflight_bytes_ -= bytes;
        refusals_ += batch_stats.refused;
        stats_.Add(batch_stats);
        committed_ += items;
      }
    }
    int64_t depth;
    {
      SyncedLock lock(&mu_);
      if (!status.ok()) {
        spdlog::error("writer stopped on error error=\"{}\"", status.message());
        error_ = status;
        if (on_error_) on_error_();
        return;
      }
      depth = static_cast<int64_t>(queue_.size());
    }
    drained_at = absl::Now();
    if (absl::Now() - last_heartbeat >= absl::Seconds(1)) {
      if (!HeartbeatOk(depth)) return;
      last_heartbeat = absl::Now();
    }
  }
  // What the batches left for upkeep (a dictionary being trained, rows to
  // recompress): one bounded transaction before exiting, as when idle.
  if (maintenance_pending_) {
    if (absl::StatusOr<bool> more = store_->Maintain(); !more.ok()) {
      spdlog::warn("storage upkeep before exit failed error=\"{}\"", more.status().message());
    }
  }
  (void)HeartbeatOk(0);
}

void Writer::RecordWalk(const WalkProgress& walk) {
  if (absl::Status s = store_->RecordWalk(walk); !s.ok()) {
    spdlog::warn("cannot record the walk's progress error=\"{}\"", s.message());
  }
}

void Writer::SetPolling(std::string why) {
  SyncedLock lock(&mu_);
  if (why == polling_) return;
  polling_ = std::move(why);
  polling_changed_ = true;
}

bool Writer::HeartbeatOk(int64_t queue_depth) {
  std::optional<std::string> polling;
  {
    SyncedLock lock(&mu_);
    if (polling_changed_) polling = polling_;
    polling_changed_ = false;
  }
  if (polling.has_value()) {
    if (absl::Status p = store_->RecordPolling(*polling); !p.ok()) {
      spdlog::warn("cannot record polling error=\"{}\"", p.message());
    }
  }
  absl::Status s = store_->Heartbeat(queue_depth);
  if (s.ok()) return true;
  if (!absl::IsDataLoss(s)) {
    spdlog::warn("heartbeat failed error=\"{}\"", s.message());
    return true;
  }
  spdlog::error("writer stopped on error error=\"{}\"", s.message());
  SyncedLock lock(&mu_);
  error_ = s;
  if (on_error_) on_error_();
  return false;
}

}  // namespace cco
