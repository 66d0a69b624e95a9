// Percentiles as every benchmark here reports them, so their figures compare.
#ifndef CCO_BENCH_PERCENTILE_H_
#define CCO_BENCH_PERCENTILE_H_

#include <algorithm>
#include <cmath>
#include <vector>

namespace cco {

// The p-th percentile (0 < p <= 100) of `values` by the nearest-rank
// method: the smallest value with at least p% of the values at or below it
// (p = 100: the largest). 0 when there are none.
template <typename T>
double Percentile(std::vector<T> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const double rank = std::ceil(p / 100.0 * static_cast<double>(values.size()));
  const size_t i = std::min(values.size() - 1, static_cast<size_t>(std::max(1.0, rank)) - 1);
  return static_cast<double>(values[i]);
}

}  // namespace cco

#endif  // CCO_BENCH_PERCENTILE_H_
