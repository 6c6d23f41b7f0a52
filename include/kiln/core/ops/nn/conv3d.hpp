// Conv3D: the convolution over NDHWC (or NCDHW) volumes that Keras's Conv3D layer emits, and
// the filter and channel-group rules it shares with the transposed convolutions.
//
// Filters are DHWIO: [k_d, k_h, k_w, in_channels / groups, out_channels]. TensorFlow's CPU
// kernel implements neither dilations, NCDHW nor groups, but the op allows all three (its GPU
// kernel runs them), so Kiln's reference kernel does too.
#pragma once

#include "volume.hpp"

namespace kiln::ops::nn {

// Reads the filter (input `i`, rank 3 + 2) into the window sizes, its input channels and its
// output channels. A filter with a zero dimension is refused, as TensorFlow does.
inline void read_filter(const InferContext& ctx, int i, int spatial_rank, VolumeGeometry& g) {
  const int rank = spatial_rank + 2;
  ctx.expect_rank(i, rank);
  const std::vector<std::int64_t> f = dims_or_unknown(ctx.shape(i), rank);
  for (std::int64_t d : f) {
    if (d == 0) {
      throw ctx.error(Errc::invalid_argument, "the filter must not have zero elements")
          .input(std::to_string(i))
          .found(ctx.shape(i).str());
    }
  }
  for (int s = 0; s < spatial_rank; ++s) {
    g.k[static_cast<std::size_t>(3 - spatial_rank + s)] = f[static_cast<std::size_t>(s)];
  }
  g.filter_in_c = f[static_cast<std::size_t>(rank - 2)];
  g.out_c = f[static_cast<std::size_t>(rank - 1)];
}

// A grouped convolution: every group of filter_in_c input channels makes out_c / groups
// output channels. Sets g.groups where the channel counts are known.
inline void channel_groups(const InferContext& ctx, VolumeGeometry& g) {
  if (g.in_c == kUnknownDim || g.filter_in_c == kUnknownDim) return;
  if (g.in_c == 0 || g.in_c % g.filter_in_c != 0) {
    throw ctx.error(Errc::shape_mismatch, "input channels are not a multiple of filter's")
        .expected("a positive multiple of " + std::to_string(g.filter_in_c))
        .found(std::to_string(g.in_c));
  }
  g.groups = g.in_c / g.filter_in_c;
  if (g.out_c != kUnknownDim && g.out_c % g.groups != 0) {
    throw ctx.error(Errc::shape_mismatch, "output channels are not a multiple of the groups")
        .expected("a multiple of " + std::to_string(g.groups))
        .found(std::to_string(g.out_c));
  }
}

// Inputs: input [N, D, H, W, C] (or NCDHW), filter [k_d, k_h, k_w, C / groups, out_c].
inline VolumeGeometry conv3d_geometry(const InferContext& ctx) {
  ctx.expect_rank(0, 5);
  VolumeGeometry g;
  g.attrs = volume_attrs_5d(ctx, /*has_dilations=*/true);
  const VolumeDims in = volume_dims(ctx.shape(0), g.attrs.layout);
  g.batch = in.batch;
  g.in = in.spatial;
  g.in_c = in.channels;
  read_filter(ctx, 1, 3, g);
  channel_groups(ctx, g);
  g.win = volume_windows(ctx, g.attrs, g.in, g.k);
  return g;
}

inline std::vector<TensorType> infer_conv3d(const InferContext& ctx) {
  expect_floating(ctx, 0);
  return {{ctx.dtype(0), conv3d_geometry(ctx).output_shape()}};
}

inline void register_conv3d_ops(OpCatalogue& c) {
  c.add(op("Conv3D")
            .inputs(2)
            .attrs({{"T", {}},
                    {"strides", {}},
                    {"padding", {}},
                    {"data_format", std::string("NDHWC")},
                    {"dilations", Ints{1, 1, 1, 1, 1}}})
            .input_types({"T", "T"})
            .infer(infer_conv3d));
}

}  // namespace kiln::ops::nn
