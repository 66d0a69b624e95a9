// `cco top` in a real terminal: tmux runs it on a private server, the test
// reads the screen (capture-pane), presses keys (send-keys) and sees it quit.
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/process_support.h"
#include "tests/test_support.h"

namespace cco::testing {
namespace {


class Tmux {
 public:
  explicit Tmux(std::string socket) : socket_(std::move(socket)) {}
  ~Tmux() { Run({"kill-server"}); }
  CommandResult Run(std::vector<std::string> args) const {
    args.insert(args.begin(), {"/usr/bin/tmux", "-S", socket_});
    return RunCommand(args);
  }
  std::string Screen(const std::string& session = "top") const {
    return Run({"capture-pane", "-p", "-t", session}).out;
  }
  // The screen with its attributes as escape sequences (-e).
  std::string ScreenWithAttributes(const std::string& session) const {
    return Run({"capture-pane", "-p", "-e", "-t", session}).out;
  }

 private:
  std::string socket_;
};

TEST(TopTest, ShowsTheActiveBlockResizesSwitchesPeriodAndQuitsOnQ) {
  ASSERT_EQ(RunCommand({"/usr/bin/tmux", "-V"}).exit_code, 0) << "tmux is needed (.ci/setup installs it)";
  TempDir dir;
  const std::string db = dir / "g.db";
  CommandResult r = RunCco({"replay", Golden("blocks_tree/projects"), "--db", db});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string golden = ReadFile(Golden("ccusage_blocks_generated.json"));
  const size_t at = golden.find("\"now\": ");
  ASSERT_NE(at, std::string::npos);
  const std::string now = golden.substr(at + 7, golden.find_first_of(",\n", at) - at - 7);

  Tmux tmux(dir / "tmux.sock");
  // The shell line after cco reports how it ended, and keeps the pane.
  const std::string command = absl::StrCat("env CCO_NOW=", now, " TZ=UTC NO_COLOR=1 ", CCO_BINARY, " top --db ", db,
                                           "; echo EXIT=$?; sleep 600");
  r = tmux.Run({"new-session", "-d", "-s", "top", "-x", "100", "-y", "40", command});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string screen;
  ASSERT_TRUE(WaitUntil([&] { return (screen = tmux.Screen()).find("Active block") != std::string::npos; },
                        std::chrono::seconds(60)))
      << screen;
  EXPECT_NE(screen.find("Active block  00:00 - 05:00   2h 25m left   271,755 tokens   $0.26"), std::string::npos) << screen;
  EXPECT_NE(screen.find("81.2% of 334,863"), std::string::npos) << screen;  // the bar against max
  EXPECT_NE(screen.find("Burn rate: 2,363 tokens/min"), std::string::npos) << screen;
  EXPECT_NE(screen.find("Usage limit reached; resets"), std::string::npos) << screen;
  EXPECT_NE(screen.find("Tokens and cost by model, today"), std::string::npos) << screen;

  // The month: the period switches on its key.
  ASSERT_EQ(tmux.Run({"send-keys", "-t", "top", "m"}).exit_code, 0);
  ASSERT_TRUE(WaitUntil([&] { return (screen = tmux.Screen()).find("by model, this month") != std::string::npos; },
                        std::chrono::seconds(60)))
      << screen;
  // A narrower terminal: lines are cut to it, nothing wraps.
  ASSERT_EQ(tmux.Run({"resize-window", "-t", "top", "-x", "50", "-y", "30"}).exit_code, 0);
  ASSERT_TRUE(WaitUntil(
      [&] {
        screen = tmux.Screen();
        size_t widest = 0, start = 0;
        for (size_t nl; (nl = screen.find('\n', start)) != std::string::npos; start = nl + 1) {
          widest = std::max(widest, nl - start);
        }
        return screen.find("Active block") != std::string::npos && widest <= 50 * 3;  // bytes: '…' and '↻' are 3
      },
      std::chrono::seconds(60)))
      << screen;

  ASSERT_EQ(tmux.Run({"send-keys", "-t", "top", "q"}).exit_code, 0);
  ASSERT_TRUE(WaitUntil([&] { return (screen = tmux.Screen()).find("EXIT=0") != std::string::npos; },
                        std::chrono::seconds(60)))
      << screen;
}

// Whether a captured screen sets a colour: an SGR sequence (ESC [ ... m)
// with a foreground or background colour parameter (30-38, 40-48, 90-97,
// 100-107). Bold and reverse are not colours.
bool HasColour(const std::string& screen) {
  for (size_t at = 0; (at = screen.find("\x1b[", at)) != std::string::npos; at += 2) {
    const size_t end = screen.find_first_not_of("0123456789;", at + 2);
    if (end == std::string::npos || screen[end] != 'm') continue;
    for (absl::string_view p : absl::StrSplit(screen.substr(at + 2, end - at - 2), ';')) {
      int n = 0;
      if (!absl::SimpleAtoi(p, &n)) continue;
      if ((n >= 30 && n <= 38) || (n >= 40 && n <= 48) || (n >= 90 && n <= 97) || (n >= 100 && n <= 107)) return true;
    }
  }
  return false;
}

// Colour by default on a terminal that has it; none with --no-color or
// NO_COLOR set (and not empty, as no-color.org says).
TEST(TopTest, NoColorFlagAndEnvironmentTurnColourOff) {
  ASSERT_EQ(RunCommand({"/usr/bin/tmux", "-V"}).exit_code, 0) << "tmux is needed (.ci/setup installs it)";
  TempDir dir;
  const std::string db = dir / "g.db";
  CommandResult r = RunCco({"replay", Golden("blocks_tree/projects"), "--db", db});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string golden = ReadFile(Golden("ccusage_blocks_generated.json"));
  const size_t at = golden.find("\"now\": ");
  ASSERT_NE(at, std::string::npos);
  const std::string now = golden.substr(at + 7, golden.find_first_of(",\n", at) - at - 7);
  Tmux tmux(dir / "tmux.sock");
  struct Case {
    const char* name;
    const char* env;
    const char* flags;
    bool colour;
  };
  for (const Case& c : {Case{"plain", "", "", true}, Case{"emptyenv", "NO_COLOR=", "", true},
                        Case{"flag", "", " --no-color", false}, Case{"env", "NO_COLOR=1", "", false}}) {
    const std::string command = absl::StrCat("env -u NO_COLOR TERM=screen ", c.env, " CCO_NOW=", now, " TZ=UTC ",
                                             CCO_BINARY, " top --db ", db, c.flags, "; sleep 600");
    r = tmux.Run({"new-session", "-d", "-s", c.name, "-x", "100", "-y", "40", command});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::string screen;
    ASSERT_TRUE(WaitUntil([&] { return (screen = tmux.Screen(c.name)).find("Active block") != std::string::npos; },
                          std::chrono::seconds(60)))
        << c.name << "\n" << screen;
    screen = tmux.ScreenWithAttributes(c.name);
    EXPECT_EQ(HasColour(screen), c.colour) << c.name << "\n" << screen;
    ASSERT_EQ(tmux.Run({"send-keys", "-t", c.name, "q"}).exit_code, 0);
  }
}

}  // namespace
}  // namespace cco::testing
