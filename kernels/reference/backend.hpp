// The reference kernels as prepared kernels: the whole `reference` backend, and the fallback of
// every host-memory backend (`cpu`) for the ops it has no kernel for.
//
// The reference kernels take Tensors, so run() wraps the raw buffers in views. A view's Shape is
// a small vector, so this path allocates a little on every run: it is the slow path anyway, and
// the plan summary names every node that takes it.
#pragma once

#include <cstring>
#include <kiln/kernels/backend_def.hpp>
#include <string>
#include <vector>

#include "reference.hpp"

namespace kiln::reference {

class ReferenceKernel final : public PreparedKernel {
 public:
  ReferenceKernel(const KernelRequest& request, Kernel fn, std::string why)
      : node_(request.node), fn_(fn), inputs_(request.inputs), outputs_(request.outputs) {
    implementation_ = why.empty() ? "reference" : "reference (" + why + ")";
    // An output that shares bytes with an input must not be cleared before the kernel reads it.
    for (std::size_t i = 0; i < outputs_.size(); ++i) {
      clear_.push_back(request.aliased_input(i) < 0);
    }
  }

  void run(const KernelArgs& args) const override {
    std::vector<Tensor> in;
    in.reserve(inputs_.size());
    for (std::size_t i = 0; i < inputs_.size(); ++i) {
      in.push_back(
          Tensor::view(inputs_[i].dtype, inputs_[i].shape, const_cast<void*>(args.inputs[i])));
    }
    std::vector<Tensor> out;
    out.reserve(outputs_.size());
    for (std::size_t i = 0; i < outputs_.size(); ++i) {
      out.push_back(Tensor::view(outputs_[i].dtype, outputs_[i].shape, args.outputs[i]));
      // Fresh Tensors are zero-filled; arena bytes are not. Match what the kernels were
      // written against (but never clear an input: a compiled loop may update one in place).
      if (clear_[i] && out.back().byte_size() > 0 && !is_an_input(args, args.outputs[i])) {
        std::memset(args.outputs[i], 0, out.back().byte_size());
      }
    }
    fn_(node_, in, out);
  }

 private:
  bool is_an_input(const KernelArgs& args, const void* p) const {
    for (std::size_t i = 0; i < inputs_.size(); ++i) {
      if (args.inputs[i] == p) return true;
    }
    return false;
  }

  Node node_;  // a copy: attributes are shared handles or small
  Kernel fn_;
  std::vector<TensorType> inputs_, outputs_;
  std::vector<bool> clear_;
};

// The reference kernel for `request`, or null when the op has none. `why` says why another
// backend fell back to it; the kernel's implementation name carries it into the plan summary.
inline KernelPtr make_prepared_kernel(const KernelRequest& request, std::string why = "") {
  auto it = kernel_table().find(request.node.op);
  if (it == kernel_table().end()) return nullptr;
  return std::make_unique<ReferenceKernel>(request, it->second, std::move(why));
}

// The `reference` backend's table: every op with a reference kernel, one factory for all.
inline const KernelFactoryTable& prepared_kernel_table() {
  static const KernelFactoryTable table = [] {
    KernelFactoryTable t;
    for (const auto& entry : kernel_table()) {
      t[entry.first] = [](const KernelRequest& request) { return make_prepared_kernel(request); };
    }
    return t;
  }();
  return table;
}

// Always registered (<kiln/backend_registry.hpp>): the ground truth, single-threaded, in host
// memory, and the least preferred, so that any faster backend a program links is its default.
inline BackendDef backend_def() {
  BackendDef def;
  def.name = "reference";
  def.description = "Kiln's plain loops: the ground truth, one thread";
  def.kernels = prepared_kernel_table;
  def.reference_fallback = false;  // it is the reference
  def.preference = 0;
  return def;
}

}  // namespace kiln::reference
