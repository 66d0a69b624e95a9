// The change sequence (docs/schema.md "Change sequence"): every insert and
// every change of a row a replica may copy (messages, events, tool
// executions, usage winners, conversations, projects) sets the row's
// change_seq to a new, strictly increasing number, and deletions leave
// tombstones with their own. A replica reads each table in
// (change_seq, id) order from its high-water mark.
//
// Writers' statements call the SQL function cco_change_seq(), registered on
// the writing connection by Attach(): each call returns the next number.
// The last number handed out is saved in storage_state by Save(), inside the
// same transaction, so a committed row's number is never handed out again;
// a rolled-back transaction only leaves a gap.
//
// Thread-safety: belongs to the thread that owns the connection.
#ifndef CCO_SRC_CHANGE_SEQUENCE_H_
#define CCO_SRC_CHANGE_SEQUENCE_H_

#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "src/sqlite.h"

namespace cco {

class ChangeSequence {
 public:
  // Registers cco_change_seq() on `db` and reads the last number handed
  // out. `db` must outlive the returned object's use of it; the function is
  // removed when the object is destroyed.
  static absl::StatusOr<std::unique_ptr<ChangeSequence>> Attach(Db& db);
  ~ChangeSequence();

  // Re-reads the last committed number (after a rollback).
  absl::Status Load();
  // Records the last number handed out; call inside the open transaction.
  absl::Status Save();
  // Hands out the next number (what cco_change_seq() returns).
  int64_t Next() { return ++last_; }

 private:
  explicit ChangeSequence(Db& db) : db_(db) {}
  Db& db_;
  int64_t last_ = 0;
  int64_t saved_ = 0;
};

// The last number a committed transaction saved (0 when none was handed
// out yet): the database's version, which grows with every change a
// replica or a page showing the data would see.
absl::StatusOr<int64_t> CommittedChangeSeq(Db& db);

}  // namespace cco

#endif  // CCO_SRC_CHANGE_SEQUENCE_H_
