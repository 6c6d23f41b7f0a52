// `kiln bench --profile`: where a compiled plan's time goes, by op and by step.
//
// Step times come from CompiledPlan::run(inputs, &step_ms), summed over the timed runs. Timing a
// step waits for it to finish, so a profiled run is a little slower than a plain one; the shares
// are what matter.
#pragma once

#include <algorithm>
#include <cstdio>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include <kiln/plan.hpp>

namespace kiln::cli {

namespace detail {

inline std::string fit(std::string text, std::size_t width) {
  // Long TensorFlow names share their beginnings: keep the end, which tells them apart.
  if (text.size() > width) text = "~" + text.substr(text.size() - (width - 1));
  return text + std::string(width - text.size(), ' ');
}

inline std::string fixed(double value, int decimals) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}

inline std::string right(const std::string& text, std::size_t width) {
  return text.size() >= width ? text : std::string(width - text.size(), ' ') + text;
}

}  // namespace detail

// Steps that ran the same op (with its fused epilogue) on the same kernel, and their time.
struct OpTime {
  std::string op, implementation;
  int count = 0;
  double ms = 0;
};

// `step_ops[s]` and `step_implementations[s]` name step s; its time is step_ms[s]. Slowest first.
inline std::vector<OpTime> op_times(const std::vector<std::string>& step_ops,
                                    const std::vector<std::string>& step_implementations,
                                    const std::vector<double>& step_ms) {
  std::map<std::pair<std::string, std::string>, OpTime> groups;
  for (std::size_t s = 0; s < step_ops.size() && s < step_ms.size(); ++s) {
    const std::string& implementation = step_implementations[s];
    OpTime& g = groups[{step_ops[s], implementation}];
    g.op = step_ops[s];
    g.implementation = implementation;
    ++g.count;
    g.ms += step_ms[s];
  }
  std::vector<OpTime> by_time;
  for (const auto& entry : groups) by_time.push_back(entry.second);
  std::stable_sort(by_time.begin(), by_time.end(),
                   [](const OpTime& a, const OpTime& b) { return a.ms > b.ms; });
  return by_time;
}

// A compiled plan's steps as op_times() takes them.
inline std::vector<OpTime> op_times(const Plan& plan, const std::vector<double>& step_ms) {
  std::vector<std::string> ops, implementations;
  for (const Plan::StepInfo& step : plan.steps()) {
    ops.push_back(step.op + step.epilogue);
    implementations.push_back(step.implementation);
  }
  return op_times(ops, implementations, step_ms);
}

// The table by op (op with its fused epilogue, and kernel), the ten slowest steps, and how many
// steps fell back to the reference kernels. `step_ms` is summed over `runs` runs.
inline std::string profile_report(const Plan& plan, const std::vector<double>& step_ms, int runs) {
  using detail::fit;
  using detail::fixed;
  using detail::right;
  const std::vector<Plan::StepInfo>& steps = plan.steps();
  const double total = std::accumulate(step_ms.begin(), step_ms.end(), 0.0);
  const double per_run = runs > 0 ? 1.0 / runs : 0.0;
  auto share = [&](double ms) { return fixed(total > 0 ? 100.0 * ms / total : 0.0, 1) + "%"; };

  const std::vector<OpTime> by_time = op_times(plan, step_ms);

  std::size_t op_width = 2, impl_width = 6;
  for (const OpTime& g : by_time) {
    op_width = std::max(op_width, std::min<std::size_t>(g.op.size(), 40));
    impl_width = std::max(impl_width, std::min<std::size_t>(g.implementation.size(), 56));
  }
  std::string text = "Profile over " + std::to_string(runs) + " runs (" +
                     fixed(total * per_run, 3) + " ms per run in steps):\n";
  text += fit("op", op_width) + "  " + fit("kernel", impl_width) + "  count  " +
          right("total ms", 10) + "  " + right("ms/run", 9) + "  " + right("share", 6) + "\n";
  for (const OpTime& g : by_time) {
    text += fit(g.op, op_width) + "  " + fit(g.implementation, impl_width) + "  " +
            right(std::to_string(g.count), 5) + "  " + right(fixed(g.ms, 2), 10) + "  " +
            right(fixed(g.ms * per_run, 3), 9) + "  " + right(share(g.ms), 6) + "\n";
  }

  std::vector<std::size_t> order(std::min(steps.size(), step_ms.size()));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return step_ms[a] > step_ms[b]; });
  order.resize(std::min<std::size_t>(order.size(), 10));
  text += "\nTop " + std::to_string(order.size()) + " steps:\n";
  text += fit("node", 48) + "  " + fit("op", op_width) + "  " + right("ms/run", 9) + "  " +
          right("share", 6) + "\n";
  for (std::size_t s : order) {
    text += fit(steps[s].node, 48) + "  " + fit(steps[s].op + steps[s].epilogue, op_width) +
            "  " + right(fixed(step_ms[s] * per_run, 3), 9) + "  " + right(share(step_ms[s]), 6) +
            "\n";
  }

  const std::size_t fallbacks = plan.fallback_count();
  text += "\n" + std::to_string(fallbacks) + " of " + std::to_string(steps.size()) +
          " steps run on reference kernels";
  if (fallbacks > 0) {
    std::map<std::string, int> fallback_ops;
    for (const Plan::StepInfo& s : steps) {
      if (s.fallback) ++fallback_ops[s.op + " (" + s.implementation + ")"];
    }
    text += ":";
    for (const auto& [op, count] : fallback_ops) text += " " + op + " x" + std::to_string(count);
  }
  return text + "\n";
}

}  // namespace kiln::cli
