// The fused ops' epilogue (core/ops/fused.hpp) as oneDNN post-ops, and the activations that
// oneDNN's eltwise primitive computes (shared with elementwise.hpp).
//
//   BiasAdd     the primitive's own bias argument
//   Add         a `sum` post-op when the memory plan put the output in the residual's buffer
//               (the primitive then accumulates onto it), else a `binary add` reading it
//   activation  an `eltwise` post-op
//   ScaleShift  a `binary mul` by the per-channel scale, then a `binary add` of the shift, both
//               broadcast along every dimension but the channels
//   GeluApproximate as the last step of a float32 output on an AVX2 CPU: Kiln's loop over the
//               output after the primitive (vector_math::gelu_tanh, twice as fast as oneDNN
//               2.6's there); with AVX-512, oneDNN's own post-op (kiln_gelu_pays)
//
// Post-ops run in the order fused_ops lists them, which is the order the epilogue means.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <dnnl_debug.h>

#include "onednn.hpp"
#include "vector_math.hpp"

namespace kiln::cpu_kernels {

// Whether Kiln's gelu_tanh loop beats oneDNN's post-op on this CPU: on AVX2, twice as fast. Not
// with AVX-512, where oneDNN's post-op, applied while the product's results are still in
// registers, beat the loop's second pass over the output: BERT-base's first feed-forward
// product with its GELU took 65.6 ms per run on one thread with the loop, 18 ms more than the
// second product, which has the same multiply-adds; with the post-op, 49.4 ms.
inline bool kiln_gelu_pays() {
  static const bool pays = [] {
    using isa = dnnl::cpu_isa;
    const isa found = dnnl::get_effective_cpu_isa();
    return found == isa::sse41 || found == isa::avx || found == isa::avx2 || found == isa::avx2_vnni;
  }();
  return pays;
}

struct Activation {
  dnnl::algorithm algorithm;
  float alpha = 0, beta = 0;
};

// The eltwise form of each activation step of a fused epilogue, keyed by the catalogue's
// epilogue names (op_catalogue().epilogue_activations()); a test checks that every catalogue
// epilogue has an entry here and in the reference table (reference/epilogue.hpp). `alpha` is the
// step's parameter: LeakyRelu's slope.
using ActivationOf = Activation (*)(float alpha);

inline const std::map<std::string, ActivationOf, std::less<>>& onednn_activations() {
  using A = dnnl::algorithm;
  static const std::map<std::string, ActivationOf, std::less<>> table = {
      {"Relu", [](float) { return Activation{A::eltwise_relu, 0.f, 0.f}; }},
      {"Relu6", [](float) { return Activation{A::eltwise_clip, 0.f, 6.f}; }},  // min(max(x, 0), 6)
      {"Elu", [](float) { return Activation{A::eltwise_elu, 1.f, 0.f}; }},
      {"LeakyRelu", [](float alpha) { return Activation{A::eltwise_relu, alpha, 0.f}; }},
      {"Sigmoid", [](float) { return Activation{A::eltwise_logistic, 0.f, 0.f}; }},
      {"Tanh", [](float) { return Activation{A::eltwise_tanh, 0.f, 0.f}; }},
      // x * sigmoid(1 * x)
      {"Swish", [](float) { return Activation{A::eltwise_swish, 1.f, 0.f}; }},
      {"GeluExact", [](float) { return Activation{A::eltwise_gelu_erf, 0.f, 0.f}; }},
      {"GeluApproximate", [](float) { return Activation{A::eltwise_gelu_tanh, 0.f, 0.f}; }},
  };
  return table;
}

// The eltwise form of an epilogue step, if it is an activation oneDNN computes.
inline std::optional<Activation> activation_of(std::string_view step, float alpha) {
  auto it = onednn_activations().find(step);
  if (it == onednn_activations().end()) return std::nullopt;
  return it->second(alpha);
}

struct Epilogue {
  int bias_input = -1;  // the node input that holds the bias, or -1
  dnnl::post_ops post_ops;
  struct BinaryArg {
    int post_op;        // its position in the post-op chain
    std::size_t input;  // the node input it reads
    memory::desc md;
  };
  std::vector<BinaryArg> binaries;
  // A last step Kiln runs over the float32 output after the primitive, or null.
  PrimitiveKernel::OutputPass after = nullptr;
  // "bias, sum, eltwise_relu": how oneDNN runs the epilogue (a residual as `sum` means the output
  // accumulates in place onto it), shown after the kernel's name in a plan's summary.
  std::string post_ops_text;
};

inline void add_text(Epilogue& e, const std::string& step) {
  e.post_ops_text += (e.post_ops_text.empty() ? "" : ", ") + step;
}

// A [C] vector as a binary post-op's second operand for `dst`: every dimension 1 but the
// channels' (dimension `channel_axis` of dst's logical dims).
inline memory::desc per_channel_md(const memory::desc& dst, int channel_axis) {
  memory::dims dims(dst.dims().size(), 1);
  const auto axis = static_cast<std::size_t>(channel_axis);
  dims[axis] = dst.dims()[axis];
  return plain_md(dims, memory::data_type::f32);
}

// The epilogue of `request`'s node (empty for an unfused op). `dst` describes the primitive's
// output, with the channels at dimension `channel_axis` of its logical dims; a residual has
// exactly its shape and layout. `float_output`: the output is float32, so Kiln's own loops may
// run a last step over it.
inline Epilogue epilogue_of(const KernelRequest& request, const memory::desc& dst,
                            int channel_axis, bool float_output = false) {
  Epilogue e;
  const Node& node = request.node;
  if (!node.has_attr("fused_ops")) return e;
  const float leaky_alpha = node.attr_or<float>("leakyrelu_alpha", 0.2f);
  int arg = 2;  // arguments follow the two main inputs in the order the steps consume them
  int position = 0;
  const Strings& steps = node.attr<Strings>("fused_ops");
  for (const std::string& step : steps) {
    if (step == "GeluApproximate" && float_output && &step == &steps.back() && kiln_gelu_pays()) {
      e.after = vector_math::gelu_tanh;
      add_text(e, "kiln gelu_tanh");
    } else if (step == "BiasAdd") {
      e.bias_input = arg++;
      add_text(e, "bias");
    } else if (step == "Add") {
      const int residual = arg++;
      if (request.aliased_input(0) == residual) {
        e.post_ops.append_sum(1.f);
        add_text(e, "sum");
      } else {
        e.post_ops.append_binary(dnnl::algorithm::binary_add, dst);
        e.binaries.push_back({position, static_cast<std::size_t>(residual), dst});
        add_text(e, "binary_add");
      }
      ++position;
    } else if (step == "ScaleShift") {
      const memory::desc vector = per_channel_md(dst, channel_axis);
      const dnnl::algorithm algorithms[] = {dnnl::algorithm::binary_mul,
                                            dnnl::algorithm::binary_add};
      for (dnnl::algorithm algorithm : algorithms) {
        e.post_ops.append_binary(algorithm, vector);
        e.binaries.push_back({position++, static_cast<std::size_t>(arg++), vector});
      }
      add_text(e, "binary_mul, binary_add");
    } else if (auto a = activation_of(step, leaky_alpha)) {
      e.post_ops.append_eltwise(1.f, a->algorithm, a->alpha, a->beta);
      add_text(e, dnnl_alg_kind2str(static_cast<dnnl_alg_kind_t>(a->algorithm)));
      ++position;
    } else {
      throw node.error(Errc::unsupported, "unknown epilogue step").attr("fused_ops").found(step);
    }
  }
  return e;
}

}  // namespace kiln::cpu_kernels
