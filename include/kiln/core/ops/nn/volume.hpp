// The sliding-window geometry of Conv3D, the 3-D pools, the transposed convolutions and
// MaxPoolV2, in one form: a 4-D tensor is a volume of depth 1, so one geometry (and one set of
// reference loops) serves 4-D and 5-D tensors alike. The 2-D ops still read their attributes
// through spatial_attrs(), and window() sizes every spatial dimension.
#pragma once

#include <array>

#include "common.hpp"

namespace kiln::ops::nn {

// One entry per spatial dimension, depth first: {depth, height, width}.
using Triple = std::array<std::int64_t, 3>;

// Where batch, channels and the spatial dimensions sit. A 4-D layout has no depth dimension:
// its position is -1 and its size counts as 1.
struct VolumeLayout {
  int rank = 4;
  int n = 0, c = 3;
  std::array<int, 3> spatial{-1, 1, 2};
};

inline VolumeLayout volume_layout(const Layout4& l) { return {4, l.n, l.c, {-1, l.h, l.w}}; }

// The layout a 5-D op's data_format names.
inline VolumeLayout volume_layout_5d(const InferContext& ctx) {
  const std::string& format = ctx.attr<std::string>("data_format");
  if (format == "NDHWC") return {5, 0, 4, {1, 2, 3}};
  if (format == "NCDHW") return {5, 0, 1, {2, 3, 4}};
  throw ctx.error(Errc::unsupported, "unsupported data_format")
      .attr("data_format")
      .expected("NDHWC or NCDHW")
      .found(format);
}

// The window attributes of every spatial dimension.
struct VolumeAttrs {
  VolumeLayout layout;
  Triple stride{1, 1, 1};
  Triple dilation{1, 1, 1};
  std::string padding;
  Triple pad_before{0, 0, 0};  // EXPLICIT padding only
  Triple pad_after{0, 0, 0};
};

// A per-dimension list (ksize, strides, dilations) of a tensor in `layout`: one positive entry
// per dimension and 1 on batch and channels, which TensorFlow's kernels refuse to slide over.
// `name` is the attribute or input that holds it. Returns the spatial entries.
inline Triple spatial_entries(const InferContext& ctx, const Ints& values,
                              const VolumeLayout& layout, const char* name) {
  if (values.size() != static_cast<std::size_t>(layout.rank)) {
    throw ctx.error(Errc::invalid_attr, "window list has the wrong number of entries")
        .attr(name)
        .expected(std::to_string(layout.rank) + " entries")
        .found(std::to_string(values.size()));
  }
  for (std::int64_t v : values) {
    if (v <= 0) {
      throw ctx.error(Errc::invalid_attr, "window entries must be positive")
          .attr(name)
          .expected("> 0")
          .found(std::to_string(v));
    }
  }
  if (values[static_cast<std::size_t>(layout.n)] != 1 ||
      values[static_cast<std::size_t>(layout.c)] != 1) {
    throw ctx.error(Errc::invalid_attr, "only the spatial dimensions may differ from 1")
        .attr(name)
        .expected("1 in the batch and channel entries")
        .found(attr_text(AttrValue(values)));
  }
  Triple out{1, 1, 1};
  for (std::size_t i = 0; i < 3; ++i) {
    if (layout.spatial[i] >= 0) out[i] = values[static_cast<std::size_t>(layout.spatial[i])];
  }
  return out;
}

inline void expect_same_or_valid(const InferContext& ctx, const std::string& padding) {
  if (padding != "SAME" && padding != "VALID") {
    throw ctx.error(Errc::invalid_attr, "unknown padding")
        .attr("padding")
        .expected("SAME or VALID")
        .found(padding);
  }
}

// The attributes of a 5-D op: data_format, strides, padding (SAME or VALID) and, when it has
// them, dilations.
inline VolumeAttrs volume_attrs_5d(const InferContext& ctx, bool has_dilations) {
  VolumeAttrs a;
  a.layout = volume_layout_5d(ctx);
  a.stride = spatial_entries(ctx, ctx.attr<Ints>("strides"), a.layout, "strides");
  if (has_dilations) {
    a.dilation = spatial_entries(ctx, ctx.attr<Ints>("dilations"), a.layout, "dilations");
  }
  a.padding = ctx.attr<std::string>("padding");
  expect_same_or_valid(ctx, a.padding);
  return a;
}

// A 2-D op's attributes, as spatial_attrs() validated them, as a volume of depth 1.
inline VolumeAttrs volume_attrs_2d(const Spatial2D& s) {
  VolumeAttrs a;
  a.layout = volume_layout(s.layout);
  a.stride = {1, s.stride_h, s.stride_w};
  a.dilation = {1, s.dilation_h, s.dilation_w};
  a.padding = s.padding;
  a.pad_before = {0, s.pad_top, s.pad_left};
  a.pad_after = {0, s.pad_bottom, s.pad_right};
  return a;
}

// The batch, spatial and channel sizes of a tensor of shape `shape` in `layout` (unknown where
// the shape does not say; the caller checked the rank).
struct VolumeDims {
  std::int64_t batch = kUnknownDim;
  Triple spatial{1, 1, 1};
  std::int64_t channels = kUnknownDim;
};

inline VolumeDims volume_dims(const Shape& shape, const VolumeLayout& layout) {
  const std::vector<std::int64_t> dims = dims_or_unknown(shape, layout.rank);
  VolumeDims d;
  d.batch = dims[static_cast<std::size_t>(layout.n)];
  d.channels = dims[static_cast<std::size_t>(layout.c)];
  for (std::size_t i = 0; i < 3; ++i) {
    if (layout.spatial[i] >= 0) d.spatial[i] = dims[static_cast<std::size_t>(layout.spatial[i])];
  }
  return d;
}

// The shape with these sizes, each placed where the layout says.
inline Shape volume_shape(const VolumeLayout& layout, std::int64_t batch, const Triple& spatial,
                          std::int64_t channels) {
  std::vector<std::int64_t> dims(static_cast<std::size_t>(layout.rank));
  dims[static_cast<std::size_t>(layout.n)] = batch;
  dims[static_cast<std::size_t>(layout.c)] = channels;
  for (std::size_t i = 0; i < 3; ++i) {
    if (layout.spatial[i] >= 0) dims[static_cast<std::size_t>(layout.spatial[i])] = spatial[i];
  }
  return Shape(dims);
}

// window() for one spatial dimension, with the differences the ops that use it share with
// TensorFlow's kernels for them: an unknown window size still sizes a SAME output, and an
// empty input gives an empty output. So does a VALID or EXPLICIT window somewhat larger than
// its padded input: TensorFlow sizes the output (padded - effective_k + stride) / stride,
// truncated toward zero, and refuses only a negative size.
inline Window volume_window(const InferContext& ctx, std::int64_t in, std::int64_t k,
                            std::int64_t stride, std::int64_t dilation, const std::string& padding,
                            std::int64_t before, std::int64_t after) {
  if (in == 0 && padding == "SAME") {
    Window empty;
    empty.out = 0;
    return empty;
  }
  if (in != kUnknownDim && k != kUnknownDim && k > 0 && padding != "SAME") {
    const std::int64_t effective_k = checked_add(checked_mul(k - 1, dilation), 1);
    const std::int64_t padded =
        padding == "EXPLICIT" ? checked_add(checked_add(in, before), after) : in;
    if (padded < effective_k) {
      if (padded - effective_k + stride <= -stride) {
        throw ctx.error(Errc::shape_mismatch, "window is larger than its padded input")
            .expected("a window of at most " + std::to_string(padded + 2 * stride - 1))
            .found("input " + std::to_string(in) + ", window " + std::to_string(effective_k));
      }
      Window empty;
      empty.out = 0;
      if (padding == "EXPLICIT") {
        empty.pad_before = before;
        empty.pad_after = after;
      }
      return empty;
    }
  }
  return spatial_window(ctx, in, k, stride, dilation, padding, before, after);
}

// The windows of all three spatial dimensions over an input of spatial sizes `in`.
inline std::array<Window, 3> volume_windows(const InferContext& ctx, const VolumeAttrs& a,
                                            const Triple& in, const Triple& k) {
  std::array<Window, 3> w;
  for (std::size_t i = 0; i < 3; ++i) {
    w[i] = volume_window(ctx, in[i], k[i], a.stride[i], a.dilation[i], a.padding,
                         a.pad_before[i], a.pad_after[i]);
  }
  return w;
}

// Everything a sliding-window op over a volume needs: the input's sizes, the window's, and the
// output's, with the padding before each spatial dimension.
struct VolumeGeometry {
  VolumeAttrs attrs;
  std::int64_t batch = kUnknownDim;
  Triple in{kUnknownDim, kUnknownDim, kUnknownDim};  // spatial sizes of the (forward) input
  std::int64_t in_c = kUnknownDim;                   // channels of the (forward) input
  Triple k{1, 1, 1};                                 // window (filter) spatial sizes
  std::int64_t filter_in_c = kUnknownDim;            // convolutions: input channels per group
  std::int64_t groups = kUnknownDim;                 // convolutions: in_c / filter_in_c
  std::int64_t out_c = kUnknownDim;                  // channels of the (forward) output
  std::array<Window, 3> win;

  Triple out() const { return {win[0].out, win[1].out, win[2].out}; }
  Shape input_shape() const { return volume_shape(attrs.layout, batch, in, in_c); }
  Shape output_shape() const { return volume_shape(attrs.layout, batch, out(), out_c); }
};

}  // namespace kiln::ops::nn
