// Reference kernels for MaxPool3D, AvgPool3D and MaxPoolV2: one pooling loop over volumes.
//
// Only window cells inside the input are visited: for the max pools that is padding with
// -infinity, and AvgPool3D divides by the number of cells it visited, as TensorFlow does.
#pragma once

#include <algorithm>
#include <limits>
#include <utility>
#include <vector>

#include <kiln/core/ops/nn/pool3d.hpp>

#include "pool.hpp"
#include "volume.hpp"

namespace kiln::reference::nn {

// For every output position: `reduce(acc, x)` sees each window cell inside the input (one
// accumulator per channel), then `finish(acc, cells)` gives the output value. VALID and SAME
// windows always hold at least one cell.
template <class T, class A, class Reduce, class Finish>
void pool_volume(const VolumeGeometry& g, const Tensor& input, Tensor& output, A init,
                 Reduce&& reduce, Finish&& finish) {
  const VolumeStrides in = volume_strides(input.shape(), g.attrs.layout);
  const VolumeStrides out = volume_strides(output.shape(), g.attrs.layout);
  const T* x = input.data<T>();
  T* y = output.data<T>();
  const Triple o = g.out();
  // The window's cells along dimension i clipped to the input: [first, last).
  auto clipped = [&](std::size_t i, std::int64_t pos) {
    const std::int64_t start = pos * g.attrs.stride[i] - g.win[i].pad_before;
    return std::pair<std::int64_t, std::int64_t>(std::max<std::int64_t>(start, 0),
                                                 std::min(start + g.k[i], g.in[i]));
  };
  std::vector<A> acc(static_cast<std::size_t>(g.in_c));
  for (std::int64_t n = 0; n < g.batch; ++n) {
    for (std::int64_t od = 0; od < o[0]; ++od) {
      const auto [d0, d1] = clipped(0, od);
      for (std::int64_t oh = 0; oh < o[1]; ++oh) {
        const auto [h0, h1] = clipped(1, oh);
        for (std::int64_t ow = 0; ow < o[2]; ++ow) {
          const auto [w0, w1] = clipped(2, ow);
          std::fill(acc.begin(), acc.end(), init);
          for (std::int64_t d = d0; d < d1; ++d) {
            for (std::int64_t h = h0; h < h1; ++h) {
              for (std::int64_t w = w0; w < w1; ++w) {
                const T* pixel = x + in.at(n, d, h, w);
                for (std::int64_t c = 0; c < g.in_c; ++c) {
                  reduce(acc[static_cast<std::size_t>(c)], pixel[c * in.c]);
                }
              }
            }
          }
          const std::int64_t cells = (d1 - d0) * (h1 - h0) * (w1 - w0);
          T* pixel = y + out.at(n, od, oh, ow);
          for (std::int64_t c = 0; c < g.in_c; ++c) {
            pixel[c * out.c] = finish(acc[static_cast<std::size_t>(c)], cells);
          }
        }
      }
    }
  }
}

// Max pooling of any numeric type over a volume: floats compare in float, integers as is.
inline void max_pool_volume(const Node& node, const VolumeGeometry& g, const Tensor& input,
                            Tensor& output) {
  dispatch_max_pool(node, input.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    using A = std::conditional_t<std::is_integral_v<T>, T, acc_t<T>>;
    const A lowest = std::numeric_limits<A>::has_infinity ? -std::numeric_limits<A>::infinity()
                                                          : std::numeric_limits<A>::lowest();
    pool_volume<T, A>(
        g, input, output, lowest,
        [](A& acc, T v) {
          const A a = to_acc<A>(v);
          if (a > acc) acc = a;
        },
        [](A acc, std::int64_t) { return from_acc<T>(acc); });
  });
}

inline void max_pool3d_kernel(const Node& node, const std::vector<Tensor>& inputs,
                              std::vector<Tensor>& outputs) {
  max_pool_volume(node, ops::nn::pool3d_geometry(known_context(node, inputs)), inputs[0],
                  outputs[0]);
}

inline void max_pool_v2_kernel(const Node& node, const std::vector<Tensor>& inputs,
                               std::vector<Tensor>& outputs) {
  max_pool_volume(node, ops::nn::max_pool_v2_geometry(known_context(node, inputs)), inputs[0],
                  outputs[0]);
}

inline void avg_pool3d_kernel(const Node& node, const std::vector<Tensor>& inputs,
                              std::vector<Tensor>& outputs) {
  const VolumeGeometry g = ops::nn::pool3d_geometry(known_context(node, inputs));
  dispatch_floating(node, inputs[0].dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    using A = acc_t<T>;
    pool_volume<T, A>(
        g, inputs[0], outputs[0], A(0), [](A& acc, T v) { acc += to_acc<A>(v); },
        [](A acc, std::int64_t cells) { return from_acc<T>(acc / static_cast<A>(cells)); });
  });
}

}  // namespace kiln::reference::nn
