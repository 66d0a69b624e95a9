// Getting help: `cco help COMMAND` and `cco COMMAND --help` for every
// command; the manual page, the completions and each command's flag parser
// agree with --help (all rendered from cli/help.cc); every exit code is
// listed; the set-up's install step puts the manual and completions where
// man, bash and zsh find them.

#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "tests/test_support.h"

namespace cco::testing {
namespace {

// The command names listed under "Commands:" in `cco --help`.
std::vector<std::string> ListedCommands() {
  CommandResult r = RunCco({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  std::vector<std::string> names;
  bool in_list = false;
  for (absl::string_view line : absl::StrSplit(r.out, '\n')) {
    if (line == "Commands:") {
      in_list = true;
      continue;
    }
    if (!in_list) continue;
    if (line.empty()) break;
    names.emplace_back(absl::StripLeadingAsciiWhitespace(line).substr(
        0, absl::StripLeadingAsciiWhitespace(line).find(' ')));
  }
  return names;
}

// Every "--flag" named in `text`.
std::set<std::string> Flags(const std::string& text) {
  std::set<std::string> flags;
  std::regex flag("--[a-z][a-z-]*[a-z]");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), flag); it != std::sregex_iterator(); ++it) {
    flags.insert(it->str());
  }
  return flags;
}

// The flags a command's help lists under "Options:" (its own, not the
// common ones), in order.
std::set<std::string> OptionFlags(const std::string& help) {
  std::set<std::string> flags;
  bool in_options = false;
  for (absl::string_view line : absl::StrSplit(help, '\n')) {
    if (line == "Options:") {
      in_options = true;
      continue;
    }
    if (in_options && !absl::StartsWith(line, " ")) break;
    if (in_options && absl::StartsWith(line, "  --")) {
      std::string flag(absl::StripLeadingAsciiWhitespace(line));
      flags.insert(flag.substr(0, flag.find(' ')));
    }
  }
  return flags;
}

// The man page's section for one command: from its .SS line to the next.
std::string ManSection(const std::string& man, const std::string& command) {
  // roff spells a command's '-' as "\-" (cco team-init).
  const size_t start = man.find(absl::StrCat(".SS \"", absl::StrReplaceAll(command, {{"-", "\\-"}})));
  if (start == std::string::npos) return "";
  const size_t end = man.find("\n.S", start + 1);
  std::string section = man.substr(start, end == std::string::npos ? std::string::npos : end - start);
  return absl::StrReplaceAll(section, {{"\\-", "-"}, {"\\fB", ""}, {"\\fR", ""}, {"\\fI", ""}});
}

TEST(HelpTest, EveryCommandHasHelpBothWays) {
  const std::vector<std::string> commands = ListedCommands();
  for (const char* expected : {"rescan", "replay", "watch", "status", "report", "check", "rederive", "help",
                               "completion", "man", "version"}) {
    EXPECT_NE(std::find(commands.begin(), commands.end(), expected), commands.end()) << expected;
  }
  for (const std::string& command : commands) {
    CommandResult help = RunCco({"help", command});
    CommandResult flag = RunCco({command, "--help"});
    CommandResult short_flag = RunCco({command, "-h"});
    EXPECT_EQ(help.exit_code, 0) << command << help.err;
    EXPECT_EQ(flag.exit_code, 0) << command << flag.err;
    EXPECT_TRUE(absl::StartsWith(help.out, absl::StrCat("Usage: cco ", command))) << help.out;
    EXPECT_EQ(help.out, flag.out) << command;
    EXPECT_EQ(help.out, short_flag.out) << command;
  }
  CommandResult unknown = RunCco({"help", "frobnicate"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(unknown.err, "frobnicate")) << unknown.err;
}

TEST(HelpTest, EachParserTakesExactlyTheFlagsItsHelpLists) {
  for (const std::string& command : ListedCommands()) {
    const std::set<std::string> documented = OptionFlags(RunCco({"help", command}).out);
    if (documented.empty()) continue;
    // An unknown flag's message lists the flags the parser takes.
    CommandResult r = RunCco({command, "--no-such-flag"});
    EXPECT_EQ(r.exit_code, 2) << command;
    const size_t at = r.err.find("this command takes:");
    ASSERT_NE(at, std::string::npos) << command << ": " << r.err;
    std::set<std::string> parsed = Flags(r.err.substr(at));
    EXPECT_EQ(parsed, documented) << command << ": " << r.err;
  }
}

TEST(HelpTest, ManPageAgreesWithHelp) {
  CommandResult man = RunCco({"man"});
  ASSERT_EQ(man.exit_code, 0) << man.err;
  EXPECT_TRUE(absl::StartsWith(man.out, ".TH CCO 1")) << man.out.substr(0, 100);
  for (const std::string& command : ListedCommands()) {
    const std::string section = ManSection(man.out, command);
    ASSERT_FALSE(section.empty()) << "no .SS for " << command;
    std::set<std::string> in_man;
    for (const std::string& f : Flags(section)) in_man.insert(f);
    const std::set<std::string> documented = OptionFlags(RunCco({"help", command}).out);
    for (const std::string& f : documented) EXPECT_TRUE(in_man.count(f)) << command << " " << f << " not in man";
    // Every .TP flag of the section is one --help documents.
    std::regex tp("\\.TP\\n(--[a-z-]+)");
    for (auto it = std::sregex_iterator(section.begin(), section.end(), tp); it != std::sregex_iterator(); ++it) {
      EXPECT_TRUE(documented.count((*it)[1].str())) << command << " " << (*it)[1] << " only in man";
    }
  }
  // Same exit codes.
  CommandResult help = RunCco({"--help"});
  const std::string codes = help.out.substr(help.out.find("Exit codes:"));
  const std::string man_codes = man.out.substr(man.out.find(".SH EXIT STATUS"));
  std::regex code_line("\\n  (\\d+) ");
  std::regex man_code("\\.TP\\n\\\\fB(\\d+)\\\\fR");
  std::set<std::string> a, b;
  for (auto it = std::sregex_iterator(codes.begin(), codes.end(), code_line); it != std::sregex_iterator(); ++it) {
    a.insert((*it)[1]);
  }
  for (auto it = std::sregex_iterator(man_codes.begin(), man_codes.end(), man_code); it != std::sregex_iterator();
       ++it) {
    b.insert((*it)[1]);
  }
  EXPECT_EQ(a, b);
  EXPECT_GE(a.size(), 5u);
  // It renders.
  if (RunCommand({"/bin/sh", "-c", "command -v man"}).exit_code == 0) {
    TempDir dir;
    WriteFile(dir / "cco.1", man.out);
    CommandResult rendered = RunCommand({"/bin/sh", "-c", "man -l " + dir / "cco.1" + " 2>&1"}, {"MANWIDTH=80"});
    EXPECT_EQ(rendered.exit_code, 0) << rendered.out;
    EXPECT_TRUE(absl::StrContains(rendered.out, "EXIT STATUS")) << rendered.out;
  }
}

TEST(HelpTest, HelpListsEveryExitCodeTheProgramDefines) {
  // Every kExit* constant of cli/commands.h.
  const std::string header = ReadFile(absl::StrCat(CCO_SOURCE_DIR, "/cli/commands.h"));
  std::regex constant("constexpr int (kExit\\w+) = (\\d+);");
  CommandResult help = RunCco({"--help"});
  const std::string codes = help.out.substr(help.out.find("Exit codes:"));
  int seen = 0;
  for (auto it = std::sregex_iterator(header.begin(), header.end(), constant); it != std::sregex_iterator(); ++it) {
    ++seen;
    EXPECT_TRUE(absl::StrContains(codes, absl::StrCat("\n  ", (*it)[2].str(), " "))) << (*it)[1] << "\n" << codes;
  }
  EXPECT_GE(seen, 5);
}

TEST(HelpTest, BashCompletionCompletesCommandsFlagsAndValues) {
  CommandResult script = RunCco({"completion", "bash"});
  ASSERT_EQ(script.exit_code, 0) << script.err;
  TempDir dir;
  WriteFile(dir / "cco.bash", script.out);
  // What bash offers after `cco <words>`, the last word being completed.
  auto complete = [&](const std::string& words) {
    CommandResult r = RunCommand(
        {"/bin/bash", "-c",
         absl::StrCat("source ", dir / "cco.bash", "; COMP_WORDS=(cco ", words,
                      "); COMP_CWORD=$((${#COMP_WORDS[@]}-1)); _cco; echo \"${COMPREPLY[*]}\"")});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return std::string(absl::StripTrailingAsciiWhitespace(r.out));
  };
  EXPECT_EQ(complete("repo"), "report");
  EXPECT_EQ(complete("report --order ''"), "asc desc");
  EXPECT_TRUE(absl::StrContains(complete("report ''"), "weekly")) << complete("report ''");
  EXPECT_TRUE(absl::StrContains(complete("report --st"), "--start-of-week"));
  EXPECT_EQ(complete("--log-level lo"), "");
  EXPECT_EQ(complete("status --log-level w"), "warn");
  EXPECT_EQ(complete("completion ''"), "bash zsh");
}

TEST(HelpTest, ZshCompletionIsValidZsh) {
  CommandResult script = RunCco({"completion", "zsh"});
  ASSERT_EQ(script.exit_code, 0) << script.err;
  EXPECT_TRUE(absl::StartsWith(script.out, "#compdef cco\n"));
  for (const std::string& command : ListedCommands()) EXPECT_TRUE(absl::StrContains(script.out, command + ")"));
  if (RunCommand({"/bin/sh", "-c", "command -v zsh"}).exit_code != 0) GTEST_SKIP() << "zsh is not installed";
  TempDir dir;
  WriteFile(dir / "_cco", script.out);
  CommandResult check = RunCommand({"/bin/sh", "-c", "zsh -n " + dir / "_cco" + " 2>&1"});
  EXPECT_EQ(check.exit_code, 0) << check.out;
  EXPECT_EQ(RunCco({"completion", "fish"}).exit_code, 2);
}

TEST(HelpTest, SetUpInstallsTheManualAndCompletions) {
  // .ci/setup runs .ci/install_shell_files after the build; into a scratch
  // share directory here.
  TempDir share;
  const std::string build_dir = std::string(CCO_BINARY).substr(0, std::string(CCO_BINARY).rfind('/'));
  CommandResult r = RunCommand(
      {"/bin/bash", absl::StrCat(CCO_SOURCE_DIR, "/.ci/install_shell_files"), build_dir, share.path()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadFile(share / "man/man1/cco.1"), RunCco({"man"}).out);
  EXPECT_EQ(ReadFile(share / "bash-completion/completions/cco"), RunCco({"completion", "bash"}).out);
  EXPECT_EQ(ReadFile(share / "zsh/site-functions/_cco"), RunCco({"completion", "zsh"}).out);
  const std::string setup = ReadFile(absl::StrCat(CCO_SOURCE_DIR, "/.ci/setup"));
  EXPECT_TRUE(absl::StrContains(setup, "install_shell_files")) << "the README's set-up installs them";
}

}  // namespace
}  // namespace cco::testing
