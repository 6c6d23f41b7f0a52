// Run-time statistics as onnxruntime_perf_test and benchmark_app print them.
//
// Percentiles are nearest-rank: the p-th percentile of n sorted times is the ceil(p/100 * n)-th
// smallest (so P50 of 4 runs is the 2nd, P99 of 50 runs the 50th). Every percentile is one of
// the measured times, never an interpolation between two. The median is the usual one (the
// mean of the two middle times when n is even), so it can differ from P50 by half a step.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

#include "json.hpp"

namespace kiln::cli {

struct RunStats {
  int runs = 0;
  double mean_ms = 0, min_ms = 0, median_ms = 0, p50_ms = 0, p90_ms = 0, p99_ms = 0;
};

// Nearest-rank percentile of sorted, non-empty `times`.
inline double nearest_rank(const std::vector<double>& sorted, double percent) {
  const double rank = std::ceil(percent / 100.0 * static_cast<double>(sorted.size()));
  const std::size_t index = rank < 1 ? 0 : static_cast<std::size_t>(rank) - 1;
  return sorted[std::min(index, sorted.size() - 1)];
}

inline RunStats summarize(std::vector<double> times_ms) {
  RunStats s;
  if (times_ms.empty()) return s;
  std::sort(times_ms.begin(), times_ms.end());
  const std::size_t n = times_ms.size();
  s.runs = static_cast<int>(n);
  s.mean_ms = std::accumulate(times_ms.begin(), times_ms.end(), 0.0) / static_cast<double>(n);
  s.min_ms = times_ms.front();
  s.median_ms = n % 2 ? times_ms[n / 2] : (times_ms[n / 2 - 1] + times_ms[n / 2]) / 2;
  s.p50_ms = nearest_rank(times_ms, 50);
  s.p90_ms = nearest_rank(times_ms, 90);
  s.p99_ms = nearest_rank(times_ms, 99);
  return s;
}

inline std::string format_ms(double ms) {
  char buf[32];
  // Four significant digits or so: 0.0493, 4.931, 49.3.
  std::snprintf(buf, sizeof buf, ms < 1 ? "%.4f" : ms < 10 ? "%.3f" : "%.1f", ms);
  return buf;
}

// "[optimized] runs: 50  average: 28.4 ms  min: 27.9  P50: 28.1  P90: 29.0  P99: 31.2 ms"
inline std::string stats_line(const std::string& mode, const RunStats& s) {
  return "[" + mode + "] runs: " + std::to_string(s.runs) + "  average: " + format_ms(s.mean_ms) +
         " ms  min: " + format_ms(s.min_ms) + "  P50: " + format_ms(s.p50_ms) +
         "  P90: " + format_ms(s.p90_ms) + "  P99: " + format_ms(s.p99_ms) + " ms";
}

inline Json stats_json(const RunStats& s) {
  return {{"mean_ms", s.mean_ms}, {"min_ms", s.min_ms}, {"median_ms", s.median_ms},
          {"p50_ms", s.p50_ms}, {"p90_ms", s.p90_ms}, {"p99_ms", s.p99_ms}, {"runs", s.runs}};
}

}  // namespace kiln::cli
