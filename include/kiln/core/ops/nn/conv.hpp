// Conv2D and DepthwiseConv2dNative: attributes, TensorFlow's defaults, and the geometry that
// both type inference and the reference kernels use.
//
// Filters are HWIO: [kernel_h, kernel_w, in_channels / groups, out_channels] for Conv2D, and
// [kernel_h, kernel_w, in_channels, multiplier] for the depthwise op, whose output channel
// c * multiplier + m comes from input channel c and filter slice m.
#pragma once

#include "common.hpp"

namespace kiln::ops::nn {

struct ConvGeometry {
  Spatial2D attrs;
  std::int64_t batch = kUnknownDim, in_h = kUnknownDim, in_w = kUnknownDim, in_c = kUnknownDim;
  std::int64_t k_h = kUnknownDim, k_w = kUnknownDim;
  std::int64_t filter_in_c = kUnknownDim;  // Conv2D: channels per group; depthwise: in_c
  std::int64_t filter_out = kUnknownDim;   // Conv2D: out channels; depthwise: multiplier
  std::int64_t groups = kUnknownDim;       // Conv2D only: in_c / filter_in_c
  std::int64_t out_c = kUnknownDim;
  Window h, w;

  Shape output_shape() const { return shape_in_layout(attrs.layout, batch, h.out, w.out, out_c); }
};

namespace detail {

// What Conv2D and the depthwise op share: ranks, attributes, the input and filter sizes.
inline ConvGeometry conv_common(const InferContext& ctx) {
  ctx.expect_rank(0, 4);
  ctx.expect_rank(1, 4);
  ConvGeometry g;
  g.attrs = spatial_attrs(ctx, /*has_dilations=*/true, /*allow_explicit=*/true);
  const auto in = dims_or_unknown(ctx.shape(0), 4);
  const auto filter = dims_or_unknown(ctx.shape(1), 4);
  for (std::int64_t d : filter) {
    if (d == 0) {
      throw ctx.error(Errc::invalid_argument, "the filter must not have zero elements")
          .input("1")
          .found(ctx.shape(1).str());
    }
  }
  const Layout4& l = g.attrs.layout;
  g.batch = in[static_cast<std::size_t>(l.n)];
  g.in_h = in[static_cast<std::size_t>(l.h)];
  g.in_w = in[static_cast<std::size_t>(l.w)];
  g.in_c = in[static_cast<std::size_t>(l.c)];
  g.k_h = filter[0];
  g.k_w = filter[1];
  g.filter_in_c = filter[2];
  g.filter_out = filter[3];
  return g;
}

inline void conv_windows(const InferContext& ctx, ConvGeometry& g) {
  const Spatial2D& s = g.attrs;
  g.h = spatial_window(ctx, g.in_h, g.k_h, s.stride_h, s.dilation_h, s.padding, s.pad_top,
                       s.pad_bottom);
  g.w = spatial_window(ctx, g.in_w, g.k_w, s.stride_w, s.dilation_w, s.padding, s.pad_left,
                       s.pad_right);
}

}  // namespace detail

// Inputs: input [N,H,W,C] (or NCHW), filter [kh, kw, C / groups, out_c].
inline ConvGeometry conv2d_geometry(const InferContext& ctx) {
  ConvGeometry g = detail::conv_common(ctx);
  if (g.in_c != kUnknownDim && g.filter_in_c != kUnknownDim) {
    // Grouped convolution: every group sees filter_in_c input channels.
    if (g.in_c == 0 || g.in_c % g.filter_in_c != 0) {
      throw ctx.error(Errc::shape_mismatch, "input channels are not a multiple of filter's")
          .expected("a positive multiple of " + std::to_string(g.filter_in_c))
          .found(std::to_string(g.in_c));
    }
    g.groups = g.in_c / g.filter_in_c;
    if (g.filter_out != kUnknownDim && g.filter_out % g.groups != 0) {
      throw ctx.error(Errc::shape_mismatch, "output channels are not a multiple of the groups")
          .expected("a multiple of " + std::to_string(g.groups))
          .found(std::to_string(g.filter_out));
    }
  }
  g.out_c = g.filter_out;
  detail::conv_windows(ctx, g);
  return g;
}

// Inputs: input [N,H,W,C] (or NCHW), filter [kh, kw, C, multiplier].
inline ConvGeometry depthwise_geometry(const InferContext& ctx) {
  ConvGeometry g = detail::conv_common(ctx);
  g.in_c = merge_dim(ctx, g.in_c, g.filter_in_c, "input channels and filter channels");
  g.filter_in_c = g.in_c;
  g.out_c = mul_dims(g.in_c, g.filter_out);
  detail::conv_windows(ctx, g);
  return g;
}

inline std::vector<TensorType> infer_conv2d(const InferContext& ctx) {
  if (ctx.dtype(0) != DType::int32) expect_floating(ctx, 0);  // TensorFlow's list for Conv2D
  return {{ctx.dtype(0), conv2d_geometry(ctx).output_shape()}};
}

inline std::vector<TensorType> infer_depthwise_conv2d(const InferContext& ctx) {
  expect_floating(ctx, 0);
  return {{ctx.dtype(0), depthwise_geometry(ctx).output_shape()}};
}

inline void register_conv_ops(OpCatalogue& c) {
  c.add(op("Conv2D")
            .inputs(2)
            .attrs({{"T", {}},
                    {"strides", {}},
                    {"use_cudnn_on_gpu", true},
                    {"padding", {}},
                    {"explicit_paddings", Ints{}},
                    {"data_format", std::string("NHWC")},
                    {"dilations", Ints{1, 1, 1, 1}}})
            .input_types({"T", "T"})
            .infer(infer_conv2d));
  c.add(op("DepthwiseConv2dNative")
            .inputs(2)
            .attrs({{"T", {}},
                    {"strides", {}},
                    {"padding", {}},
                    {"explicit_paddings", Ints{}},
                    {"data_format", std::string("NHWC")},
                    {"dilations", Ints{1, 1, 1, 1}}})
            .input_types({"T", "T"})
            .infer(infer_depthwise_conv2d));
}

}  // namespace kiln::ops::nn
