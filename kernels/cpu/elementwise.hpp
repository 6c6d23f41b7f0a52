// Elementwise ops on oneDNN: activations and other unary functions as `eltwise`, arithmetic on
// two tensors (NumPy broadcasting included) as `binary`.
//
// A unary op sees its tensor as one flat vector: the layout cannot matter. A binary op needs its
// first operand at the output's full shape (oneDNN broadcasts only the second), so a commutative
// op whose first operand is the broadcast one swaps them; Sub or RealDiv in that position falls
// back to the reference kernel. Both compute in place when the memory plan asks them to.
#pragma once

#include <optional>

#include <kiln/core/op_traits.hpp>

#include "broadcast.hpp"
#include "epilogue.hpp"

namespace kiln::cpu_kernels {

// The eltwise form of a unary TensorFlow op.
inline std::optional<Activation> unary_activation(const Node& node) {
  using A = dnnl::algorithm;
  const std::string& op = node.op;
  // An op with an epilogue name runs as that epilogue step would (LeakyRelu's alpha included).
  const std::string step = epilogue_name(op);
  if (!step.empty()) return activation_of(step, node.attr_or<float>("alpha", 0.f));
  if (op == "Exp") return Activation{A::eltwise_exp, 0.f, 0.f};
  if (op == "Log") return Activation{A::eltwise_log, 0.f, 0.f};
  if (op == "Sqrt") return Activation{A::eltwise_sqrt, 0.f, 0.f};
  if (op == "Square") return Activation{A::eltwise_square, 0.f, 0.f};
  if (op == "Abs") return Activation{A::eltwise_abs, 0.f, 0.f};
  if (op == "Neg") return Activation{A::eltwise_linear, -1.f, 0.f};  // -1 * x + 0
  return std::nullopt;
}

class EltwiseKernel final : public PrimitiveKernel {
 public:
  EltwiseKernel(const Activation& a, std::int64_t elements) {
    const memory::desc md = plain_md({elements}, memory::data_type::f32);
    const dnnl::eltwise_forward::desc desc(dnnl::prop_kind::forward_inference, a.algorithm, md,
                                           a.alpha, a.beta);
    const dnnl::eltwise_forward::primitive_desc pd(desc, user_scratchpad_attr(), engine());
    set_primitive<dnnl::eltwise_forward>(pd);
    add_input(DNNL_ARG_SRC, 0, md);
    add_output(DNNL_ARG_DST, 0, md);
  }
};

inline KernelPtr make_eltwise_kernel(const KernelRequest& request) {
  if (request.inputs[0].dtype != DType::float32) return request.decline("float32 only");
  const std::int64_t n = request.outputs[0].shape.num_elements();
  if (n == 0) return request.decline("empty output");
  const std::optional<Activation> a = unary_activation(request.node);
  if (!a) return request.decline("no oneDNN eltwise for this op");
  return try_onednn(request, [&] { return std::make_unique<EltwiseKernel>(*a, n); });
}

class BinaryKernel final : public PrimitiveKernel {
 public:
  BinaryKernel(dnnl::algorithm algorithm, std::size_t first, const memory::desc& src0,
               const memory::desc& src1, const memory::desc& dst) {
    const dnnl::binary::desc desc(algorithm, src0, src1, dst);
    const dnnl::binary::primitive_desc pd(desc, user_scratchpad_attr(), engine());
    set_primitive<dnnl::binary>(pd);
    add_input(DNNL_ARG_SRC_0, first, src0);
    add_input(DNNL_ARG_SRC_1, 1 - first, src1);
    add_output(DNNL_ARG_DST, 0, dst);
  }
};

inline KernelPtr make_binary_kernel(const KernelRequest& request) {
  using A = dnnl::algorithm;
  using F = BroadcastBinaryKernel::Fn;
  const Node& node = request.node;
  for (const TensorType& t : request.inputs) {
    if (t.dtype != DType::float32) return request.decline("float32 only");
  }
  const Shape& out = request.outputs[0].shape;
  if (out.num_elements() == 0) return request.decline("empty output");
  struct BinaryOp {
    const char* name;
    std::optional<A> algorithm;  // none: oneDNN has no such binary
    F fn;
    bool commutative;
  };
  static const BinaryOp kOps[] = {
      {"Add", A::binary_add, F::add, true},
      {"AddV2", A::binary_add, F::add, true},
      {"BiasAdd", A::binary_add, F::add, true},
      {"BiasAddV1", A::binary_add, F::add, true},
      {"Mul", A::binary_mul, F::mul, true},
      {"Maximum", A::binary_max, F::max, true},
      {"Minimum", A::binary_min, F::min, true},
      {"Sub", A::binary_sub, F::sub, false},
      {"RealDiv", A::binary_div, F::div, false},
      {"SquaredDifference", std::nullopt, F::squared_difference, true},
  };
  const BinaryOp* found = nullptr;
  for (const BinaryOp& candidate : kOps) {
    if (node.op == candidate.name) found = &candidate;
  }
  if (!found) return request.decline("no cpu binary for this op");

  const int rank = std::max(out.rank(), 1);
  const memory::dims full = dims_of(out.rank() == 0 ? Shape{1} : out);
  memory::dims dims[2];
  for (std::size_t i = 0; i < 2; ++i) dims[i] = padded_dims(request.inputs[i].shape, rank);
  if (node.op == "BiasAdd" || node.op == "BiasAddV1") {
    // The bias runs along the channel axis: the last one, or axis 1 for NCHW.
    const bool nchw = node.attr_or<std::string>("data_format", "NHWC") == "NCHW" && rank >= 3;
    dims[1] = memory::dims(static_cast<std::size_t>(rank), 1);
    dims[1][nchw ? 1 : static_cast<std::size_t>(rank - 1)] = request.inputs[1].shape.dim(0);
  }
  const std::optional<BroadcastRead> reads[2] = {broadcast_read(dims[0], full),
                                                 broadcast_read(dims[1], full)};

  // oneDNN, multi-threaded, when one operand has the output's shape and can go first (oneDNN
  // broadcasts only its second source; it also computes in place over that first one), unless
  // the other repeats with a period too short for oneDNN's vectors along it.
  const int aliased = request.aliased_input(0);
  int first = -1;
  if (dims[0] == full && !(dims[1] == full && aliased == 1)) {
    first = 0;
  } else if (dims[1] == full && found->commutative) {
    first = 1;
  }
  if (found->algorithm && first >= 0 && (aliased < 0 || aliased == first)) {
    const std::optional<BroadcastRead>& other = reads[1 - first];
    const bool short_period =
        dims[0] != dims[1] && other && other->hold == 1 && other->period > 1 && other->period < 16;
    if (!short_period) {
      memory::desc src0, src1, dst;
      if (dims[0] == dims[1]) {
        // Same shapes: one flat vector, the fastest form.
        src0 = src1 = dst = plain_md({out.num_elements()}, memory::data_type::f32);
      } else {
        src0 = dst = plain_md(full, memory::data_type::f32);
        src1 = plain_md(dims[1 - first], memory::data_type::f32);
      }
      const auto index = static_cast<std::size_t>(first);
      return try_onednn(request, [&] {
        return std::make_unique<BinaryKernel>(*found->algorithm, index, src0, src1, dst);
      });
    }
  }
  if (!reads[0] || !reads[1]) return request.decline("a broadcast Kiln's loops do not cover");
  return std::make_unique<BroadcastBinaryKernel>(found->fn, *reads[0], *reads[1],
                                                 out.num_elements());
}

// Cast between float32 and bfloat16 (the edges the bf16-products pass adds) as a oneDNN
// reorder: rounding to nearest even, as TensorFlow's Cast does. Other casts run on the
// reference kernel (float to integer truncates there, where a reorder would round).
class CastKernel final : public PrimitiveKernel {
 public:
  CastKernel(const TensorType& from, const TensorType& to) {
    const std::int64_t n = to.shape.num_elements();
    const memory::desc source = plain_md({n}, onednn_type(from.dtype));
    const memory::desc target = plain_md({n}, onednn_type(to.dtype));
    const dnnl::reorder::primitive_desc pd(engine(), source, engine(), target,
                                           user_scratchpad_attr());
    set_primitive<dnnl::reorder>(pd);
    add_input(DNNL_ARG_FROM, 0, source);
    add_output(DNNL_ARG_TO, 0, target);
  }
};

inline KernelPtr make_cast_kernel(const KernelRequest& request) {
  const DType from = request.inputs[0].dtype, to = request.outputs[0].dtype;
  const bool floats = (from == DType::float32 && to == DType::bfloat16) ||
                      (from == DType::bfloat16 && to == DType::float32);
  if (!floats) return request.decline("float32 <-> bfloat16 only");
  if (request.outputs[0].shape.num_elements() == 0) return request.decline("empty output");
  return try_onednn(request, [&] {
    return std::make_unique<CastKernel>(request.inputs[0], request.outputs[0]);
  });
}

}  // namespace kiln::cpu_kernels
