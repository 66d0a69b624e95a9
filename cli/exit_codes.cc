#include <cstdio>
#include <string>

#include "cli/commands.h"
#include "src/errors.h"

namespace cco {

int ExitCodeFor(const absl::Status& status) {
  if (status.ok()) return kExitOk;
  switch (KindOf(status)) {
    case ErrorKind::kInUse:
      return kExitLocked;
    case ErrorKind::kNoDatabase:
    case ErrorKind::kNoDirectory:
    case ErrorKind::kIsDirectory:
      return kExitUsage;
    case ErrorKind::kNotCcoDatabase:
    case ErrorKind::kNewerSchema:
    case ErrorKind::kOlderSchema:
    case ErrorKind::kCorrupt:
    case ErrorKind::kPermission:
      return kExitFailure;
    case ErrorKind::kNone:
      break;
  }
  if (absl::IsNotFound(status) || absl::IsInvalidArgument(status)) return kExitUsage;
  return kExitFailure;
}

int ReportFailure(const absl::Status& status, std::string_view who) {
  std::fprintf(stderr, "%.*s: %s\n", static_cast<int>(who.size()), who.data(),
               std::string(status.message()).c_str());
  return ExitCodeFor(status);
}

int ReportNoProject(std::string_view who, const std::string& name, const std::vector<std::string>& closest) {
  std::fprintf(stderr, "%.*s: no project matches '%s'\n", static_cast<int>(who.size()), who.data(), name.c_str());
  if (!closest.empty()) {
    std::fprintf(stderr, "closest known projects:\n");
    for (const std::string& p : closest) std::fprintf(stderr, "  %s\n", p.c_str());
  }
  return kExitUsage;
}

}  // namespace cco
