// The one directory walk of ingest: the scanner's listing of transcripts
// (roots.h), both watchers and `cco status` all walk the roots with it, so
// they agree on which paths name which files.
//
// The symlink rule: symbolic links are followed, to directories and to files
// (a relocated ~/.claude, project directories or single transcripts linked
// by a dotfile manager such as GNU Stow). Each directory is entered at most
// once per walk, identified by (device, inode): a link back to an ancestor is
// a "symlink loop" and ends there; a directory reached again through another
// link is not entered twice. Directories are entered depth first, a
// directory's names in byte order (its *.jsonl files before its
// subdirectories), so the first path that reaches a file or a directory is
// the smallest one; that path names it.
//
// What cannot be taken is named, never silent: a dangling symlink, a symlink
// loop, an unreadable directory or transcript, a *.jsonl that is not a
// regular file. A directory or file that vanishes during the walk is not
// named (it is simply gone).
#ifndef CCO_INGEST_WALK_H_
#define CCO_INGEST_WALK_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "ingest/env.h"

namespace cco {

struct WalkVisitor {
  enum class Enter {
    kEnter,  // list it and walk on below it
    kSkip,   // leave it (and what is below it) out
    kStop,   // end the whole walk (WalkTree returns OK)
  };
  // Called before a directory is listed, the root included; `info` is its
  // target's stat. Null: every directory is entered.
  std::function<Enter(const std::string& path, const FileInfo& info)> enter_directory;
  // A *.jsonl that is a regular file (through a symlink when `via_link`),
  // readable, and not reached before under a smaller path in this walk
  // (unless `each_name`).
  std::function<void(const std::string& path, const FileInfo& info, bool via_link)> file;
  // Hands every name of a file to `file`, not only its first (smallest). The
  // watchers need every name to report changes and removals under it; the
  // scanner reads a file once.
  bool each_name = false;
  // Something below the root that could not be taken, with why
  // ("dangling symlink", "symlink loop", "unreadable: <why>",
  // "not a regular file").
  std::function<void(const std::string& path, const std::string& reason)> skipped;
};

// Walks `root` through `env`. Errors: NotFound when `root` does not exist,
// FailedPrecondition when it is not a directory, the stat's error otherwise
// ("<root>: <why>"); nothing is visited then.
absl::Status WalkTree(Env& env, const std::string& root, const WalkVisitor& visitor);

}  // namespace cco

#endif  // CCO_INGEST_WALK_H_
