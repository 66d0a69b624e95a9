#include "ingest/fs_util.h"

#include <climits>
#include <cerrno>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "src/status.h"

namespace cco {

bool IsJsonlName(absl::string_view name) { return name.size() > 6 && absl::EndsWith(name, ".jsonl"); }

std::string JoinPath(absl::string_view dir, absl::string_view name) {
  if (!dir.empty() && dir.back() == '/') return absl::StrCat(dir, name);
  return absl::StrCat(dir, "/", name);
}

absl::StatusOr<std::string> NormalizeRoot(const std::string& dir) {
  if (dir.empty()) return absl::InvalidArgumentError("empty watch root");
  std::string path = dir;
  if (path.front() != '/') {
    char cwd[PATH_MAX];
    if (::getcwd(cwd, sizeof(cwd)) == nullptr) return ErrnoStatus(errno, "getcwd");
    path = JoinPath(cwd, path);
  }
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

int ToPollTimeoutMs(absl::Duration d) {
  if (d == absl::InfiniteDuration()) return -1;
  if (d <= absl::ZeroDuration()) return 0;
  int64_t ms = absl::ToInt64Milliseconds(absl::Ceil(d, absl::Milliseconds(1)));
  return static_cast<int>(std::min<int64_t>(ms, INT_MAX));
}

}  // namespace cco
