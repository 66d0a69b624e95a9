// The read side a reading command's --db names: the team server for a
// postgresql:// URL, else the local SQLite database (src/reader.h).
#ifndef CCO_CLI_OPEN_READER_H_
#define CCO_CLI_OPEN_READER_H_

#include <memory>
#include <string>

#include "src/reader.h"

namespace cco {

// The reader for `db_arg` (--db) of `cco COMMAND`. `team_filters`: the
// command was given --user or --machine, which only a team server answers.
// Null when there is none to read: the reason is on stderr and *exit_code
// holds the exit code (2 for a usage error, else as ReportFailure maps it).
std::unique_ptr<Reader> OpenReader(const std::string& command, const std::string& db_arg, bool team_filters,
                                   int* exit_code);

}  // namespace cco

#endif  // CCO_CLI_OPEN_READER_H_
