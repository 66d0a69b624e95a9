// `cco rederive`: rebuild every derived table from the stored lines with
// today's rules and prices (ingest/rederive.h), under the writer lock.
#include <sys/stat.h>

#include <cstdio>

#include "absl/strings/str_format.h"
#include "ingest/rederive.h"
#include "cli/commands.h"
#include "cli/format.h"
#include "cli/help.h"
#include "cli/flags.h"
#include "cli/writer_setup.h"
#include "src/json_writer.h"
#include "src/daemon/lock.h"
#include "src/errors.h"
#include "src/migrate.h"
#include "src/reader.h"
#include "src/daemon/paths.h"
#include "src/sqlite.h"

namespace cco {
namespace {


double Usd(int64_t nanousd) { return static_cast<double>(nanousd) / 1e9; }

void PrintJson(const RederiveReport& r) {
  JsonWriter j;
  j.BeginObject()
      .Field("ok", true)
      .Field("messages", r.messages)
      .Field("events", r.events)
      .Field("unparsable", r.unparsable)
      .Field("rows_updated", r.rows_updated)
      .Field("api_calls", r.api_calls)
      .Field("unpriced_calls", r.unpriced_calls)
      .Field("cost_before_usd", Usd(r.cost_before_nanousd))
      .Field("cost_after_usd", Usd(r.cost_after_nanousd));
  j.Key("unpriced_models").BeginArray();
  for (const UnpricedModel& m : r.unpriced) {
    j.BeginObject().Field("model", m.model).Field("calls", m.calls).Field("tokens", m.tokens).EndObject();
  }
  j.EndArray().Key("requests").BeginArray();
  for (const std::string& reason : r.requests) j.String(reason);
  j.EndArray().EndObject();
  std::printf("%s\n", j.str().c_str());
}

void PrintText(const RederiveReport& r) {
  std::printf("rederived %s and %s: %s, cost %s USD (was %s)\n", Plural(r.messages, "message").c_str(),
              Plural(r.events, "event").c_str(), Plural(r.api_calls, "API call").c_str(),
              absl::StrFormat("%.2f", Usd(r.cost_after_nanousd)).c_str(),
              absl::StrFormat("%.2f", Usd(r.cost_before_nanousd)).c_str());
  if (r.rows_updated > 0) {
    std::printf("%s had %s searchable text or token columns updated\n", Plural(r.rows_updated, "message").c_str(),
                r.rows_updated == 1 ? "its" : "their");
  }
  if (r.unparsable > 0) {
    std::printf("%s could not be parsed again and %s left out\n", Plural(r.unparsable, "stored row").c_str(),
                r.unparsable == 1 ? "was" : "were");
  }
  if (r.unpriced_calls == 0) {
    std::printf("every API call has a price\n");
  } else {
    std::printf("%s used models without a known price and count 0 USD:\n", Plural(r.unpriced_calls, "API call").c_str());
    for (const UnpricedModel& m : r.unpriced) {
      std::printf("  %s: %s, %s\n", m.model.c_str(), Plural(m.calls, "call").c_str(), Plural(m.tokens, "token").c_str());
    }
  }
}

}  // namespace

int RunRederive(const std::vector<std::string>& argv) {
  auto args = ParseArgs(argv, FlagsFor("rederive"));
  if (!args.ok()) {
    std::fprintf(stderr, "cco rederive: %s (see cco help rederive)\n", std::string(args.status().message()).c_str());
    return kExitUsage;
  }
  auto db_path = ResolveDbPath(args->Get("db"));
  if (!db_path.ok()) {
    std::fprintf(stderr, "cco rederive: %s\n", std::string(db_path.status().message()).c_str());
    return kExitUsage;
  }
  if (KindOf(CheckDatabaseFile(*db_path)) == ErrorKind::kNoDatabase) {
    std::fprintf(stderr, "cco rederive: no database at %s\n", db_path->c_str());
    return kExitUsage;
  }
  // Refused before the lock is taken: a failed open leaves no file behind.
  if (absl::Status usable = CheckWriterPath(*db_path); !usable.ok()) return ReportFailure(usable, "cco rederive");
  // The writer lock, like every writing command: a running `cco watch`
  // holds it (exit 3).
  auto lock = WriterLock::Acquire(*db_path);
  if (!lock.ok()) return ReportFailure(lock.status());
  auto db = Db::Open(*db_path, Db::Mode::kReadWrite);
  absl::Status migrated = db.ok() ? Migrate(*db) : db.status();
  if (!migrated.ok()) return ReportFailure(migrated);
  auto report = Rederive(*db);
  if (!report.ok()) return ReportFailure(report.status());
  if (args->Has("json")) {
    PrintJson(*report);
  } else {
    PrintText(*report);
  }
  return kExitOk;
}

}  // namespace cco
