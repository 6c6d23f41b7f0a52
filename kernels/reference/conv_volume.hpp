// Reference kernels for Conv3D and the transposed convolutions (Conv2DBackpropInput,
// Conv3DBackpropInputV2), NDHWC/NCDHW or NHWC/NCHW, grouped and dilated.
//
// Each loop walks its output element by element and sums in a fixed order, so a result does
// not depend on how a faster backend would split the work.
#pragma once

#include <algorithm>
#include <vector>

#include <kiln/core/ops/nn/conv_backprop.hpp>

#include "volume.hpp"

namespace kiln::reference::nn {

// Conv3D (and any grouped, dilated convolution over a volume): output[n, o, oc] = sum over taps
// t and the group's input channels ic of x[n, tap(o, t), ic] * filter[t, ic, oc]. The filter is
// [k_d, k_h, k_w, in_c / groups, out_c] in row-major order.
template <class T>
void convolve_volume(const VolumeGeometry& g, const Tensor& input, const Tensor& filter,
                     Tensor& output) {
  using A = acc_t<T>;
  const VolumeStrides in = volume_strides(input.shape(), g.attrs.layout);
  const VolumeStrides out = volume_strides(output.shape(), g.attrs.layout);
  const T* x = input.data<T>();
  const T* f = filter.data<T>();
  T* y = output.data<T>();
  const std::int64_t group_in = g.filter_in_c, group_out = g.out_c / g.groups;
  const Triple o = g.out();
  std::vector<A> acc(static_cast<std::size_t>(g.out_c));
  for (std::int64_t n = 0; n < g.batch; ++n) {
    for (std::int64_t od = 0; od < o[0]; ++od) {
      for (std::int64_t oh = 0; oh < o[1]; ++oh) {
        for (std::int64_t ow = 0; ow < o[2]; ++ow) {
          std::fill(acc.begin(), acc.end(), A(0));
          for (std::int64_t kd = 0; kd < g.k[0]; ++kd) {
            const std::int64_t id = volume_tap(g, 0, od, kd);
            if (id < 0) continue;
            for (std::int64_t kh = 0; kh < g.k[1]; ++kh) {
              const std::int64_t ih = volume_tap(g, 1, oh, kh);
              if (ih < 0) continue;
              for (std::int64_t kw = 0; kw < g.k[2]; ++kw) {
                const std::int64_t iw = volume_tap(g, 2, ow, kw);
                if (iw < 0) continue;
                const T* pixel = x + in.at(n, id, ih, iw);
                const T* tap = f + ((kd * g.k[1] + kh) * g.k[2] + kw) * group_in * g.out_c;
                for (std::int64_t group = 0; group < g.groups; ++group) {
                  for (std::int64_t ic = 0; ic < group_in; ++ic) {
                    const A xv = to_acc<A>(pixel[(group * group_in + ic) * in.c]);
                    const T* w = tap + ic * g.out_c + group * group_out;
                    A* a = acc.data() + group * group_out;
                    for (std::int64_t oc = 0; oc < group_out; ++oc) a[oc] += xv * to_acc<A>(w[oc]);
                  }
                }
              }
            }
          }
          T* pixel = y + out.at(n, od, oh, ow);
          for (std::int64_t oc = 0; oc < g.out_c; ++oc) {
            pixel[oc * out.c] = from_acc<T>(acc[static_cast<std::size_t>(oc)]);
          }
        }
      }
    }
  }
}

// The transposed convolution: dx[n, i, ic] = sum over taps t, and the forward outputs o that
// read i through t, of dy[n, o, oc] * filter[t, ic, oc] for the output channels oc of ic's
// group. Gathering per dx element (rather than scattering dy) keeps one accumulator per
// channel and a fixed summation order.
template <class T>
void transpose_convolve_volume(const VolumeGeometry& g, const Tensor& filter, const Tensor& grad,
                               Tensor& output) {
  using A = acc_t<T>;
  const VolumeStrides dy_at = volume_strides(grad.shape(), g.attrs.layout);
  const VolumeStrides dx_at = volume_strides(output.shape(), g.attrs.layout);
  const T* dy = grad.data<T>();
  const T* f = filter.data<T>();
  T* dx = output.data<T>();
  const std::int64_t group_in = g.filter_in_c, group_out = g.out_c / g.groups;
  std::vector<A> acc(static_cast<std::size_t>(g.in_c));
  for (std::int64_t n = 0; n < g.batch; ++n) {
    for (std::int64_t id = 0; id < g.in[0]; ++id) {
      for (std::int64_t ih = 0; ih < g.in[1]; ++ih) {
        for (std::int64_t iw = 0; iw < g.in[2]; ++iw) {
          std::fill(acc.begin(), acc.end(), A(0));
          for (std::int64_t kd = 0; kd < g.k[0]; ++kd) {
            const std::int64_t od = volume_source(g, 0, id, kd);
            if (od < 0) continue;
            for (std::int64_t kh = 0; kh < g.k[1]; ++kh) {
              const std::int64_t oh = volume_source(g, 1, ih, kh);
              if (oh < 0) continue;
              for (std::int64_t kw = 0; kw < g.k[2]; ++kw) {
                const std::int64_t ow = volume_source(g, 2, iw, kw);
                if (ow < 0) continue;
                const T* pixel = dy + dy_at.at(n, od, oh, ow);
                const T* tap = f + ((kd * g.k[1] + kh) * g.k[2] + kw) * group_in * g.out_c;
                for (std::int64_t group = 0; group < g.groups; ++group) {
                  for (std::int64_t ic = 0; ic < group_in; ++ic) {
                    const T* w = tap + ic * g.out_c + group * group_out;
                    A sum = A(0);
                    for (std::int64_t oc = 0; oc < group_out; ++oc) {
                      sum += to_acc<A>(pixel[(group * group_out + oc) * dy_at.c]) * to_acc<A>(w[oc]);
                    }
                    acc[static_cast<std::size_t>(group * group_in + ic)] += sum;
                  }
                }
              }
            }
          }
          T* pixel = dx + dx_at.at(n, id, ih, iw);
          for (std::int64_t c = 0; c < g.in_c; ++c) {
            pixel[c * dx_at.c] = from_acc<T>(acc[static_cast<std::size_t>(c)]);
          }
        }
      }
    }
  }
}

inline void conv3d_kernel(const Node& node, const std::vector<Tensor>& inputs,
                          std::vector<Tensor>& outputs) {
  const VolumeGeometry g = ops::nn::conv3d_geometry(known_context(node, inputs));
  dispatch_floating(node, inputs[0].dtype(), [&](auto tag) {
    convolve_volume<typename decltype(tag)::type>(g, inputs[0], inputs[1], outputs[0]);
  });
}

inline void conv2d_backprop_input_kernel(const Node& node, const std::vector<Tensor>& inputs,
                                         std::vector<Tensor>& outputs) {
  const VolumeGeometry g = ops::nn::conv2d_backprop_input_geometry(known_context(node, inputs));
  dispatch_float_or_wide_int(node, inputs[1].dtype(), [&](auto tag) {
    transpose_convolve_volume<typename decltype(tag)::type>(g, inputs[1], inputs[2], outputs[0]);
  });
}

inline void conv3d_backprop_input_kernel(const Node& node, const std::vector<Tensor>& inputs,
                                         std::vector<Tensor>& outputs) {
  const VolumeGeometry g = ops::nn::conv3d_backprop_input_geometry(known_context(node, inputs));
  dispatch_floating(node, inputs[1].dtype(), [&](auto tag) {
    transpose_convolve_volume<typename decltype(tag)::type>(g, inputs[1], inputs[2], outputs[0]);
  });
}

}  // namespace kiln::reference::nn
