#include "ingest/roots.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

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

std::vector<std::string> ListTranscripts(const std::string& root, std::vector<std::string>* errors) {
  std::vector<std::string> files;
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
  if (ec) {
    if (errors != nullptr) errors->push_back(absl::StrCat(root, ": ", ec.message()));
    return files;
  }
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) {
      if (errors != nullptr) errors->push_back(absl::StrCat(root, ": ", ec.message()));
      ec.clear();
      continue;
    }
    const fs::directory_entry& entry = *it;
    if (entry.path().extension() != ".jsonl") continue;
    std::error_code sec;
    if (!entry.is_regular_file(sec) || entry.is_symlink(sec)) continue;
    files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
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
  if (is_agent) loc.agent_id = stem.substr(6);
  // <project>/<session>/subagents/agent-<id>.jsonl
  if (parts.size() >= 4 && parts[parts.size() - 2] == "subagents") {
    loc.session_id = parts[parts.size() - 3];
    loc.report_session = loc.session_id;
  }
  return loc;
}

}  // namespace cco
