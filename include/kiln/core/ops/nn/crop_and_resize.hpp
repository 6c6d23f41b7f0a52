// CropAndResize: for every box [y1, x1, y2, x2] (normalized coordinates of image box_ind[b]),
// a crop_size = [height, width] grid of samples, bilinear or nearest, as float32:
// [num_boxes, crop_height, crop_width, C]. Samples outside the image take extrapolation_value.
// Boxes may be flipped (y1 > y2) or reach outside [0, 1]; box_ind values outside the batch
// are an error when the node runs.
#pragma once

#include "resize.hpp"

namespace kiln::ops::nn {

inline bool crop_bilinear(const InferContext& ctx) {
  const std::string& method = ctx.attr<std::string>("method");
  if (method != "bilinear" && method != "nearest") {
    throw ctx.error(Errc::invalid_attr, "unknown sampling method")
        .attr("method")
        .expected("bilinear or nearest")
        .found(method);
  }
  return method == "bilinear";
}

inline std::vector<TensorType> infer_crop_and_resize(const InferContext& ctx) {
  crop_bilinear(ctx);
  const std::vector<std::int64_t> image = image_dims(ctx, 0);
  array::expect_dtype(ctx, 1, DType::float32);
  array::expect_dtype(ctx, 2, DType::int32);
  ctx.expect_rank(1, 2);
  const std::vector<std::int64_t> boxes = dims_or_unknown(ctx.shape(1), 2);
  merge_dim(ctx, 4, boxes[1], "a box's 4 coordinates and boxes' last dimension");
  const std::int64_t num_boxes =
      merge_dim(ctx, boxes[0], array::vector_length(ctx, 2), "boxes' and box_ind's lengths");
  const std::optional<Ints> crop = two_positive_sizes(ctx, 3, "crop_size");
  return {{DType::float32,
           array::checked_shape(ctx, {num_boxes, crop ? (*crop)[0] : kUnknownDim,
                                      crop ? (*crop)[1] : kUnknownDim, image[3]})}};
}

inline void register_crop_and_resize_ops(OpCatalogue& c) {
  c.add(op("CropAndResize")
            .inputs(4)
            .attrs({{"T", {}},
                    {"method", std::string("bilinear")},
                    {"extrapolation_value", 0.0f}})
            .input_types({"T", "", "", ""})
            .infer(infer_crop_and_resize));
}

}  // namespace kiln::ops::nn
