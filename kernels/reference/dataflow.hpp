// Kernels for the dataflow ops. Pass-throughs never reach a kernel (evaluate() forwards their
// bytes) and a Placeholder is fed by the caller, so only Const and NoOp remain.
#pragma once

#include "kernel.hpp"

namespace kiln::reference {

inline void const_kernel(const Node& node, const std::vector<Tensor>&, std::vector<Tensor>& out) {
  out[0] = node.attr<Tensor>("value");  // evaluate() short-cuts this; kept for the table
}

inline void no_op_kernel(const Node&, const std::vector<Tensor>&, std::vector<Tensor>&) {}

inline void register_dataflow_kernels(KernelTable& table) {
  table["Const"] = const_kernel;
  table["NoOp"] = no_op_kernel;
}

}  // namespace kiln::reference
