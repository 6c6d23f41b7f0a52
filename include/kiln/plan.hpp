// A compiled plan: one graph with concrete input shapes, its kernels prepared once, and every
// intermediate value at its offset in one arena (optimizer/memory_planner.hpp).
//
//   Plan plan(graph, {Backend::cpu, /*threads=*/2});     // graph: optimized, shapes concrete
//   auto instance = plan.make_instance();                // arena + scratch for one caller
//   std::vector<Tensor> out = plan.run(*instance, inputs);
//
// A Plan is immutable once built, so any number of threads may run it at once, each with an
// Instance of its own (the session keeps a pool). run() allocates the graph's outputs (they go
// to the caller) and nothing else: intermediates live in the instance's arena, constants and
// reordered weights belong to the plan, and the kernels only compute. (Two exceptions, outside
// Kiln's loop: oneDNN's execute() builds a small argument map, and a node on the reference
// fallback wraps its buffers in Tensor views. Dynamic steps, below, allocate by design.)
//
// Where each value lives is a Slot: the arena (at the planned offset), a constant, a graph
// input (the caller's buffer), a graph output (a tensor allocated per run), or a dynamic step's
// output (below). Views (Reshape, Identity, ...) take the slot of what they view and cost no
// step.
//
// Dynamic steps. Some ops size their output from the values of their inputs (Where, Unique,
// NonMaxSuppression, ...: core/ops/dynamic.hpp), so even with concrete input shapes type
// inference leaves a "?" there, and in everything that reads such an output. The plan covers
// the static part as above: every node whose input and output shapes are known after inference
// gets a prepared kernel and arena slots. The others (the memory planner lists them, with the
// reason, in MemoryPlan::dynamic) run as dynamic steps, in the same schedule: when one comes up,
// type inference runs on its actual input values to size its outputs, which are allocated for
// this run only, and the backend's kernel for those shapes computes them (on_demand_kernels.hpp
// keeps the last few prepared kernels per node). Static steps after it read its outputs through
// its slots, so one plan serves every size the data produces. The summary marks each dynamic
// step and says why it is one. A graph without data-dependent ops has no dynamic step and runs
// exactly as before.
//
// Device backends. When the backend's buffers live on a device (BackendDef::device, e.g. `cuda`),
// the same plan is laid out in device memory: the constants are uploaded once, when the plan is
// made; each Instance makes one device allocation (arena, scratch, the graph's inputs and
// outputs, by the same memory plan) and one queue (a stream); run() copies the inputs in, queues
// every step, and copies the outputs out: the only host-device traffic besides the steps that
// have no device kernel, which run on the host between explicit copies (device_fallback.hpp) and
// say so in the summary. Making a plan needs no device (kernels are prepared from shapes), so a
// plan can be printed anywhere; making an Instance without one throws "backend 'cuda': no CUDA
// device (...)". Dynamic steps and loops or branches are refused on device backends for now.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backend.hpp"
#include "core/ops.hpp"
#include "device_fallback.hpp"
#include "eager.hpp"
#include "on_demand_kernels.hpp"
#include "optimizer/memory_planner.hpp"

namespace kiln {

struct PlanOptions;
// A control-flow step's kernel: its regions compiled into plans (compiled_regions.hpp), and
// the summaries of those plans, indented under the step (empty for any other kernel).
inline KernelPtr make_region_kernel(const Node& node, const std::vector<TensorType>& inputs,
                                    const PlanOptions& options);
inline std::string region_summaries(const Node& node, const PreparedKernel& kernel,
                                    const std::string& indent);

struct PlanOptions {
  Backend backend = default_backend();
  int threads = 0;  // 0: the runtime's default (all cores)
  std::int64_t max_loop_iterations = reference::kDefaultMaxLoopIterations;  // per loop run
  // The largest arena one plan (and each plan of a loop body or branch) may ask for, and apart
  // from it the most bytes of outputs one run allocates: a model whose shapes come from garbage
  // must fail at compile time, before anything is allocated.
  std::int64_t max_arena_bytes = kDefaultMaxArenaBytes;
  static constexpr std::int64_t kDefaultMaxArenaBytes = kDefaultMaxOutputBytes;
};

class Plan {
 public:
  // What the summary lists for one step.
  struct StepInfo {
    std::string node, op, epilogue, implementation, output;
    bool fallback = false;
    int threads = 0;      // the threads it runs with
    std::string dynamic;  // why it is a dynamic step (see above), or "" for a prepared one
  };

  class Instance {
    friend class Plan;
    // A device backend's allocation and queue, released last (kernel states may refer to them).
    std::shared_ptr<void> device_memory_, queue_;
    std::vector<void*> device_inputs_;  // where each graph input is copied to
    Tensor arena_, scratch_;
    void* scratch_at_ = nullptr;
    std::vector<void*> slots_;
    std::vector<std::unique_ptr<KernelState>> states_;
    std::vector<std::vector<const void*>> step_inputs_;
    std::vector<std::vector<void*>> step_outputs_;
    std::vector<bool> bound_outputs_;  // run_into's bookkeeping, kept to avoid allocating
  };

  // `graph` must have fully known shapes wherever the outputs depend on it (run the optimizer
  // and type inference with concrete input shapes first).
  Plan(Graph graph, PlanOptions options)
      : graph_(std::move(graph)), options_(options), backend_(&require_backend(options.backend)) {
    options_.threads = backend_->threads.resolve(options_.threads);
    if (backend_->device.present()) device_ = &backend_->device;
    dynamic_kernels_.emplace(*backend_, options_.threads, options_.max_arena_bytes);
    memory_ = opt::make_memory_plan(graph_);
    if (memory_.arena_bytes > options_.max_arena_bytes) {
      throw Error(Errc::limit_exceeded, "the plan's arena is larger than the limit")
          .expected("at most " + std::to_string(options_.max_arena_bytes) + " bytes (Options::max_arena_bytes)")
          .found(std::to_string(memory_.arena_bytes) + " bytes");
    }
    assign_slots();
    check_output_bytes();
    prepare_steps();
    if (device_) upload_constants();
  }

  const Graph& graph() const { return graph_; }
  const opt::MemoryPlan& memory_plan() const { return memory_; }
  const std::vector<StepInfo>& steps() const { return info_; }
  std::size_t scratch_bytes() const { return scratch_bytes_; }
  std::size_t fallback_count() const {
    return static_cast<std::size_t>(
        std::count_if(info_.begin(), info_.end(), [](const StepInfo& s) { return s.fallback; }));
  }
  std::size_t dynamic_count() const { return memory_.dynamic.size(); }
  // Host-device copies per run on a device backend: the graph's edges and the host fallbacks.
  std::size_t copy_count() const { return copies_; }

  std::unique_ptr<Instance> make_instance() const {
    if (device_) return make_device_instance();
    auto instance = std::make_unique<Instance>();
    instance->arena_ = Tensor(DType::uint8, Shape{std::max<std::int64_t>(memory_.arena_bytes, 1)});
    instance->scratch_ = Tensor(
        DType::uint8, Shape{static_cast<std::int64_t>(std::max<std::size_t>(scratch_bytes_, 1))});
    instance->scratch_at_ = instance->scratch_.raw();
    auto* arena = static_cast<std::byte*>(instance->arena_.raw());
    instance->slots_.assign(slots_.size(), nullptr);
    for (std::size_t s = 0; s < slots_.size(); ++s) {
      const Slot& slot = slots_[s];
      if (slot.kind == Slot::arena) instance->slots_[s] = arena + slot.offset;
      if (slot.kind == Slot::constant) instance->slots_[s] = const_cast<void*>(slot.data);
    }
    for (const Step& step : steps_) {
      instance->states_.push_back(step.kernel ? step.kernel->make_state() : nullptr);
      instance->step_inputs_.emplace_back(step.inputs.size(), nullptr);
      instance->step_outputs_.emplace_back(step.outputs.size(), nullptr);
    }
    return instance;
  }

  // Inputs in the order of graph().inputs(), with the shapes the plan was made for; an empty
  // Tensor leaves an input with a default (PlaceholderWithDefault) at its default. Outputs in the
  // order of graph().outputs(). The caller has checked the inputs (the session does).
  //
  // With `step_ms`, each step's wall time is added to step_ms[step] (resized to steps().size()):
  // the per-op profile that says where the time goes.
  std::vector<Tensor> run(Instance& instance, const std::vector<Tensor>& inputs,
                          std::vector<double>* step_ms = nullptr) const {
    if (device_) return run_on_device(instance, inputs, step_ms);
    std::vector<void*>& slots = instance.slots_;
    for (std::size_t i = 0; i < input_slots_.size(); ++i) {
      const Tensor& t = i < inputs.size() ? inputs[i] : Tensor();
      slots[input_slots_[i].slot] =
          t.valid() ? const_cast<void*>(t.raw()) : slots[input_slots_[i].fallback];
    }
    std::vector<Tensor> produced;
    produced.reserve(output_buffers_.size());
    for (const OutputBuffer& b : output_buffers_) {
      produced.emplace_back(b.type.dtype, b.type.shape);
      slots[b.slot] = produced.back().raw();
    }
    std::vector<Tensor> made = run_steps(instance, step_ms);
    std::vector<Tensor> results;
    results.reserve(outputs_.size());
    for (const OutputPort& port : outputs_) {
      const Slot& slot = slots_[port.slot];
      if (slot.kind == Slot::dynamic) {
        const Tensor& t = made[static_cast<std::size_t>(slot.index)];
        results.push_back(port.type.shape.is_fully_known() ? t.reshaped(port.type.shape) : t);
      } else if (slot.kind == Slot::output) {
        results.push_back(produced[static_cast<std::size_t>(slot.index)].reshaped(port.type.shape));
      } else {
        // A graph input or a constant handed straight through: the caller gets a copy.
        Tensor copy(port.type.dtype, port.type.shape);
        if (copy.byte_size() > 0) std::memcpy(copy.raw(), slots[port.slot], copy.byte_size());
        results.push_back(std::move(copy));
      }
    }
    return results;
  }

  // The same into buffers the caller owns, for a plan whose outputs all have known shapes (a
  // loop body run once per trip): `inputs[i]` holds input i (every input fed), `outputs[i]`
  // receives output i. Nothing is allocated unless the plan has dynamic steps. An output may
  // share its buffer with an input (a loop variable the body passes through, or updates in
  // place): the bytes are then already where they belong.
  void run_into(Instance& instance, const void* const* inputs, void* const* outputs) const {
    if (device_) {
      throw Error(Errc::unsupported, "run_into() takes host buffers: not on a device backend");
    }
    std::vector<void*>& slots = instance.slots_;
    for (std::size_t i = 0; i < input_slots_.size(); ++i) {
      slots[input_slots_[i].slot] = const_cast<void*>(inputs[i]);
    }
    // Each output buffer is written by the step that makes it; a value that leaves the graph
    // twice (or is an input or constant) is copied after the run.
    std::vector<bool>& bound = instance.bound_outputs_;
    bound.assign(output_buffers_.size(), false);
    for (std::size_t i = 0; i < outputs_.size(); ++i) {
      const Slot& slot = slots_[outputs_[i].slot];
      if (slot.kind != Slot::output || bound[static_cast<std::size_t>(slot.index)]) continue;
      bound[static_cast<std::size_t>(slot.index)] = true;
      slots[outputs_[i].slot] = outputs[i];
    }
    std::vector<Tensor> made = run_steps(instance, nullptr);
    for (std::size_t i = 0; i < outputs_.size(); ++i) {
      const OutputPort& port = outputs_[i];
      const Slot& slot = slots_[port.slot];
      const void* from = slot.kind == Slot::dynamic ? made[static_cast<std::size_t>(slot.index)].raw()
                                                      : slots[port.slot];
      const std::size_t bytes = static_cast<std::size_t>(port.type.shape.num_elements()) *
                                dtype_size(port.type.dtype);
      if (from != outputs[i] && bytes > 0) std::memmove(outputs[i], from, bytes);
    }
  }

  // One line per step (node, op and epilogue, kernel, output type), then the totals: what runs
  // where, and which nodes fell back to the reference kernels.
  std::string summary() const {
    std::size_t name_width = 4, op_width = 2;
    for (const StepInfo& s : info_) {
      name_width = std::max(name_width, std::min<std::size_t>(s.node.size(), 48));
      op_width = std::max(op_width, s.op.size() + s.epilogue.size());
    }
    // Long TensorFlow names share long prefixes ("StatefulPartitionedCall/model/..."): keep
    // the end, which tells the layers apart.
    auto pad = [](std::string text, std::size_t width) {
      if (text.size() > width) text = "~" + text.substr(text.size() - (width - 1));
      return text + std::string(width - text.size() + 2, ' ');
    };
    std::string text = pad("node", name_width) + pad("op", op_width) + "kernel  ->  output\n";
    for (std::size_t i = 0; i < info_.size(); ++i) {
      const StepInfo& s = info_[i];
      const bool alone = s.threads == 1 && options_.threads > 1 && s.dynamic.empty();
      const std::string kernel = s.dynamic.empty() ? s.implementation : "dynamic: " + s.dynamic;
      text += pad(s.node, name_width) + pad(s.op + s.epilogue, op_width) + kernel +
              (alone ? " (1 thread)" : "") + "  ->  " + s.output + "\n";
      if (steps_[i].kernel) text += region_summaries(graph_.node(steps_[i].node), *steps_[i].kernel, "    ");
    }
    const std::string dynamic =
        dynamic_count() == 0 ? ""
                             : ", " + std::to_string(dynamic_count()) +
                                   " dynamic (shapes known at run time, kernels prepared then)";
    text += std::to_string(info_.size()) + " steps on backend '" + backend_name(options_.backend) +
            "' with " + std::to_string(options_.threads) + " threads, " +
            std::to_string(fallback_count()) + " on reference kernels" + dynamic + "; arena " +
            opt::format_bytes(memory_.arena_bytes) + " (naive " +
            opt::format_bytes(memory_.naive_bytes) + "), scratch " +
            opt::format_bytes(static_cast<std::int64_t>(scratch_bytes_)) + ", weights " +
            opt::format_bytes(static_cast<std::int64_t>(owned_bytes_)) + " reordered\n";
    if (device_) {
      text += "on the device: constants " +
              opt::format_bytes(static_cast<std::int64_t>(constant_bytes_)) +
              " uploaded once; " + std::to_string(copies_) + " host-device copies per run (" +
              std::to_string(input_slots_.size() + outputs_.size()) + " at the graph's edges, " +
              std::to_string(copies_ - input_slots_.size() - outputs_.size()) +
              " around host fallbacks)\n";
    }
    return text;
  }

 private:
  struct Slot {
    enum Kind { arena, constant, input, output, dynamic } kind = arena;
    std::int64_t offset = 0;     // arena
    const void* data = nullptr;  // constant
    std::size_t device_offset = 0;  // constant, on a device backend: where its upload lives
    int index = 0;                  // input port, output buffer, or tensor made by a dynamic step
  };
  struct Step {
    NodeId node;
    KernelPtr kernel;                   // null for a dynamic step
    std::vector<int> inputs, outputs;   // slots
    int threads = 0;                    // the threads it runs with
    std::vector<bool> constant_inputs;  // a dynamic step's inputs that are constants
    // A control-flow step's regions, each run node by node on the plan's backend.
    RegionInterpreters regions;
  };
  struct InputSlot {
    int slot;
    int fallback;  // the default's slot for a PlaceholderWithDefault, else the slot itself
  };
  struct OutputBuffer {
    int slot;
    TensorType type;
    NodeId node;  // what computes it, for errors
  };
  struct OutputPort {
    int slot;
    TensorType type;
  };

  int new_slot(Slot slot) {
    slots_.push_back(slot);
    return static_cast<int>(slots_.size()) - 1;
  }

  // Decides where every value the outputs need lives.
  void assign_slots() {
    for (std::size_t i = 0; i < graph_.inputs().size(); ++i) {
      const Graph::Port& port = graph_.inputs()[i];
      Slot slot;
      slot.kind = Slot::input;
      slot.index = static_cast<int>(i);
      const int id = new_slot(slot);
      value_slot_[port.value] = id;
      int fallback = id;
      const Node& node = graph_.node(port.value.node);
      if (node.op == "PlaceholderWithDefault") fallback = slot_of(node.inputs.at(0));
      input_slots_.push_back({id, fallback});
    }
    for (NodeId id : memory_.schedule) {
      const Node& node = graph_.node(id);
      const OpDef* def = op_catalogue().find(node.op);
      const bool dynamic = memory_.find_dynamic(id) != nullptr;
      for (std::size_t i = 0; i < node.outputs.size(); ++i) {
        const Value v{id, static_cast<int>(i)};
        if (dynamic) {  // made when the step runs
          Slot slot;
          slot.kind = Slot::dynamic;
          slot.index = dynamic_slots_++;
          value_slot_[v] = new_slot(slot);
          continue;
        }
        if (def && def->forwards_inputs && i < node.inputs.size()) {
          value_slot_[v] = slot_of(node.inputs[i]);  // a view: the same bytes
          continue;
        }
        Slot slot;
        if (const opt::PlannedTensor* planned = memory_.find(v)) {
          slot.offset = memory_.buffers.at(static_cast<std::size_t>(planned->buffer)).offset;
        } else {
          // Outside the arena: a graph output (or an empty tensor), allocated for each run.
          slot.kind = Slot::output;
          slot.index = static_cast<int>(output_buffers_.size());
        }
        const int sid = new_slot(slot);
        if (slot.kind == Slot::output) output_buffers_.push_back({sid, graph_.type_of(v), id});
        value_slot_[v] = sid;
      }
    }
    for (const Graph::Port& port : graph_.outputs()) {
      outputs_.push_back({slot_of(port.value), graph_.type_of(port.value)});
    }
  }

  // The graph's outputs live outside the arena, allocated by each run, but their shapes come
  // from the model as much as the arena's do: together they answer to the same limit, checked
  // here, before any run allocates them.
  void check_output_bytes() const {
    std::int64_t total = 0, largest = -1;
    const OutputBuffer* culprit = nullptr;
    for (const OutputBuffer& b : output_buffers_) {
      if (!b.type.shape.is_fully_known() || b.type.dtype == DType::variant) continue;
      const std::int64_t bytes = checked_mul(b.type.shape.num_elements(),
                                             static_cast<std::int64_t>(dtype_size(b.type.dtype)));
      total = checked_add(total, bytes);
      if (bytes > largest) largest = bytes, culprit = &b;
    }
    if (total > options_.max_arena_bytes) {
      const Node& node = graph_.node(culprit->node);
      throw node.error(Errc::limit_exceeded, "the plan's outputs are larger than the limit "
                                             "(the node named makes the largest, " +
                                                 culprit->type.str() + ")")
          .expected("at most " + std::to_string(options_.max_arena_bytes) +
                    " bytes (Options::max_arena_bytes)")
          .found(std::to_string(total) + " bytes");
    }
  }

  // The slot of a value produced before the current step: a constant is given one on demand.
  int slot_of(Value v) {
    auto it = value_slot_.find(v);
    if (it != value_slot_.end()) return it->second;
    const Node& node = graph_.node(v.node);
    if (node.op == "Const" && v.index == 0) {
      Slot slot;
      slot.kind = Slot::constant;
      slot.data = node.attr<Tensor>("value").raw();
      const int id = new_slot(slot);
      value_slot_[v] = id;
      return id;
    }
    if (node.op == "PlaceholderWithDefault") {  // not an input port: always its default
      const int id = slot_of(node.inputs.at(0));
      value_slot_[v] = id;
      return id;
    }
    throw node.error(Errc::invalid_graph, "a value the plan needs is never computed")
        .input(graph_.value_name(v));
  }

  // The constant behind a slot, under the shape the consumer sees, or an empty Tensor.
  Tensor constant_behind(Value v) const {
    Value at = v;
    while (true) {
      const Node& node = graph_.node(at.node);
      if (node.op == "Const") return node.attr<Tensor>("value").reshaped(graph_.type_of(v).shape);
      const OpDef* def = op_catalogue().find(node.op);
      const bool view =
          def && def->forwards_inputs && static_cast<std::size_t>(at.index) < node.inputs.size();
      bool is_input = false;
      for (const Graph::Port& p : graph_.inputs()) is_input = is_input || p.value.node == at.node;
      if (!view || is_input) return Tensor();
      at = node.inputs[static_cast<std::size_t>(at.index)];
    }
  }

  void prepare_steps() {
    // oneDNN sizes some kernels for the thread count they are created under.
    ThreadScope threads(backend_->threads, options_.threads);
    for (NodeId id : memory_.schedule) {
      const Node& node = graph_.node(id);
      const OpDef* def = op_catalogue().find(node.op);
      if (const opt::DynamicStep* dynamic = memory_.find_dynamic(id)) {
        add_dynamic_step(node, *dynamic);
        continue;
      }
      if (def && def->forwards_inputs) continue;  // a view: nothing to compute
      if (device_ && !node.regions.empty()) {
        throw node.error(Errc::unsupported, "backend '" + backend_->name +
                                                "' cannot run loops or branches yet: compile "
                                                "this model for a host backend (cpu, reference)")
            .op(node.op);
      }
      Step step;
      step.node = id;
      std::vector<Tensor> constants;  // held while the kernel is prepared
      KernelRequest request(node, {}, node.outputs);
      request.threads = options_.threads;
      for (Value in : node.inputs) {
        request.inputs.push_back(graph_.type_of(in));
        step.inputs.push_back(slot_of(in));
        constants.push_back(constant_behind(in));
      }
      for (const Tensor& c : constants) request.constants.push_back(c.valid() ? &c : nullptr);
      for (std::size_t i = 0; i < node.outputs.size(); ++i) {
        const int out = value_slot_.at(Value{id, static_cast<int>(i)});
        step.outputs.push_back(out);
        request.output_aliases.push_back(aliased_input(step, out, node.outputs[i]));
      }
      // Tiny ops run on one thread; oneDNN must create them under the count they run with. A
      // loop or branch hands all threads to the plans of its regions.
      step.threads = node.regions.empty() ? backend_->threads.threads_for(request, options_.threads)
                                          : options_.threads;
      request.threads = step.threads;
      threads.set(step.threads);
      step.kernel = node.regions.empty() ? make_kernel(*backend_, request)
                                         : make_region_kernel(node, request.inputs, options_);
      if (device_ && step.kernel->implementation().rfind("reference", 0) == 0) {
        step.kernel = on_host(std::move(step.kernel), node, request, constants);
      }
      scratch_bytes_ = std::max(scratch_bytes_, step.kernel->scratch_bytes());
      owned_bytes_ += step.kernel->owned_bytes();

      StepInfo info;
      info.node = node.name;
      info.threads = step.threads;
      info.op = node.op;
      if (node.has_attr("fused_ops")) {
        for (const std::string& s : node.attr<Strings>("fused_ops")) info.epilogue += "+" + s;
      }
      info.implementation = step.kernel->implementation();
      info.fallback = info.implementation.rfind("reference", 0) == 0;
      info.output = node.outputs.empty() ? "()" : node.outputs[0].str();
      info_.push_back(std::move(info));
      steps_.push_back(std::move(step));
    }
  }

  // A dynamic step: slots now, the kernel when it runs.
  void add_dynamic_step(const Node& node, const opt::DynamicStep& dynamic) {
    if (device_) {
      throw node.error(Errc::unsupported, "backend '" + backend_->name +
                                              "' cannot run data-dependent shapes yet (" +
                                              dynamic.why + ")")
          .op(node.op);
    }
    Step step;
    step.node = dynamic.node;
    step.threads = options_.threads;
    for (Value in : node.inputs) {
      step.inputs.push_back(slot_of(in));
      step.constant_inputs.push_back(constant_behind(in).valid());
    }
    for (std::size_t i = 0; i < node.outputs.size(); ++i) {
      step.outputs.push_back(value_slot_.at(Value{dynamic.node, static_cast<int>(i)}));
    }
    for (const std::shared_ptr<const Graph>& region : node.regions) {
      step.regions.push_back(std::make_shared<const EagerInterpreter>(
          *region, options_.backend, options_.threads, options_.max_loop_iterations,
          options_.max_arena_bytes));
    }
    StepInfo info;
    info.node = node.name;
    info.op = node.op;
    info.threads = step.threads;
    info.implementation = "prepared at run time";
    info.dynamic = dynamic.why;
    info.output = node.outputs.empty() ? "()" : node.outputs[0].str();
    info_.push_back(std::move(info));
    steps_.push_back(std::move(step));
  }

  // Runs every step on the bound slots; returns the tensors dynamic steps made.
  std::vector<Tensor> run_steps(Instance& instance, std::vector<double>* step_ms) const {
    std::vector<Tensor> made(static_cast<std::size_t>(dynamic_slots_));
    ThreadScope threads(backend_->threads, options_.threads);
    if (step_ms) step_ms->resize(steps_.size(), 0.0);
    for (std::size_t s = 0; s < steps_.size(); ++s) {
      if (!step_ms) {
        run_step(s, instance, made, threads);
        continue;
      }
      const auto start = std::chrono::steady_clock::now();
      run_step(s, instance, made, threads);
      if (backend_->finish) backend_->finish();
      if (device_) device_->wait(instance.queue_.get());
      (*step_ms)[s] +=
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count();
    }
    if (backend_->finish) backend_->finish();
    return made;
  }

  // Step s of a run: a prepared kernel on its slots, or a dynamic step.
  void run_step(std::size_t s, Instance& instance, std::vector<Tensor>& made,
                ThreadScope& threads) const {
    const Step& step = steps_[s];
    std::vector<void*>& slots = instance.slots_;
    if (!step.kernel) {
      run_dynamic_step(step, slots, made);
      return;
    }
    threads.set(step.threads);
    std::vector<const void*>& in = instance.step_inputs_[s];
    std::vector<void*>& out = instance.step_outputs_[s];
    for (std::size_t k = 0; k < in.size(); ++k) in[k] = slots[step.inputs[k]];
    for (std::size_t k = 0; k < out.size(); ++k) out[k] = slots[step.outputs[k]];
    KernelArgs args;
    args.inputs = in.data();
    args.outputs = out.data();
    args.scratch = instance.scratch_at_;
    args.state = instance.states_[s].get();
    args.queue = instance.queue_.get();
    step.kernel->run(args);
  }

  // Sizes the step's outputs from its input values, computes them into tensors of this run
  // (`made`) and points its slots at them.
  void run_dynamic_step(const Step& step, std::vector<void*>& slots,
                        std::vector<Tensor>& made) const {
    if (backend_->finish) backend_->finish();  // the values are read here, on the host
    const Node& node = graph_.node(step.node);
    std::vector<Tensor> args;
    for (std::size_t k = 0; k < step.inputs.size(); ++k) {
      const TensorType& type = graph_.type_of(node.inputs[k]);
      const Slot& slot = slots_[static_cast<std::size_t>(step.inputs[k])];
      if (type.shape.is_fully_known() && type.dtype != DType::variant) {
        args.push_back(Tensor::view(type.dtype, type.shape, slots[step.inputs[k]]));
      } else {
        args.push_back(made[static_cast<std::size_t>(slot.index)]);  // another dynamic step's
      }
    }
    std::vector<Tensor> outputs =
        step.regions.empty() ? dynamic_kernels_->run(step.node, node, args, step.constant_inputs)
                             : run_regions(node, args, step.regions, options_.max_loop_iterations);
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      Tensor& t = outputs[i];
      // A view (Reshape to a computed shape) of arena or caller bytes gets bytes of its own: the
      // memory plan reuses the arena's once their last static reader is done.
      if (!t.owns_storage()) t = t.clone();
      const int slot = step.outputs[i];
      slots[static_cast<std::size_t>(slot)] = t.raw();
      made[static_cast<std::size_t>(slots_[static_cast<std::size_t>(slot)].index)] = std::move(t);
    }
  }

  // ---- Device backends ----------------------------------------------------------------------

  static constexpr std::size_t kDeviceAlignment = 256;
  static std::size_t device_aligned(std::size_t n) {
    return (n + kDeviceAlignment - 1) / kDeviceAlignment * kDeviceAlignment;
  }
  static std::size_t byte_count(const TensorType& t) {
    return static_cast<std::size_t>(t.shape.num_elements()) * dtype_size(t.dtype);
  }

  // A fallback kernel of a device backend, run on the host between copies.
  KernelPtr on_host(KernelPtr kernel, const Node& node, const KernelRequest& request,
                    const std::vector<Tensor>& constants) {
    std::vector<std::size_t> in_bytes, out_bytes;
    std::vector<const void*> host_constants;
    for (std::size_t k = 0; k < request.inputs.size(); ++k) {
      in_bytes.push_back(byte_count(request.inputs[k]));
      host_constants.push_back(constants[k].valid() ? constants[k].raw() : nullptr);
    }
    for (const TensorType& t : node.outputs) out_bytes.push_back(byte_count(t));
    auto wrapped = std::make_unique<HostFallbackKernel>(
        std::move(kernel), *device_, std::move(in_bytes), std::move(host_constants),
        std::move(out_bytes), request.output_aliases);
    copies_ += wrapped->copies();
    return wrapped;
  }

  // Copies every constant slot to the device once, into one allocation the plan owns. Without a
  // device the plan stays printable; make_instance() says why it cannot run.
  void upload_constants() {
    copies_ += input_slots_.size() + outputs_.size();
    if (device_->unavailable) no_device_ = device_->unavailable();
    if (!no_device_.empty()) return;
    std::vector<std::pair<int, std::size_t>> constants;  // slot, bytes
    std::vector<bool> seen(slots_.size(), false);  // views and defaults share a constant's slot
    for (const auto& [value, id] : value_slot_) {
      Slot& slot = slots_[static_cast<std::size_t>(id)];
      if (slot.kind != Slot::constant || seen[static_cast<std::size_t>(id)]) continue;
      seen[static_cast<std::size_t>(id)] = true;
      slot.device_offset = constant_bytes_;
      const std::size_t bytes = byte_count(graph_.type_of(value));
      constants.emplace_back(id, bytes);
      constant_bytes_ += device_aligned(std::max<std::size_t>(bytes, 1));
    }
    device_constants_ = device_allocation(std::max<std::size_t>(constant_bytes_, 1));
    auto* base = static_cast<std::byte*>(device_constants_.get());
    for (const auto& [id, bytes] : constants) {
      const Slot& slot = slots_[static_cast<std::size_t>(id)];
      if (bytes > 0) device_->to_device(base + slot.device_offset, slot.data, bytes, nullptr);
    }
  }

  std::shared_ptr<void> device_allocation(std::size_t bytes) const {
    const DeviceHooks* device = device_;
    return std::shared_ptr<void>(device->allocate(bytes), [device](void* p) { device->release(p); });
  }

  // An Instance in device memory: arena, scratch, the graph's inputs and its outputs in one
  // allocation, laid out in that order, and a queue of its own.
  std::unique_ptr<Instance> make_device_instance() const {
    if (!no_device_.empty()) {
      throw Error(Errc::unsupported, "backend '" + backend_->name + "': " + no_device_);
    }
    std::size_t total = device_aligned(static_cast<std::size_t>(memory_.arena_bytes));
    const std::size_t scratch_at = total;
    total += device_aligned(scratch_bytes_ + 1);
    std::vector<std::size_t> input_at, output_at;
    for (const Graph::Port& port : graph_.inputs()) {
      input_at.push_back(total);
      total += device_aligned(byte_count(graph_.type_of(port.value)) + 1);
    }
    for (const OutputBuffer& b : output_buffers_) {
      output_at.push_back(total);
      total += device_aligned(byte_count(b.type) + 1);
    }
    auto instance = std::make_unique<Instance>();
    instance->device_memory_ = device_allocation(total);
    const DeviceHooks* device = device_;
    instance->queue_ =
        std::shared_ptr<void>(device->make_queue(), [device](void* q) { device->drop_queue(q); });
    auto* base = static_cast<std::byte*>(instance->device_memory_.get());
    auto* constants = static_cast<std::byte*>(device_constants_.get());
    instance->scratch_at_ = base + scratch_at;
    instance->slots_.assign(slots_.size(), nullptr);
    for (std::size_t s = 0; s < slots_.size(); ++s) {
      const Slot& slot = slots_[s];
      if (slot.kind == Slot::arena) instance->slots_[s] = base + slot.offset;
      if (slot.kind == Slot::constant) instance->slots_[s] = constants + slot.device_offset;
      if (slot.kind == Slot::output) {
        instance->slots_[s] = base + output_at[static_cast<std::size_t>(slot.index)];
      }
    }
    for (std::size_t i = 0; i < input_slots_.size(); ++i) {
      instance->device_inputs_.push_back(base + input_at[i]);
    }
    for (const Step& step : steps_) {
      instance->states_.push_back(step.kernel ? step.kernel->make_state() : nullptr);
      instance->step_inputs_.emplace_back(step.inputs.size(), nullptr);
      instance->step_outputs_.emplace_back(step.outputs.size(), nullptr);
    }
    return instance;
  }

  // run() on a device backend: inputs in, every step queued, outputs out, then one wait.
  std::vector<Tensor> run_on_device(Instance& instance, const std::vector<Tensor>& inputs,
                                    std::vector<double>* step_ms) const {
    std::vector<void*>& slots = instance.slots_;
    void* queue = instance.queue_.get();
    for (std::size_t i = 0; i < input_slots_.size(); ++i) {
      const Tensor& t = i < inputs.size() ? inputs[i] : Tensor();
      if (!t.valid()) {
        slots[input_slots_[i].slot] = slots[input_slots_[i].fallback];
        continue;
      }
      slots[input_slots_[i].slot] = instance.device_inputs_[i];
      if (t.byte_size() > 0) {
        device_->to_device(instance.device_inputs_[i], t.raw(), t.byte_size(), queue);
      }
    }
    run_steps(instance, step_ms);
    std::vector<Tensor> results;
    results.reserve(outputs_.size());
    for (const OutputPort& port : outputs_) {
      results.emplace_back(port.type.dtype, port.type.shape);
      Tensor& t = results.back();
      if (t.byte_size() > 0) device_->to_host(t.raw(), slots[port.slot], t.byte_size(), queue);
    }
    device_->wait(queue);
    return results;
  }

  // The input whose arena bytes output slot `out` overwrites (the memory plan's in-place
  // choice), or -1. Overlap that is not exact would be a planner bug.
  int aliased_input(const Step& step, int out, const TensorType& type) const {
    const Slot& o = slots_[static_cast<std::size_t>(out)];
    if (o.kind != Slot::arena) return -1;
    auto bytes_of = [](const TensorType& t) {
      return t.shape.num_elements() * static_cast<std::int64_t>(dtype_size(t.dtype));
    };
    const std::int64_t bytes = bytes_of(type);
    if (bytes == 0) return -1;
    const Node& node = graph_.node(step.node);
    for (std::size_t k = 0; k < step.inputs.size(); ++k) {
      const Slot& in = slots_[static_cast<std::size_t>(step.inputs[k])];
      if (in.kind != Slot::arena) continue;
      const std::int64_t in_bytes = bytes_of(graph_.type_of(node.inputs[k]));
      if (in.offset == o.offset) return static_cast<int>(k);
      if (in.offset < o.offset + bytes && o.offset < in.offset + in_bytes) {
        throw node.error(Errc::internal, "an output partly overlaps an input");
      }
    }
    return -1;
  }

  Graph graph_;
  PlanOptions options_;
  const BackendDef* backend_;  // the registry's entry for options_.backend
  opt::MemoryPlan memory_;
  std::vector<Slot> slots_;
  std::map<Value, int> value_slot_;
  std::vector<InputSlot> input_slots_;
  std::vector<OutputBuffer> output_buffers_;
  std::vector<OutputPort> outputs_;
  std::vector<Step> steps_;
  std::vector<StepInfo> info_;
  std::size_t scratch_bytes_ = 0;
  std::size_t owned_bytes_ = 0;
  int dynamic_slots_ = 0;                          // tensors dynamic steps make per run
  const DeviceHooks* device_ = nullptr;  // the backend's, when its buffers are device memory
  std::string no_device_;                // why the device cannot be used, or ""
  std::shared_ptr<void> device_constants_;  // every constant slot's bytes, uploaded once
  std::size_t constant_bytes_ = 0;
  std::size_t copies_ = 0;  // host-device copies per run
  std::optional<OnDemandKernels> dynamic_kernels_;  // the kernels of dynamic steps
};

}  // namespace kiln

#include "compiled_regions.hpp"  // NOLINT: defines make_region_kernel, which needs Plan
