// `cco forget --session S | --project P [--undo]`: purge a session or a
// project so that nothing of it stays in the database file, with a
// tombstone that keeps it out of later scans; the undo reads it again from
// the transcripts that still exist.
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/help.h"
#include "cli/writer_setup.h"
#include "ingest/rederive.h"
#include "src/backup.h"
#include "src/conversation.h"
#include "src/daemon/lock.h"
#include "src/daemon/paths.h"
#include "src/errors.h"
#include "src/forget.h"
#include "src/json_writer.h"
#include "src/migrate.h"
#include "src/reader.h"

namespace cco {
namespace {

constexpr char kWho[] = "cco forget";

// The target named on the command line, as the database knows it: a
// session by id or unique prefix (for an undo, among the forgotten sessions
// first: a forgotten session is no longer stored), a project by anything
// `report --project` takes, which must name exactly one.
absl::StatusOr<ForgetTarget> ResolveTarget(SqliteReader& reader, const Args& args) {
  ForgetTarget target;
  if (args.Has("session")) {
    const std::string given = args.Get("session");
    absl::StatusOr<std::string> session = absl::NotFoundError("");
    if (args.Has("undo")) session = ResolveForgottenSession(reader.db(), given);
    if (absl::IsNotFound(session.status())) session = ResolveSession(reader.db(), given);
    if (!session.ok()) return session.status();
    target.key = *session;
    return target;
  }
  target.project = true;
  const std::string given = args.Get("project");
  ASSIGN_OR_RETURN(ProjectMatch match, reader.MatchProjects(given));
  if (match.ids.size() != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        match.ids.empty() ? "no project matches '" : "several projects match '", given,
        "': give its directory name (cco report project lists them)"));
  }
  ASSIGN_OR_RETURN(std::optional<std::string> dir_name, ProjectDirName(reader.db(), match.ids[0]));
  if (!dir_name.has_value()) return absl::NotFoundError(absl::StrCat("no project '", given, "'"));
  target.key = std::move(*dir_name);
  return target;
}

}  // namespace

int RunForget(const std::vector<std::string>& argv) {
  auto args = ParseArgs(argv, FlagsFor("forget"));
  auto usage = [](const std::string& message) {
    std::fprintf(stderr, "%s: %s (see cco help forget)\n", kWho, message.c_str());
    return kExitUsage;
  };
  if (!args.ok()) return usage(std::string(args.status().message()));
  if (args->Has("session") == args->Has("project")) return usage("give --session S or --project P (one of them)");
  auto db_path = ResolveDbPath(args->Get("db"));
  if (!db_path.ok()) return usage(std::string(db_path.status().message()));
  absl::StatusOr<ForgetTarget> target;
  {
    absl::StatusOr<std::unique_ptr<SqliteReader>> reader =
        SqliteReader::Open(*db_path, ReaderOptions{.accept_older_schema = true});
    if (!reader.ok()) return ReportFailure(reader.status(), kWho);
    target = ResolveTarget(**reader, *args);
    if (!target.ok()) return ReportFailure(target.status(), kWho);
  }
  const std::string what = absl::StrCat(target->project ? "project " : "session ", target->key);
  const bool json = args->Has("json");

  if (args->Has("undo")) {
    absl::StatusOr<UndoResult> undone;
    std::vector<std::string> roots;
    {
      absl::StatusOr<WriterLock> lock = WriterLock::Acquire(*db_path);
      if (!lock.ok()) return ReportFailure(lock.status(), kWho);
      absl::StatusOr<Db> db = Db::Open(*db_path, Db::Mode::kReadWrite);
      if (!db.ok()) return ReportFailure(db.status(), kWho);
      if (absl::Status s = Migrate(*db); !s.ok()) return ReportFailure(s, kWho);
      undone = UndoForget(*db, *target);
      if (!undone.ok()) return ReportFailure(undone.status(), kWho);
      absl::StatusOr<std::vector<std::string>> found = RootsOfFiles(*db, undone->files_reread);
      if (!found.ok()) return ReportFailure(found.status(), kWho);
      roots = std::move(*found);
    }
    int64_t lines = 0;
    if (!roots.empty()) {
      absl::StatusOr<int64_t> read = ScanOnce(*db_path, WriterStart{"forget", roots}, SqliteStoreOptions{});
      if (!read.ok()) return ReportFailure(read.status(), kWho);
      lines = *read;
    }
    if (json) {
      JsonWriter j;
      j.BeginObject().Field("undone", what).Field("was_forgotten", undone->had_tombstone)
          .Field("files_read_again", static_cast<int64_t>(undone->files_reread.size())).Field("lines", lines);
      j.Key("files_gone").BeginArray();
      for (const std::string& p : undone->files_gone) j.String(p);
      j.EndArray().EndObject();
      std::printf("%s\n", j.str().c_str());
    } else {
      std::printf("%s is no longer forgotten%s; %zu file(s) read again (%lld lines)\n", what.c_str(),
                  undone->had_tombstone ? "" : " (it was not)", undone->files_reread.size(),
                  static_cast<long long>(lines));
      if (!undone->files_gone.empty()) {
        std::printf("%zu file(s) of it no longer exist, so their lines cannot come back:\n", undone->files_gone.size());
        for (const std::string& p : undone->files_gone) std::printf("  %s\n", p.c_str());
      }
    }
    return kExitOk;
  }

  absl::StatusOr<WriterLock> lock = WriterLock::Acquire(*db_path);
  if (!lock.ok()) return ReportFailure(lock.status(), kWho);
  absl::StatusOr<ForgetResult> forgot;
  {
    absl::StatusOr<Db> db = Db::Open(*db_path, Db::Mode::kReadWrite);
    if (!db.ok()) return ReportFailure(db.status(), kWho);
    if (absl::Status s = Migrate(*db); !s.ok()) return ReportFailure(s, kWho);
    forgot = Forget(*db, *target, absl::ToUnixMillis(absl::Now()));
    if (!forgot.ok()) return ReportFailure(forgot.status(), kWho);
  }
  // Derived data rebuilt without the forgotten lines (verified like cco
  // check), then nothing of them left in the file.
  if (absl::StatusOr<std::optional<RederiveReport>> r = RederiveIfRequested(*db_path); !r.ok()) {
    return ReportFailure(r.status(), kWho);
  }
  {
    absl::StatusOr<Db> db = Db::Open(*db_path, Db::Mode::kReadWrite);
    absl::Status scrubbed = db.ok() ? ScrubDatabase(*db) : db.status();
    if (!scrubbed.ok()) return ReportFailure(Prefixed(scrubbed, "forgotten, but the file is not scrubbed yet"), kWho);
  }
  absl::StatusOr<std::vector<std::string>> backups = RecordedBackups(*db_path);
  const std::vector<std::string> holding = backups.ok() ? *backups : std::vector<std::string>{};
  if (json) {
    JsonWriter j;
    j.BeginObject().Field("forgotten", what).Field("messages", forgot->messages).Field("events", forgot->events)
        .Field("quarantined", forgot->quarantined).Field("conversations", forgot->conversations)
        .Field("dictionaries_replaced", forgot->dictionaries.removed)
        .Field("dictionaries_trained", forgot->dictionaries.trained)
        .Field("values_reencoded", forgot->dictionaries.reencoded);
    j.Key("backups_still_holding_it").BeginArray();
    for (const std::string& b : holding) j.String(b);
    j.EndArray().EndObject();
    std::printf("%s\n", j.str().c_str());
  } else {
    std::printf("forgot %s: %lld messages, %lld events, %lld quarantined lines purged%s\n", what.c_str(),
                static_cast<long long>(forgot->messages), static_cast<long long>(forgot->events),
                static_cast<long long>(forgot->quarantined), forgot->already ? " (it was forgotten already)" : "");
    std::printf("the database file holds none of it (full-text indexes merged, %lld compression dictionaries "
                "replaced by %lld trained on what remains and %lld values re-encoded, VACUUM, WAL truncated); its "
                "future lines are passed over until cco forget --undo %s %s\n",
                static_cast<long long>(forgot->dictionaries.removed),
                static_cast<long long>(forgot->dictionaries.trained),
                static_cast<long long>(forgot->dictionaries.reencoded), target->project ? "--project" : "--session",
                target->key.c_str());
    if (!holding.empty()) {
      std::printf("these backups made before still hold it (delete them or run cco backup again):\n");
      for (const std::string& b : holding) std::printf("  %s\n", b.c_str());
    }
  }
  return kExitOk;
}

}  // namespace cco
