// Failures a user can act on, as kinds carried in an absl::Status payload,
// so that a command chooses its exit code and a web page its answer from
// the kind, never from the message's text. The message stays what a person
// reads; the kind is what code branches on.
#ifndef CCO_SRC_ERRORS_H_
#define CCO_SRC_ERRORS_H_

#include <string_view>

#include "absl/status/status.h"

namespace cco {

enum class ErrorKind {
  kNone = 0,          // no kind attached: branch on the status code
  kNoDatabase,        // nothing at the database path (readers never create one)
  kNoDirectory,       // the directory a database path names does not exist
  kIsDirectory,       // the database path is a directory
  kNotCcoDatabase,    // not an SQLite file, or SQLite without cco's schema
  kNewerSchema,       // written by a newer cco (a migration this binary lacks)
  kOlderSchema,       // needs a migration a writing command applies
  kInUse,             // another cco writer holds the database's lock
  kCorrupt,           // SQLite reports the file damaged
  kPermission,        // the file or its directory cannot be opened
};

// `status` with `kind` attached (OK stays OK).
absl::Status WithKind(absl::Status status, ErrorKind kind);
// The kind attached to `status`; kNone when none is.
ErrorKind KindOf(const absl::Status& status);
// "<prefix>: <message>", keeping the code and every payload (the kind).
absl::Status Prefixed(const absl::Status& status, std::string_view prefix);

}  // namespace cco

#endif  // CCO_SRC_ERRORS_H_
