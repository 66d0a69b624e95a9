// `cco push --to URL` (one shot) and `cco team-init --db URL` (the team
// server's schema): the command side of src/push.h and src/pg_schema.h.
#include <csignal>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/format.h"
#include "cli/help.h"
#include "cli/push_loop.h"
#include "src/daemon/paths.h"
#include "src/json_writer.h"
#include "src/pg.h"
#include "src/pg_schema.h"
#include "src/push.h"
#include "src/status.h"
#include "spdlog/spdlog.h"

namespace cco {
namespace {

#ifdef CCO_TEST_HOOKS
// CCO_TEST_KILL_IN_PUSH=N (test builds): SIGKILL this process inside the
// N-th batch's open server transaction, after its rows and mark are written
// and before COMMIT, so a test interrupts a push at a moment it knows.
void InstallPushHook(PushOptions* options) {
  const char* spec = std::getenv("CCO_TEST_KILL_IN_PUSH");
  int64_t at = 0;
  if (spec == nullptr || !absl::SimpleAtoi(spec, &at)) return;
  options->before_commit = [at](int64_t batch) {
    if (batch == at) std::raise(SIGKILL);
  };
}
#endif

}  // namespace

absl::StatusOr<PushOptions> PushOptionsFrom(const Args& args, const std::string& url) {
  PushOptions options;
  options.url = url;
  options.machine = args.Get("machine");
  options.usage_only = args.Has("usage-only");
  options.exclude_projects = args.GetAll("exclude-project");
  if (args.Has("batch-rows") &&
      (!absl::SimpleAtoi(args.Get("batch-rows"), &options.batch_rows) || options.batch_rows < 1)) {
    return absl::InvalidArgumentError(absl::StrCat("--batch-rows '", args.Get("batch-rows"), "' is not a positive number"));
  }
#ifdef CCO_TEST_HOOKS
  InstallPushHook(&options);
#endif
  return options;
}

int RunPush(const std::vector<std::string>& argv) {
  absl::StatusOr<Args> args = ParseArgs(argv, FlagsFor("push"));
  if (!args.ok()) return ReportFailure(args.status(), "cco push");
  const std::string url = args->Get("to");
  if (url.empty() || !IsPostgresUrl(url)) {
    std::fprintf(stderr, "cco push: --to postgresql://ROLE@HOST/DATABASE is required (see cco help push)\n");
    return kExitUsage;
  }
  absl::StatusOr<std::string> db_path = ResolveDbPath(args->Get("db"));
  if (!db_path.ok()) return ReportFailure(db_path.status(), "cco push");
  absl::StatusOr<PushOptions> options = PushOptionsFrom(*args, url);
  if (!options.ok()) return ReportFailure(options.status(), "cco push");
  absl::StatusOr<std::unique_ptr<Pusher>> pusher = Pusher::Open(*db_path, *options);
  if (!pusher.ok()) return ReportFailure(pusher.status(), "cco push");
  absl::StatusOr<PushResult> result = (*pusher)->Push();
  if (!result.ok()) return ReportFailure(result.status(), "cco push");
  if (args->Has("json")) {
    JsonWriter j;
    j.BeginObject()
        .Field("server", RedactedUrl(url))
        .Field("machine", result->machine)
        .Field("user", result->user)
        .Field("rows", result->rows)
        .Field("batches", result->batches)
        .Field("pushed_seq", result->pushed_seq)
        .Field("taken_back", result->taken_back)
        .Field("usage_only", (*pusher)->options().usage_only);
    j.Key("excluded_projects").BeginArray();
    for (const std::string& p : (*pusher)->options().exclude_projects) j.String(p);
    j.EndArray().EndObject();
    std::printf("%s\n", j.str().c_str());
    return kExitOk;
  }
  if (result->taken_back > 0) {
    std::printf("took back %s from %s: a privacy setting widened (--usage-only or --exclude-project)\n",
                Plural(result->taken_back, "row").c_str(), RedactedUrl(url).c_str());
  }
  if (result->rows == 0) {
    std::printf("%s is up to date (machine %s, user %s)\n", RedactedUrl(url).c_str(), result->machine.c_str(),
                result->user.c_str());
  } else {
    std::printf("pushed %s to %s in %s (machine %s, user %s)\n", Plural(result->rows, "row").c_str(),
                RedactedUrl(url).c_str(), Plural(result->batches, "transaction").c_str(), result->machine.c_str(),
                result->user.c_str());
  }
  return kExitOk;
}

absl::StatusOr<std::unique_ptr<PushLoop>> PushLoop::Start(const std::string& db_path, PushOptions options) {
  std::unique_ptr<PushLoop> loop(new PushLoop());
  loop->where_ = RedactedUrl(options.url);
  ASSIGN_OR_RETURN(loop->pusher_, Pusher::Open(db_path, std::move(options)));
  loop->thread_ = std::thread([l = loop.get()] { l->Run(); });
  return loop;
}

PushLoop::~PushLoop() { Stop(); }

void PushLoop::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool PushLoop::Wait(std::chrono::milliseconds d) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, d, [this] { return stop_; });
  return !stop_;
}

void PushLoop::Run() {
  constexpr std::chrono::milliseconds kIdle(200);  // how often the local sequence is looked at
  constexpr std::chrono::milliseconds kMaxBackoff(30000);
  std::chrono::milliseconds backoff(1000);
  std::optional<int64_t> pushed;  // the server's mark after the last success
  bool failing = false;
  do {
    if (pushed.has_value()) {
      absl::StatusOr<int64_t> local = pusher_->LocalSeq();
      if (local.ok() && *local <= *pushed) continue;  // nothing new
    }
    absl::StatusOr<PushResult> result = pusher_->Push();
    if (result.ok()) {
      pushed = result->pushed_seq;
      backoff = std::chrono::milliseconds(1000);
      if (failing) spdlog::info("push to {} works again", where_);
      failing = false;
      if (result->rows > 0) spdlog::debug("pushed rows={} to {}", result->rows, where_);
      continue;
    }
    // Permission and schema errors need a person; they are retried too (a
    // lead may fix the registry), at the longest backoff.
    spdlog::warn("push to {} failed, retrying in {}s error=\"{}\"", where_, backoff.count() / 1000,
                 result.status().message());
    failing = true;
    pushed.reset();
    if (!Wait(backoff)) break;
    backoff = std::min(backoff * 2, kMaxBackoff);
  } while (Wait(kIdle));
}

int RunTeamInit(const std::vector<std::string>& argv) {
  absl::StatusOr<Args> args = ParseArgs(argv, FlagsFor("team-init"));
  if (!args.ok()) return ReportFailure(args.status(), "cco team-init");
  const std::string url = args->Get("db");
  if (!IsPostgresUrl(url)) {
    std::fprintf(stderr, "cco team-init: --db postgresql://OWNER@HOST/DATABASE is required\n");
    return kExitUsage;
  }
  absl::StatusOr<PgConn> conn = PgConn::Connect(url);
  if (!conn.ok()) return ReportFailure(conn.status(), "cco team-init");
  if (absl::Status migrated = MigratePg(*conn); !migrated.ok()) return ReportFailure(migrated, "cco team-init");
  std::printf("%s has the team schema (%zu migrations)\n", RedactedUrl(url).c_str(), PgMigrations().size());
  return kExitOk;
}

}  // namespace cco
