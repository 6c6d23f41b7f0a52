// What While, If and Case do when they run, given a way to run one of the node's regions. Every
// executor shares this: the reference evaluator runs regions node by node (reference.hpp), the
// eager interpreter and compiled plans run them on their backend's kernels.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <kiln/core/ops/control_flow.hpp>

namespace kiln::reference {

// Runs region `index` of the node on `args` and returns its results.
using RegionRunner = std::function<std::vector<Tensor>(std::size_t index, const std::vector<Tensor>& args)>;

// A loop that runs longer than this is taken for a loop that never ends (a bad file, or a trip
// count read from garbage); callers may choose another bound.
constexpr std::int64_t kDefaultMaxLoopIterations = 100'000'000;

// A scalar condition is true when nonzero; any other tensor when it has elements (TensorFlow's
// rule for If, and for a While condition).
inline bool is_true(const Tensor& condition) {
  if (condition.rank() != 0) return condition.num_elements() > 0;
  return condition.element_as_double(0) != 0;
}

inline std::vector<Tensor> run_control_flow(const Node& node, const std::vector<Tensor>& inputs,
                                            const RegionRunner& run_region,
                                            std::int64_t max_iterations = kDefaultMaxLoopIterations) {
  if (node.op == "While") {
    std::vector<Tensor> vars = inputs;
    for (std::int64_t trip = 0;; ++trip) {
      const std::vector<Tensor> condition = run_region(0, vars);
      if (condition.size() != 1) throw node.error(Errc::invalid_graph, "loop condition must return one value");
      if (!is_true(condition[0])) return vars;
      if (trip == max_iterations) {
        throw node.error(Errc::limit_exceeded, "loop ran past the iteration limit")
            .expected("at most " + std::to_string(max_iterations) + " iterations");
      }
      std::vector<Tensor> next = run_region(1, vars);
      if (next.size() != vars.size()) {
        throw node.error(Errc::invalid_graph, "loop body returns another number of values")
            .expected(std::to_string(vars.size()))
            .found(std::to_string(next.size()));
      }
      vars = std::move(next);
    }
  }
  if (node.op == "If" || node.op == "Case") {
    const std::vector<Tensor> args(inputs.begin() + 1, inputs.end());
    return run_region(ops::control_flow::chosen_branch(node, inputs.at(0)), args);
  }
  throw node.error(Errc::internal, "not a control-flow op");
}

}  // namespace kiln::reference
