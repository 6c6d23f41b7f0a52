// Reference kernel for LRN: each value divided by (bias + alpha * sum of squares over the
// 2 * depth_radius + 1 neighbouring channels) ^ beta, summed in float (double for float64).
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

#include <kiln/core/ops/nn/lrn.hpp>

#include "nn_support.hpp"

namespace kiln::reference::nn {

inline void lrn_kernel(const Node& node, const std::vector<Tensor>& inputs,
                       std::vector<Tensor>& outputs) {
  const ops::nn::LrnParams p = ops::nn::lrn_params(known_context(node, inputs));
  const Tensor& input = inputs[0];
  const std::int64_t depth = input.shape().dim(3);
  if (depth == 0) return;
  const std::int64_t pixels = input.num_elements() / depth;
  dispatch_floating(node, input.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    using A = acc_t<T>;
    const T* x = input.data<T>();
    T* y = outputs[0].data<T>();
    std::vector<A> squares(static_cast<std::size_t>(depth));
    for (std::int64_t pixel = 0; pixel < pixels; ++pixel) {
      const T* in = x + pixel * depth;
      for (std::int64_t c = 0; c < depth; ++c) {
        const A v = to_acc<A>(in[c]);
        squares[static_cast<std::size_t>(c)] = v * v;
      }
      for (std::int64_t c = 0; c < depth; ++c) {
        const std::int64_t first = std::max<std::int64_t>(c - p.depth_radius, 0);
        const std::int64_t last = std::min<std::int64_t>(c + p.depth_radius, depth - 1);
        A sum = A(0);
        for (std::int64_t j = first; j <= last; ++j) sum += squares[static_cast<std::size_t>(j)];
        const A norm = std::pow(A(p.bias) + A(p.alpha) * sum, A(p.beta));
        y[pixel * depth + c] = from_acc<T>(to_acc<A>(in[c]) / norm);
      }
    }
  });
}

}  // namespace kiln::reference::nn
