// Reference kernels for Softmax and LogSoftmax over the last dimension. Each row is shifted by
// its maximum first, so exp() cannot overflow: softmax(x) = exp(x - max) / sum(exp(x - max)).
#pragma once

#include <algorithm>
#include <cmath>

#include <kiln/core/ops/nn/softmax.hpp>

#include "nn_support.hpp"

namespace kiln::reference::nn {

template <class T>
void softmax_rows(const Tensor& input, Tensor& output, bool log) {
  using A = acc_t<T>;
  const std::int64_t n = input.num_elements();
  const std::int64_t depth = input.dim(-1);
  if (depth == 0) return;
  const T* x = input.data<T>();
  T* y = output.data<T>();
  for (std::int64_t row = 0; row < n / depth; ++row) {
    const T* in = x + row * depth;
    T* out = y + row * depth;
    A max = to_acc<A>(in[0]);
    for (std::int64_t i = 1; i < depth; ++i) max = std::max(max, to_acc<A>(in[i]));
    A sum(0);
    for (std::int64_t i = 0; i < depth; ++i) sum += std::exp(to_acc<A>(in[i]) - max);
    if (log) {
      const A log_sum = std::log(sum);
      for (std::int64_t i = 0; i < depth; ++i) {
        out[i] = from_acc<T>(to_acc<A>(in[i]) - max - log_sum);
      }
    } else {
      for (std::int64_t i = 0; i < depth; ++i) {
        out[i] = from_acc<T>(std::exp(to_acc<A>(in[i]) - max) / sum);
      }
    }
  }
}

inline void softmax_kernel(const Node& node, const std::vector<Tensor>& inputs,
                           std::vector<Tensor>& outputs) {
  dispatch_floating(node, inputs[0].dtype(), [&](auto tag) {
    softmax_rows<typename decltype(tag)::type>(inputs[0], outputs[0], node.op == "LogSoftmax");
  });
}

}  // namespace kiln::reference::nn
