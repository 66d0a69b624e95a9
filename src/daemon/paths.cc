#include "src/daemon/paths.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "src/errors.h"
#include "src/status.h"

namespace cco {

absl::StatusOr<std::string> ResolveDbPath(const std::string& flag_value) {
  if (!flag_value.empty()) return flag_value;
  const char* env = std::getenv("CCO_DB");
  if (env != nullptr && *env != '\0') return std::string(env);
  const char* xdg = std::getenv("XDG_DATA_HOME");
  if (xdg != nullptr && *xdg != '\0') return absl::StrCat(xdg, "/cco/cco.db");
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0') {
    return absl::FailedPreconditionError("no database path: set --db, CCO_DB, XDG_DATA_HOME or HOME");
  }
  return absl::StrCat(home, "/.local/share/cco/cco.db");
}

absl::Status EnsureDbDirectory(const std::string& db_path) {
  std::filesystem::path dir = std::filesystem::path(db_path).parent_path();
  if (dir.empty()) return absl::OkStatus();
  std::filesystem::path partial;
  for (const auto& part : dir) {
    partial /= part;
    if (::mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST) {
      return ErrnoStatus(errno, absl::StrCat("cannot create directory ", partial.string()));
    }
  }
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) return ErrnoStatus(errno, absl::StrCat("cannot use directory ", dir.string()));
  if (!S_ISDIR(st.st_mode)) return absl::FailedPreconditionError(absl::StrCat(dir.string(), " is not a directory"));
  return absl::OkStatus();
}

absl::Status CheckDbFlagDirectory(const std::string& db_path) {
  std::filesystem::path dir = std::filesystem::path(db_path).parent_path();
  if (dir.empty()) return absl::OkStatus();  // the current directory
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return absl::OkStatus();
  return WithKind(absl::InvalidArgumentError(absl::StrCat(
                      "--db ", db_path, ": the directory ", dir.string(),
                      ::stat(dir.c_str(), &st) == 0 ? " is not a directory" : " does not exist",
                      " (cco creates only its default location's directories; create it first)")),
                  ErrorKind::kNoDirectory);
}

}  // namespace cco
