// Conv2DBackpropInput and Conv3DBackpropInputV2: the transposed convolutions that Keras's
// Conv2DTranspose and Conv3DTranspose layers emit (and the gradient of every convolution).
//
// Input 0, input_sizes, is the shape of the forward convolution's input, which is what this op
// outputs; filter and out_backprop are the forward convolution's filter and output. So the
// geometry is the forward one: the windows of a convolution over an input of input_sizes, whose
// output must have out_backprop's size. Each output element sums out_backprop * filter over
// every forward window that read it.
#pragma once

#include <optional>

#include "../array/common.hpp"
#include "conv3d.hpp"

namespace kiln::ops::nn {

// The forward convolution's geometry, from input_sizes (input 0), the filter (input 1) and
// out_backprop (input 2) of a transposed convolution with `spatial_rank` spatial dimensions.
inline VolumeGeometry backprop_input_geometry(const InferContext& ctx, int spatial_rank,
                                              const VolumeAttrs& attrs) {
  const int rank = spatial_rank + 2;
  ctx.expect_rank(0, 1);
  ctx.expect_rank(2, rank);
  VolumeGeometry g;
  g.attrs = attrs;
  read_filter(ctx, 1, spatial_rank, g);
  const VolumeDims grad = volume_dims(ctx.shape(2), g.attrs.layout);
  g.batch = grad.batch;
  if (spatial_rank == 2) g.in[0] = 1;  // a plane is a volume of depth 1
  // TensorFlow also accepts the 2-D op's input_sizes as just [height, width], and then takes
  // the batch from out_backprop and the channels from the filter.
  const bool spatial_only_allowed = spatial_rank == 2;
  const std::int64_t length = array::vector_length(ctx, 0);
  if (length != kUnknownDim && length != rank && !(spatial_only_allowed && length == 2)) {
    throw ctx.error(Errc::invalid_argument, "input_sizes must hold one size per dimension")
        .input("0")
        .expected(std::to_string(rank) + (spatial_only_allowed ? " (or 2) entries" : " entries"))
        .found(std::to_string(length));
  }
  if (const std::optional<Ints> sizes = array::known_ints(ctx, 0)) {
    for (std::int64_t v : *sizes) array::expect_size(ctx, v, "input_sizes");
    if (static_cast<int>(sizes->size()) == rank) {
      const VolumeDims in = volume_dims(array::checked_shape(ctx, *sizes), g.attrs.layout);
      g.batch = merge_dim(ctx, grad.batch, in.batch, "input_sizes' batch and out_backprop's");
      g.in = in.spatial;
      g.in_c = in.channels;
    } else {
      g.in = {1, (*sizes)[0], (*sizes)[1]};
      g.in_c = g.filter_in_c;
    }
  }
  channel_groups(ctx, g);
  g.out_c = merge_dim(ctx, g.out_c, grad.channels, "filter's output channels and out_backprop's");
  g.win = volume_windows(ctx, g.attrs, g.in, g.k);
  // out_backprop must be exactly what the forward convolution would output.
  for (std::size_t i = 0; i < 3; ++i) {
    g.win[i].out = merge_dim(ctx, g.win[i].out, grad.spatial[i],
                             "the convolution's output size and out_backprop's");
  }
  return g;
}

inline VolumeGeometry conv2d_backprop_input_geometry(const InferContext& ctx) {
  return backprop_input_geometry(
      ctx, 2, volume_attrs_2d(spatial_attrs(ctx, /*has_dilations=*/true, /*allow_explicit=*/true)));
}

inline VolumeGeometry conv3d_backprop_input_geometry(const InferContext& ctx) {
  return backprop_input_geometry(ctx, 3, volume_attrs_5d(ctx, /*has_dilations=*/true));
}

inline std::vector<TensorType> infer_conv2d_backprop_input(const InferContext& ctx) {
  array::expect_dtype(ctx, 0, DType::int32);
  if (ctx.dtype(1) != DType::int32) expect_floating(ctx, 1);  // TensorFlow's list for the op
  return {{ctx.dtype(1), conv2d_backprop_input_geometry(ctx).input_shape()}};
}

inline std::vector<TensorType> infer_conv3d_backprop_input(const InferContext& ctx) {
  array::expect_index_type_attr(ctx, "Tshape");
  expect_floating(ctx, 1);
  return {{ctx.dtype(1), conv3d_backprop_input_geometry(ctx).input_shape()}};
}

inline void register_conv_backprop_ops(OpCatalogue& c) {
  c.add(op("Conv2DBackpropInput")
            .inputs(3)
            .attrs({{"T", {}},
                    {"strides", {}},
                    {"use_cudnn_on_gpu", true},
                    {"padding", {}},
                    {"explicit_paddings", Ints{}},
                    {"data_format", std::string("NHWC")},
                    {"dilations", Ints{1, 1, 1, 1}}})
            .input_types({"", "T", "T"})
            .infer(infer_conv2d_backprop_input));
  c.add(op("Conv3DBackpropInputV2")
            .inputs(3)
            .attrs({{"T", {}},
                    {"strides", {}},
                    {"padding", {}},
                    {"data_format", std::string("NDHWC")},
                    {"dilations", Ints{1, 1, 1, 1, 1}},
                    {"Tshape", DType::int32}})
            .input_types({"Tshape", "T", "T"})
            .infer(infer_conv3d_backprop_input));
}

}  // namespace kiln::ops::nn
