// Reference kernels for the fused ops the optimizer creates (core/ops/fused.hpp): the main op
// runs through its own reference kernel, then the epilogue is applied element by element in
// the order `fused_ops` lists it, with the same scalar functions the unfused ops use. So a
// fused node computes exactly what its unfused chain computed, except where the fuse pass
// changed the weights (a folded BatchNorm), which moves results by a few float32 roundings.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include <kiln/core/ops/fused.hpp>

#include "conv.hpp"
#include "kernel.hpp"
#include "math_functions.hpp"
#include "matmul.hpp"
#include "nn_support.hpp"

namespace kiln::reference {

namespace fused_detail {

enum class Step {
  bias,
  residual,
  relu,
  relu6,
  elu,
  leaky_relu,
  sigmoid,
  tanh,
  swish,
  gelu_exact,
  gelu_approximate
};

inline Step step_of(const Node& node, const std::string& name) {
  if (name == "BiasAdd") return Step::bias;
  if (name == "Add") return Step::residual;
  if (name == "Relu") return Step::relu;
  if (name == "Relu6") return Step::relu6;
  if (name == "Elu") return Step::elu;
  if (name == "LeakyRelu") return Step::leaky_relu;
  if (name == "Sigmoid") return Step::sigmoid;
  if (name == "Tanh") return Step::tanh;
  if (name == "Swish") return Step::swish;
  if (name == "GeluExact") return Step::gelu_exact;
  if (name == "GeluApproximate") return Step::gelu_approximate;
  throw node.error(Errc::unsupported, "unknown epilogue step").attr("fused_ops").found(name);
}

// Applies the epilogue in place to `out`, whose channels sit on `channel_axis`.
inline void apply_epilogue(const Node& node, const std::vector<Tensor>& inputs, Tensor& out,
                           int channel_axis) {
  std::vector<Step> steps;
  for (const std::string& s : node.attr<Strings>("fused_ops")) steps.push_back(step_of(node, s));
  const float alpha = node.attr<float>("leakyrelu_alpha");
  const std::int64_t channels = out.dim(channel_axis);
  std::int64_t inner = 1;  // elements between two consecutive channels
  for (int d = channel_axis + 1; d < out.rank(); ++d) inner *= out.dim(d);
  nn::dispatch_floating(node, out.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = compute_t<T>;
    // The arguments, in the order the steps consume them.
    const T* bias = nullptr;
    const T* residual = nullptr;
    std::size_t arg = 2;
    for (Step s : steps) {
      if (s == Step::bias) bias = inputs.at(arg++).data<T>();
      if (s == Step::residual) residual = inputs.at(arg++).data<T>();
    }
    T* y = out.data<T>();
    const std::int64_t n = out.num_elements();
    const C half(0.5), one(1);
    const C sqrt_half(0.7071067811865476), sqrt_two_over_pi(0.7978845608028654), cubic(0.044715);
    for (std::int64_t i = 0; i < n; ++i) {
      C v = static_cast<C>(y[i]);
      for (Step s : steps) {
        switch (s) {
          // Each step rounds to T as the unfused op would have written it.
          case Step::bias: v = v + static_cast<C>(bias[(i / inner) % channels]); break;
          case Step::residual: v = v + static_cast<C>(residual[i]); break;
          case Step::relu: v = fn::Relu{}(v); break;
          case Step::relu6: v = fn::Relu6{}(v); break;
          case Step::elu: v = fn::Elu{}(v); break;
          case Step::leaky_relu: v = v > C(0) ? v : C(alpha) * v; break;
          case Step::sigmoid: v = fn::Sigmoid{}(v); break;
          case Step::tanh: v = fn::Tanh{}(v); break;
          case Step::swish: v = v * static_cast<C>(static_cast<T>(fn::Sigmoid{}(v))); break;
          // erfc(-z) = 1 + erf(z), without the cancellation 1 + erf(z) suffers for z << 0.
          case Step::gelu_exact: v = half * v * std::erfc(-v * sqrt_half); break;
          case Step::gelu_approximate:
            v = half * v * (one + std::tanh(sqrt_two_over_pi * (v + cubic * v * v * v)));
            break;
        }
        v = static_cast<C>(static_cast<T>(v));
      }
      y[i] = static_cast<T>(v);
    }
  });
}

}  // namespace fused_detail

inline void fused_conv2d_kernel(const Node& node, const std::vector<Tensor>& inputs,
                                std::vector<Tensor>& outputs) {
  nn::conv2d_kernel(node, {inputs.at(0), inputs.at(1)}, outputs);
  const bool nchw = node.attr<std::string>("data_format") == "NCHW";
  fused_detail::apply_epilogue(node, inputs, outputs[0], nchw ? 1 : 3);
}

inline void fused_depthwise_conv2d_kernel(const Node& node, const std::vector<Tensor>& inputs,
                                          std::vector<Tensor>& outputs) {
  nn::depthwise_conv2d_kernel(node, {inputs.at(0), inputs.at(1)}, outputs);
  const bool nchw = node.attr<std::string>("data_format") == "NCHW";
  fused_detail::apply_epilogue(node, inputs, outputs[0], nchw ? 1 : 3);
}

inline void fused_matmul_kernel(const Node& node, const std::vector<Tensor>& inputs,
                                std::vector<Tensor>& outputs) {
  nn::matmul_kernel(node, {inputs.at(0), inputs.at(1)}, outputs);
  fused_detail::apply_epilogue(node, inputs, outputs[0], 1);
}

inline void register_fused_kernels(KernelTable& table) {
  table["_FusedConv2D"] = fused_conv2d_kernel;
  table["_FusedDepthwiseConv2dNative"] = fused_depthwise_conv2d_kernel;
  table["_FusedMatMul"] = fused_matmul_kernel;
}

}  // namespace kiln::reference
