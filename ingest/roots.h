// Where transcripts live: the projects/ roots to scan, the transcript files
// under them, and what a file's path says about its project and session.
#ifndef CCO_INGEST_ROOTS_H_
#define CCO_INGEST_ROOTS_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "ingest/env.h"
#include "src/record.h"

namespace cco {

struct RootSet {
  std::vector<std::string> roots;     // absolute projects/ directories that exist
  std::vector<std::string> missing;   // default locations that do not exist (informational)
};

// Resolves the roots. With explicit `--root` values, each must be a Claude
// config directory (one holding projects/, which is then the root) or a
// projects/ directory itself (by its name, or its target's when it is a
// symlink). Errors: NotFound for a missing one; InvalidArgument for any other
// directory, saying what a root must look like, and for a project directory
// (a directory inside a projects/ directory) with a hint to pass its parent:
// anything else would file unrelated *.jsonl files as events of made-up
// projects, permanently. Without:
// each entry of CLAUDE_CONFIG_DIR (comma-separated) + /projects, else
// ${XDG_CONFIG_HOME:-~/.config}/claude/projects and ~/.claude/projects where
// they exist. Duplicates (same real path) are dropped.
absl::StatusOr<RootSet> ResolveRoots(const std::vector<std::string>& explicit_roots);

// Like ResolveRoots for the daemon: roots that do not exist yet are kept, so
// they can be watched for and picked up when they appear (a missing --root
// not named projects is taken as a config directory: its projects/ is
// waited for). Errors: as ResolveRoots for an existing --root.
absl::StatusOr<std::vector<std::string>> CandidateRoots(const std::vector<std::string>& explicit_roots);

// A directory entry below a root that the walk could not take: a symlink
// loop, a dangling symlink, an unreadable directory or transcript, or a
// *.jsonl that is not a regular file. Named and counted, never silent.
struct SkippedPath {
  std::string path;    // as reached under the root
  std::string reason;  // "symlink loop", "dangling symlink", "unreadable: <errno text>", …
};

struct TranscriptWalk {
  std::vector<std::string> files;     // sorted by path
  std::vector<SkippedPath> skipped;   // in walk order
  std::string error;                  // the root itself cannot be listed ("<root>: <why>")
};

// Every *.jsonl file below `root`, by the walk and symlink rule of walk.h:
// one file reachable under several paths (symlinks, hard links) is listed
// once, under the smallest path, which names its project and stream, while
// its identity (dev, inode) is the target's. Anything that cannot be taken
// is in `skipped`.
TranscriptWalk WalkTranscripts(const std::string& root, Env& env = Env::Default());

// WalkTranscripts' files. A root that cannot be listed goes to `errors`;
// each skipped entry to `skipped`, as "<path>: <reason>" (to `errors` when
// `skipped` is null, so nothing goes unnamed).
std::vector<std::string> ListTranscripts(const std::string& root, std::vector<std::string>* errors,
                                         std::vector<std::string>* skipped = nullptr, Env& env = Env::Default());

// Project, session and agent of a transcript from its path under `root`:
//   <root>/<project>/<session>.jsonl                         main session
//   <root>/<project>/agent-<id>.jsonl                        2.0.x subagent (session from its lines)
//   <root>/<project>/<session>/<anything>/.../<name>.jsonl   belongs to <session>, at any depth:
//       <session>/subagents/agent-<id>.jsonl (2.1.x), workflow agents at
//       <session>/subagents/workflows/wf_<id>/agent-<id>.jsonl and their journal.jsonl
// For agent-<id>.jsonl, the agent type is read from the agent-<id>.meta.json
// sidecar beside it when there is one (Claude Code 2.1; `agentType`).
FileLocation LocateTranscript(const std::string& root, const std::string& path, Env& env = Env::Default());

// Whether a file is a Claude Code transcript, judged by its place and its
// first complete line.
enum class TranscriptVerdict {
  kTranscript,     // read it
  kWaiting,        // empty, or its first line is not complete yet: judge again when it changes
  kNotTranscript,  // skip it (counted and named with the reason)
};
struct TranscriptJudgement {
  TranscriptVerdict verdict = TranscriptVerdict::kWaiting;
  std::string reason;  // for kNotTranscript
};

// A transcript is a *.jsonl at <root>/<project>/… (at any depth below a
// project directory: agent trees below a session included) whose first
// complete, non-blank line (after a UTF-8 byte-order mark; a line longer than
// `max_line_bytes` cannot be parsed and is passed over too) is a JSON object
// with "type" and one of "sessionId", "uuid", "leafUuid", "messageId", or
// "runId"/"agentId" (a workflow journal's lines) (file names are not always
// uuids, so the content decides). A file with no
// complete line yet is kWaiting, never rejected: a session that just
// started writes its first line a moment later. With `complete` (replay:
// files are whole) a last line without '\n' counts as complete. Memory stays
// bounded (an over-long line is skipped through, not held). Errors: the
// file's read errors.
absl::StatusOr<TranscriptJudgement> JudgeTranscript(const std::string& root, const std::string& path,
                                                    RandomAccessFile& file, bool complete, int64_t max_line_bytes);

// Whether `line` (one complete line without its '\n') is a JSON object with
// "type" and one of "sessionId", "uuid", "leafUuid", "messageId", "runId",
// "agentId".
bool IsTranscriptLine(std::string_view line);

// The `agentType` of the sidecar `<dir>/agent-<id>.meta.json` beside the
// transcript `<dir>/agent-<id>.jsonl`; "" when there is none or it is not a
// JSON object with a string `agentType`.
std::string ReadAgentType(const std::string& transcript_path, Env& env = Env::Default());

}  // namespace cco

#endif  // CCO_INGEST_ROOTS_H_
