// Command-line parsing for cco's subcommands: --name value, --name=value,
// boolean switches, repeatable flags and positional arguments.
#ifndef CCO_CLI_FLAGS_H_
#define CCO_CLI_FLAGS_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"

namespace cco {

struct FlagSpec {
  std::vector<std::string> value_flags;  // take a value; may repeat
  std::vector<std::string> bool_flags;
  size_t max_positional = 0;
  // Value flags that take only these values (anything else: InvalidArgument
  // listing them).
  absl::flat_hash_map<std::string, std::vector<std::string>> choices;
};

class Args {
 public:
  bool Has(const std::string& name) const { return bools_.contains(name) || values_.contains(name); }
  std::string Get(const std::string& name, const std::string& fallback = "") const;
  std::vector<std::string> GetAll(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  friend absl::StatusOr<Args> ParseArgs(const std::vector<std::string>& argv, const FlagSpec& spec);
  absl::flat_hash_map<std::string, std::vector<std::string>> values_;
  absl::flat_hash_set<std::string> bools_;
  std::vector<std::string> positional_;
};

// InvalidArgument naming the offending flag for anything the spec does not
// allow; an unknown flag's message lists the flags the command takes.
absl::StatusOr<Args> ParseArgs(const std::vector<std::string>& argv, const FlagSpec& spec);

// Whether colour is turned off by the environment: NO_COLOR set and not
// empty (https://no-color.org).
bool NoColorFromEnvironment();

// Whether colour is wanted: no --no-color (for a command that has it) and
// not NoColorFromEnvironment(). Whether the output is a terminal is the
// caller's to add.
bool ColorWanted(const Args& args);

}  // namespace cco

#endif  // CCO_CLI_FLAGS_H_
