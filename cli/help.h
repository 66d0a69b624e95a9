// The one description of cco's command line: every command, its arguments
// and flags, the options every command takes, the environment and the exit
// codes. `cco --help`, `cco help COMMAND` (= `cco COMMAND --help`), the
// manual page (`cco man`, installed as cco.1), the shell completions
// (`cco completion bash|zsh`) and each command's flag parser (FlagsFor) are
// all rendered from it, so they cannot disagree.
#ifndef CCO_CLI_HELP_H_
#define CCO_CLI_HELP_H_

#include <string>
#include <utility>
#include <vector>

#include "cli/flags.h"

namespace cco {

struct FlagHelp {
  FlagHelp(std::string name_in, std::string value_in, std::string text_in, std::vector<std::string> choices_in = {},
           bool strict_in = false)
      : name(std::move(name_in)),
        value(std::move(value_in)),
        text(std::move(text_in)),
        choices(std::move(choices_in)),
        strict(strict_in) {}

  std::string name;   // without "--"
  std::string value;  // the value's placeholder ("PATH"); "" for a switch
  std::string text;   // one paragraph, wrapped when rendered
  // Values the flag takes. With `strict`, anything else is a usage error
  // listing them; otherwise they are the common values (for completion).
  std::vector<std::string> choices;
  bool strict = false;
  bool repeatable = false;
};

struct CommandHelp {
  std::string name;
  std::string arguments;  // positional arguments as in the synopsis ("DIR"); "" for none
  std::vector<std::string> argument_choices;  // e.g. the report kinds; for completion
  std::string summary;      // one line
  std::string description;  // paragraphs separated by "\n\n", wrapped when rendered
  std::vector<FlagHelp> flags;
};

struct ExitCodeHelp {
  int code;
  std::string meaning;
};

const std::vector<CommandHelp>& Commands();
// nullptr for an unknown name.
const CommandHelp* FindCommand(const std::string& name);
// Options every command takes (--log-level, --help).
const std::vector<FlagHelp>& CommonFlags();
const std::vector<ExitCodeHelp>& ExitCodes();

// The parser's spec for `command` (its flags, strict choices, how many
// positional arguments). REQUIRES: FindCommand(command) != nullptr.
FlagSpec FlagsFor(const std::string& command);

// `cco --help`: every command's synopsis and summary, the common options,
// date formats, environment and exit codes.
std::string GlobalHelp();
// `cco help COMMAND`: its synopsis, description and every flag.
std::string CommandHelpText(const CommandHelp& command);
// The manual page, in man(7) roff.
std::string ManPage();
// A completion script for "bash" or "zsh"; "" for another shell.
std::string CompletionScript(const std::string& shell);

}  // namespace cco

#endif  // CCO_CLI_HELP_H_
