// Reference kernels for the fused ops the optimizer creates (core/ops/fused.hpp): the main op
// runs through its own reference kernel, then the epilogue is applied element by element in
// the order `fused_ops` lists it, with the same scalar functions the unfused ops use. So a
// fused node computes exactly what its unfused chain computed, except where fold-affine
// changed the weights (a folded BatchNorm), which moves results by a few float32 roundings.
// _FusedLayerNorm computes its formula directly, in double, rounded once.
#pragma once

#include <cmath>
#include <cstring>
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
  gelu_approximate,
  scale_shift
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
  if (name == "ScaleShift") return Step::scale_shift;
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
    const T* scale = nullptr;
    const T* shift = nullptr;
    std::size_t arg = 2;
    for (Step s : steps) {
      if (s == Step::bias) bias = inputs.at(arg++).data<T>();
      if (s == Step::residual) residual = inputs.at(arg++).data<T>();
      if (s == Step::scale_shift) {
        scale = inputs.at(arg++).data<T>();
        shift = inputs.at(arg++).data<T>();
      }
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
          case Step::scale_shift: {
            const std::int64_t c = (i / inner) % channels;
            v = v * static_cast<C>(scale[c]) + static_cast<C>(shift[c]);
            break;
          }
        }
        v = static_cast<C>(static_cast<T>(v));
      }
      y[i] = static_cast<T>(v);
    }
  });
}

// Runs `main` (the unfused op's kernel on the two main inputs), then the epilogue. A compiled
// plan may put the output in the residual's buffer (the memory plan's in-place choice, which
// the fast kernels use to accumulate): the main op then writes into a temporary, so that the
// residual is still there when the epilogue reads it.
template <class Main>
void run_fused(const Node& node, const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs,
               int channel_axis, Main&& main) {
  Tensor& out = outputs[0];
  bool shared = false;
  for (std::size_t i = 2; i < inputs.size(); ++i) {
    shared = shared || (out.byte_size() > 0 && inputs[i].raw() == out.raw());
  }
  std::vector<Tensor> result = {shared ? Tensor(out.dtype(), out.shape()) : out};
  main(std::vector<Tensor>{inputs.at(0), inputs.at(1)}, result);
  apply_epilogue(node, inputs, result[0], channel_axis);
  if (shared) std::memcpy(out.raw(), result[0].raw(), out.byte_size());
}

}  // namespace fused_detail

inline void fused_conv2d_kernel(const Node& node, const std::vector<Tensor>& inputs,
                                std::vector<Tensor>& outputs) {
  const bool nchw = node.attr<std::string>("data_format") == "NCHW";
  fused_detail::run_fused(node, inputs, outputs, nchw ? 1 : 3,
                          [&](const std::vector<Tensor>& in, std::vector<Tensor>& out) {
                            nn::conv2d_kernel(node, in, out);
                          });
}

inline void fused_depthwise_conv2d_kernel(const Node& node, const std::vector<Tensor>& inputs,
                                          std::vector<Tensor>& outputs) {
  const bool nchw = node.attr<std::string>("data_format") == "NCHW";
  fused_detail::run_fused(node, inputs, outputs, nchw ? 1 : 3,
                          [&](const std::vector<Tensor>& in, std::vector<Tensor>& out) {
                            nn::depthwise_conv2d_kernel(node, in, out);
                          });
}

inline void fused_matmul_kernel(const Node& node, const std::vector<Tensor>& inputs,
                                std::vector<Tensor>& outputs) {
  fused_detail::run_fused(node, inputs, outputs, 1,
                          [&](const std::vector<Tensor>& in, std::vector<Tensor>& out) {
                            nn::matmul_kernel(node, in, out);
                          });
}

inline void fused_batch_matmul_kernel(const Node& node, const std::vector<Tensor>& inputs,
                                      std::vector<Tensor>& outputs) {
  fused_detail::run_fused(node, inputs, outputs, outputs[0].rank() - 1,
                          [&](const std::vector<Tensor>& in, std::vector<Tensor>& out) {
                            nn::batch_matmul_kernel(node, in, out);
                          });
}

// Each row of the last axis: mean and biased variance summed in double, then
// (x - mean) / sqrt(variance + epsilon) * scale + offset, rounded once to T.
inline void fused_layer_norm_kernel(const Node& node, const std::vector<Tensor>& inputs,
                                    std::vector<Tensor>& outputs) {
  const Tensor& x = inputs.at(0);
  Tensor& y = outputs[0];
  if (x.num_elements() == 0) return;
  const std::int64_t channels = x.dim(-1);
  const std::int64_t rows = x.num_elements() / channels;
  const double epsilon = node.attr<float>("epsilon");
  nn::dispatch_floating(node, x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* scale = inputs.at(1).data<T>();
    const T* offset = inputs.at(2).data<T>();
    for (std::int64_t r = 0; r < rows; ++r) {
      const T* in = x.data<T>() + r * channels;
      T* out = y.data<T>() + r * channels;
      double sum = 0;
      for (std::int64_t c = 0; c < channels; ++c) sum += static_cast<double>(in[c]);
      const double mean = sum / static_cast<double>(channels);
      double squares = 0;
      for (std::int64_t c = 0; c < channels; ++c) {
        const double d = static_cast<double>(in[c]) - mean;
        squares += d * d;
      }
      const double inverse = 1.0 / std::sqrt(squares / static_cast<double>(channels) + epsilon);
      for (std::int64_t c = 0; c < channels; ++c) {
        out[c] = static_cast<T>((static_cast<double>(in[c]) - mean) * inverse *
                                    static_cast<double>(scale[c]) +
                                static_cast<double>(offset[c]));
      }
    }
  });
}

inline void register_fused_kernels(KernelTable& table) {
  table["_FusedConv2D"] = fused_conv2d_kernel;
  table["_FusedDepthwiseConv2dNative"] = fused_depthwise_conv2d_kernel;
  table["_FusedMatMul"] = fused_matmul_kernel;
  table["_FusedBatchMatMulV2"] = fused_batch_matmul_kernel;
  table["_FusedLayerNorm"] = fused_layer_norm_kernel;
}

}  // namespace kiln::reference
