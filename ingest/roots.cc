#include "ingest/roots.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "ingest/env.h"
#include "ingest/json_line.h"
#include "ingest/line_splitter.h"
#include "ingest/walk.h"
#include "src/status.h"
#include "simdjson.h"

namespace cco {
namespace fs = std::filesystem;

namespace {

std::string GetEnv(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

bool IsDir(const fs::path& p) {
  absl::StatusOr<FileInfo> info = Env::Default().Stat(p.string());
  return info.ok() && info->is_directory();
}

// Absolute with every symlink resolved; a path that does not resolve (not
// there yet) made absolute by its text alone.
std::string Canonical(const fs::path& p) {
  absl::StatusOr<std::string> real = Env::Default().RealPath(p.string());
  if (real.ok()) return *real;
  std::error_code ec;
  return fs::absolute(p, ec).lexically_normal().string();
}

bool NamedProjects(const fs::path& p) { return p.filename() == "projects"; }

// The projects/ directory a --root names (see ResolveRoots), or why it is
// refused. `must_exist` false (watch) takes a missing one as to be waited
// for: a projects/ directory itself, else the config directory's projects/.
absl::StatusOr<std::string> ProjectsDirOf(const std::string& given, bool must_exist) {
  fs::path dir = fs::path(given).lexically_normal();
  if (dir.has_parent_path() && dir.filename().empty()) dir = dir.parent_path();  // a trailing '/'
  if (!IsDir(dir)) {
    if (must_exist) return absl::NotFoundError(absl::StrCat("root ", given, " does not exist or is not a directory"));
    return Canonical(NamedProjects(dir) ? dir : dir / "projects");
  }
  const fs::path real(Canonical(dir));
  if (NamedProjects(dir) || NamedProjects(real)) return real.string();
  if (IsDir(dir / "projects")) return Canonical(dir / "projects");
  if (NamedProjects(real.parent_path())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "root ", given, " is a project directory, not a root; pass its parent: --root ",
        real.parent_path().string()));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "root ", given, " holds no Claude Code transcripts: a root is a Claude config directory (one with a "
      "projects/ directory, like ~/.claude) or a projects/ directory itself (like ~/.claude/projects)"));
}

void AddUnique(std::vector<std::string>* out, const std::string& path) {
  if (std::find(out->begin(), out->end(), path) == out->end()) out->push_back(path);
}

std::vector<fs::path> DefaultCandidates() {
  std::vector<fs::path> out;
  std::string config = GetEnv("CLAUDE_CONFIG_DIR");
  if (!config.empty()) {
    for (absl::string_view entry : absl::StrSplit(config, ',', absl::SkipWhitespace())) {
      out.push_back(fs::path(std::string(absl::StripAsciiWhitespace(entry))) / "projects");
    }
    return out;
  }
  std::string home = GetEnv("HOME");
  std::string xdg = GetEnv("XDG_CONFIG_HOME");
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
      ASSIGN_OR_RETURN(std::string projects, ProjectsDirOf(r, /*must_exist=*/true));
      AddUnique(&set.roots, projects);
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

absl::StatusOr<std::vector<std::string>> CandidateRoots(const std::vector<std::string>& explicit_roots) {
  std::vector<std::string> out;
  if (!explicit_roots.empty()) {
    for (const std::string& r : explicit_roots) {
      ASSIGN_OR_RETURN(std::string projects, ProjectsDirOf(r, /*must_exist=*/false));
      AddUnique(&out, projects);
    }
    return out;
  }
  for (const fs::path& candidate : DefaultCandidates()) AddUnique(&out, Canonical(candidate));
  return out;
}

TranscriptWalk WalkTranscripts(const std::string& root, Env& env) {
  TranscriptWalk walk;
  WalkVisitor visitor;
  visitor.file = [&walk](const std::string& path, const FileInfo&, bool) { walk.files.push_back(path); };
  visitor.skipped = [&walk](const std::string& path, const std::string& reason) {
    walk.skipped.push_back(SkippedPath{path, reason});
  };
  if (absl::Status s = WalkTree(env, root, visitor); !s.ok()) walk.error = std::string(s.message());
  std::sort(walk.files.begin(), walk.files.end());
  return walk;
}

std::vector<std::string> ListTranscripts(const std::string& root, std::vector<std::string>* errors,
                                         std::vector<std::string>* skipped, Env& env) {
  TranscriptWalk walk = WalkTranscripts(root, env);
  if (!walk.error.empty() && errors != nullptr) errors->push_back(walk.error);
  std::vector<std::string>* named = skipped != nullptr ? skipped : errors;
  if (named != nullptr) {
    for (const SkippedPath& s : walk.skipped) named->push_back(absl::StrCat(s.path, ": ", s.reason));
  }
  return std::move(walk.files);
}

bool IsTranscriptLine(std::string_view line) {
  simdjson::dom::parser parser;
  std::string padded;
  simdjson::dom::element root;
  simdjson::dom::object object;
  if (ParseJsonLine(parser, &padded, line, &root) != simdjson::SUCCESS || root.get(object) != simdjson::SUCCESS) {
    return false;
  }
  simdjson::dom::element value;
  if (object["type"].get(value) != simdjson::SUCCESS) return false;
  // runId and agentId: a workflow journal's lines carry neither sessionId
  // nor uuid ({"type":"started","runId":…}, {"type":"result","agentId":…}).
  for (const char* key : {"sessionId", "uuid", "leafUuid", "messageId", "runId", "agentId"}) {
    if (object[key].get(value) == simdjson::SUCCESS) return true;
  }
  return false;
}

absl::StatusOr<TranscriptJudgement> JudgeTranscript(const std::string& root, const std::string& path,
                                                    RandomAccessFile& file, bool complete, int64_t max_line_bytes) {
  const fs::path rel = fs::path(path).lexically_relative(root);
  if (std::distance(rel.begin(), rel.end()) < 2) {
    return TranscriptJudgement{TranscriptVerdict::kNotTranscript, "not inside a project directory"};
  }
  constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";
  std::optional<TranscriptJudgement> found;
  auto judge_line = [&](const SplitLine& line) {
    std::string_view text = line.text;
    if (line.start == 0 && text.substr(0, kByteOrderMark.size()) == kByteOrderMark) text.remove_prefix(3);
    // A blank line, or one too long to parse (a session may well start with
    // a huge paste, quarantined when read): the next line decides.
    if (text.empty() || text == "\r" || line.oversized) return absl::OkStatus();
    if (IsTranscriptLine(text)) {
      found = TranscriptJudgement{TranscriptVerdict::kTranscript, ""};
    } else {
      found = TranscriptJudgement{TranscriptVerdict::kNotTranscript,
                                  "first line is not a JSON object with type and sessionId, uuid, leafUuid, "
                                  "messageId, runId or agentId"};
    }
    return absl::CancelledError("judged");  // stops the splitter
  };
  LineSplitter splitter(0, max_line_bytes, /*keep_prefix_bytes=*/0);
  std::string block(64 << 10, '\0');
  int64_t at = 0;
  while (!found.has_value()) {
    ASSIGN_OR_RETURN(size_t n, file.Read(at, block.size(), block.data()));
    if (n == 0) {
      if (complete) splitter.Finish(judge_line).IgnoreError();
      break;
    }
    at += static_cast<int64_t>(n);
    splitter.Feed(std::string_view(block.data(), n), judge_line).IgnoreError();
  }
  return found.value_or(TranscriptJudgement{TranscriptVerdict::kWaiting, ""});
}

std::string ReadAgentType(const std::string& transcript_path, Env& env) {
  const fs::path path(transcript_path);
  const std::string stem = path.stem().string();
  if (!absl::StartsWith(stem, "agent-")) return "";
  const std::string meta = (path.parent_path() / (stem + ".meta.json")).string();
  // A sidecar is a few hundred bytes; anything far larger is not one.
  constexpr size_t kMaxSidecarBytes = 1 << 20;
  absl::StatusOr<std::unique_ptr<RandomAccessFile>> file = env.Open(meta);
  if (!file.ok()) return "";
  std::string text;
  absl::Status read = ReadFully(**file, 0, kMaxSidecarBytes + 1, &text);
  if (read.ok() || !absl::IsOutOfRange(read)) return "";  // too large, or unreadable
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view type;
  if (parser.parse(text).get(doc) != simdjson::SUCCESS || doc["agentType"].get(type) != simdjson::SUCCESS) {
    return "";
  }
  return std::string(type);
}

FileLocation LocateTranscript(const std::string& root, const std::string& path, Env& env) {
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
    loc.agent_type = ReadAgentType(path, env);
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
