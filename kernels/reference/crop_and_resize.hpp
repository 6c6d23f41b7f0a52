// Reference kernel for CropAndResize: per box, a crop_height x crop_width grid of sample
// points spread evenly from (y1, x1) to (y2, x2) in normalized coordinates (the centre of the
// box for a grid of one), sampled bilinearly or at the nearest pixel, in float32 and in
// TensorFlow's order of operations.
#pragma once

#include <cmath>
#include <vector>

#include <kiln/core/ops/nn/crop_and_resize.hpp>

#include "nn_support.hpp"

namespace kiln::reference::nn {

// The image position (in pixels) of sample i of n along an axis of `size` pixels, for a box
// from `from` to `to`.
inline float crop_sample_position(float from, float to, std::int64_t size, std::int64_t i,
                                  std::int64_t n) {
  const auto last = static_cast<float>(size - 1);
  if (n == 1) return static_cast<float>(0.5 * (from + to) * (size - 1));
  const float step = (to - from) * last / static_cast<float>(n - 1);
  return from * last + static_cast<float>(i) * step;
}

inline void crop_and_resize_kernel(const Node& node, const std::vector<Tensor>& inputs,
                                   std::vector<Tensor>& outputs) {
  const bool bilinear = ops::nn::crop_bilinear(known_context(node, inputs));
  const float extrapolation = node.attr<float>("extrapolation_value");
  const Tensor& image = inputs[0];
  const std::int64_t batch = image.shape().dim(0), height = image.shape().dim(1);
  const std::int64_t width = image.shape().dim(2), channels = image.shape().dim(3);
  const Tensor& out_tensor = outputs[0];
  const std::int64_t num_boxes = out_tensor.shape().dim(0);
  const std::int64_t crop_h = out_tensor.shape().dim(1), crop_w = out_tensor.shape().dim(2);
  const float* boxes = inputs[1].data<float>();
  const std::int32_t* box_ind = inputs[2].data<std::int32_t>();
  for (std::int64_t b = 0; b < num_boxes; ++b) {
    if (box_ind[b] < 0 || box_ind[b] >= batch) {
      throw node.error(Errc::invalid_argument, "box_ind names an image outside the batch")
          .input("2")
          .expected("0 to " + std::to_string(batch - 1))
          .found(std::to_string(box_ind[b]));
    }
    for (std::int64_t k = 0; k < 4; ++k) {
      if (!std::isfinite(boxes[b * 4 + k])) {
        throw node.error(Errc::invalid_argument, "box coordinates must be finite")
            .input("1")
            .found(std::to_string(boxes[b * 4 + k]));
      }
    }
  }
  float* out = outputs[0].data<float>();
  dispatch_numeric(node, image.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* pixels = image.data<T>();
    for (std::int64_t b = 0; b < num_boxes; ++b) {
      const float* box = boxes + b * 4;  // y1, x1, y2, x2
      const T* img = pixels + box_ind[b] * height * width * channels;
      auto at = [&](std::int64_t y, std::int64_t x, std::int64_t c) {
        return to_acc<float>(img[(y * width + x) * channels + c]);
      };
      for (std::int64_t y = 0; y < crop_h; ++y) {
        const float in_y = crop_sample_position(box[0], box[2], height, y, crop_h);
        const bool row_inside = in_y >= 0 && in_y <= static_cast<float>(height - 1);
        for (std::int64_t x = 0; x < crop_w; ++x) {
          float* o = out + ((b * crop_h + y) * crop_w + x) * channels;
          const float in_x = crop_sample_position(box[1], box[3], width, x, crop_w);
          if (!row_inside || in_x < 0 || in_x > static_cast<float>(width - 1)) {
            std::fill(o, o + channels, extrapolation);
            continue;
          }
          if (!bilinear) {
            const auto ny = static_cast<std::int64_t>(std::round(in_y));
            const auto nx = static_cast<std::int64_t>(std::round(in_x));
            for (std::int64_t c = 0; c < channels; ++c) o[c] = at(ny, nx, c);
            continue;
          }
          const auto top = static_cast<std::int64_t>(std::floor(in_y));
          const auto bottom = static_cast<std::int64_t>(std::ceil(in_y));
          const auto left = static_cast<std::int64_t>(std::floor(in_x));
          const auto right = static_cast<std::int64_t>(std::ceil(in_x));
          const float y_lerp = in_y - static_cast<float>(top);
          const float x_lerp = in_x - static_cast<float>(left);
          for (std::int64_t c = 0; c < channels; ++c) {
            const float upper = at(top, left, c) + (at(top, right, c) - at(top, left, c)) * x_lerp;
            const float lower =
                at(bottom, left, c) + (at(bottom, right, c) - at(bottom, left, c)) * x_lerp;
            o[c] = upper + (lower - upper) * y_lerp;
          }
        }
      }
    }
  });
}

}  // namespace kiln::reference::nn
