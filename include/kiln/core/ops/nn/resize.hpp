// ResizeBilinear, ResizeNearestNeighbor, ResizeBicubic and ResizeArea: images [N, H, W, C]
// resized to `size` = [new_height, new_width], an int32 vector.
//
// Two attributes say where output pixel x samples the input along an axis of in -> out pixels:
//   align_corners       the corner pixels' centres line up: scale = (in - 1) / (out - 1)
//   half_pixel_centers  pixel centres sit at +0.5: position = (x + 0.5) * scale - 0.5
//   neither (legacy)    scale = in / out, position = x * scale
// TensorFlow refuses the two together. ResizeArea has only align_corners. Every op but
// ResizeNearestNeighbor outputs float32 whatever the image type.
#pragma once

#include <optional>

#include "../array/common.hpp"
#include "common.hpp"

namespace kiln::ops::nn {

struct ResizeAttrs {
  bool align_corners = false;
  bool half_pixel_centers = false;
};

inline ResizeAttrs resize_attrs(const InferContext& ctx) {
  ResizeAttrs a;
  a.align_corners = ctx.attr<bool>("align_corners");
  if (ctx.node().has_attr("half_pixel_centers")) {
    a.half_pixel_centers = ctx.attr<bool>("half_pixel_centers");
  }
  if (a.align_corners && a.half_pixel_centers) {
    throw ctx.error(Errc::invalid_attr, "align_corners and half_pixel_centers exclude each other")
        .attr("half_pixel_centers")
        .expected("false when align_corners is true")
        .found("true");
  }
  return a;
}

// An int32 vector input of two sizes ([height, width]) that must be positive where known:
// Resize*'s size and CropAndResize's crop_size.
inline std::optional<Ints> two_positive_sizes(const InferContext& ctx, int i,
                                              const std::string& what) {
  array::expect_dtype(ctx, i, DType::int32);
  const std::int64_t length = array::vector_length(ctx, i);
  if (length != kUnknownDim && length != 2) {
    throw ctx.error(Errc::invalid_argument, what + " must hold a height and a width")
        .input(std::to_string(i))
        .expected("2 entries")
        .found(std::to_string(length));
  }
  const std::optional<Ints> sizes = array::known_ints(ctx, i);
  if (sizes) {
    for (std::int64_t v : *sizes) {
      if (v <= 0) {
        throw ctx.error(Errc::invalid_argument, what + " must be positive")
            .input(std::to_string(i))
            .found(array::ints_text(*sizes));
      }
    }
  }
  return sizes;
}

// Input `i`, an image batch [N, H, W, C] of some numeric type with a non-empty image. Returns
// its dimensions (unknown where the shape does not say).
inline std::vector<std::int64_t> image_dims(const InferContext& ctx, int i) {
  expect_numeric(ctx, i);
  ctx.expect_rank(i, 4);
  const std::vector<std::int64_t> dims = dims_or_unknown(ctx.shape(i), 4);
  if (dims[1] == 0 || dims[2] == 0) {
    throw ctx.error(Errc::invalid_argument, "the image must not be empty")
        .input(std::to_string(i))
        .found(ctx.shape(i).str());
  }
  return dims;
}

// [N, new_height, new_width, C].
inline Shape resized_shape(const InferContext& ctx) {
  resize_attrs(ctx);
  const std::vector<std::int64_t> dims = image_dims(ctx, 0);
  const std::optional<Ints> size = two_positive_sizes(ctx, 1, "the output size");
  return array::checked_shape(ctx, {dims[0], size ? (*size)[0] : kUnknownDim,
                                    size ? (*size)[1] : kUnknownDim, dims[3]});
}

inline std::vector<TensorType> infer_resize_to_float(const InferContext& ctx) {
  return {{DType::float32, resized_shape(ctx)}};
}

inline std::vector<TensorType> infer_resize_same_type(const InferContext& ctx) {
  return {{ctx.dtype(0), resized_shape(ctx)}};
}

inline void register_resize_ops(OpCatalogue& c) {
  const std::vector<AttrDef> attrs = {
      {"T", {}}, {"align_corners", false}, {"half_pixel_centers", false}};
  c.add(op("ResizeBilinear").inputs(2).attrs(attrs).input_types({"T", ""})
            .infer(infer_resize_to_float));
  c.add(op("ResizeBicubic").inputs(2).attrs(attrs).input_types({"T", ""})
            .infer(infer_resize_to_float));
  c.add(op("ResizeNearestNeighbor").inputs(2).attrs(attrs).input_types({"T", ""})
            .infer(infer_resize_same_type));
  c.add(op("ResizeArea").inputs(2).attrs({{"T", {}}, {"align_corners", false}})
            .input_types({"T", ""}).infer(infer_resize_to_float));
}

}  // namespace kiln::ops::nn
