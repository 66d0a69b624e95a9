// Helpers shared by the tests: temp directories, running the cco binary,
// writing files, and querying a database.
#ifndef CCO_TESTS_TEST_SUPPORT_H_
#define CCO_TESTS_TEST_SUPPORT_H_

#include <cstdint>
#include <string>
#include <vector>

namespace cco::testing {

// A fresh directory under $TMPDIR (or /tmp), removed in the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `argv` (argv[0] is the program path) with extra environment entries
// ("NAME=value"), waits, and captures stdout and stderr.
CommandResult RunCommand(const std::vector<std::string>& argv, const std::vector<std::string>& env = {});

// Runs the cco binary under test.
CommandResult RunCco(const std::vector<std::string>& args, const std::vector<std::string>& env = {});

void WriteFile(const std::string& path, const std::string& content);   // creates parent dirs
void AppendFile(const std::string& path, const std::string& content);
std::string ReadFile(const std::string& path);

// Runs a query on the database (read-only) and returns the first column of
// the first row as an integer; -1 when there is no row.
int64_t QueryInt(const std::string& db_path, const std::string& sql);
// All rows, columns joined by '|', rows by '\n'.
std::string QueryRows(const std::string& db_path, const std::string& sql);

// The shared corpus of real transcripts, or "" when it is absent.
std::string CorpusDir();

// A file under tests/golden/ (expected outputs kept with the tests).
std::string Golden(const std::string& name);

// Value of an integer key in a flat JSON object printed by cco --json.
int64_t JsonInt(const std::string& json, const std::string& key);

// `cco check --db DB` passes (exit 0); a failure shows what it printed.
void ExpectCheckPasses(const std::string& db_path);

// About `bytes` of text made of a few words and numbers, different for each
// seed: compressible, and varied enough to train a zstd dictionary on.
std::string Filler(int64_t seed, size_t bytes);

// One assistant line with usage, ended by a newline: cwd /home/t/w, model
// claude-opus-4-6, 100 input and `output_tokens` output tokens, `id` as its
// uuid and in its message id (msg_ID) and request id (req_ID), stamped
// `ms` (Unix milliseconds, written in UTC).
std::string AssistantUsageLine(const std::string& session, const std::string& id, int output_tokens, int64_t ms);

}  // namespace cco::testing

#endif  // CCO_TESTS_TEST_SUPPORT_H_
