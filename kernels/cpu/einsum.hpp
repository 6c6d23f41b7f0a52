// Einsum with two operands as one oneDNN matmul, the way attention layers use it
// ("abc,cde->abde", "aecd,abcd->acbe", "acbe,aecd->abcd", "abcd,cde->abe").
//
// Every label is one of four kinds: batch (in both operands and the output), contracted (in
// both, not in the output), or free in one operand (and in the output). A matmul computes
// dst[batch..., m, n] = sum_k src[batch..., m, k] * weights[batch..., k, n], so the free labels
// of each operand and the contracted ones must each fold into one dimension. Nothing moves for
// that: each operand is described by its strides, so a group folds when its labels lie in
// memory one inside the other, in the same order in every tensor that has them. A batch label
// of size 1 in one operand broadcasts, as in NumPy. Equations outside this shape (a diagonal, a
// label summed within one operand, groups that do not fold) fall back to the reference kernel.
#pragma once

#include <kiln/core/ops/nn/einsum.hpp>
#include <optional>
#include <utility>

#include "matmul.hpp"

namespace kiln::cpu_kernels {

namespace einsum_detail {

// One tensor's view of the labels: the stride of each label it has (in elements).
struct Strides {
  std::vector<std::int64_t> of;  // per label; -1 where the tensor lacks it
  std::vector<std::int64_t> size;
};

inline Strides strides_of(const std::vector<int>& labels, const Shape& shape, std::size_t count) {
  Strides s;
  s.of.assign(count, -1);
  s.size.assign(count, 1);
  std::int64_t stride = 1;
  for (int axis = static_cast<int>(labels.size()) - 1; axis >= 0; --axis) {
    const auto label = static_cast<std::size_t>(labels[static_cast<std::size_t>(axis)]);
    s.of[label] = stride;
    s.size[label] = shape.dim(axis);
    stride *= shape.dim(axis);
  }
  return s;
}

// The (size, stride) of `group` folded into one dimension of tensor `t`, or size -1 when its
// labels do not lie one inside the other in this order. Labels of size 1 take no room and are
// skipped; an empty group is a dimension of 1.
inline std::pair<std::int64_t, std::int64_t> fold(const std::vector<int>& group, const Strides& t) {
  std::int64_t size = 1, stride = 1;
  bool first = true;
  for (auto it = group.rbegin(); it != group.rend(); ++it) {  // innermost first
    const auto label = static_cast<std::size_t>(*it);
    if (t.size[label] == 1) continue;
    if (first) {
      stride = t.of[label];
    } else if (t.of[label] != stride * size) {
      return {-1, 0};
    }
    first = false;
    size *= t.size[label];
  }
  return {size, stride};
}

}  // namespace einsum_detail

class EinsumKernel final : public PrimitiveKernel {
 public:
  // With `constant_weights`, Kiln picks the weights' layout (a projection's).
  EinsumKernel(const KernelRequest& request, const memory::desc& src, const memory::desc& weights,
               const memory::desc& dst, std::size_t src_input, bool constant_weights) {
    const dnnl::primitive_attr attr = user_scratchpad_attr();
    const dnnl::matmul::primitive_desc pd =
        constant_weights
            ? constant_weights_matmul(src, weights.dims(), memory::desc(), dst, attr)
            : dnnl::matmul::primitive_desc(dnnl::matmul::desc(src, weights, dst), attr, engine());
    set_primitive<dnnl::matmul>(pd);
    add_input(DNNL_ARG_SRC, src_input, src);
    add_weights(DNNL_ARG_WEIGHTS, 1 - src_input, request, weights, pd.weights_desc());
    add_output(DNNL_ARG_DST, 0, dst);
  }
};

inline KernelPtr make_einsum_kernel(const KernelRequest& request) {
  using einsum_detail::fold;
  using einsum_detail::Strides;
  if (request.inputs.size() != 2) return request.decline("one operand");
  for (const TensorType& t : request.inputs) {
    if (t.dtype != DType::float32) return request.decline("float32 only");
    if (t.shape.num_elements() == 0) return request.decline("empty operand");
  }
  const InferContext ctx(request.node, request.inputs, request.constants);
  const ops::nn::EinsumPlan plan = ops::nn::einsum_plan(ctx);
  const std::size_t labels = plan.label_size.size();

  std::vector<int> uses(labels, 0);  // bit 0: operand 0, bit 1: operand 1, bit 2: output
  auto mark = [&](const std::vector<int>& subscript, int bit) {
    for (int label : subscript) {
      int& u = uses[static_cast<std::size_t>(label)];
      if (u & bit) return false;  // repeated: a diagonal
      u |= bit;
    }
    return true;
  };
  if (!mark(plan.operand_labels[0], 1) || !mark(plan.operand_labels[1], 2) ||
      !mark(plan.output_labels, 4)) {
    return request.decline("a repeated label");
  }
  // Groups in the order the output (or, for the contracted labels, operand 0) has them.
  std::vector<int> batch, free0, free1, contracted;
  for (int label : plan.output_labels) {
    const int u = uses[static_cast<std::size_t>(label)];
    if (u == 7) batch.push_back(label);
    if (u == 5) free0.push_back(label);
    if (u == 6) free1.push_back(label);
  }
  for (int label : plan.operand_labels[0]) {
    if (uses[static_cast<std::size_t>(label)] == 3) contracted.push_back(label);
  }
  for (std::size_t label = 0; label < labels; ++label) {
    if (uses[label] == 1 || uses[label] == 2) {
      return request.decline("a label summed in one operand");
    }
  }
  const Strides s0 =
      einsum_detail::strides_of(plan.operand_labels[0], request.inputs[0].shape, labels);
  const Strides s1 =
      einsum_detail::strides_of(plan.operand_labels[1], request.inputs[1].shape, labels);
  const Strides so =
      einsum_detail::strides_of(plan.output_labels, request.outputs[0].shape, labels);

  // The matmul's src is the operand whose free labels the output keeps outside: the output's
  // innermost dimension then is the matmul's n, the layout its kernels write best.
  const bool swap =
      !plan.output_labels.empty() && uses[static_cast<std::size_t>(plan.output_labels.back())] == 5;
  // A free group that does not fold gives up labels from its outer end, which become batch
  // dimensions that the other operand broadcasts (size 1): "abc,bd->acd" runs a batch of `a`
  // matrix products.
  auto peel = [&](std::vector<int>& group, const Strides& operand) {
    while (!group.empty() && (fold(group, operand).first < 0 || fold(group, so).first < 0)) {
      batch.push_back(group.front());
      group.erase(group.begin());
    }
  };
  peel(free0, s0);
  peel(free1, s1);
  if (batch.size() + 2 > DNNL_MAX_NDIMS) return request.decline("too many batch dimensions");
  const std::vector<int>& m = swap ? free1 : free0;
  const std::vector<int>& n = swap ? free0 : free1;
  const Strides& a = swap ? s1 : s0;
  const Strides& b = swap ? s0 : s1;

  auto md = [&](const Strides& t, const std::vector<int>& rows,
                const std::vector<int>& cols) -> std::optional<memory::desc> {
    memory::dims dims, strides;
    for (int label : batch) {
      const auto l = static_cast<std::size_t>(label);
      dims.push_back(t.size[l]);  // 1 where this tensor broadcasts or lacks the label
      strides.push_back(t.of[l] < 0 ? 1 : t.of[l]);
    }
    for (const std::vector<int>* group : {&rows, &cols}) {
      const auto [size, stride] = fold(*group, t);
      if (size < 0) return std::nullopt;
      dims.push_back(size);
      strides.push_back(stride);
    }
    return memory::desc(dims, memory::data_type::f32, strides);
  };
  const std::optional<memory::desc> src = md(a, m, contracted);
  const std::optional<memory::desc> weights = md(b, contracted, n);
  const std::optional<memory::desc> dst = md(so, m, n);
  if (!src || !weights || !dst) return request.decline("label groups that do not fold");
  const std::size_t src_input = swap ? 1 : 0;
  const bool constant_weights = request.constant(1 - src_input) != nullptr && batch.empty();
  return try_onednn(request, [&]() -> KernelPtr {
    if (constant_weights) {
      try {
        return std::make_unique<EinsumKernel>(request, *src, *weights, *dst, src_input, true);
      } catch (const dnnl::error&) {
        // No blocked-weights implementation for this shape: read them as they lie.
      }
    }
    return std::make_unique<EinsumKernel>(request, *src, *weights, *dst, src_input, false);
  });
}

}  // namespace kiln::cpu_kernels
