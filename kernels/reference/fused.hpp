// Reference kernels for the fused ops the optimizer creates (core/ops/fused.hpp): the main op
// runs through its own reference kernel, then the epilogue is applied element by element in
// the order `fused_ops` lists it, with the same scalar functions the unfused ops use. So a
// fused node computes exactly what its unfused chain computed, except where fold-affine
// changed the weights (a folded BatchNorm), which moves results by a few float32 roundings.
// _FusedLayerNorm and _FusedLSTMGates compute their formulas directly, in double, rounded once;
// _FusedLSTMSequence runs those gates step by step, rounding the states to T after each step as
// the loop it replaces did.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include <kiln/core/ops/fused.hpp>

#include "conv.hpp"
#include "epilogue.hpp"
#include "kernel.hpp"
#include "math_functions.hpp"
#include "matmul.hpp"
#include "nn_support.hpp"

namespace kiln::reference {

namespace fused_detail {

// One step of `fused_ops`: the ones that consume arguments, or an activation.
struct Step {
  enum Kind { bias, residual, scale_shift, activation } kind;
  const EpilogueActivation* function = nullptr;  // for an activation
};

inline Step step_of(const Node& node, const std::string& name) {
  if (name == "BiasAdd") return {Step::bias, nullptr};
  if (name == "Add") return {Step::residual, nullptr};
  if (name == "ScaleShift") return {Step::scale_shift, nullptr};
  auto it = epilogue_activations().find(name);
  if (it == epilogue_activations().end()) {
    throw node.error(Errc::unsupported, "unknown epilogue step").attr("fused_ops").found(name);
  }
  return {Step::activation, &it->second};
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
    std::vector<StepFn<C>> functions;
    for (const Step& s : steps) {
      if (s.kind == Step::bias) bias = inputs.at(arg++).data<T>();
      if (s.kind == Step::residual) residual = inputs.at(arg++).data<T>();
      if (s.kind == Step::scale_shift) {
        scale = inputs.at(arg++).data<T>();
        shift = inputs.at(arg++).data<T>();
      }
      functions.push_back(s.function ? s.function->template get<C>() : nullptr);
    }
    const StepContext<C> context{C(alpha), [](C x) { return static_cast<C>(static_cast<T>(x)); }};
    T* y = out.data<T>();
    const std::int64_t n = out.num_elements();
    for (std::int64_t i = 0; i < n; ++i) {
      C v = static_cast<C>(y[i]);
      for (std::size_t k = 0; k < steps.size(); ++k) {
        switch (steps[k].kind) {
          case Step::bias: v = v + static_cast<C>(bias[(i / inner) % channels]); break;
          case Step::residual: v = v + static_cast<C>(residual[i]); break;
          case Step::scale_shift: {
            const std::int64_t c = (i / inner) % channels;
            v = v * static_cast<C>(scale[c]) + static_cast<C>(shift[c]);
            break;
          }
          case Step::activation: v = functions[k](v, context); break;
        }
        // Each step rounds to T as the unfused op would have written it.
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

// One LSTM step's gates, element by element in double, rounded once to T.
inline void fused_lstm_gates_kernel(const Node& node, const std::vector<Tensor>& inputs,
                                    std::vector<Tensor>& outputs) {
  const Tensor& z = inputs.at(0);
  const std::int64_t batch = z.dim(0), units = z.dim(1) / 4;
  auto sigmoid = [](double x) { return 1.0 / (1.0 + std::exp(-x)); };
  nn::dispatch_floating(node, z.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* c = inputs.at(1).data<T>();
    T* h_next = outputs[0].data<T>();
    T* c_next = outputs[1].data<T>();
    for (std::int64_t b = 0; b < batch; ++b) {
      const T* gates = z.data<T>() + b * 4 * units;
      for (std::int64_t u = 0; u < units; ++u) {
        const std::int64_t at = b * units + u;
        const double cell = sigmoid(static_cast<double>(gates[units + u])) * static_cast<double>(c[at]) +
                            sigmoid(static_cast<double>(gates[u])) * std::tanh(static_cast<double>(gates[2 * units + u]));
        c_next[at] = static_cast<T>(cell);
        h_next[at] = static_cast<T>(sigmoid(static_cast<double>(gates[3 * units + u])) * std::tanh(cell));
      }
    }
  });
}

// A whole LSTM loop: z = p[t] + h r (in double), then the gates, for t = 0..T-1.
inline void fused_lstm_sequence_kernel(const Node& node, const std::vector<Tensor>& inputs,
                                       std::vector<Tensor>& outputs) {
  const Tensor& p = inputs.at(0);
  const std::int64_t steps = p.dim(0), batch = p.dim(1), units = inputs.at(1).dim(0);
  auto sigmoid = [](double x) { return 1.0 / (1.0 + std::exp(-x)); };
  nn::dispatch_floating(node, p.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* r = inputs[1].data<T>();
    std::vector<T> h(inputs[2].data<T>(), inputs[2].data<T>() + batch * units);
    std::vector<T> c(inputs[3].data<T>(), inputs[3].data<T>() + batch * units);
    std::vector<double> z(static_cast<std::size_t>(4 * units));
    T* sequence = outputs[0].data<T>();
    for (std::int64_t t = 0; t < steps; ++t) {
      for (std::int64_t b = 0; b < batch; ++b) {
        const T* projected = p.data<T>() + (t * batch + b) * 4 * units;
        const T* h_row = h.data() + b * units;
        for (std::int64_t j = 0; j < 4 * units; ++j) {
          double sum = static_cast<double>(projected[j]);
          for (std::int64_t k = 0; k < units; ++k) {
            sum += static_cast<double>(h_row[k]) * static_cast<double>(r[k * 4 * units + j]);
          }
          z[static_cast<std::size_t>(j)] = static_cast<double>(static_cast<T>(sum));
        }
        T* c_row = c.data() + b * units;
        T* out = sequence + (t * batch + b) * units;
        for (std::int64_t u = 0; u < units; ++u) {
          auto gate = [&](int q) { return z[static_cast<std::size_t>(q * units + u)]; };
          const double cell = sigmoid(gate(1)) * static_cast<double>(c_row[u]) + sigmoid(gate(0)) * std::tanh(gate(2));
          c_row[u] = static_cast<T>(cell);
          out[u] = static_cast<T>(sigmoid(gate(3)) * std::tanh(cell));
        }
      }
      std::copy(sequence + t * batch * units, sequence + (t + 1) * batch * units, h.begin());
    }
    // With no steps the states come out as they went in.
    std::copy(h.begin(), h.end(), outputs[1].data<T>());
    std::copy(c.begin(), c.end(), outputs[2].data<T>());
  });
}

inline void register_fused_kernels(KernelTable& table) {
  table["_FusedConv2D"] = fused_conv2d_kernel;
  table["_FusedDepthwiseConv2dNative"] = fused_depthwise_conv2d_kernel;
  table["_FusedMatMul"] = fused_matmul_kernel;
  table["_FusedBatchMatMulV2"] = fused_batch_matmul_kernel;
  table["_FusedLayerNorm"] = fused_layer_norm_kernel;
  table["_FusedLSTMGates"] = fused_lstm_gates_kernel;
  table["_FusedLSTMSequence"] = fused_lstm_sequence_kernel;
}

}  // namespace kiln::reference
