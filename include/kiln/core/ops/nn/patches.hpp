// ExtractImagePatches: every ksize_rows x ksize_cols window of an NHWC image, taken with the
// given strides and rates (dilation), flattened into the channel dimension:
//   output[n, r, c, (i * ksize_cols + j) * C + ch] = input[n, r * stride - pad + i * rate, ...]
// Cells in the SAME padding are zeros. The geometry is a convolution's, so it uses the volume
// windows (depth 1): a window larger than the image gives an empty output, as in TensorFlow.
#pragma once

#include "volume.hpp"

namespace kiln::ops::nn {

inline VolumeGeometry patches_geometry(const InferContext& ctx) {
  ctx.expect_rank(0, 4);
  VolumeGeometry g;
  g.attrs.layout = volume_layout(Layout4{0, 1, 2, 3});
  const VolumeLayout& l = g.attrs.layout;
  g.k = spatial_entries(ctx, ctx.attr<Ints>("ksizes"), l, "ksizes");
  g.attrs.stride = spatial_entries(ctx, ctx.attr<Ints>("strides"), l, "strides");
  g.attrs.dilation = spatial_entries(ctx, ctx.attr<Ints>("rates"), l, "rates");
  g.attrs.padding = ctx.attr<std::string>("padding");
  expect_same_or_valid(ctx, g.attrs.padding);
  const VolumeDims in = volume_dims(ctx.shape(0), l);
  g.batch = in.batch;
  g.in = in.spatial;
  g.in_c = in.channels;
  g.out_c = mul_dims(checked_mul(g.k[1], g.k[2]), g.in_c);
  g.win = volume_windows(ctx, g.attrs, g.in, g.k);
  return g;
}

inline std::vector<TensorType> infer_extract_image_patches(const InferContext& ctx) {
  expect_numeric(ctx, 0);
  return {{ctx.dtype(0), patches_geometry(ctx).output_shape()}};
}

inline void register_patches_ops(OpCatalogue& c) {
  c.add(op("ExtractImagePatches")
            .inputs(1)
            .attrs({{"ksizes", {}}, {"strides", {}}, {"rates", {}}, {"T", {}}, {"padding", {}}})
            .input_types({"T"})
            .infer(infer_extract_image_patches));
}

}  // namespace kiln::ops::nn
