// Reference kernels for MaxPool and AvgPool, NHWC or NCHW.
//
// Only window cells inside the input are visited: for MaxPool that is the same as padding with
// -infinity, and AvgPool divides by the number of cells it visited, which is TensorFlow's rule
// (padded cells are not part of the average).
#pragma once

#include <limits>
#include <vector>

#include <kiln/core/ops/nn/pool.hpp>

#include "nn_support.hpp"

namespace kiln::reference::nn {

// For every output pixel: `reduce(acc, x)` sees each window cell inside the input (one
// accumulator per channel), then `finish(acc, cells)` gives the output value.
template <class T, class A, class Reduce, class Finish>
void pool(const ops::nn::PoolGeometry& g, const Tensor& input, Tensor& output, A init,
          Reduce&& reduce, Finish&& finish) {
  const Layout4& layout = g.attrs.layout;
  const Strides4 in = strides_in_layout(input.shape(), layout);
  const Strides4 out = strides_in_layout(output.shape(), layout);
  const T* x = input.data<T>();
  T* y = output.data<T>();
  std::vector<A> acc(static_cast<std::size_t>(g.channels));
  for (std::int64_t n = 0; n < g.batch; ++n) {
    for (std::int64_t oh = 0; oh < g.h.out; ++oh) {
      // The window's rows clipped to the input; SAME padding guarantees at least one.
      const std::int64_t h0 = std::max<std::int64_t>(oh * g.attrs.stride_h - g.h.pad_before, 0);
      const std::int64_t h1 = std::min(oh * g.attrs.stride_h - g.h.pad_before + g.k_h, g.in_h);
      for (std::int64_t ow = 0; ow < g.w.out; ++ow) {
        const std::int64_t w0 = std::max<std::int64_t>(ow * g.attrs.stride_w - g.w.pad_before, 0);
        const std::int64_t w1 = std::min(ow * g.attrs.stride_w - g.w.pad_before + g.k_w, g.in_w);
        std::fill(acc.begin(), acc.end(), init);
        for (std::int64_t ih = h0; ih < h1; ++ih) {
          for (std::int64_t iw = w0; iw < w1; ++iw) {
            const T* pixel = x + n * in.n + ih * in.h + iw * in.w;
            for (std::int64_t c = 0; c < g.channels; ++c) {
              reduce(acc[static_cast<std::size_t>(c)], pixel[c * in.c]);
            }
          }
        }
        const std::int64_t cells = std::max<std::int64_t>((h1 - h0) * (w1 - w0), 0);
        T* pixel = y + n * out.n + oh * out.h + ow * out.w;
        for (std::int64_t c = 0; c < g.channels; ++c) {
          pixel[c * out.c] = finish(acc[static_cast<std::size_t>(c)], cells);
        }
      }
    }
  }
}

// MaxPool supports every numeric type: floats compare in float (or double), integers as is.
template <class Fn>
void dispatch_max_pool(const Node& node, DType type, Fn&& fn) {
  switch (type) {
    case DType::int8:
      return fn(type_tag<std::int8_t>{});
    case DType::uint8:
      return fn(type_tag<std::uint8_t>{});
    default:
      return dispatch_float_or_wide_int(node, type, fn);
  }
}

inline void max_pool_kernel(const Node& node, const std::vector<Tensor>& inputs,
                            std::vector<Tensor>& outputs) {
  const ops::nn::PoolGeometry g =
      ops::nn::pool_geometry(known_context(node, inputs), /*allow_explicit=*/true);
  dispatch_max_pool(node, inputs[0].dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    using A = std::conditional_t<std::is_integral_v<T>, T, acc_t<T>>;
    const A lowest = std::numeric_limits<A>::has_infinity ? -std::numeric_limits<A>::infinity()
                                                          : std::numeric_limits<A>::lowest();
    pool<T, A>(
        g, inputs[0], outputs[0], lowest,
        [](A& acc, T v) {
          const A a = to_acc<A>(v);
          if (a > acc) acc = a;
        },
        [](A acc, std::int64_t) { return from_acc<T>(acc); });
  });
}

inline void avg_pool_kernel(const Node& node, const std::vector<Tensor>& inputs,
                            std::vector<Tensor>& outputs) {
  const ops::nn::PoolGeometry g =
      ops::nn::pool_geometry(known_context(node, inputs), /*allow_explicit=*/false);
  dispatch_floating(node, inputs[0].dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    using A = acc_t<T>;
    pool<T, A>(
        g, inputs[0], outputs[0], A(0), [](A& acc, T v) { acc += to_acc<A>(v); },
        [](A acc, std::int64_t cells) { return from_acc<T>(acc / static_cast<A>(cells)); });
  });
}

}  // namespace kiln::reference::nn
