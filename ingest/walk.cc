#include "ingest/walk.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ingest/fs_util.h"

namespace cco {
namespace {

// A directory or file by (device, inode).
using NodeId = std::pair<int64_t, int64_t>;

std::string Unreadable(const absl::Status& status) {
  std::optional<int> err = ErrnoOf(status);
  return absl::StrCat("unreadable: ", err.has_value() ? std::strerror(*err) : std::string(status.message()));
}

class Walker {
 public:
  Walker(Env& env, const WalkVisitor& visitor) : env_(env), visitor_(visitor) {}

  // Enters `dir` (not entered before), lists it and walks its
  // subdirectories in name order. False when the visitor stopped the walk.
  bool Enter(const std::string& dir, const FileInfo& info) {
    if (visitor_.enter_directory) {
      switch (visitor_.enter_directory(dir, info)) {
        case WalkVisitor::Enter::kEnter:
          break;
        case WalkVisitor::Enter::kSkip:
          return true;
        case WalkVisitor::Enter::kStop:
          return false;
      }
    }
    absl::StatusOr<std::vector<DirEntry>> entries = env_.ListDir(dir);
    if (!entries.ok()) {
      // Gone meanwhile is not a problem; anything else is named.
      const std::optional<int> err = ErrnoOf(entries.status());
      if (err != ENOENT && err != ENOTDIR) Skip(dir, Unreadable(entries.status()));
      return true;
    }
    std::sort(entries->begin(), entries->end(),
              [](const DirEntry& a, const DirEntry& b) { return a.name < b.name; });
    std::vector<std::pair<std::string, FileInfo>> subdirs;
    for (const DirEntry& entry : *entries) {
      // Other regular files (sidecars, tool outputs) need no stat.
      if (entry.type == FileType::kRegular && !IsJsonlName(entry.name)) continue;
      const std::string path = JoinPath(dir, entry.name);
      absl::StatusOr<FileInfo> st = env_.LinkStat(path);
      if (!st.ok()) continue;  // gone meanwhile
      const bool link = st->type == FileType::kSymlink;
      if (link) {
        st = env_.Stat(path);
        if (!st.ok()) {
          const std::optional<int> err = ErrnoOf(st.status());
          Skip(path, err == ENOENT ? "dangling symlink" : err == ELOOP ? "symlink loop" : Unreadable(st.status()));
          continue;
        }
      }
      if (st->is_directory()) {
        subdirs.emplace_back(path, *st);
        continue;
      }
      if (!IsJsonlName(entry.name)) continue;
      if (!st->is_regular()) {
        Skip(path, "not a regular file");
        continue;
      }
      // Listed under a smaller path already?
      if (!files_seen_.insert({st->dev, st->inode}).second && !visitor_.each_name) continue;
      if (absl::Status readable = env_.CheckReadable(path); !readable.ok()) {
        Skip(path, Unreadable(readable));
        continue;
      }
      if (visitor_.file) visitor_.file(path, *st, link);
    }
    entries->clear();  // before descending: memory bounded by one directory per level
    for (const auto& [path, sub] : subdirs) {
      const NodeId sub_id{sub.dev, sub.inode};
      if (std::find(chain_.begin(), chain_.end(), sub_id) != chain_.end()) {
        Skip(path, "symlink loop");
        continue;
      }
      // Reached before under a smaller path (two links to one directory).
      if (!entered_.insert(sub_id).second) continue;
      chain_.push_back(sub_id);
      const bool go_on = Enter(path, sub);
      chain_.pop_back();
      if (!go_on) return false;
    }
    return true;
  }

  void Start(const std::string& root, const FileInfo& info) {
    const NodeId id{info.dev, info.inode};
    entered_.insert(id);
    chain_.push_back(id);
    Enter(root, info);
  }

 private:
  void Skip(const std::string& path, const std::string& reason) {
    if (visitor_.skipped) visitor_.skipped(path, reason);
  }

  Env& env_;
  const WalkVisitor& visitor_;
  std::set<NodeId> entered_;     // directories entered (each once)
  std::set<NodeId> files_seen_;  // files handed to the visitor (each once)
  std::vector<NodeId> chain_;    // the directories from the root down to the current one
};

}  // namespace

absl::Status WalkTree(Env& env, const std::string& root, const WalkVisitor& visitor) {
  absl::StatusOr<FileInfo> info = env.Stat(root);
  if (!info.ok()) return info.status();
  if (!info->is_directory()) return absl::FailedPreconditionError(absl::StrCat(root, ": not a directory"));
  Walker walker(env, visitor);
  walker.Start(root, *info);
  return absl::OkStatus();
}

}  // namespace cco
