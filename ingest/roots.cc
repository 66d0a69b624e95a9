#include "ingest/roots.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <set>
#include <system_error>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "ingest/fs_util.h"
#include "simdjson.h"

namespace cco {
namespace fs = std::filesystem;

namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

bool IsDir(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);
}

std::string Canonical(const fs::path& p) {
  std::error_code ec;
  fs::path c = fs::canonical(p, ec);
  return ec ? fs::absolute(p, ec).lexically_normal().string() : c.string();
}

// A directory given by the user: a projects/ directory itself, or a config
// directory that contains one.
fs::path ProjectsDirOf(const fs::path& dir) {
  if (dir.filename() != "projects" && IsDir(dir / "projects")) return dir / "projects";
  return dir;
}

void AddUnique(std::vector<std::string>* out, const std::string& path) {
  if (std::find(out->begin(), out->end(), path) == out->end()) out->push_back(path);
}

std::vector<fs::path> DefaultCandidates() {
  std::vector<fs::path> out;
  std::string config = Env("CLAUDE_CONFIG_DIR");
  if (!config.empty()) {
    for (absl::string_view entry : absl::StrSplit(config, ',', absl::SkipWhitespace())) {
      out.push_back(fs::path(std::string(absl::StripAsciiWhitespace(entry))) / "projects");
    }
    return out;
  }
  std::string home = Env("HOME");
  std::string xdg = Env("XDG_CONFIG_HOME");
  if (xdg.empty() && !home.empty()) xdg = home + "/.config";
  if (!xdg.empty()) out.push_back(fs::path(xdg) / "claude" / "projects");
  if (!home.empty()) out.push_back(fs::path(home) / ".claude" / "projects");
  return out;
}

}  // namespace

absl::StatusOr<RootSet> ResolveRoots(const std::vector<std::string>& explicit_roots) {
  RootSet set;
  if (!explicit_roots.empty()) {
    for (const std::string& r : explicit_roots) {
      if (!IsDir(r)) return absl::NotFoundError(absl::StrCat("root ", r, " does not exist or is not a directory"));
      AddUnique(&set.roots, Canonical(ProjectsDirOf(r)));
    }
    return set;
  }
  for (const fs::path& candidate : DefaultCandidates()) {
    if (IsDir(candidate)) {
      AddUnique(&set.roots, Canonical(candidate));
    } else {
      set.missing.push_back(candidate.string());
    }
  }
  return set;
}

std::vector<std::string> CandidateRoots(const std::vector<std::string>& explicit_roots) {
  std::vector<std::string> out;
  if (!explicit_roots.empty()) {
    for (const std::string& r : explicit_roots) AddUnique(&out, Canonical(ProjectsDirOf(r)));
    return out;
  }
  for (const fs::path& candidate : DefaultCandidates()) AddUnique(&out, Canonical(candidate));
  return out;
}

namespace {

// A directory or file by (device, inode).
using NodeId = std::pair<dev_t, ino_t>;

struct Walker {
  TranscriptWalk* out;
  std::set<NodeId> entered;         // directories entered (each once)
  std::set<NodeId> files_seen;      // transcripts listed (each once)
  std::vector<NodeId> chain;        // the directories from the root down to the current one

  void Skip(std::string path, std::string reason) {
    out->skipped.push_back(SkippedPath{std::move(path), std::move(reason)});
  }

  // Lists `dir` (already entered) and recurses into its subdirectories in
  // name order, so that paths are visited in component-wise order.
  void Walk(const std::string& dir) {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) {
      // Gone meanwhile is not a problem; anything else is named.
      if (errno != ENOENT && errno != ENOTDIR) Skip(dir, absl::StrCat("unreadable: ", std::strerror(errno)));
      return;
    }
    std::vector<std::string> names;
    while (struct dirent* ent = ::readdir(d)) {
      std::string name = ent->d_name;
      if (name == "." || name == "..") continue;
      // Other regular files (sidecars, tool outputs) need no stat.
      if (ent->d_type == DT_REG && !IsJsonlName(name)) continue;
      names.push_back(std::move(name));
    }
    const int dfd = ::dirfd(d);
    std::sort(names.begin(), names.end());
    std::vector<std::pair<std::string, NodeId>> subdirs;
    for (const std::string& name : names) {
      const std::string path = absl::StrCat(dir, "/", name);
      struct stat lst;
      if (::fstatat(dfd, name.c_str(), &lst, AT_SYMLINK_NOFOLLOW) != 0) continue;  // gone meanwhile
      struct stat st = lst;
      const bool link = S_ISLNK(lst.st_mode);
      if (link && ::fstatat(dfd, name.c_str(), &st, 0) != 0) {
        if (errno == ENOENT) {
          Skip(path, "dangling symlink");
        } else if (errno == ELOOP) {
          Skip(path, "symlink loop");
        } else {
          Skip(path, absl::StrCat("unreadable: ", std::strerror(errno)));
        }
        continue;
      }
      if (S_ISDIR(st.st_mode)) {
        subdirs.emplace_back(path, NodeId{st.st_dev, st.st_ino});
        continue;
      }
      if (!IsJsonlName(name)) continue;
      if (!S_ISREG(st.st_mode)) {
        Skip(path, "not a regular file");
        continue;
      }
      if (!files_seen.insert({st.st_dev, st.st_ino}).second) continue;  // listed under a smaller path
      if (::faccessat(dfd, name.c_str(), R_OK, 0) != 0) {
        Skip(path, absl::StrCat("unreadable: ", std::strerror(errno)));
        continue;
      }
      out->files.push_back(path);
    }
    ::closedir(d);  // before descending: bounded open descriptors
    for (const auto& [path, id] : subdirs) {
      if (std::find(chain.begin(), chain.end(), id) != chain.end()) {
        Skip(path, "symlink loop");
        continue;
      }
      // Reached before under a smaller path (two links to one directory).
      if (!entered.insert(id).second) continue;
      chain.push_back(id);
      Walk(path);
      chain.pop_back();
    }
  }
};

}  // namespace

TranscriptWalk WalkTranscripts(const std::string& root) {
  TranscriptWalk walk;
  struct stat st;
  if (::stat(root.c_str(), &st) != 0) {
    walk.error = absl::StrCat(root, ": ", std::strerror(errno));
    return walk;
  }
  if (!S_ISDIR(st.st_mode)) {
    walk.error = absl::StrCat(root, ": not a directory");
    return walk;
  }
  Walker walker{&walk, {}, {}, {}};
  const NodeId id{st.st_dev, st.st_ino};
  walker.entered.insert(id);
  walker.chain.push_back(id);
  walker.Walk(root);
  std::sort(walk.files.begin(), walk.files.end());
  return walk;
}

std::vector<std::string> ListTranscripts(const std::string& root, std::vector<std::string>* errors,
                                         std::vector<std::string>* skipped) {
  TranscriptWalk walk = WalkTranscripts(root);
  if (!walk.error.empty() && errors != nullptr) errors->push_back(walk.error);
  std::vector<std::string>* named = skipped != nullptr ? skipped : errors;
  if (named != nullptr) {
    for (const SkippedPath& s : walk.skipped) named->push_back(absl::StrCat(s.path, ": ", s.reason));
  }
  return std::move(walk.files);
}

std::string ReadAgentType(const std::string& transcript_path) {
  const fs::path path(transcript_path);
  const std::string stem = path.stem().string();
  if (!absl::StartsWith(stem, "agent-")) return "";
  const std::string meta = (path.parent_path() / (stem + ".meta.json")).string();
  // A sidecar is a few hundred bytes; anything far larger is not one.
  constexpr size_t kMaxSidecarBytes = 1 << 20;
  int fd = ::open(meta.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return "";
  std::string text;
  char buf[8192];
  while (text.size() <= kMaxSidecarBytes) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  if (text.size() > kMaxSidecarBytes) return "";
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view type;
  if (parser.parse(text).get(doc) != simdjson::SUCCESS || doc["agentType"].get(type) != simdjson::SUCCESS) {
    return "";
  }
  return std::string(type);
}

FileLocation LocateTranscript(const std::string& root, const std::string& path) {
  FileLocation loc;
  loc.path = path;
  loc.root = root;
  fs::path rel = fs::path(path).lexically_relative(root);
  std::vector<std::string> parts;
  for (const fs::path& part : rel) parts.push_back(part.string());
  const std::string stem = fs::path(path).stem().string();
  loc.project_dir = parts.size() >= 2 ? parts[0] : std::string("-");
  loc.session_id = stem;
  loc.report_session = stem;
  const bool is_agent = absl::StartsWith(stem, "agent-");
  if (is_agent) {
    loc.agent_id = stem.substr(6);
    loc.agent_type = ReadAgentType(path);
  }
  // <project>/<session>/.../<name>.jsonl: everything below a session's
  // directory belongs to it, at any depth (subagents, workflow agents and
  // their journals). ccusage keys workflow agents by their wf_<id> directory
  // instead, which splits one session in two; cco does not.
  if (parts.size() >= 3) {
    loc.session_id = parts[1];
    loc.report_session = loc.session_id;
  }
  return loc;
}

}  // namespace cco
