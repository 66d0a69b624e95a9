// `cco check`: integrity of the database file and of the derived data
// (rollups and conversation stats equal a from-scratch recompute).
#include <sys/stat.h>

#include <cstdio>

#include "src/check.h"
#include "src/cli/commands.h"
#include "src/cli/flags.h"
#include "src/json_writer.h"
#include "src/migrate.h"
#include "src/paths.h"
#include "src/sqlite.h"

namespace cco {

int RunCheck(const std::vector<std::string>& argv) {
  FlagSpec spec;
  spec.value_flags = {"db"};
  spec.bool_flags = {"json"};
  auto args = ParseArgs(argv, spec);
  if (!args.ok()) {
    std::fprintf(stderr, "cco check: %s\nusage: cco check [--db PATH] [--json]\n",
                 std::string(args.status().message()).c_str());
    return kExitUsage;
  }
  auto db_path = ResolveDbPath(args->Get("db"));
  if (!db_path.ok()) {
    std::fprintf(stderr, "cco check: %s\n", std::string(db_path.status().message()).c_str());
    return kExitUsage;
  }
  struct stat st;
  if (::stat(db_path->c_str(), &st) != 0) {
    std::fprintf(stderr, "cco check: no database at %s\n", db_path->c_str());
    return kExitUsage;
  }
  auto db = Db::Open(*db_path, Db::Mode::kReadOnly);
  absl::Status schema = db.ok() ? CheckSchema(*db) : db.status();
  if (!schema.ok()) {
    std::fprintf(stderr, "cco check: %s\n", std::string(schema.message()).c_str());
    return kExitFailure;
  }
  auto report = CheckDatabase(*db);
  if (!report.ok()) {
    std::fprintf(stderr, "cco check: %s\n", std::string(report.status().message()).c_str());
    return kExitFailure;
  }
  if (args->Has("json")) {
    JsonWriter j;
    j.BeginObject()
        .Field("ok", report->ok())
        .Field("integrity", report->integrity)
        .Field("rollup_mismatches", report->rollup_mismatches)
        .Field("session_mismatches", report->session_mismatches)
        .Field("conversation_mismatches", report->conversation_mismatches);
    j.Key("examples").BeginArray();
    for (const std::string& e : report->examples) j.String(e);
    j.EndArray().EndObject();
    std::printf("%s\n", j.str().c_str());
  } else {
    std::printf("integrity: %s\n", report->integrity.c_str());
    std::printf("rollups equal a recompute: %s (%lld analytics, %lld session, %lld conversation mismatches)\n",
                report->ok() ? "yes" : "NO", static_cast<long long>(report->rollup_mismatches),
                static_cast<long long>(report->session_mismatches),
                static_cast<long long>(report->conversation_mismatches));
    for (const std::string& e : report->examples) std::printf("  %s\n", e.c_str());
  }
  return report->ok() ? kExitOk : kExitFailure;
}

}  // namespace cco
