#include "tests/test_support.h"

#include "tests/ci_summary.h"

#include "src/sql_functions.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace cco::testing {
namespace fs = std::filesystem;

TempDir::TempDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string templ = std::string(tmp != nullptr && *tmp ? tmp : "/tmp") + "/cco-test-XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = buf.data();
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ec);
  fs::remove_all(path_, ec);
}

namespace {

std::string Slurp(int fd) {
  std::string out;
  char buf[65536];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

}  // namespace

CommandResult RunCommand(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  TempDir io;
  std::string out_path = io / "out", err_path = io / "err";
  pid_t pid = ::fork();
  if (pid == 0) {
    int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int in = ::open("/dev/null", O_RDONLY);
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::dup2(in, 0);
    for (const std::string& e : env) ::putenv(const_cast<char*>(e.c_str()));
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = ReadFile(out_path);
  r.err = ReadFile(err_path);
  return r;
}

CommandResult RunCco(const std::vector<std::string>& args, const std::vector<std::string>& env) {
  std::vector<std::string> argv = {CCO_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, env);
}

void WriteFile(const std::string& path, const std::string& content) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << content;
}

void AppendFile(const std::string& path, const std::string& content) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream f(path, std::ios::binary | std::ios::app);
  f << content;
}

std::string ReadFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return "";
  std::string s = Slurp(fd);
  ::close(fd);
  return s;
}

std::string QueryRows(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string out;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    ADD_FAILURE() << "cannot open " << db_path;
    return out;
  }
  sqlite3_busy_timeout(db, 10000);
  cco::RegisterSqlFunctions(db);  // cco_raw()/cco_text(), as every cco connection has
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << "bad query: " << sql << ": " << sqlite3_errmsg(db);
    sqlite3_close(db);
    return out;
  }
  bool first_row = true;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    if (!first_row) out.push_back('\n');
    first_row = false;
    for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
      if (c > 0) out.push_back('|');
      const unsigned char* t = sqlite3_column_text(stmt, c);
      if (t != nullptr) out.append(reinterpret_cast<const char*>(t), static_cast<size_t>(sqlite3_column_bytes(stmt, c)));
    }
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

int64_t QueryInt(const std::string& db_path, const std::string& sql) {
  std::string rows = QueryRows(db_path, sql);
  if (rows.empty()) return -1;
  return std::strtoll(rows.c_str(), nullptr, 10);
}

void CiSummary(const std::string& line) {
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
  if (const char* path = std::getenv("CCO_CI_SUMMARY"); path != nullptr && *path != '\0') {
    AppendFile(path, line + "\n");
  }
}

std::string Golden(const std::string& name) { return std::string(CCO_SOURCE_DIR) + "/tests/golden/" + name; }

std::string CorpusDir() {
  std::error_code ec;
  std::string dir = CCO_CORPUS_DIR;
  if (fs::is_directory(dir + "/projects", ec)) return fs::canonical(dir, ec).string();
  return "";
}

int64_t JsonInt(const std::string& json, const std::string& key) {
  std::string needle = "\"" + key + "\":";
  size_t pos = json.find(needle);
  if (pos == std::string::npos) {
    ADD_FAILURE() << "no key " << key << " in " << json;
    return -1;
  }
  return std::strtoll(json.c_str() + pos + needle.size(), nullptr, 10);
}

void ExpectCheckPasses(const std::string& db_path) {
  CommandResult check = RunCco({"check", "--db", db_path});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

std::string AssistantUsageLine(const std::string& session, const std::string& id, int output_tokens, int64_t ms) {
  return absl::StrFormat(
      R"({"parentUuid":null,"isSidechain":false,"userType":"external","cwd":"/home/t/w","sessionId":"%s",)"
      R"("version":"2.1.1","type":"assistant","message":{"model":"claude-opus-4-6","id":"msg_%s","type":"message",)"
      R"("role":"assistant","content":[{"type":"text","text":"ok"}],"usage":{"input_tokens":100,)"
      R"("output_tokens":%d,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}},"requestId":"req_%s",)"
      R"("uuid":"%s","timestamp":"%s"})"
      "\n",
      session, id, output_tokens, id, id,
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(ms), absl::UTCTimeZone()));
}

std::string Filler(int64_t seed, size_t bytes) {
  static const char* const kWords[] = {"tail", "reader", "writer", "commit", "offset", "schema", "index", "batch",
                                       "queue", "token", "usage", "session", "project", "daemon", "rescan", "check"};
  std::string out;
  uint64_t x = static_cast<uint64_t>(seed) * 6364136223846793005u + 1442695040888963407u;
  while (out.size() < bytes) {
    x = x * 6364136223846793005u + 1442695040888963407u;
    absl::StrAppend(&out, kWords[(x >> 33) % 16], (x >> 40) % 1000, " ");
  }
  return out;
}

}  // namespace cco::testing
