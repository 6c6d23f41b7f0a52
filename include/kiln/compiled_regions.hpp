// Control flow inside a compiled plan. A While, If or Case whose inputs and outputs all have known
// shapes (no tensor list among them) is an ordinary step of its plan: its outputs live in the
// plan's arena, and each of its regions is compiled once into a Plan of its own, with the parent's
// backend and threads, whose intermediates live in an arena of their own.
//
// A loop then allocates nothing per trip. Its variables live in buffers made with the step's
// state, and the body plan reads the current values and writes the next ones (Plan::run_into):
//   * a variable the body passes through unchanged (a sequence it reads rows of) is read where
//     the loop's input already is, and never copied;
//   * a variable the body only updates with TensorScatterUpdate (the output rows of an RNN,
//     after lists-to-tensors) has one buffer, updated in place row by row;
//   * any other variable has two buffers, current and next, which swap after each trip.
// The condition plan writes one scalar, read on the host to decide whether to go on; the loop
// stops with a kiln::Error after the plan's iteration bound. An If or Case runs the chosen
// branch plan straight into the step's outputs.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <kiln/kernels/reference/control_flow.hpp>

#include "plan.hpp"

namespace kiln {

class RegionPlansKernel final : public PreparedKernel {
 public:
  RegionPlansKernel(const Node& node, const std::vector<TensorType>& inputs, const PlanOptions& options)
      : node_(node), options_(options) {
    if (node.op != "While") selector_type_ = inputs.at(0);
    for (const std::shared_ptr<const Graph>& region : node.regions) {
      try {
        plans_.push_back(std::make_unique<const Plan>(*region, options));
      } catch (Error& e) {
        e.within(node.name, ops::control_flow::region_role(node, plans_.size()));
        throw;
      }
    }
    std::size_t steps = 0;
    for (const auto& plan : plans_) steps += plan->steps().size();
    if (node.op == "While") classify_variables();
    implementation_ = "compiled " + std::string(node.op == "While" ? "loop" : "branches") + " (" +
                      std::to_string(steps) + " steps inside)";
  }

  std::unique_ptr<KernelState> make_state() const override {
    auto state = std::make_unique<State>();
    for (const auto& plan : plans_) state->instances.push_back(plan->make_instance());
    if (node_.op != "While") return state;
    for (std::size_t k = 0; k < kinds_.size(); ++k) {
      const TensorType& type = node_.outputs[k];
      const int copies = kinds_[k] == Kind::swapped ? 2 : kinds_[k] == Kind::in_place ? 1 : 0;
      for (int b = 0; b < 2; ++b) {
        state->buffers[b].push_back(b < copies ? Tensor(type.dtype, type.shape) : Tensor());
      }
    }
    state->current.resize(kinds_.size());
    state->next.resize(kinds_.size());
    state->condition = Tensor(plans_[0]->graph().type_of(plans_[0]->graph().outputs().at(0).value).dtype, Shape{});
    return state;
  }

  // Each region's plan summary, its lines indented, under a heading naming the region.
  std::string summaries(const std::string& indent) const {
    std::string text;
    for (std::size_t r = 0; r < plans_.size(); ++r) {
      text += indent + ops::control_flow::region_role(node_, r) + ":\n";
      const std::string summary = plans_[r]->summary();
      for (std::size_t at = 0; at < summary.size();) {
        const std::size_t end = summary.find('\n', at);
        text += indent + "  " + summary.substr(at, end - at) + "\n";
        at = end == std::string::npos ? summary.size() : end + 1;
      }
    }
    return text;
  }

  void run(const KernelArgs& args) const override {
    State& state = static_cast<State&>(*args.state);
    if (node_.op == "While") {
      run_loop(args, state);
    } else {
      run_branch(args, state);
    }
  }

 private:
  enum class Kind { passed_through, in_place, swapped };

  struct State final : KernelState {
    std::vector<std::unique_ptr<Plan::Instance>> instances;  // one per region
    std::vector<Tensor> buffers[2];                          // per loop variable
    std::vector<void*> current, next;  // this trip's values and where the body writes the next
    Tensor condition;
  };

  // How each loop variable is kept between trips (see the top of this file).
  void classify_variables() {
    const Graph& body = *node_.regions.at(1);
    for (std::size_t k = 0; k < body.inputs().size(); ++k) {
      const Value arg = body.inputs()[k].value;
      const Value result = body.outputs().at(k).value;
      if (result == arg) {
        kinds_.push_back(Kind::passed_through);
        continue;
      }
      const Node& producer = body.node(result.node);
      std::size_t readers = 0;
      for (const Node& n : body.nodes()) {
        for (Value in : n.inputs) readers += in == arg ? 1 : 0;
      }
      for (const Graph::Port& p : body.outputs()) readers += p.value == arg ? 1 : 0;
      const bool updates_arg = producer.op == "TensorScatterUpdate" && producer.inputs.at(0) == arg;
      std::size_t results_using = 0;
      for (const Graph::Port& p : body.outputs()) results_using += p.value == result ? 1 : 0;
      kinds_.push_back(updates_arg && readers == 1 && results_using == 1 ? Kind::in_place : Kind::swapped);
    }
  }

  void run_loop(const KernelArgs& args, State& state) const {
    const std::size_t n = kinds_.size();
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t bytes = byte_size(node_.outputs[k]);
      if (kinds_[k] == Kind::passed_through) {
        // Read where the loop's input is; the body's "next" value is that same buffer.
        state.current[k] = state.next[k] = const_cast<void*>(args.inputs[k]);
        continue;
      }
      void* first = state.buffers[0][k].raw();
      if (bytes > 0) std::memcpy(first, args.inputs[k], bytes);
      state.current[k] = first;
      state.next[k] = kinds_[k] == Kind::in_place ? first : state.buffers[1][k].raw();
    }
    void* condition = state.condition.raw();
    for (std::int64_t trip = 0;; ++trip) {
      within(0, [&] { plans_[0]->run_into(*state.instances[0], state.current.data(), &condition); });
      if (!reference::is_true(state.condition)) break;
      if (trip == options_.max_loop_iterations) {
        throw node_.error(Errc::limit_exceeded, "loop ran past the iteration limit")
            .expected("at most " + std::to_string(options_.max_loop_iterations) + " iterations");
      }
      within(1, [&] { plans_[1]->run_into(*state.instances[1], state.current.data(), state.next.data()); });
      for (std::size_t k = 0; k < n; ++k) {
        if (kinds_[k] == Kind::swapped) {
          std::swap(state.current[k], state.next[k]);
        }
      }
    }
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t bytes = byte_size(node_.outputs[k]);
      if (bytes > 0 && args.outputs[k] != state.current[k]) std::memcpy(args.outputs[k], state.current[k], bytes);
    }
  }

  void run_branch(const KernelArgs& args, State& state) const {
    const Tensor chosen_by = Tensor::view(selector_type_.dtype, selector_type_.shape,
                                          const_cast<void*>(args.inputs[0]));
    const std::size_t branch = ops::control_flow::chosen_branch(node_, chosen_by);
    within(branch, [&] { plans_[branch]->run_into(*state.instances[branch], args.inputs + 1, args.outputs); });
  }

  // Runs `f`; an error inside says which region of the node it came from.
  template <class F> void within(std::size_t region, F f) const {
    try {
      f();
    } catch (Error& e) {
      e.within(node_.name, ops::control_flow::region_role(node_, region));
      throw;
    }
  }

  static std::size_t byte_size(const TensorType& t) {
    return static_cast<std::size_t>(t.shape.num_elements()) * dtype_size(t.dtype);
  }

  Node node_;  // its regions are shared, not copied
  PlanOptions options_;
  std::vector<std::unique_ptr<const Plan>> plans_;  // one per region
  std::vector<Kind> kinds_;                         // While: one per loop variable
  TensorType selector_type_;                        // If / Case: input 0
};

inline KernelPtr make_region_kernel(const Node& node, const std::vector<TensorType>& inputs,
                                    const PlanOptions& options) {
  return std::make_unique<RegionPlansKernel>(node, inputs, options);
}

inline std::string region_summaries(const Node& node, const PreparedKernel& kernel,
                                    const std::string& indent) {
  if (node.regions.empty()) return "";
  const auto* regions = dynamic_cast<const RegionPlansKernel*>(&kernel);
  return regions ? regions->summaries(indent) : "";
}

}  // namespace kiln
