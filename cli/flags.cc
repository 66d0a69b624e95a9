#include "cli/flags.h"

#include <cstdlib>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace cco {

std::string Args::Get(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() || it->second.empty() ? fallback : it->second.back();
}

std::vector<std::string> Args::GetAll(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>() : it->second;
}

absl::StatusOr<Args> ParseArgs(const std::vector<std::string>& argv, const FlagSpec& spec) {
  Args args;
  auto contains = [](const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  };
  bool only_positional = false;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (only_positional || !absl::StartsWith(a, "--") || a == "-") {
      if (!only_positional && absl::StartsWith(a, "-") && a != "-") {
        return absl::InvalidArgumentError(absl::StrCat("unknown option ", a));
      }
      args.positional_.push_back(a);
      continue;
    }
    if (a == "--") {
      only_positional = true;
      continue;
    }
    std::string name = a.substr(2);
    std::string value;
    bool has_value = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
      has_value = true;
    }
    if (contains(spec.bool_flags, name)) {
      if (has_value) return absl::InvalidArgumentError(absl::StrCat("--", name, " takes no value"));
      args.bools_.insert(name);
    } else if (contains(spec.value_flags, name)) {
      if (!has_value) {
        if (i + 1 >= argv.size()) return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
        value = argv[++i];
      }
      if (auto it = spec.choices.find(name);
          it != spec.choices.end() && std::find(it->second.begin(), it->second.end(), value) == it->second.end()) {
        return absl::InvalidArgumentError(
            absl::StrCat("--", name, " '", value, "' is not one of: ", absl::StrJoin(it->second, ", ")));
      }
      args.values_[name].push_back(value);
    } else {
      std::vector<std::string> known;
      for (const std::string& f : spec.value_flags) known.push_back("--" + f);
      for (const std::string& f : spec.bool_flags) known.push_back("--" + f);
      std::sort(known.begin(), known.end());
      return absl::InvalidArgumentError(
          absl::StrCat("unknown option --", name, " (this command takes: ", absl::StrJoin(known, ", "), ")"));
    }
  }
  if (args.positional_.size() > spec.max_positional) {
    return absl::InvalidArgumentError(absl::StrCat("unexpected argument ", args.positional_[spec.max_positional]));
  }
  return args;
}

bool NoColorFromEnvironment() {
  const char* no_color = std::getenv("NO_COLOR");
  return no_color != nullptr && *no_color != '\0';
}

bool ColorWanted(const Args& args) { return !args.Has("no-color") && !NoColorFromEnvironment(); }

}  // namespace cco
