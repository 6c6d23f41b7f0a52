// The shape of a prepared kernel, shared by every backend: the oneDNN kernels (cpu/), the
// reference kernels wrapped as prepared kernels (reference/backend.hpp), and whatever comes next.
//
// A kernel is made once per node and input shapes, by a factory that sees the node, the concrete
// types of its inputs and outputs, and the values of its constant inputs (prepare: validate,
// choose an implementation, create primitives, reorder weights, say how much scratch it needs).
// After that, run() only computes: no allocation, no validation, no lookups. A prepared kernel is
// immutable, so one kernel serves every thread; what a thread must not share (oneDNN memory
// objects bound to its buffers) lives in a KernelState that each caller owns.
#pragma once

#include <cstddef>
#include <kiln/core/graph.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace kiln {

// Everything prepare() may look at. Shapes are concrete: a plan is made per input shapes.
struct KernelRequest {
  KernelRequest(const Node& node_, std::vector<TensorType> inputs_,
                std::vector<TensorType> outputs_)
      : node(node_), inputs(std::move(inputs_)), outputs(std::move(outputs_)) {}

  const Node& node;
  std::vector<TensorType> inputs;
  std::vector<TensorType> outputs;
  std::vector<const Tensor*> constants;  // the value of input i when it is a Const, else null
  // For each output, the input whose bytes it overwrites (the memory plan put both in one
  // buffer), or -1. A kernel that cannot compute in place must decline such a request.
  std::vector<int> output_aliases;
  int threads = 0;  // the threads run() will get (0: the runtime's default)

  const Tensor* constant(std::size_t i) const {
    return i < constants.size() ? constants[i] : nullptr;
  }
  int aliased_input(std::size_t output) const {
    return output < output_aliases.size() ? output_aliases[output] : -1;
  }

  // Why a factory returned no kernel: shown in the plan summary next to the fallback.
  mutable std::string declined;
  std::nullptr_t decline(std::string reason) const {
    declined = std::move(reason);
    return nullptr;
  }
};

// Per-caller mutable state of one kernel (e.g. oneDNN memory objects bound to buffers).
class KernelState {
 public:
  virtual ~KernelState() = default;
};

// What run() gets: one pointer per input and per output, in the node's order (device memory on a
// device backend), a scratch buffer
// of at least scratch_bytes() (64-byte aligned; shared by all kernels of a plan, which run one
// after another), and this caller's state from make_state() (null if the kernel made none).
struct KernelArgs {
  const void* const* inputs = nullptr;
  void* const* outputs = nullptr;
  void* scratch = nullptr;
  KernelState* state = nullptr;
  // A device backend's queue for this run instance (DeviceHooks in backend_def.hpp): the kernel
  // enqueues its work there. Null on host backends.
  void* queue = nullptr;
};

class PreparedKernel {
 public:
  virtual ~PreparedKernel() = default;

  virtual std::unique_ptr<KernelState> make_state() const { return nullptr; }
  virtual void run(const KernelArgs& args) const = 0;

  // "onednn brgconv:avx512_core", "reference", ...: what the plan summary shows.
  const std::string& implementation() const { return implementation_; }
  std::size_t scratch_bytes() const { return scratch_bytes_; }
  // Bytes the kernel owns beyond the graph's constants (reordered weights).
  std::size_t owned_bytes() const { return owned_bytes_; }

 protected:
  std::string implementation_;
  std::size_t scratch_bytes_ = 0;
  std::size_t owned_bytes_ = 0;
};

using KernelPtr = std::unique_ptr<PreparedKernel>;

// Makes a kernel for a request, or returns null (after request.decline(why)) when the request
// is outside what it handles fast: the caller then falls back to the reference kernel.
using KernelFactory = KernelPtr (*)(const KernelRequest& request);

// A backend's kernels: the factory for each op it has a kernel for.
using KernelFactoryTable = std::map<std::string, KernelFactory, std::less<>>;

}  // namespace kiln
