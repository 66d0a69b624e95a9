// Where the database lives by default, and creating its directory safely.
#ifndef CCO_SRC_DAEMON_PATHS_H_
#define CCO_SRC_DAEMON_PATHS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cco {

// --db when given, else $CCO_DB, else ${XDG_DATA_HOME:-~/.local/share}/cco/cco.db.
absl::StatusOr<std::string> ResolveDbPath(const std::string& flag_value);

// Creates the database's parent directory (and missing ancestors) with mode
// 0700 where it creates one. For the configured locations only ($CCO_DB,
// the XDG default): a path given with --db is checked instead
// (CheckDbFlagDirectory), so that a typo does not plant a directory chain.
absl::Status EnsureDbDirectory(const std::string& db_path);

// OK when the directory of `db_path` (a --db value) exists; else
// InvalidArgument with ErrorKind::kNoDirectory (errors.h).
absl::Status CheckDbFlagDirectory(const std::string& db_path);

}  // namespace cco

#endif  // CCO_SRC_DAEMON_PATHS_H_
