// Where transcripts live: the projects/ roots to scan, the transcript files
// under them, and what a file's path says about its project and session.
#ifndef CCO_INGEST_ROOTS_H_
#define CCO_INGEST_ROOTS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "src/record.h"

namespace cco {

struct RootSet {
  std::vector<std::string> roots;     // absolute projects/ directories that exist
  std::vector<std::string> missing;   // default locations that do not exist (informational)
};

// Resolves the roots. With explicit `--root` values: each is a projects/
// directory or a directory containing one; a missing one is NotFound. Without:
// each entry of CLAUDE_CONFIG_DIR (comma-separated) + /projects, else
// ${XDG_CONFIG_HOME:-~/.config}/claude/projects and ~/.claude/projects where
// they exist. Duplicates (same real path) are dropped.
absl::StatusOr<RootSet> ResolveRoots(const std::vector<std::string>& explicit_roots);

// Like ResolveRoots for the daemon: roots that do not exist yet are kept, so
// they can be watched for and picked up when they appear.
std::vector<std::string> CandidateRoots(const std::vector<std::string>& explicit_roots);

// Every *.jsonl regular file below `root`, sorted by path. Unreadable
// directories are skipped and reported in `errors`.
std::vector<std::string> ListTranscripts(const std::string& root, std::vector<std::string>* errors);

// Project, session and agent of a transcript from its path:
//   <root>/<project>/<session>.jsonl                         main session
//   <root>/<project>/agent-<id>.jsonl                        2.0.x subagent (session from its lines)
//   <root>/<project>/<session>/subagents/agent-<id>.jsonl    2.1.x subagent
FileLocation LocateTranscript(const std::string& root, const std::string& path);

}  // namespace cco

#endif  // CCO_INGEST_ROOTS_H_
