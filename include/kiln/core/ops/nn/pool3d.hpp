// MaxPool3D and AvgPool3D over NDHWC (or NCDHW) volumes, and MaxPoolV2: the 2-D max pool whose
// ksize and strides are int32 inputs rather than attributes.
//
// They share the volume geometry (a 4-D tensor is a volume of depth 1) and one reference loop.
// As in TensorFlow's kernels, a VALID window larger than the input gives an empty output, and
// AvgPool3D divides by the number of window cells inside the input, never by padding.
#pragma once

#include <optional>

#include "../array/common.hpp"
#include "volume.hpp"

namespace kiln::ops::nn {

// The pooling windows of input 0 for the given attributes. Without a ksize (MaxPoolV2 before its
// input is known) the window is unknown, which still sizes a SAME output.
inline VolumeGeometry pool_volume_geometry(const InferContext& ctx, const VolumeAttrs& attrs,
                                           const std::optional<Ints>& ksize) {
  VolumeGeometry g;
  g.attrs = attrs;
  const VolumeDims in = volume_dims(ctx.shape(0), attrs.layout);
  g.batch = in.batch;
  g.in = in.spatial;
  g.in_c = g.out_c = in.channels;
  if (ksize) {
    g.k = spatial_entries(ctx, *ksize, attrs.layout, "ksize");
  } else {
    for (std::size_t i = 0; i < 3; ++i) {
      if (attrs.layout.spatial[i] >= 0) g.k[i] = kUnknownDim;
    }
  }
  g.win = volume_windows(ctx, attrs, g.in, g.k);
  return g;
}

inline VolumeGeometry pool3d_geometry(const InferContext& ctx) {
  ctx.expect_rank(0, 5);
  return pool_volume_geometry(ctx, volume_attrs_5d(ctx, /*has_dilations=*/false),
                              ctx.attr<Ints>("ksize"));
}

// MaxPoolV2's ksize (input 1) and strides (input 2) are int32 vectors of four entries; the
// output's spatial sizes are unknown until the strides are.
inline VolumeGeometry max_pool_v2_geometry(const InferContext& ctx) {
  ctx.expect_rank(0, 4);
  for (int i : {1, 2}) {
    array::expect_dtype(ctx, i, DType::int32);
    const std::int64_t length = array::vector_length(ctx, i);
    if (length != kUnknownDim && length != 4) {
      throw ctx.error(Errc::invalid_argument, "the window list needs one entry per dimension")
          .input(std::to_string(i))
          .expected("4 entries")
          .found(std::to_string(length));
    }
  }
  VolumeAttrs a;
  a.layout = volume_layout(layout_of(ctx, ctx.attr<std::string>("data_format")));
  a.padding = ctx.attr<std::string>("padding");
  expect_same_or_valid(ctx, a.padding);
  const std::optional<Ints> strides = array::known_ints(ctx, 2);
  if (strides) a.stride = spatial_entries(ctx, *strides, a.layout, "strides");
  VolumeGeometry g = pool_volume_geometry(ctx, a, array::known_ints(ctx, 1));
  if (!strides) g.win[1].out = g.win[2].out = kUnknownDim;
  return g;
}

inline std::vector<TensorType> infer_pool3d(const InferContext& ctx) {
  expect_floating(ctx, 0);
  return {{ctx.dtype(0), pool3d_geometry(ctx).output_shape()}};
}

inline std::vector<TensorType> infer_max_pool_v2(const InferContext& ctx) {
  expect_numeric(ctx, 0);
  return {{ctx.dtype(0), max_pool_v2_geometry(ctx).output_shape()}};
}

inline void register_pool3d_ops(OpCatalogue& c) {
  for (const char* name : {"MaxPool3D", "AvgPool3D"}) {
    c.add(op(name)
              .inputs(1)
              .attrs({{"ksize", {}},
                      {"strides", {}},
                      {"padding", {}},
                      {"data_format", std::string("NDHWC")},
                      {"T", {}}})
              .input_types({"T"})
              .infer(infer_pool3d));
  }
  c.add(op("MaxPoolV2")
            .inputs(3)
            .attrs({{"T", DType::float32},
                    {"padding", {}},
                    {"data_format", std::string("NHWC")}})
            .input_types({"T", "", ""})
            .infer(infer_max_pool_v2));
}

}  // namespace kiln::ops::nn
