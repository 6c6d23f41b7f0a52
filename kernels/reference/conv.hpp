// Reference kernels for Conv2D (grouped too) and DepthwiseConv2dNative, NHWC or NCHW.
//
// Both walk the output pixel by pixel. For each pixel, every filter tap that lands inside the
// input adds x * filter into one accumulator per output channel; the filter's last dimension is
// the output channel, so the innermost loop runs over contiguous filter memory.
#pragma once

#include <algorithm>
#include <vector>

#include <kiln/core/ops/nn/conv.hpp>

#include "nn_support.hpp"

namespace kiln::reference::nn {

// The input row or column a filter tap reads, or -1 when it falls in the padding.
inline std::int64_t tap_position(std::int64_t out, std::int64_t tap, std::int64_t stride,
                                 std::int64_t dilation, std::int64_t pad_before,
                                 std::int64_t in_size) {
  const std::int64_t pos = out * stride - pad_before + tap * dilation;
  return pos >= 0 && pos < in_size ? pos : -1;
}

// Shared by both convolutions: `accumulate(x_pixel, filter_tap, acc)` adds one filter tap at one
// input pixel into the per-output-channel accumulators.
template <class T, class Accumulate>
void convolve(const ops::nn::ConvGeometry& g, const Tensor& input, Tensor& output,
              Accumulate&& accumulate) {
  using A = acc_t<T>;
  const Layout4& layout = g.attrs.layout;
  const Strides4 in = strides_in_layout(input.shape(), layout);
  const Strides4 out = strides_in_layout(output.shape(), layout);
  const T* x = input.data<T>();
  T* y = output.data<T>();
  std::vector<A> acc(static_cast<std::size_t>(g.out_c));
  for (std::int64_t n = 0; n < g.batch; ++n) {
    for (std::int64_t oh = 0; oh < g.h.out; ++oh) {
      for (std::int64_t ow = 0; ow < g.w.out; ++ow) {
        std::fill(acc.begin(), acc.end(), A(0));
        for (std::int64_t kh = 0; kh < g.k_h; ++kh) {
          const std::int64_t ih =
              tap_position(oh, kh, g.attrs.stride_h, g.attrs.dilation_h, g.h.pad_before, g.in_h);
          if (ih < 0) continue;
          for (std::int64_t kw = 0; kw < g.k_w; ++kw) {
            const std::int64_t iw =
                tap_position(ow, kw, g.attrs.stride_w, g.attrs.dilation_w, g.w.pad_before, g.in_w);
            if (iw < 0) continue;
            accumulate(x + n * in.n + ih * in.h + iw * in.w, in.c, kh * g.k_w + kw, acc.data());
          }
        }
        T* pixel = y + n * out.n + oh * out.h + ow * out.w;
        for (std::int64_t c = 0; c < g.out_c; ++c) {
          pixel[c * out.c] = from_acc<T>(acc[static_cast<std::size_t>(c)]);
        }
      }
    }
  }
}

inline void conv2d_kernel(const Node& node, const std::vector<Tensor>& inputs,
                          std::vector<Tensor>& outputs) {
  const ops::nn::ConvGeometry g = ops::nn::conv2d_geometry(known_context(node, inputs));
  dispatch_float_or_wide_int(node, inputs[0].dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    using A = acc_t<T>;
    const T* filter = inputs[1].data<T>();
    const std::int64_t group_in = g.filter_in_c;        // input channels per group
    const std::int64_t group_out = g.out_c / g.groups;  // output channels per group
    const std::int64_t tap_size = group_in * g.out_c;   // filter elements per (kh, kw)
    convolve<T>(g, inputs[0], outputs[0],
                [&](const T* x, std::int64_t x_channel_stride, std::int64_t tap, A* acc) {
                  const T* f_tap = filter + tap * tap_size;
                  for (std::int64_t group = 0; group < g.groups; ++group) {
                    A* acc_group = acc + group * group_out;
                    for (std::int64_t ic = 0; ic < group_in; ++ic) {
                      const A xv = to_acc<A>(x[(group * group_in + ic) * x_channel_stride]);
                      const T* f = f_tap + ic * g.out_c + group * group_out;
                      for (std::int64_t oc = 0; oc < group_out; ++oc) {
                        acc_group[oc] += xv * to_acc<A>(f[oc]);
                      }
                    }
                  }
                });
  });
}

inline void depthwise_conv2d_kernel(const Node& node, const std::vector<Tensor>& inputs,
                                    std::vector<Tensor>& outputs) {
  const ops::nn::ConvGeometry g = ops::nn::depthwise_geometry(known_context(node, inputs));
  dispatch_floating(node, inputs[0].dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    using A = acc_t<T>;
    const T* filter = inputs[1].data<T>();
    const std::int64_t multiplier = g.filter_out;
    convolve<T>(g, inputs[0], outputs[0],
                [&](const T* x, std::int64_t x_channel_stride, std::int64_t tap, A* acc) {
                  // Output channel c * multiplier + m sits at the same offset in the filter tap.
                  const T* f = filter + tap * g.out_c;
                  for (std::int64_t c = 0; c < g.in_c; ++c) {
                    const A xv = to_acc<A>(x[c * x_channel_stride]);
                    for (std::int64_t m = 0; m < multiplier; ++m) {
                      acc[c * multiplier + m] += xv * to_acc<A>(f[c * multiplier + m]);
                    }
                  }
                });
  });
}

}  // namespace kiln::reference::nn
