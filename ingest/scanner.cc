#include "ingest/scanner.h"

#include <unistd.h>

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "ingest/identity.h"
#include "ingest/fs_util.h"
#include "ingest/roots.h"
#include "spdlog/spdlog.h"
#include "src/hash.h"
#include "src/status.h"

namespace cco {
namespace {

bool UnderRoot(const std::string& path, const std::string& root) {
  return absl::StartsWith(path, root) && path.size() > root.size() && path[root.size()] == '/';
}

// Whether another *.jsonl in the directory of `path` is the file (dev, inode).
bool FileIsBeside(Env& env, const std::string& path, int64_t dev, int64_t inode) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return false;
  const std::string dir = path.substr(0, slash);
  absl::StatusOr<std::vector<DirEntry>> entries = env.ListDir(dir);
  if (!entries.ok()) return false;
  for (const DirEntry& e : *entries) {
    if (!IsJsonlName(e.name) || e.name == std::string_view(path).substr(slash + 1)) continue;
    if (e.inode != inode) continue;
    absl::StatusOr<FileInfo> info = env.LinkStat(JoinPath(dir, e.name));
    if (info.ok() && info->dev == dev && info->inode == inode) return true;
  }
  return false;
}

// True when the open `file` holds the bytes `state` read (CheckIdentity
// would resume). A matching (dev, inode) alone is not enough to call a new
// path a rename: file systems hand a freed inode to the next new file at once.
bool HoldsSameBytes(RandomAccessFile& file, const FileInfo& info, const FileState& state) {
  absl::StatusOr<IdentityCheck> check = CheckIdentity(file, info, state);
  return check.ok() && check->decision == ResumeDecision::kResume;
}

}  // namespace

Scanner::Scanner(Writer& writer, std::vector<FileState> states, ScanOptions options)
    : writer_(writer),
      options_(std::move(options)),
      env_(options_.env != nullptr ? *options_.env : Env::Default()),
      refusals_seen_(writer.refusals()) {
  for (FileState& s : states) {
    std::string path = s.location.path;
    states_.emplace(std::move(path), std::move(s));
  }
}

absl::Status Scanner::Submitted(const absl::StatusOr<uint64_t>& ticket) {
  if (ticket.ok()) last_ticket_ = *ticket;
  return ticket.status();
}

absl::Status Scanner::Resync() {
  ASSIGN_OR_RETURN(uint64_t ticket, writer_.RequestFileStates());
  last_ticket_ = ticket;
  while (true) {
    if (options_.pace) RETURN_IF_ERROR(options_.pace());
    absl::StatusOr<std::vector<FileState>> states = writer_.TakeFileStates(ticket, absl::Milliseconds(20));
    if (absl::IsDeadlineExceeded(states.status())) continue;
    RETURN_IF_ERROR(states.status());
    // Everything this scanner submitted before the request is committed or
    // refused by now, and it submitted nothing since.
    const int64_t refusals = writer_.refusals();
    spdlog::info("file states re-read from the database refused_chunks={} files={}", refusals - refusals_seen_,
                 states->size());
    refusals_seen_ = refusals;
    states_.clear();
    for (FileState& s : *states) {
      std::string path = s.location.path;
      states_.emplace(std::move(path), std::move(s));
    }
    return absl::OkStatus();
  }
}

absl::Status Scanner::Settle(const std::vector<std::string>& roots, ScanReport* report, int max_passes) {
  for (int pass = 0; pass < max_passes; ++pass) {
    RETURN_IF_ERROR(writer_.Flush());
    if (!NeedsResync()) return absl::OkStatus();
    RETURN_IF_ERROR(Resync());
    ScanReport again;
    RETURN_IF_ERROR(Reconcile(roots, &again));
    report->new_generations += again.new_generations;
    report->removed += again.removed;
    report->renamed += again.renamed;
    report->errors.insert(report->errors.end(), again.errors.begin(), again.errors.end());
  }
  return writer_.Flush();
}

absl::Status Scanner::TailOne(const std::string& root, const std::string& path, RandomAccessFile& file,
                              const FileInfo& info,
                              const std::string& renamed_from, const std::string& displaced_to,
                              const MoveUndo* before_move, ScanReport* report, int64_t* bytes_read) {
  FileState& state = states_[path];
  if (state.generation == 0 || state.location.path.empty()) {
    state.location = LocateTranscript(root, path, env_);
  } else if (!state.location.agent_id.empty() && state.location.agent_type.empty()) {
    // An agent's sidecar may be written after its first lines: stored with
    // the next ones.
    state.location.agent_type = ReadAgentType(path, env_);
  }
  state.location.root = root;
  bool rename_pending = !renamed_from.empty() || !displaced_to.empty();
  absl::Status writer_status;
  ChunkSink sink = [&](FileChunk&& chunk) -> absl::Status {
    if (options_.pace) {
      writer_status = options_.pace();
      if (!writer_status.ok()) return writer_status;
    }
    if (rename_pending) {
      chunk.renamed_from = renamed_from;
      chunk.displaced_to = displaced_to;
      rename_pending = false;
    }
    writer_status = Submitted(writer_.Submit(std::move(chunk)));
    return writer_status;
  };
  absl::StatusOr<TailResult> result = TailOpenFile(file, info, state, options_.tail, parser_, sink);
  // The writer's failure is fatal; a file's own problem is reported and the
  // pass goes on.
  RETURN_IF_ERROR(writer_status);
  if (!result.ok()) {
    if (rename_pending) {
      // Nothing reached the writer: the rows are where they were. Undo the
      // move here too, so what this scanner holds stays what is committed.
      states_.erase(path);
      if (before_move != nullptr && !renamed_from.empty()) states_[renamed_from] = before_move->source;
      if (!displaced_to.empty()) {
        states_.erase(displaced_to);
        if (before_move != nullptr && before_move->displaced.has_value()) states_[path] = *before_move->displaced;
      }
    } else if (state.generation == 0) {
      states_.erase(path);
    }
    report->errors.push_back(std::string(result.status().message()));
    spdlog::warn("cannot read transcript path=\"{}\" error=\"{}\"", path, result.status().message());
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
    chunk.prior_checksum_len = state.identity.checksum_len;
    chunk.prior_checksum = state.identity.checksum;
    chunk.renamed_from = renamed_from;
    chunk.displaced_to = displaced_to;
    RETURN_IF_ERROR(Submitted(writer_.Submit(std::move(chunk))));
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
  return Submitted(writer_.SubmitRemoval(FileRemoval{path}));
}

absl::Status Scanner::Visit(const std::string& root, const std::string& path, bool search_moves,
                            ScanReport* report, int64_t* bytes_read) {
  // Everything below looks at this one open file, never at the path again:
  // under a storm of renames the path may name another file a moment later.
  absl::StatusOr<std::unique_ptr<RandomAccessFile>> opened = env_.Open(path);
  if (!opened.ok()) {
    if (absl::IsNotFound(opened.status())) {
      // Gone between the event (or the walk) and the open: renamed on or
      // removed; the watcher's next hint or the next reconcile says which.
      spdlog::debug("transcript vanished before it was read path=\"{}\"", path);
      return absl::OkStatus();
    }
    report->errors.push_back(std::string(opened.status().message()));
    spdlog::warn("cannot read transcript path=\"{}\" error=\"{}\"", path, opened.status().message());
    return absl::OkStatus();
  }
  RandomAccessFile& file = **opened;
  absl::StatusOr<FileInfo> stat = file.Stat();
  if (!stat.ok() || !stat->is_regular()) return absl::OkStatus();
  const FileInfo& st = *stat;

  std::string renamed_from;
  std::string displaced_to;
  auto own = states_.find(path);
  const bool own_file = own != states_.end() && own->second.generation > 0 &&
                        own->second.identity.dev == st.dev && own->second.identity.inode == st.inode;
  bool displace_own = false;
  if (search_moves && !own_file) {
    MoveSource source = FindMoveSource(path, file, st);
    renamed_from = source.key;
    // Whether the file still starts with its path's own row's first bytes:
    // a file replaced in place, read again as a new generation of that row.
    const bool own_row = own != states_.end() && own->second.generation > 0;
    bool own_head = own_row;
    if (own_row && own->second.identity.head_len > 0) {
      FileIdentity now;
      own_head = Fingerprint(file, own->second.identity.head_len, &now).ok() &&
                 now.head_checksum == own->second.identity.head_checksum;
    }
    // Only the same file (inode) takes the path from a row it replaced.
    if (!renamed_from.empty() && !source.same_inode && own_head) renamed_from.clear();
    // Another file, of no row, at the path while the path's row's file is
    // under another name beside it (names swapped faster than they were
    // read): the row steps aside, to be found again with its file, and this
    // file is read as a new one. A file replaced in place by other content
    // stays a new generation of its path's row.
    displace_own = renamed_from.empty() && own_row && !own_head &&
                   FileIsBeside(env_, path, own->second.identity.dev, own->second.identity.inode);
  }
  // A file no row continues is read only once it shows itself a transcript
  // (JudgeTranscript); until then nothing of it reaches the writer.
  const bool as_new = renamed_from.empty() && (own == states_.end() || own->second.generation == 0 || displace_own);
  if (as_new) {
    ASSIGN_OR_RETURN(TranscriptVerdict verdict, Judge(root, path, file, st, report));
    if (verdict != TranscriptVerdict::kTranscript) return absl::OkStatus();
  }
  std::optional<MoveUndo> undo;
  if (!renamed_from.empty() || displace_own) {
    undo.emplace();
    if (!renamed_from.empty()) undo->source = states_[renamed_from];
    own = states_.find(path);
    if (own != states_.end()) {
      undo->displaced = own->second;
      // Another file took this path: its row steps aside.
      displaced_to = absl::StrCat(path, ".displaced-", ::getpid(), "-", ++displaced_);
      FileState aside = std::move(own->second);
      states_.erase(own);
      aside.location.path = displaced_to;
      states_[displaced_to] = std::move(aside);
      spdlog::info("transcript replaced by another under its name path=\"{}\" placeholder=\"{}\"", path,
                   displaced_to);
    }
    if (!renamed_from.empty()) {
      FileState moved = std::move(states_[renamed_from]);
      states_.erase(renamed_from);
      moved.location = LocateTranscript(root, path, env_);
      states_[path] = std::move(moved);
      ++report->renamed;
      spdlog::info("transcript renamed from=\"{}\" to=\"{}\"", renamed_from, path);
    }
  }
  return TailOne(root, path, file, st, renamed_from, displaced_to, undo.has_value() ? &*undo : nullptr, report,
                 bytes_read);
}

absl::StatusOr<TranscriptVerdict> Scanner::Judge(const std::string& root, const std::string& path,
                                                 RandomAccessFile& file, const FileInfo& st, ScanReport* report) {
  auto cached = judged_.find(path);
  const bool unchanged = cached != judged_.end() && cached->second.info.SameFile(st) &&
                         cached->second.info.size == st.size && cached->second.info.mtime_ns == st.mtime_ns;
  TranscriptJudgement judgement;
  if (unchanged) {
    judgement = cached->second.judgement;
  } else {
    absl::StatusOr<TranscriptJudgement> judged = JudgeTranscript(
        root, path, file, options_.tail.take_unterminated_final_line, options_.tail.max_line_bytes);
    if (!judged.ok()) {
      report->errors.push_back(std::string(judged.status().message()));
      spdlog::warn("cannot read transcript path=\"{}\" error=\"{}\"", path, judged.status().message());
      return TranscriptVerdict::kWaiting;
    }
    judgement = *std::move(judged);
  }
  switch (judgement.verdict) {
    case TranscriptVerdict::kTranscript:
      judged_.erase(path);
      break;
    case TranscriptVerdict::kWaiting:
      ++report->waiting;
      if (!unchanged) spdlog::debug("waiting for the first complete line path=\"{}\"", path);
      break;
    case TranscriptVerdict::kNotTranscript:
      report->skipped.push_back(absl::StrCat(path, ": not a transcript (", judgement.reason, ")"));
      if (!unchanged) spdlog::info("not a transcript, skipped path=\"{}\" reason=\"{}\"", path, judgement.reason);
      break;
  }
  if (judgement.verdict != TranscriptVerdict::kTranscript) judged_[path] = Judged{st, judgement};
  return judgement.verdict;
}

absl::Status Scanner::Reconcile(const std::vector<std::string>& roots, ScanReport* report) {
  struct Candidate {
    std::string root;
    std::string path;
    FileInfo st;
  };
  std::vector<Candidate> candidates;
  absl::flat_hash_map<std::string, bool> on_disk;
  // One file reachable under several paths (hard links, a root bind-mounted
  // under another name) is read once, under the path that already has a row
  // if one does: two files rows for one file would race on its bytes.
  absl::flat_hash_map<std::pair<int64_t, int64_t>, size_t> by_inode;
  for (const std::string& root : roots) {
    for (std::string& path : ListTranscripts(root, &report->errors, &report->skipped, env_)) {
      absl::StatusOr<FileInfo> st = env_.Stat(path);
      if (!st.ok()) continue;  // vanished meanwhile
      Candidate c{root, std::move(path), *st};
      on_disk[c.path] = true;
      auto [slot, inserted] = by_inode.try_emplace({c.st.dev, c.st.inode}, candidates.size());
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
  auto in_roots = [&roots](const std::string& path) {
    return std::any_of(roots.begin(), roots.end(), [&](const std::string& r) { return UnderRoot(path, r); });
  };
  // Moves are searched for only when some row under these roots lost its
  // file: gone from its path (archived rows included: a removal may have
  // been seen before the new name), or its path holds another file. On a
  // first backfill every new path is a new file.
  bool any_gone = false;
  for (const auto& [path, state] : states_) {
    if ((state.archived || !on_disk.contains(path)) && in_roots(path)) {
      any_gone = true;
      break;
    }
  }

  ScanProgress progress;
  progress.files_total = static_cast<int64_t>(candidates.size());
  for (const Candidate& c : candidates) {
    auto it = states_.find(c.path);
    int64_t pos = 0;
    if (it != states_.end()) {
      pos = it->second.read_position;
      if (it->second.identity.inode != c.st.inode) any_gone = true;
    }
    progress.bytes_total += std::max<int64_t>(0, c.st.size - pos);
  }
  // The walk's totals, then its progress after each file read, go to the
  // database through the writer, for `cco status` from any shell. A walk
  // that finds nothing to read is recorded only when none was before.
  const bool record_walk = progress.bytes_total > 0 || !walk_recorded_;
  WalkProgress walk;
  walk.starting = true;
  walk.files = progress.files_total;
  walk.bytes = progress.bytes_total;
  if (record_walk) {
    RETURN_IF_ERROR(Submitted(writer_.SubmitWalk(walk)));
    walk_recorded_ = true;
  }
  walk.starting = false;

  for (const Candidate& c : candidates) {
    if (options_.pace) RETURN_IF_ERROR(options_.pace());
    auto it = states_.find(c.path);
    if (it != states_.end() && !options_.verify_unchanged && !it->second.archived &&
        it->second.identity.dev == c.st.dev && it->second.identity.inode == c.st.inode &&
        it->second.read_position == c.st.size && it->second.identity.mtime_ns == c.st.mtime_ns) {
      ++report->files;
      ++progress.files_done;
      continue;  // unchanged since we last read it
    }
    // A file with several names (hard links) is read under the name that
    // already has a live row, whichever name the walk listed.
    std::string path = c.path;
    if (c.st.nlink > 1 && (it == states_.end() || it->second.archived)) {
      if (std::string alias = LiveAlias(c.path, c.st); !alias.empty()) {
        path = alias;
        on_disk[alias] = true;
      }
    }
    const int64_t displaced_before = displaced_;
    int64_t bytes = 0;
    RETURN_IF_ERROR(Visit(c.root, path, any_gone, report, &bytes));
    if (displaced_ != displaced_before) any_gone = true;
    ++progress.files_done;
    progress.bytes_done += bytes;
    if (options_.progress) options_.progress(progress);
    if (record_walk) {
      walk.files_read = progress.files_done;
      walk.bytes_read = progress.bytes_done;
      RETURN_IF_ERROR(Submitted(writer_.SubmitWalk(walk)));
    }
  }
  // Rows under these roots whose file is not on disk: removed, or moved
  // aside and not claimed by a file of this pass.
  std::vector<std::string> missing;
  for (const auto& [path, state] : states_) {
    if (!state.archived && !on_disk.contains(path) && in_roots(path)) missing.push_back(path);
  }
  std::sort(missing.begin(), missing.end());
  for (const std::string& path : missing) RETURN_IF_ERROR(Archive(path, report));
  absl::erase_if(judged_, [&](const auto& entry) { return !on_disk.contains(entry.first) && in_roots(entry.first); });
  if (record_walk) {
    walk.done = true;
    walk.files_read = progress.files_total;
    walk.bytes_read = progress.bytes_done;
    RETURN_IF_ERROR(Submitted(writer_.SubmitWalk(walk)));
  }
  return absl::OkStatus();
}

absl::Status Scanner::CheckPath(const std::string& root, const std::string& path, ScanReport* report) {
  absl::StatusOr<FileInfo> stat = env_.Stat(path);
  if (!stat.ok()) {
    if (absl::IsNotFound(stat.status())) return Archive(path, report);
    report->errors.push_back(std::string(stat.status().message()));
    return absl::OkStatus();
  }
  const FileInfo& st = *stat;
  if (!st.is_regular()) return absl::OkStatus();
  // Another name of a file already read under a live path (a hard link):
  // read under that path only, as Reconcile does.
  auto known = states_.find(path);
  if ((known == states_.end() || known->second.archived) && !LiveAlias(path, st).empty()) {
    return absl::OkStatus();
  }
  int64_t bytes = 0;
  return Visit(root, path, /*search_moves=*/true, report, &bytes);
}

Scanner::MoveSource Scanner::FindMoveSource(const std::string& path, RandomAccessFile& file,
                                            const FileInfo& st) const {
  // Linear in the rows, but only for a path that is new or holds another
  // file than its row's, and cheap per row until a candidate matches.
  std::string head;  // the first bytes of the file at `path`, read once
  bool head_read = false;
  absl::flat_hash_map<int64_t, uint64_t> head_hash;  // by prefix length
  MoveSource best;
  int best_rank = -1;
  for (const auto& [known, state] : states_) {
    if (known == path || state.generation == 0) continue;
    const bool same_inode = state.identity.dev == st.dev && state.identity.inode == st.inode;
    // A row that has read nothing yet (its file was empty when seen) holds
    // no lines and no first bytes to compare: a new file in the same
    // directory may continue it (a rename chain that outran the reader from
    // the start), ranked below any real match.
    const bool empty_row = state.read_position == 0 && state.identity.head_len == 0;
    if (!same_inode && empty_row) {
      const size_t a = known.rfind('/'), b = path.rfind('/');
      if (a == std::string::npos || a != b || known.compare(0, a, path, 0, b) != 0) continue;
      // Its file must be gone, not merely under another name beside it.
      if (FileIsBeside(env_, path, state.identity.dev, state.identity.inode)) continue;
    } else if (!same_inode) {
      const int64_t len = state.identity.head_len;
      if (len <= 0) continue;
      if (!head_read) {
        head_read = true;
        // A short file leaves what it has (OutOfRange); an error, nothing.
        absl::Status read = ReadFully(file, 0, static_cast<size_t>(kFingerprintBytes), &head);
        if (!read.ok() && !absl::IsOutOfRange(read)) head.clear();
      }
      if (len > static_cast<int64_t>(head.size())) continue;
      auto [slot, inserted] = head_hash.try_emplace(len, 0);
      if (inserted) slot->second = StableHash(std::string_view(head.data(), static_cast<size_t>(len)));
      if (slot->second != state.identity.head_checksum) continue;
    }
    // The row's own path must no longer hold the row's file: otherwise this
    // is a second name (a hard link) or a copy, not a move. A file with one
    // name cannot be at both paths: what the row's path showed a moment ago
    // does not matter then (names swapped back and forth meanwhile).
    if (!same_inode || st.nlink > 1) {
      absl::StatusOr<FileInfo> old = env_.LinkStat(known);
      if (old.ok() && old->dev == state.identity.dev && old->inode == state.identity.inode) continue;
    }
    if (same_inode && !HoldsSameBytes(file, st, state)) continue;  // a new file that got a freed inode
    const int rank = (same_inode ? 4 : empty_row ? 0 : 2) + (state.archived ? 0 : 1);
    if (rank > best_rank || (rank == best_rank && known < best.key)) {
      best = MoveSource{known, same_inode};
      best_rank = rank;
    }
  }
  return best;
}

std::string Scanner::LiveAlias(const std::string& path, const FileInfo& st) const {
  for (const auto& [known, state] : states_) {
    if (known == path || state.archived || state.identity.dev != st.dev || state.identity.inode != st.inode) {
      continue;
    }
    absl::StatusOr<FileInfo> other = env_.Stat(known);
    if (other.ok() && other->SameFile(st)) return known;
  }
  return "";
}

}  // namespace cco
