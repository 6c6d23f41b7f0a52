// The eager interpreter: runs a graph node by node, as written, with no optimization.
//
// It is the "eager" side of every eager-versus-optimized comparison Kiln prints, so it is honest
// rather than slow on purpose: it runs only the nodes the outputs need, in topological order;
// every output gets a fresh buffer, and a buffer is released right after its last use, so peak
// memory is what a straightforward executor would need.
//
// It runs on a backend's kernels, one kernel per op: the reference kernels by default, or the
// `cpu` backend's (oneDNN), exactly the kernels a compiled plan uses, so that eager versus
// optimized isolates what the graph optimizations buy. Like TensorFlow's eager runtime it keeps
// each node's prepared kernel for the shapes it has seen, the last few of them
// (on_demand_kernels.hpp: a oneDNN primitive and its reordered weights are made on the first
// run, not on every one); buffers stay fresh.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "backend.hpp"
#include "core/verify.hpp"
#include "kernels/reference/reference.hpp"
#include "on_demand_kernels.hpp"

namespace kiln {

using NamedTensors = std::map<std::string, Tensor, std::less<>>;

class EagerInterpreter;
using RegionInterpreters = std::vector<std::shared_ptr<const EagerInterpreter>>;

// Runs a While, If or Case whose regions each have an interpreter (made once, with the node's
// executor); an error inside a region says which.
inline std::vector<Tensor> run_regions(const Node& node, const std::vector<Tensor>& args,
                                const RegionInterpreters& regions, std::int64_t max_iterations);

class EagerInterpreter {
 public:
  // Verifies the graph and plans the run: which nodes are needed, and when each value dies.
  // `threads` is the thread count the backend's kernels get (0: the runtime's default);
  // `max_loop_iterations` bounds each run of a loop and `max_output_bytes` the outputs of each
  // node (exceeding either is a kiln::Error).
  explicit EagerInterpreter(const Graph& graph, Backend backend = Backend::reference,
                            int threads = 0,
                            std::int64_t max_loop_iterations = reference::kDefaultMaxLoopIterations,
                            std::int64_t max_output_bytes = kDefaultMaxOutputBytes)
      : graph_(graph),
        max_loop_iterations_(max_loop_iterations),
        max_output_bytes_(max_output_bytes),
        backend_(backend),
        def_(&require_backend(backend)),
        threads_(def_->threads.resolve(threads)),
        kernels_(*def_, threads_, max_output_bytes) {
    // Node by node means host tensors between nodes: a device backend runs compiled plans only.
    if (def_->device.present()) {
      throw Error(Errc::unsupported, "backend '" + def_->name +
                                         "' runs compiled plans only, not node by node (-O0)")
          .expected("-O1 or -O2, or a host backend (cpu, reference) for the eager interpreter");
    }
    verify(graph_);
    plan();
  }

  Backend backend() const { return backend_; }

  // Inputs in the order of graph.inputs(); outputs in the order of graph.outputs(). With
  // `step_ms`, each step's wall time is added to step_ms[step] (resized to steps().size()), as
  // Plan::run does: summed over runs, for a per-op profile of the unoptimized graph.
  std::vector<Tensor> run(const std::vector<Tensor>& inputs,
                          std::vector<double>* step_ms = nullptr) const {
    if (inputs.size() != graph_.inputs().size()) {
      throw Error(Errc::invalid_argument, "wrong number of graph inputs")
          .expected(std::to_string(graph_.inputs().size()))
          .found(std::to_string(inputs.size()));
    }
    std::vector<std::vector<Tensor>> values(graph_.size());
    std::vector<bool> fed(graph_.size(), false);
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const Graph::Port& port = graph_.inputs()[i];
      if (!inputs[i].valid()) continue;  // an empty tensor leaves a default in place
      check_feed(port, inputs[i]);
      values[static_cast<std::size_t>(port.value.node)] = {inputs[i]};
      fed[static_cast<std::size_t>(port.value.node)] = true;
    }
    for (const Graph::Port& port : graph_.inputs()) {
      const std::size_t id = static_cast<std::size_t>(port.value.node);
      if (!fed[id] && graph_.node(port.value.node).op == "Placeholder") {
        throw Error(Errc::invalid_argument, "graph input was not fed").input(port.name);
      }
    }
    ThreadScope threads(def_->threads, threads_);
    if (step_ms) step_ms->resize(steps_.size(), 0.0);
    for (std::size_t s = 0; s < steps_.size(); ++s) {
      const Step& step = steps_[s];
      const auto start = std::chrono::steady_clock::now();
      const std::size_t id = static_cast<std::size_t>(step.node);
      if (!fed[id]) {
        const Node& node = graph_.node(step.node);
        std::vector<Tensor> args;
        args.reserve(node.inputs.size());
        for (Value in : node.inputs) {
          args.push_back(values[static_cast<std::size_t>(in.node)][static_cast<std::size_t>(in.index)]);
        }
        values[id] = node.regions.empty() ? kernels_.run(step.node, node, args, step.constant_inputs)
                                          : run_control_flow(step.node, node, args);
      }
      for (Value dead : step.releases) {
        values[static_cast<std::size_t>(dead.node)][static_cast<std::size_t>(dead.index)] = Tensor();
      }
      if (step_ms) {
        (*step_ms)[s] += std::chrono::duration<double, std::milli>(
                             std::chrono::steady_clock::now() - start).count();
      }
    }
    std::vector<Tensor> outputs;
    for (const Graph::Port& port : graph_.outputs()) {
      outputs.push_back(values[static_cast<std::size_t>(port.value.node)]
                              [static_cast<std::size_t>(port.value.index)]);
    }
    return outputs;
  }

  // The nodes run() runs, in its order: those the outputs need.
  std::vector<NodeId> steps() const {
    std::vector<NodeId> nodes;
    for (const Step& step : steps_) nodes.push_back(step.node);
    return nodes;
  }

  // Inputs and outputs by port name. Every input without a default must be fed.
  NamedTensors run(const NamedTensors& feeds) const {
    std::vector<Tensor> inputs(graph_.inputs().size());
    std::size_t used = 0;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      auto it = feeds.find(graph_.inputs()[i].name);
      if (it != feeds.end()) {
        inputs[i] = it->second;
        ++used;
      }
    }
    if (used != feeds.size()) {
      for (const auto& [name, tensor] : feeds) {
        bool known = false;
        for (const Graph::Port& p : graph_.inputs()) known = known || p.name == name;
        if (!known) throw Error(Errc::not_found, "no graph input of this name").input(name);
      }
    }
    std::vector<Tensor> results = run(inputs);
    NamedTensors named;
    for (std::size_t i = 0; i < results.size(); ++i) named[graph_.outputs()[i].name] = results[i];
    return named;
  }

 private:
  struct Step {
    NodeId node;
    std::vector<Value> releases;        // values whose last reader is this step
    std::vector<bool> constant_inputs;  // inputs that are constants (weights to prepare with)
  };

  // Keeps the nodes the outputs depend on (through data and control edges), in topological
  // order, and records after which step each value can be freed.
  void plan() {
    std::vector<bool> needed(graph_.size(), false);
    std::vector<NodeId> stack;
    for (const Graph::Port& p : graph_.outputs()) stack.push_back(p.value.node);
    while (!stack.empty()) {
      const NodeId id = stack.back();
      stack.pop_back();
      if (needed[static_cast<std::size_t>(id)]) continue;
      needed[static_cast<std::size_t>(id)] = true;
      const Node& n = graph_.node(id);
      for (Value in : n.inputs) stack.push_back(in.node);
      for (NodeId c : n.control_inputs) stack.push_back(c);
    }
    std::map<Value, std::size_t> last_reader;
    for (NodeId id : graph_.topological_order()) {
      if (!needed[static_cast<std::size_t>(id)]) continue;
      Step step{id, {}, {}};
      for (const std::shared_ptr<const Graph>& region : graph_.node(id).regions) {
        regions_[id].push_back(
            std::make_shared<const EagerInterpreter>(*region, backend_, threads_, max_loop_iterations_,
                                                    max_output_bytes_));
      }
      for (Value in : graph_.node(id).inputs) {
        last_reader[in] = steps_.size();
        step.constant_inputs.push_back(comes_from_constant(in));
      }
      steps_.push_back(std::move(step));
    }
    for (const Graph::Port& p : graph_.outputs()) last_reader.erase(p.value);  // outputs live on
    for (const auto& [value, step] : last_reader) steps_[step].releases.push_back(value);
  }

  std::vector<Tensor> run_control_flow(NodeId id, const Node& node, const std::vector<Tensor>& args) const {
    return run_regions(node, args, regions_.at(id), max_loop_iterations_);
  }

  // Whether `v` is a Const, possibly seen through views, and not a graph input.
  bool comes_from_constant(Value v) const {
    while (true) {
      const Node& node = graph_.node(v.node);
      for (const Graph::Port& p : graph_.inputs()) {
        if (p.value.node == v.node) return false;
      }
      if (node.op == "Const") return true;
      const OpDef* def = op_catalogue().find(node.op);
      const auto index = static_cast<std::size_t>(v.index);
      if (!def || !def->forwards_inputs || index >= node.inputs.size()) return false;
      v = node.inputs[index];
    }
  }

  void check_feed(const Graph::Port& port, const Tensor& t) const {
    const TensorType& declared = graph_.type_of(port.value);
    if (t.dtype() != declared.dtype) {
      throw Error(Errc::type_mismatch, "fed tensor has the wrong dtype")
          .input(port.name)
          .expected(dtype_name(declared.dtype))
          .found(dtype_name(t.dtype()));
    }
    if (!declared.shape.compatible_with(t.shape())) {
      throw Error(Errc::shape_mismatch, "fed tensor has the wrong shape")
          .input(port.name)
          .expected(declared.shape.str())
          .found(t.shape().str());
    }
  }

  Graph graph_;  // a copy: constants are shared handles, so this is cheap and lifetime-safe
  std::int64_t max_loop_iterations_;
  std::int64_t max_output_bytes_;
  Backend backend_;
  const BackendDef* def_;  // the registry's entry for backend_
  int threads_ = 0;
  OnDemandKernels kernels_;  // each node's kernel, prepared for the shapes it runs with
  std::vector<Step> steps_;
  std::map<NodeId, RegionInterpreters> regions_;  // each control-flow node's, made once
};

inline std::vector<Tensor> run_regions(const Node& node, const std::vector<Tensor>& args,
                                       const RegionInterpreters& regions, std::int64_t max_iterations) {
  return reference::run_control_flow(
      node, args,
      [&](std::size_t r, const std::vector<Tensor>& region_args) {
        try {
          return regions.at(r)->run(region_args);
        } catch (Error& e) {
          e.within(node.name, ops::control_flow::region_role(node, r));
          throw;
        }
      },
      max_iterations);
}

// One-shot convenience: verify, plan and run.
inline NamedTensors run_eager(const Graph& graph, const NamedTensors& feeds) {
  return EagerInterpreter(graph).run(feeds);
}

}  // namespace kiln
