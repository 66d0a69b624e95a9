#include "src/change_sequence.h"

#include <sqlite3.h>

#include "src/status.h"

namespace cco {
namespace {

void NextSeq(sqlite3_context* ctx, int /*argc*/, sqlite3_value** /*argv*/) {
  sqlite3_result_int64(ctx, static_cast<ChangeSequence*>(sqlite3_user_data(ctx))->Next());
}

}  // namespace

absl::StatusOr<std::unique_ptr<ChangeSequence>> ChangeSequence::Attach(Db& db) {
  std::unique_ptr<ChangeSequence> seq(new ChangeSequence(db));
  // Not deterministic, and only for the writer's own statements (never from
  // a view or trigger).
  const int rc = sqlite3_create_function_v2(db.get(), "cco_change_seq", 0, SQLITE_UTF8 | SQLITE_DIRECTONLY,
                                            seq.get(), NextSeq, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return SqliteStatus(rc, db.get(), "cannot register cco_change_seq()");
  RETURN_IF_ERROR(seq->Load());
  return seq;
}

ChangeSequence::~ChangeSequence() {
  sqlite3_create_function_v2(db_.get(), "cco_change_seq", 0, SQLITE_UTF8, nullptr, nullptr, nullptr, nullptr,
                             nullptr);
}

absl::Status ChangeSequence::Load() {
  ASSIGN_OR_RETURN(last_, CommittedChangeSeq(db_));
  saved_ = last_;
  return absl::OkStatus();
}

absl::Status ChangeSequence::Save() {
  if (last_ == saved_) return absl::OkStatus();
  ASSIGN_OR_RETURN(Stmt s, db_.Prepare("UPDATE storage_state SET change_seq = ?1 WHERE id = 1", true));
  RETURN_IF_ERROR(s.Bind(1, last_).Run());
  saved_ = last_;
  return absl::OkStatus();
}

absl::StatusOr<int64_t> CommittedChangeSeq(Db& db) {
  ASSIGN_OR_RETURN(std::optional<int64_t> v, db.QueryInt("SELECT change_seq FROM storage_state WHERE id = 1"));
  return v.value_or(0);
}

}  // namespace cco
