// `cco watch`: the live service. Backfills what is pending, then follows the
// transcripts until SIGTERM/SIGINT; SIGHUP reconciles every root. Speaks the
// systemd notify protocol (READY, STATUS, WATCHDOG, STOPPING) when run by
// systemd.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "ingest/env.h"
#include "ingest/follower.h"
#include "ingest/roots.h"
#include "ingest/watcher.h"
#include "spdlog/spdlog.h"
#include "cli/push_loop.h"
#include "src/pg.h"
#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/format.h"
#include "cli/help.h"
#include "cli/progress.h"
#include "cli/web_server.h"
#include "cli/writer_setup.h"
#include "src/daemon/paths.h"
#include "src/daemon/sd_notify.h"
#include "src/daemon/signals.h"
#include "src/memory_budget.h"
#include "src/status.h"

namespace cco {
namespace {

// CCO_TEST_INOTIFY_WATCHES=N (test builds): the inotify watcher holds at
// most N directory watches, as if fs.inotify.max_user_watches were reached,
// so the fallback to polling is tested without lowering a machine-wide limit.
InotifyOptions TestInotifyOptions() {
  InotifyOptions options;
#ifdef CCO_TEST_HOOKS
  if (const char* n = std::getenv("CCO_TEST_INOTIFY_WATCHES"); n != nullptr) {
    int64_t max = 0;
    if (absl::SimpleAtoi(n, &max) && max > 0) options.max_watches = static_cast<size_t>(max);
  }
#endif
  return options;
}

struct WatchRun {
  std::vector<std::string> roots;  // --root values; empty: the defaults
  std::string db_path;
  absl::Duration reconcile_every = absl::Seconds(300);
  absl::Duration batch_delay = absl::Milliseconds(50);
  int64_t max_line_bytes = kDefaultMaxLineBytes;
  bool poll = false;
  // --serve: the dashboard from this process, with these flags (--port,
  // --listen).
  std::optional<Args> serve;
  // --push-to: keep this team server in step (push_loop.h).
  std::optional<PushOptions> push;
};

absl::StatusOr<int64_t> PositiveFlag(const Args& args, const std::string& name, int64_t fallback, int64_t min) {
  if (!args.Has(name)) return fallback;
  int64_t value = 0;
  if (!absl::SimpleAtoi(args.Get(name), &value) || value < min) {
    return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a number of at least ", min));
  }
  return value;
}

absl::StatusOr<WatchRun> ParseWatchFlags(const std::vector<std::string>& argv) {
  ASSIGN_OR_RETURN(Args args, ParseArgs(argv, FlagsFor("watch")));
  WatchRun run;
  run.roots = args.GetAll("root");
  run.poll = args.Has("poll");
  if (args.Has("serve")) {
    run.serve = args;
  } else if (args.Has("port") || args.Has("listen")) {
    return absl::InvalidArgumentError("--port and --listen go with --serve");
  }
  if (args.Has("push-to")) {
    if (!IsPostgresUrl(args.Get("push-to"))) {
      return absl::InvalidArgumentError("--push-to takes a team server: postgresql://ROLE@HOST/DATABASE");
    }
    ASSIGN_OR_RETURN(run.push, PushOptionsFrom(args, args.Get("push-to")));
  } else {
    for (const char* flag : {"usage-only", "exclude-project", "machine"}) {
      if (args.Has(flag)) return absl::InvalidArgumentError(absl::StrCat("--", flag, " goes with --push-to"));
    }
  }
  ASSIGN_OR_RETURN(run.db_path, ResolveDbPath(args.Get("db")));
  if (args.Has("db")) RETURN_IF_ERROR(CheckDbFlagDirectory(run.db_path));
  ASSIGN_OR_RETURN(int64_t reconcile_s, PositiveFlag(args, "reconcile-every", 300, 1));
  run.reconcile_every = absl::Seconds(reconcile_s);
  ASSIGN_OR_RETURN(int64_t delay_ms, PositiveFlag(args, "batch-delay-ms", 50, 0));
  run.batch_delay = absl::Milliseconds(delay_ms);
  ASSIGN_OR_RETURN(run.max_line_bytes, PositiveFlag(args, "max-line-bytes", kDefaultMaxLineBytes, 1024));
  return run;
}

void WakeWatcher(void* watcher) { static_cast<Watcher*>(watcher)->Wake(); }

int Watch(const WatchRun& run) {
  absl::StatusOr<std::vector<std::string>> candidates = CandidateRoots(run.roots);
  if (!candidates.ok()) return ReportFailure(candidates.status());
  const std::vector<std::string>& roots = *candidates;
  if (roots.empty()) return ReportFailure(absl::NotFoundError("no transcript root: set --root or HOME"));

  // The writer's default in-flight budget (src/memory_budget.h) also keeps
  // shutdown fast: everything queued is committed before exit.
  WriterOptions writer_options;
  writer_options.max_batch_delay = run.batch_delay;
  // Every thread started from here on leaves the signals to this one.
  SignalMonitor::BlockInThisThread();
  absl::StatusOr<WriterSetup> setup =
      StartWriter(run.db_path, WriterStart{"watch", roots}, SqliteStoreOptions{}, writer_options);
  if (!setup.ok()) return ReportFailure(setup.status());
  Writer& writer = *setup->writer;
  // The database exists and is migrated now: the server's read-only
  // connections can open it, and show the backfill as it goes.
  std::unique_ptr<WebServer> server;
  if (run.serve.has_value()) {
    absl::StatusOr<std::unique_ptr<WebServer>> started = StartServerFromFlags(*run.serve, run.db_path);
    if (!started.ok()) {
      (void)writer.Stop();
      return ReportFailure(started.status());
    }
    server = std::move(*started);
  }

  std::unique_ptr<PushLoop> pusher;
  if (run.push.has_value()) {
    absl::StatusOr<std::unique_ptr<PushLoop>> started = PushLoop::Start(run.db_path, *run.push);
    if (!started.ok()) {
      if (server != nullptr) server->Stop();
      (void)writer.Stop();
      return ReportFailure(started.status());
    }
    pusher = std::move(*started);
  }

  absl::StatusOr<std::unique_ptr<Watcher>> watcher =
      run.poll ? absl::StatusOr<std::unique_ptr<Watcher>>(MakePollWatcher(absl::Seconds(2)))
               : MakeDefaultWatcher(TestInotifyOptions());
  if (!watcher.ok()) {
    (void)writer.Stop();
    return ReportFailure(watcher.status());
  }
  writer.OnError([w = watcher->get()] { w->Wake(); });
  absl::StatusOr<std::unique_ptr<SignalMonitor>> signals = SignalMonitor::Install(&WakeWatcher, watcher->get());
  if (!signals.ok()) {
    (void)writer.Stop();
    return ReportFailure(signals.status());
  }
  SignalMonitor& monitor = **signals;
  SdNotifier notifier = SdNotifier::FromEnvironment();
  bool notify_warned = false;
  auto notify = [&notifier, &notify_warned](std::string_view state) {
    if (absl::Status s = notifier.Notify(state); !s.ok()) {
      spdlog::log(notify_warned ? spdlog::level::debug : spdlog::level::warn,
                  "systemd notification failed error=\"{}\"", s.message());
      notify_warned = true;
    }
  };

  FollowerOptions options;
  options.roots = roots;
  options.reconcile_every = run.reconcile_every;
  options.max_queued_bytes = 8 << 20;
  // Chunks of at most 1 MiB of lines: a stop request waits for at most a few
  // of them to commit.
  options.tail.chunk_bytes = 1 << 20;
  options.tail.max_line_bytes = run.max_line_bytes;
  absl::Time extended_until = absl::InfinitePast();
  bool ready = false;
  options.tick = [&] {
    notifier.PingWatchdog();
    // Until READY, a long backfill keeps pushing systemd's start timeout out.
    if (!ready && notifier.enabled() && absl::Now() + absl::Seconds(20) > extended_until) {
      extended_until = absl::Now() + absl::Seconds(60);
      notify("EXTEND_TIMEOUT_USEC=60000000");
    }
  };
  options.until_next_tick = [&notifier] { return notifier.UntilNextPing(); };
  options.stop_requested = [&monitor] { return monitor.stop_requested(); };
  options.take_reload = [&monitor] {
    if (!monitor.TakeReload()) return false;
    spdlog::info("SIGHUP: reconciling every root");
    return true;
  };
  options.status = [&notify](std::string_view text) { notify(absl::StrCat("STATUS=", AsAbsl(text))); };
  // On a terminal, a person started it: say what it watches, where it
  // writes, and how the backfill goes. Under systemd (no terminal) only the
  // log lines speak.
  const bool terminal = ::isatty(STDERR_FILENO) != 0;
  ProgressBar bar(terminal);
  options.progress = [&bar, &ready](const ScanProgress& p) {
    if (!ready) bar.Update(p);
  };
  if (terminal) {
    std::fprintf(stderr, "cco watch: database %s\n", run.db_path.c_str());
    for (const std::string& root : roots) {
      const bool present = Env::Default().Stat(root).ok();
      std::fprintf(stderr, "  root %s%s\n", root.c_str(), present ? "" : " (missing: watched for)");
    }
    std::fprintf(stderr, "backfilling what is not yet in the database...\n");
  }

  spdlog::info("cco watch starting pid={} db=\"{}\" roots=\"{}\" reconcile_every_s={}", ::getpid(), run.db_path,
               absl::StrJoin(roots, ","), absl::ToInt64Seconds(run.reconcile_every));
  const absl::Time start = absl::Now();
  Follower follower(writer, **watcher, std::move(setup->states), options);
  notifier.PingWatchdog(/*force=*/true);
  absl::Status status = follower.Backfill();
  if (status.ok()) {
    ready = true;
    // A big backfill leaves the page cache full and freed batches in
    // malloc's arenas: give them back, so the idle daemon's footprint is
    // what it keeps (file states), before telling systemd it is ready.
    if (absl::Status released = writer.ReleaseMemory(); !released.ok()) {
      spdlog::warn("cannot release memory after the backfill error=\"{}\"", released.message());
    }
    notify("READY=1");
    notifier.PingWatchdog(/*force=*/true);
    bar.Finish();
    if (terminal) {
      std::fprintf(stderr, "backfill done: %s in %.1fs; following live (Ctrl-C to stop)\n",
                   Plural(follower.stats().files, "file").c_str(), absl::ToDoubleSeconds(absl::Now() - start));
    }
    spdlog::info("backfill done, following files={} took_ms={} watches={}{}", follower.stats().files,
                 absl::ToInt64Milliseconds(absl::Now() - start), (*watcher)->watch_count(),
                 (*watcher)->degraded() ? " (polling)" : "");
    status = follower.Run();
  }
  if (monitor.stop_requested()) {
    spdlog::info("signal {} received, committing what is queued", monitor.stop_signal());
  }
  notify("STOPPING=1");
  if (server != nullptr) server->Stop();
  if (pusher != nullptr) pusher->Stop();
  const absl::Time stopping = absl::Now();
  absl::Status stop = writer.Stop();
  const CommitStats stats = writer.stats();
  spdlog::info("stopped lines={} messages={} events={} quarantined={} events_handled={} reconciles={} "
               "stop_ms={}",
               stats.lines, stats.messages, stats.events, stats.quarantined, follower.stats().events,
               follower.stats().reconciles, absl::ToInt64Milliseconds(absl::Now() - stopping));
  const bool stopped_by_signal = monitor.stop_requested();
  bar.Finish();
  if (terminal && stop.ok()) {
    std::fprintf(stderr, "stopped: %s committed by this run\n", Plural(stats.lines, "line").c_str());
  }
  signals->reset();  // before the watcher it wakes goes away
  if (!status.ok() && !(absl::IsCancelled(status) && stopped_by_signal)) return ReportFailure(status);
  if (!stop.ok()) return ReportFailure(stop);
  return kExitOk;
}

}  // namespace

int RunWatch(const std::vector<std::string>& argv) {
  absl::StatusOr<WatchRun> run = ParseWatchFlags(argv);
  if (!run.ok()) return ReportFailure(run.status());
  return Watch(*run);
}

}  // namespace cco
