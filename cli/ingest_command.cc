// `cco rescan` and `cco replay`: one pass over the roots through the writer.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "ingest/roots.h"
#include "ingest/scanner.h"
#include "spdlog/spdlog.h"
#include "src/status.h"
#include "cli/commands.h"
#include "cli/format.h"
#include "cli/flags.h"
#include "cli/help.h"
#include "cli/progress.h"
#include "cli/writer_setup.h"
#include "src/json_writer.h"
#include "src/memory_budget.h"
#include "src/daemon/lock.h"
#include "src/daemon/paths.h"
#include "src/daemon/signals.h"
#include "src/sqlite_store.h"
#include "src/writer.h"

namespace cco {
namespace {

struct IngestRun {
  std::vector<std::string> roots;
  std::string db_path;
  bool json = false;
  bool replay = false;
  int64_t max_line_bytes = kDefaultMaxLineBytes;
  int64_t batch_records = 0;  // 0: the writer's default
};

int Fail(const absl::Status& status) { return ReportFailure(status); }

#ifdef CCO_TEST_HOOKS
// CCO_TEST_PAUSE_AFTER_FILES=N:PATH (test builds): once N files are read,
// append "paused\n" to PATH and wait there until a stop signal arrives, so a
// test can interrupt a pass at a moment it knows.
std::function<void(const ScanProgress&)> PauseHook(const SignalMonitor& monitor) {
  const char* spec = std::getenv("CCO_TEST_PAUSE_AFTER_FILES");
  if (spec == nullptr) return nullptr;
  std::pair<std::string, std::string> parts = absl::StrSplit(spec, absl::MaxSplits(':', 1));
  int64_t n = 0;
  if (!absl::SimpleAtoi(parts.first, &n) || n < 1 || parts.second.empty()) return nullptr;
  return [n, path = parts.second, &monitor](const ScanProgress& p) {
    if (p.files_done != n) return;
    if (FILE* f = std::fopen(path.c_str(), "a")) {
      std::fputs("paused\n", f);
      std::fclose(f);
    }
    while (!monitor.stop_requested()) ::usleep(10'000);
  };
}
#else
std::function<void(const ScanProgress&)> PauseHook(const SignalMonitor&) { return nullptr; }
#endif

int RunIngest(const IngestRun& run) {
  absl::Time start = absl::Now();
  RootSet roots;
  if (run.replay) {
    auto resolved = ResolveRoots(run.roots);
    if (!resolved.ok()) return Fail(resolved.status());
    roots = *resolved;
  } else {
    auto resolved = ResolveRoots(run.roots);
    if (!resolved.ok()) return Fail(resolved.status());
    roots = *resolved;
    if (roots.roots.empty()) {
      spdlog::warn("no Claude Code transcripts found (looked in {}); nothing to ingest",
                   absl::StrJoin(roots.missing, ", "));
      if (!run.json) std::fprintf(stderr, "cco: warning: no transcript root found; nothing to ingest\n");
    }
  }

  SqliteStoreOptions store_options;
  if (run.replay) store_options.now_ms = [] { return int64_t{0}; };
  WriterOptions writer_options;
  if (run.batch_records > 0) writer_options.max_batch_records = static_cast<size_t>(run.batch_records);
  // Every thread started from here on leaves the signals to this one.
  SignalMonitor::BlockInThisThread();
  absl::StatusOr<WriterSetup> setup = StartWriter(
      run.db_path, WriterStart{run.replay ? "replay" : "rescan", roots.roots}, store_options, writer_options);
  if (!setup.ok()) return Fail(setup.status());
  Writer& writer = *setup->writer;
  // Every run says where it reads (with --json, in the summary's "roots").
  if (!run.json && !roots.roots.empty()) {
    std::fprintf(stderr, "cco: roots: %s\n", absl::StrJoin(roots.roots, ", ").c_str());
  }
  ScanOptions options;
  options.tail.max_line_bytes = run.max_line_bytes;
  options.tail.take_unterminated_final_line = run.replay;
  ProgressBar bar(!run.replay && ::isatty(STDERR_FILENO) != 0);
  // Ctrl-C (SIGINT) and SIGTERM end the pass between two chunks; what was
  // read is committed below, and the next run continues from there.
  absl::StatusOr<std::unique_ptr<SignalMonitor>> signals = SignalMonitor::Install(nullptr, nullptr);
  if (!signals.ok()) {
    (void)writer.Stop();
    return Fail(signals.status());
  }
  const SignalMonitor& monitor = **signals;
  int64_t files_read = 0;
  std::function<void(const ScanProgress&)> pause = PauseHook(monitor);
  options.progress = [&](const ScanProgress& p) {
    files_read = p.files_done;
    bar.Update(p);
    if (pause) pause(p);
  };
  options.pace = [&monitor] {
    return monitor.stop_requested() ? absl::CancelledError("interrupted") : absl::OkStatus();
  };
  Scanner scanner(writer, std::move(setup->states), options);
  ScanReport report;
  absl::Status scan = scanner.Reconcile(roots.roots, &report);
  // A file that moved while it was read had its chunk refused: read again
  // from what is committed (bounded; the next rescan or `watch` settles the
  // rest).
  if (scan.ok()) scan = scanner.Settle(roots.roots, &report);
  const bool interrupted = monitor.stop_requested();
  const bool unsettled = scan.ok() && scanner.NeedsResync();
  absl::Status stop = writer.Stop();
  bar.Finish();
  if (interrupted && (scan.ok() || absl::IsCancelled(scan)) && stop.ok()) {
    std::fprintf(stderr, "cco: interrupted after %s committed; run again to continue\n",
                 Plural(files_read, "file").c_str());
    return kExitInterrupted;
  }
  if (!scan.ok()) return Fail(scan);
  if (!stop.ok()) return Fail(stop);

  const CommitStats stats = writer.stats();
  const double secs = absl::ToDoubleSeconds(absl::Now() - start);
  if (run.json) {
    JsonWriter j;
    j.BeginObject()
        .Field("files", report.files)
        .Field("lines", stats.lines)
        .Field("messages", stats.messages)
        .Field("events", stats.events)
        .Field("quarantined", stats.quarantined)
        .Field("duplicates", stats.duplicates)
        .Field("revisions", stats.revisions)
        .Field("refused", stats.refused)
        .Field("conversations", static_cast<int64_t>(stats.conversations.size()))
        .Field("projects", static_cast<int64_t>(stats.projects.size()))
        .Field("bytes", stats.bytes)
        .Field("new_generations", report.new_generations)
        .Field("archived", report.removed)
        .Field("renamed", report.renamed)
        .Field("errors", static_cast<int64_t>(report.errors.size()))
        .Field("skipped", static_cast<int64_t>(report.skipped.size()))
        .Field("waiting", report.waiting);
    if (!run.replay) j.Field("elapsed_ms", static_cast<int64_t>(secs * 1000));
    j.Key("roots").BeginArray();
    for (const std::string& r : roots.roots) j.String(r);
    j.EndArray();
    j.Field("db", run.db_path);
    j.EndObject();
    std::printf("%s\n", j.str().c_str());
  } else {
    // Short lines: an 80-column terminal shows each whole.
    std::printf("%s %s, %s (%s)%s\n", run.replay ? "replayed" : "rescanned", Plural(report.files, "file").c_str(),
                Plural(stats.lines, "line").c_str(), HumanBytes(static_cast<double>(stats.bytes)).c_str(),
                run.replay ? "" : absl::StrFormat(" in %.2fs", secs).c_str());
    std::printf("  %s, %s, %lld quarantined, %lld already stored\n", Plural(stats.messages, "message").c_str(),
                Plural(stats.events, "event").c_str(), static_cast<long long>(stats.quarantined),
                static_cast<long long>(stats.duplicates));
    std::printf("  %s, %s touched\n", Plural(static_cast<int64_t>(stats.conversations.size()), "conversation").c_str(),
                Plural(static_cast<int64_t>(stats.projects.size()), "project").c_str());
    if (report.removed > 0 || report.renamed > 0 || report.new_generations > 0) {
      std::printf("  %lld transcripts gone (history kept), %lld renamed, %lld re-read from the start\n",
                  static_cast<long long>(report.removed), static_cast<long long>(report.renamed),
                  static_cast<long long>(report.new_generations));
    }
    if (!report.skipped.empty()) {
      std::printf("  %zu paths below the roots skipped (named in the warnings)\n", report.skipped.size());
    }
    if (report.waiting > 0) {
      std::printf("  %s waiting for a first line (read once it is complete)\n",
                  Plural(report.waiting, "file").c_str());
    }
    std::printf("  database: %s\n", run.db_path.c_str());
  }
  for (const std::string& e : report.errors) std::fprintf(stderr, "cco: warning: %s\n", e.c_str());
  if (unsettled) {
    std::fprintf(stderr, "cco: warning: files kept moving while they were read (%lld chunks refused);"
                         " run again to read the rest\n", static_cast<long long>(stats.refused));
  }
  // Below the roots but not read (a symlink loop, a dangling symlink,
  // unreadable): named, so that nothing is left out silently.
  for (const std::string& s : report.skipped) std::fprintf(stderr, "cco: warning: skipped %s\n", s.c_str());
  return kExitOk;
}

absl::StatusOr<IngestRun> ParseIngestFlags(const std::vector<std::string>& argv, bool replay) {
  ASSIGN_OR_RETURN(Args args, ParseArgs(argv, FlagsFor(replay ? "replay" : "rescan")));
  IngestRun run;
  run.replay = replay;
  run.json = args.Has("json");
  run.roots = args.GetAll("root");
  if (replay) {
    if (args.positional().size() != 1) return absl::InvalidArgumentError("replay needs a directory: cco replay DIR --db PATH");
    if (!args.Has("db")) return absl::InvalidArgumentError("replay needs --db PATH");
    run.roots = {args.positional()[0]};
  }
  ASSIGN_OR_RETURN(run.db_path, ResolveDbPath(args.Get("db")));
  if (args.Has("db")) RETURN_IF_ERROR(CheckDbFlagDirectory(run.db_path));
  if (args.Has("batch-records")) {
    if (!absl::SimpleAtoi(args.Get("batch-records"), &run.batch_records) || run.batch_records < 1) {
      return absl::InvalidArgumentError("--batch-records needs a positive number");
    }
  }
  if (args.Has("max-line-bytes")) {
    if (!absl::SimpleAtoi(args.Get("max-line-bytes"), &run.max_line_bytes) || run.max_line_bytes < 1024) {
      return absl::InvalidArgumentError("--max-line-bytes needs a number of at least 1024");
    }
  }
  return run;
}

}  // namespace

int RunRescan(const std::vector<std::string>& argv) {
  auto run = ParseIngestFlags(argv, /*replay=*/false);
  if (!run.ok()) return Fail(run.status());
  return RunIngest(*run);
}

int RunReplay(const std::vector<std::string>& argv) {
  auto run = ParseIngestFlags(argv, /*replay=*/true);
  if (!run.ok()) return Fail(run.status());
  return RunIngest(*run);
}

}  // namespace cco
