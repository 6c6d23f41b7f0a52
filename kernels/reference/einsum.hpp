// Reference kernel for Einsum, for any plan ops::nn::einsum_plan() accepts.
//
// Every label gets a stride in each operand and in the output: the sum of the strides of the
// axes carrying it (so a repeated label walks a diagonal), or 0 where an ellipsis dimension of
// size 1 is broadcast. The kernel then walks the output labels in an outer loop and the summed
// labels in an inner one, the last summed label being the innermost, tight loop.
#pragma once

#include <algorithm>
#include <array>
#include <vector>

#include <kiln/core/ops/nn/einsum.hpp>

#include "nn_support.hpp"

namespace kiln::reference::nn {

// An odometer over some labels that tracks the element offsets of the two operands and the
// output as it goes, so moving to the next position costs a few additions.
struct LabelWalk {
  static constexpr std::size_t kTensors = 3;  // operand 0, operand 1, output
  std::vector<std::int64_t> size;
  std::vector<std::array<std::int64_t, kTensors>> stride;
  std::vector<std::int64_t> index;
  std::array<std::int64_t, kTensors> offset{};

  void add(std::int64_t label_size, const std::array<std::int64_t, kTensors>& label_stride) {
    size.push_back(label_size);
    stride.push_back(label_stride);
    index.push_back(0);
  }
  std::int64_t count() const {
    std::int64_t n = 1;
    for (std::int64_t s : size) n *= s;
    return n;
  }
  void next() {
    for (std::size_t i = size.size(); i-- > 0;) {
      for (std::size_t t = 0; t < kTensors; ++t) offset[t] += stride[i][t];
      if (++index[i] < size[i]) return;
      for (std::size_t t = 0; t < kTensors; ++t) offset[t] -= stride[i][t] * size[i];
      index[i] = 0;
    }
  }
};

// Per label, the stride it has in a tensor whose axes carry `labels`.
inline std::vector<std::int64_t> label_strides(const Shape& shape, const std::vector<int>& labels,
                                               const std::vector<std::int64_t>& label_size) {
  std::vector<std::int64_t> out(label_size.size(), 0);
  const std::vector<std::int64_t> strides = strides_of(shape);
  for (std::size_t axis = 0; axis < labels.size(); ++axis) {
    const auto label = static_cast<std::size_t>(labels[axis]);
    const bool broadcast = shape.dims()[axis] == 1 && label_size[label] != 1;
    if (!broadcast) out[label] += strides[axis];
  }
  return out;
}

template <class T>
void einsum(const ops::nn::EinsumPlan& plan, const std::vector<Tensor>& inputs, Tensor& output) {
  using A = acc_t<T>;
  const std::size_t num_labels = plan.label_size.size();
  std::vector<std::vector<std::int64_t>> strides;  // operand 0, operand 1, output
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    strides.push_back(label_strides(inputs[i].shape(), plan.operand_labels[i], plan.label_size));
  }
  if (inputs.size() == 1) strides.emplace_back(num_labels, 0);  // stands for a constant 1
  strides.push_back(label_strides(output.shape(), plan.output_labels, plan.label_size));

  std::vector<bool> in_output(num_labels, false);
  LabelWalk outer, inner;
  for (int label : plan.output_labels) {
    const auto l = static_cast<std::size_t>(label);
    if (in_output[l]) continue;  // a repeated output label is one loop writing a diagonal
    in_output[l] = true;
    outer.add(plan.label_size[l], {strides[0][l], strides[1][l], strides[2][l]});
  }
  for (std::size_t l = 0; l < num_labels; ++l) {
    if (!in_output[l]) inner.add(plan.label_size[l], {strides[0][l], strides[1][l], 0});
  }
  // The last summed label becomes the explicit innermost loop.
  std::int64_t last_size = 1, last0 = 0, last1 = 0;
  if (!inner.size.empty()) {
    last_size = inner.size.back();
    last0 = inner.stride.back()[0];
    last1 = inner.stride.back()[1];
    inner.size.pop_back();
    inner.stride.pop_back();
    inner.index.pop_back();
  }

  const T one = from_acc<T>(A(1));
  const T* x0 = inputs[0].data<T>();
  const T* x1 = inputs.size() == 2 ? inputs[1].data<T>() : &one;
  T* y = output.data<T>();
  if (plan.output_labels.size() > outer.size.size()) {  // diagonal output: the rest stays zero
    std::fill(y, y + output.num_elements(), from_acc<T>(A(0)));
  }
  const std::int64_t outer_count = outer.count(), inner_count = inner.count();
  for (std::int64_t o = 0; o < outer_count; ++o, outer.next()) {
    A sum(0);
    inner.offset = {};
    std::fill(inner.index.begin(), inner.index.end(), 0);
    for (std::int64_t r = 0; r < inner_count; ++r, inner.next()) {
      const T* p0 = x0 + outer.offset[0] + inner.offset[0];
      const T* p1 = x1 + outer.offset[1] + inner.offset[1];
      for (std::int64_t t = 0; t < last_size; ++t) {
        sum += to_acc<A>(p0[t * last0]) * to_acc<A>(p1[t * last1]);
      }
    }
    y[outer.offset[2]] = from_acc<T>(sum);
  }
}

inline void einsum_kernel(const Node& node, const std::vector<Tensor>& inputs,
                          std::vector<Tensor>& outputs) {
  const ops::nn::EinsumPlan plan = ops::nn::einsum_plan(known_context(node, inputs));
  dispatch_float_or_wide_int(node, inputs[0].dtype(), [&](auto tag) {
    einsum<typename decltype(tag)::type>(plan, inputs, outputs[0]);
  });
}

}  // namespace kiln::reference::nn
