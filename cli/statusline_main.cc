// cco-statusline: `cco statusline` as its own small executable. Claude Code
// starts the status line command every few hundred milliseconds, so its
// process start is most of its cost: this binary links only what the
// statusline uses (the core library, no PostgreSQL client, HTTP server,
// TLS or ncurses, whose shared libraries the dynamic loader would otherwise
// map and relocate at every call; docs/benchmarks.md has the figures).
// Same flags, output and exit codes as `cco statusline`.
#include <string>
#include <vector>

#include "cli/commands.h"

int main(int argc, char** argv) { return cco::RunStatusline(std::vector<std::string>(argv + 1, argv + argc)); }
