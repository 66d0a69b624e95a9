// `cco rescan` and `cco replay`: one pass over the roots through the writer.
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "ingest/roots.h"
#include "ingest/scanner.h"
#include "spdlog/spdlog.h"
#include "src/status.h"
#include "cli/commands.h"
#include "cli/format.h"
#include "cli/flags.h"
#include "cli/writer_setup.h"
#include "src/json_writer.h"
#include "src/daemon/lock.h"
#include "src/daemon/paths.h"
#include "src/sqlite_store.h"
#include "src/writer.h"

namespace cco {
namespace {

struct IngestRun {
  std::vector<std::string> roots;
  std::string db_path;
  bool json = false;
  bool replay = false;
  int64_t max_line_bytes = 32 << 20;
  int64_t batch_records = 0;  // 0: the writer's default
};

// A one-line progress bar on stderr: files, bytes, rate, ETA.
class ProgressBar {
 public:
  explicit ProgressBar(bool enabled) : enabled_(enabled), start_(absl::Now()) {}
  void Update(const ScanProgress& p) {
    if (!enabled_) return;
    absl::Time now = absl::Now();
    if (now - last_ < absl::Milliseconds(100) && p.files_done < p.files_total) return;
    last_ = now;
    double secs = std::max(1e-3, absl::ToDoubleSeconds(now - start_));
    double rate = static_cast<double>(p.bytes_done) / secs;
    double frac = p.bytes_total > 0 ? static_cast<double>(p.bytes_done) / static_cast<double>(p.bytes_total)
                                    : 1.0;
    frac = std::min(frac, 1.0);
    int width = 24;
    int filled = static_cast<int>(frac * width);
    std::string bar(static_cast<size_t>(filled), '#');
    bar.append(static_cast<size_t>(width - filled), '.');
    std::string eta = "--";
    if (rate > 0 && p.bytes_total > p.bytes_done) {
      eta = absl::StrFormat("%.0fs", static_cast<double>(p.bytes_total - p.bytes_done) / rate);
    } else if (p.bytes_done >= p.bytes_total) {
      eta = "0s";
    }
    std::fprintf(stderr, "\r[%s] %3.0f%%  files %lld/%lld  %s/%s  %s/s  ETA %s   ", bar.c_str(), frac * 100,
                 static_cast<long long>(p.files_done), static_cast<long long>(p.files_total),
                 HumanBytes(static_cast<double>(p.bytes_done)).c_str(),
                 HumanBytes(static_cast<double>(p.bytes_total)).c_str(), HumanBytes(rate).c_str(),
                 eta.c_str());
    drawn_ = true;
  }
  void Finish() {
    if (drawn_) std::fputs("\r\033[K", stderr);
  }

 private:
  bool enabled_;
  bool drawn_ = false;
  absl::Time start_;
  absl::Time last_ = absl::InfinitePast();
};

int Fail(const absl::Status& status) { return ReportFailure(status); }

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
  absl::StatusOr<WriterSetup> setup = StartWriter(
      run.db_path, WriterStart{run.replay ? "replay" : "rescan", roots.roots}, store_options, writer_options);
  if (!setup.ok()) return Fail(setup.status());
  Writer& writer = *setup->writer;
  ScanOptions options;
  options.tail.max_line_bytes = run.max_line_bytes;
  options.tail.take_unterminated_final_line = run.replay;
  ProgressBar bar(!run.replay && ::isatty(STDERR_FILENO) != 0);
  options.progress = [&bar](const ScanProgress& p) { bar.Update(p); };
  Scanner scanner(writer, std::move(setup->states), options);
  ScanReport report;
  absl::Status scan = scanner.Reconcile(roots.roots, &report);
  // A file that moved while it was read had its chunk refused: read again
  // from what is committed (bounded; the next rescan or `watch` settles the
  // rest).
  if (scan.ok()) scan = scanner.Settle(roots.roots, &report);
  const bool unsettled = scan.ok() && scanner.NeedsResync();
  absl::Status stop = writer.Stop();
  bar.Finish();
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
        .Field("skipped", static_cast<int64_t>(report.skipped.size()));
    if (!run.replay) j.Field("elapsed_ms", static_cast<int64_t>(secs * 1000));
    j.Key("roots").BeginArray();
    for (const std::string& r : roots.roots) j.String(r);
    j.EndArray();
    j.Field("db", run.db_path);
    j.EndObject();
    std::printf("%s\n", j.str().c_str());
  } else {
    std::printf("%s %s, %s (%s): %s, %s, %lld quarantined, %lld already stored; %s, %s touched%s\n",
                run.replay ? "replayed" : "rescanned", Plural(report.files, "file").c_str(),
                Plural(stats.lines, "line").c_str(), HumanBytes(static_cast<double>(stats.bytes)).c_str(),
                Plural(stats.messages, "message").c_str(), Plural(stats.events, "event").c_str(),
                static_cast<long long>(stats.quarantined), static_cast<long long>(stats.duplicates),
                Plural(static_cast<int64_t>(stats.conversations.size()), "conversation").c_str(),
                Plural(static_cast<int64_t>(stats.projects.size()), "project").c_str(),
                run.replay ? "" : absl::StrFormat(" in %.2fs", secs).c_str());
    if (report.removed > 0 || report.renamed > 0 || report.new_generations > 0) {
      std::printf("  %lld transcripts gone (history kept), %lld renamed, %lld re-read from the start\n",
                  static_cast<long long>(report.removed), static_cast<long long>(report.renamed),
                  static_cast<long long>(report.new_generations));
    }
    if (!report.skipped.empty()) {
      std::printf("  %zu paths below the roots skipped (named in the warnings)\n", report.skipped.size());
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
  FlagSpec spec;
  spec.value_flags = {"root", "db", "max-line-bytes", "batch-records"};
  spec.bool_flags = {"json", "rescan"};
  spec.max_positional = replay ? 1 : 0;
  ASSIGN_OR_RETURN(Args args, ParseArgs(argv, spec));
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
