// What a CI run proved, stated in its summary (.ci/run prints it at the end).
#ifndef CCO_TESTS_CI_SUMMARY_H_
#define CCO_TESTS_CI_SUMMARY_H_

#include <string>

namespace cco::testing {

// Prints `line` and, when $CCO_CI_SUMMARY names a file (.ci/run sets it),
// appends it there: kills, lines written and found, faults injected and
// survived.
void CiSummary(const std::string& line);

}  // namespace cco::testing

#endif  // CCO_TESTS_CI_SUMMARY_H_
