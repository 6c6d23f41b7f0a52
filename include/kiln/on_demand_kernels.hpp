// Running one node whose input values are at hand but whose kernel was not prepared ahead: every
// node of the eager interpreter (eager.hpp), and the dynamic steps of a compiled plan (plan.hpp),
// whose input shapes are known only when they run.
//
// Inference with the input values sizes the outputs (and validates the node, as in
// reference::evaluate); the backend's kernel for these input shapes computes them into fresh
// tensors. Like TensorFlow's eager runtime, the prepared kernel is kept for the next run with the
// same shapes (a oneDNN primitive and its reordered weights are made once, not every time). A
// node whose shapes change with the data would make one kernel per size it meets, so each node
// keeps its most recently prepared few. The `reference` backend's kernels need no preparing.
#pragma once

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "backend.hpp"
#include "kernels/reference/reference.hpp"

namespace kiln {

// The most bytes one node's outputs may take when they are sized as it runs (here: every node
// of the eager interpreter, a plan's dynamic steps). A shape computed from garbage, such as a
// Fill to 10^10 elements, must fail with a kiln::Error before anything is allocated. Compiled
// plans answer to Options::max_arena_bytes, which also sets this limit; the default is the same.
inline constexpr std::int64_t kDefaultMaxOutputBytes = std::int64_t{8} << 30;

class OnDemandKernels {
 public:
  // How many input-shape combinations of one node keep a prepared kernel.
  static constexpr std::size_t kShapesPerNode = 8;

  // `threads`: the thread count a run has (resolved: > 0, or 1 without thread control).
  OnDemandKernels(const BackendDef& backend, int threads,
                  std::int64_t max_output_bytes = kDefaultMaxOutputBytes)
      : backend_(&backend), threads_(threads), max_output_bytes_(max_output_bytes) {}

  // Runs `node` (node `id` of its graph: the cache key) on `inputs`. `constant[i]` says input i
  // is a constant, whose value the kernel may prepare with (weights reordered once).
  std::vector<Tensor> run(NodeId id, const Node& node, const std::vector<Tensor>& inputs,
                          const std::vector<bool>& constant) const {
    const OpDef& def = op_catalogue().at(node);
    if (node.op == "Const" || node.op == "Placeholder" || def.forwards_inputs) {
      return reference::evaluate(node, inputs);  // nothing to compute
    }
    std::vector<TensorType> types;
    std::vector<const Tensor*> values;
    for (const Tensor& t : inputs) {
      types.push_back({t.dtype(), t.shape()});
      values.push_back(&t);
    }
    const std::vector<TensorType> out_types = infer_node(node, types, values);
    check_output_bytes(node, out_types);
    if (backend_->name == "reference") return reference::evaluate(node, inputs);  // no preparing
    // Tensor lists live beside a tensor's bytes, where no backend's kernel (which sees bytes
    // only) reaches: the reference kernels, which see whole tensors, handle them everywhere.
    auto is_list = [](const TensorType& t) { return t.dtype == DType::variant; };
    if (std::any_of(types.begin(), types.end(), is_list) ||
        std::any_of(out_types.begin(), out_types.end(), is_list)) {
      return reference::evaluate(node, inputs);
    }
    std::vector<Tensor> outputs;
    for (const TensorType& t : out_types) {
      if (!t.shape.is_fully_known()) {
        throw node.error(Errc::internal, "output shape unknown although every input is known")
            .found(t.shape.str());
      }
      outputs.emplace_back(t.dtype, t.shape);
    }
    // Tiny ops run on one thread, as in a compiled plan, and are prepared so.
    const int op_threads =
        backend_->threads.threads_for(KernelRequest(node, types, out_types), threads_);
    ThreadScope threads(backend_->threads, op_threads);
    const std::shared_ptr<const PreparedKernel> kernel =
        kernel_for(id, node, types, out_types, inputs, constant, op_threads);
    std::unique_ptr<KernelState> state = kernel->make_state();
    Tensor scratch(DType::uint8, Shape{static_cast<std::int64_t>(kernel->scratch_bytes() + 1)});
    std::vector<const void*> in;
    for (const Tensor& t : inputs) in.push_back(t.raw());
    std::vector<void*> out;
    for (Tensor& t : outputs) out.push_back(t.raw());
    KernelArgs args;
    args.inputs = in.data();
    args.outputs = out.data();
    args.scratch = scratch.raw();
    args.state = state.get();
    kernel->run(args);
    if (backend_->finish) backend_->finish();
    return outputs;
  }

 private:
  // Throws before allocating when the outputs inference sized exceed the limit. A size still
  // unknown (a data-dependent op on the reference backend) is sized by the kernel itself.
  void check_output_bytes(const Node& node, const std::vector<TensorType>& out_types) const {
    std::int64_t total = 0;
    for (const TensorType& t : out_types) {
      if (!t.shape.is_fully_known() || t.dtype == DType::variant) continue;
      total = checked_add(total, checked_mul(t.shape.num_elements(),
                                             static_cast<std::int64_t>(dtype_size(t.dtype))));
    }
    if (total > max_output_bytes_) {
      throw node.error(Errc::limit_exceeded, "the node's outputs are larger than the limit")
          .expected("at most " + std::to_string(max_output_bytes_) +
                    " bytes (Options::max_arena_bytes)")
          .found(std::to_string(total) + " bytes");
    }
  }

  // The kernel of node `id` for these input and output types, prepared on first use. The output
  // types belong in the key: a data-dependent op (Where) meets other output sizes with the same
  // input shapes, and a kernel is prepared for exactly one.
  std::shared_ptr<const PreparedKernel> kernel_for(NodeId id, const Node& node,
                                                   const std::vector<TensorType>& types,
                                                   const std::vector<TensorType>& out_types,
                                                   const std::vector<Tensor>& inputs,
                                                   const std::vector<bool>& constant,
                                                   int threads) const {
    std::string key;
    for (const TensorType& t : types) key += t.str() + ",";
    key += "->";
    for (const TensorType& t : out_types) key += t.str() + ",";
    std::lock_guard<std::mutex> lock(cache_->mutex);
    std::deque<Entry>& kept = cache_->kernels[id];
    for (const Entry& entry : kept) {
      if (entry.key == key) return entry.kernel;
    }
    KernelRequest request(node, types, out_types);
    request.threads = threads;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      request.constants.push_back(i < constant.size() && constant[i] ? &inputs[i] : nullptr);
    }
    std::shared_ptr<const PreparedKernel> kernel = make_kernel(*backend_, request);
    kept.push_front({key, kernel});
    if (kept.size() > kShapesPerNode) kept.pop_back();
    return kernel;
  }

  struct Entry {
    std::string key;  // the input and output types
    std::shared_ptr<const PreparedKernel> kernel;
  };
  // Shared by copies, so that copies of an interpreter or a plan prepare each kernel once.
  struct Cache {
    std::mutex mutex;
    std::map<NodeId, std::deque<Entry>> kernels;  // most recently prepared first
  };

  const BackendDef* backend_;
  int threads_;
  std::int64_t max_output_bytes_;
  std::shared_ptr<Cache> cache_ = std::make_shared<Cache>();
};

}  // namespace kiln
