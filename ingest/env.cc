// The Env helpers that do not depend on the implementation.
#include "ingest/env.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/types/optional.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "src/status.h"

namespace cco {
namespace {

constexpr char kErrnoPayload[] = "cco/errno";

}  // namespace

absl::Status FileError(int err, std::string_view context) {
  absl::Status status = ErrnoStatus(err, context);
  status.SetPayload(kErrnoPayload, absl::Cord(absl::StrCat(err)));
  return status;
}

std::optional<int> ErrnoOf(const absl::Status& status) {
  absl::optional<absl::Cord> payload = status.GetPayload(kErrnoPayload);
  int err = 0;
  if (!payload.has_value() || !absl::SimpleAtoi(std::string(*payload), &err)) return std::nullopt;
  return err;
}

absl::Status ReadFully(RandomAccessFile& file, int64_t offset, size_t n, std::string* out) {
  out->resize(n);
  size_t done = 0;
  while (done < n) {
    ASSIGN_OR_RETURN(size_t got, file.Read(offset + static_cast<int64_t>(done), n - done, out->data() + done));
    if (got == 0) {
      out->resize(done);
      return absl::OutOfRangeError("file ended before the bytes asked for");
    }
    done += got;
  }
  return absl::OkStatus();
}

}  // namespace cco
