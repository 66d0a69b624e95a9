#include "ingest/scanner.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "ingest/identity.h"
#include "ingest/roots.h"
#include "spdlog/spdlog.h"
#include "src/status.h"

namespace cco {
namespace {

bool UnderRoot(const std::string& path, const std::string& root) {
  return absl::StartsWith(path, root) && path.size() > root.size() && path[root.size()] == '/';
}

int64_t MtimeNs(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

// True when `path` still holds the bytes `state` read (CheckIdentity would
// resume). A matching (dev, inode) alone is not enough to call a new path a
// rename: file systems hand a freed inode to the next new file at once.
bool HoldsSameBytes(const std::string& path, const FileState& state) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return false;
  absl::Cleanup close_fd = [fd] { ::close(fd); };
  struct stat st;
  if (::fstat(fd, &st) != 0) return false;
  absl::StatusOr<IdentityCheck> check = CheckIdentity(fd, st, state);
  return check.ok() && check->decision == ResumeDecision::kResume;
}

}  // namespace

Scanner::Scanner(Writer& writer, std::vector<FileState> states, ScanOptions options)
    : writer_(writer), options_(std::move(options)) {
  for (FileState& s : states) {
    std::string path = s.location.path;
    states_.emplace(std::move(path), std::move(s));
  }
}

absl::Status Scanner::TailOne(const std::string& root, const std::string& path,
                              const std::string& renamed_from, ScanReport* report, int64_t* bytes_read) {
  FileState& state = states_[path];
  if (state.generation == 0 || state.location.path.empty()) {
    state.location = LocateTranscript(root, path);
  }
  state.location.root = root;
  bool rename_pending = !renamed_from.empty();
  absl::Status writer_status;
  ChunkSink sink = [&](FileChunk&& chunk) -> absl::Status {
    if (options_.pace) {
      writer_status = options_.pace();
      if (!writer_status.ok()) return writer_status;
    }
    if (rename_pending) {
      chunk.renamed_from = renamed_from;
      rename_pending = false;
    }
    writer_status = writer_.Submit(std::move(chunk));
    return writer_status;
  };
  absl::StatusOr<TailResult> result = TailFile(state, options_.tail, parser_, sink);
  // The writer's failure is fatal; a file's own problem is reported and the
  // pass goes on.
  RETURN_IF_ERROR(writer_status);
  if (!result.ok()) {
    report->errors.push_back(std::string(result.status().message()));
    spdlog::warn("cannot read transcript path=\"{}\" error=\"{}\"", path, result.status().message());
    if (state.generation == 0) states_.erase(path);
    return absl::OkStatus();
  }
  if (rename_pending || state.archived) {
    // Nothing new to read: still move the row to its new path, or mark a
    // transcript that came back (moved away and back, a remount) as live.
    state.archived = false;
    FileChunk chunk;
    chunk.location = state.location;
    chunk.identity = state.identity;
    chunk.generation = state.generation;
    chunk.start = chunk.end = state.read_position;
    chunk.renamed_from = renamed_from;
    RETURN_IF_ERROR(writer_.Submit(std::move(chunk)));
  }
  if (result->new_generation && result->reason != "new") {
    ++report->new_generations;
    spdlog::info("file re-read from 0 path=\"{}\" reason={}", path, result->reason);
  }
  *bytes_read += result->bytes;
  ++report->files;
  return absl::OkStatus();
}

absl::Status Scanner::Archive(const std::string& path, ScanReport* report) {
  auto it = states_.find(path);
  if (it == states_.end() || it->second.archived) return absl::OkStatus();
  it->second.archived = true;
  ++report->removed;
  spdlog::info("transcript disappeared, history kept path=\"{}\"", path);
  return writer_.SubmitRemoval(FileRemoval{path});
}

absl::Status Scanner::Reconcile(const std::vector<std::string>& roots, ScanReport* report) {
  struct Candidate {
    std::string root;
    std::string path;
    struct stat st;
  };
  std::vector<Candidate> candidates;
  absl::flat_hash_map<std::string, bool> on_disk;
  // One file reachable under several paths (hard links, a root bind-mounted
  // under another name) is read once, under the path that already has a row
  // if one does: two files rows for one file would race on its bytes.
  absl::flat_hash_map<std::pair<int64_t, int64_t>, size_t> by_inode;
  for (const std::string& root : roots) {
    for (std::string& path : ListTranscripts(root, &report->errors)) {
      Candidate c{root, std::move(path), {}};
      if (::stat(c.path.c_str(), &c.st) != 0) continue;  // vanished meanwhile
      on_disk[c.path] = true;
      auto [slot, inserted] = by_inode.try_emplace(
          {static_cast<int64_t>(c.st.st_dev), static_cast<int64_t>(c.st.st_ino)}, candidates.size());
      if (inserted) {
        candidates.push_back(std::move(c));
        continue;
      }
      Candidate& first = candidates[slot->second];
      auto known = [this](const std::string& p) {
        auto it = states_.find(p);
        return it != states_.end() && !it->second.archived;
      };
      if (known(c.path) && !known(first.path)) std::swap(first, c);
      spdlog::info("same file under two paths, read once path=\"{}\" alias=\"{}\"", first.path, c.path);
    }
  }
  // Known paths under these roots that are gone: renamed (same inode seen
  // under a new path) or removed.
  absl::flat_hash_map<std::pair<int64_t, int64_t>, std::string> missing_by_inode;
  std::vector<std::string> missing;
  for (const auto& [path, state] : states_) {
    if (state.archived || on_disk.contains(path)) continue;
    bool in_roots = std::any_of(roots.begin(), roots.end(),
                                [&](const std::string& r) { return UnderRoot(path, r); });
    if (!in_roots) continue;
    missing.push_back(path);
    missing_by_inode[{state.identity.dev, state.identity.inode}] = path;
  }
  std::sort(missing.begin(), missing.end());

  ScanProgress progress;
  progress.files_total = static_cast<int64_t>(candidates.size());
  for (const Candidate& c : candidates) {
    auto it = states_.find(c.path);
    int64_t pos = it == states_.end() ? 0 : it->second.read_position;
    progress.bytes_total += std::max<int64_t>(0, c.st.st_size - pos);
  }

  for (const Candidate& c : candidates) {
    if (options_.pace) RETURN_IF_ERROR(options_.pace());
    std::string renamed_from;
    auto it = states_.find(c.path);
    if (it == states_.end()) {
      auto m = missing_by_inode.find({static_cast<int64_t>(c.st.st_dev), static_cast<int64_t>(c.st.st_ino)});
      if (m != missing_by_inode.end() && states_.contains(m->second) &&
          HoldsSameBytes(c.path, states_[m->second])) {
        renamed_from = m->second;
        FileState moved = std::move(states_[renamed_from]);
        states_.erase(renamed_from);
        moved.location = LocateTranscript(c.root, c.path);
        states_[c.path] = std::move(moved);
        missing_by_inode.erase(m);
        ++report->renamed;
        spdlog::info("transcript renamed from=\"{}\" to=\"{}\"", renamed_from, c.path);
      }
    } else if (!options_.verify_unchanged && !it->second.archived &&
               it->second.identity.dev == static_cast<int64_t>(c.st.st_dev) &&
               it->second.identity.inode == static_cast<int64_t>(c.st.st_ino) &&
               it->second.read_position == c.st.st_size &&
               it->second.identity.mtime_ns == MtimeNs(c.st)) {
      ++report->files;
      ++progress.files_done;
      continue;  // unchanged since we last read it
    }
    int64_t bytes = 0;
    RETURN_IF_ERROR(TailOne(c.root, c.path, renamed_from, report, &bytes));
    ++progress.files_done;
    progress.bytes_done += bytes;
    if (options_.progress) options_.progress(progress);
  }
  for (const std::string& path : missing) {
    if (states_.contains(path)) RETURN_IF_ERROR(Archive(path, report));
  }
  return absl::OkStatus();
}

absl::Status Scanner::CheckPath(const std::string& root, const std::string& path, ScanReport* report) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Archive(path, report);
    report->errors.push_back(absl::StrCat(path, ": ", std::strerror(errno)));
    return absl::OkStatus();
  }
  if (!S_ISREG(st.st_mode)) return absl::OkStatus();
  std::string renamed_from;
  // Only a path without a row can take over another row (paths are unique).
  if (!states_.contains(path)) {
    renamed_from = FindRenameSource(path, st);
    // Another name of a file already read under a live path (a hard link):
    // read under that path only, as Reconcile does.
    if (renamed_from.empty() && HasLiveAlias(path, st)) return absl::OkStatus();
  }
  if (!renamed_from.empty()) {
    FileState moved = std::move(states_[renamed_from]);
    states_.erase(renamed_from);
    moved.location = LocateTranscript(root, path);
    states_[path] = std::move(moved);
    ++report->renamed;
    spdlog::info("transcript renamed from=\"{}\" to=\"{}\"", renamed_from, path);
  }
  int64_t bytes = 0;
  return TailOne(root, path, renamed_from, report, &bytes);
}

std::string Scanner::FindRenameSource(const std::string& path, const struct stat& st) const {
  // Linear, but only for paths never seen before (new files), and cheap per
  // state. Live rows are preferred; an archived one (its removal was seen
  // before the new name) only while nothing else took its old path.
  std::string archived_match;
  for (const auto& [known, state] : states_) {
    if (known == path || state.identity.dev != static_cast<int64_t>(st.st_dev) ||
        state.identity.inode != static_cast<int64_t>(st.st_ino)) {
      continue;
    }
    struct stat old;
    if (::lstat(known.c_str(), &old) == 0) continue;  // both names exist: a hard link or a new file
    if (!HoldsSameBytes(path, state)) continue;        // a new file that got a freed inode
    if (!state.archived) return known;
    if (archived_match.empty()) archived_match = known;
  }
  return archived_match;
}

bool Scanner::HasLiveAlias(const std::string& path, const struct stat& st) const {
  for (const auto& [known, state] : states_) {
    if (known == path || state.archived || state.identity.dev != static_cast<int64_t>(st.st_dev) ||
        state.identity.inode != static_cast<int64_t>(st.st_ino)) {
      continue;
    }
    struct stat other;
    if (::stat(known.c_str(), &other) == 0 && other.st_dev == st.st_dev && other.st_ino == st.st_ino) return true;
  }
  return false;
}


}  // namespace cco
