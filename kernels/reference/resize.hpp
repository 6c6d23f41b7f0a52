// Reference kernels for ResizeBilinear, ResizeNearestNeighbor, ResizeBicubic and ResizeArea,
// NHWC. Each samples every output row and column independently, so the sample positions and
// weights of one axis are computed once per axis; the arithmetic is TensorFlow's, in float32
// and in its order, so that results agree to the last bit or nearly.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <vector>

#include <kiln/core/ops/nn/resize.hpp>

#include "nn_support.hpp"

namespace kiln::reference::nn {

// Input pixels per output pixel along one axis. align_corners needs two pixels on each side
// to have corners to align: an axis of one pixel (where the scale would be 0, and ResizeArea
// would divide by it) falls back to in / out, as TensorFlow does.
inline float resize_scale(std::int64_t in, std::int64_t out, bool align_corners) {
  return align_corners && in > 1 && out > 1
             ? static_cast<float>(in - 1) / static_cast<float>(out - 1)
             : static_cast<float>(in) / static_cast<float>(out);
}

// Where output index i samples the input along an axis (bilinear and bicubic).
inline float sample_position(std::int64_t i, float scale, bool half_pixel_centers) {
  return half_pixel_centers ? (static_cast<float>(i) + 0.5f) * scale - 0.5f
                            : static_cast<float>(i) * scale;
}

// The sizes of an NHWC image batch and its resized output, with element strides.
struct ResizePlan {
  std::int64_t batch, in_h, in_w, out_h, out_w, channels;
  float scale_h, scale_w;
};

inline ResizePlan resize_plan(const Tensor& input, const Tensor& output, bool align_corners) {
  const Shape& in = input.shape();
  const Shape& out = output.shape();
  ResizePlan p{in.dim(0), in.dim(1), in.dim(2), out.dim(1), out.dim(2), in.dim(3), 0, 0};
  p.scale_h = resize_scale(p.in_h, p.out_h, align_corners);
  p.scale_w = resize_scale(p.in_w, p.out_w, align_corners);
  return p;
}

// Calls pixel(n, y, x, out_offset) for every output pixel, out_offset being its first channel.
template <class Pixel>
void for_each_output_pixel(const ResizePlan& p, Pixel&& pixel) {
  for (std::int64_t n = 0; n < p.batch; ++n) {
    for (std::int64_t y = 0; y < p.out_h; ++y) {
      for (std::int64_t x = 0; x < p.out_w; ++x) {
        pixel(n, y, x, ((n * p.out_h + y) * p.out_w + x) * p.channels);
      }
    }
  }
}

// ---- Bilinear ----------------------------------------------------------------------------

// The two input pixels an output pixel blends along one axis, and the weight of the second.
struct LinearSample {
  std::int64_t lower = 0, upper = 0;
  float lerp = 0;
};

inline std::vector<LinearSample> linear_samples(std::int64_t out, std::int64_t in, float scale,
                                                bool half_pixel_centers) {
  std::vector<LinearSample> samples(static_cast<std::size_t>(out));
  for (std::int64_t i = 0; i < out; ++i) {
    const float pos = sample_position(i, scale, half_pixel_centers);
    const float floor = std::floor(pos);
    LinearSample& s = samples[static_cast<std::size_t>(i)];
    s.lower = std::max<std::int64_t>(static_cast<std::int64_t>(floor), 0);
    s.upper = std::min<std::int64_t>(static_cast<std::int64_t>(std::ceil(pos)), in - 1);
    s.lerp = pos - floor;
  }
  return samples;
}

inline void resize_bilinear_kernel(const Node& node, const std::vector<Tensor>& inputs,
                                   std::vector<Tensor>& outputs) {
  const ops::nn::ResizeAttrs a = ops::nn::resize_attrs(known_context(node, inputs));
  const ResizePlan p = resize_plan(inputs[0], outputs[0], a.align_corners);
  const auto ys = linear_samples(p.out_h, p.in_h, p.scale_h, a.half_pixel_centers);
  const auto xs = linear_samples(p.out_w, p.in_w, p.scale_w, a.half_pixel_centers);
  float* out = outputs[0].data<float>();
  dispatch_numeric(node, inputs[0].dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* image = inputs[0].data<T>();
    auto at = [&](std::int64_t n, std::int64_t y, std::int64_t x, std::int64_t c) {
      return to_acc<float>(image[((n * p.in_h + y) * p.in_w + x) * p.channels + c]);
    };
    for_each_output_pixel(p, [&](std::int64_t n, std::int64_t y, std::int64_t x, std::int64_t o) {
      const LinearSample& sy = ys[static_cast<std::size_t>(y)];
      const LinearSample& sx = xs[static_cast<std::size_t>(x)];
      for (std::int64_t c = 0; c < p.channels; ++c) {
        const float top_left = at(n, sy.lower, sx.lower, c);
        const float top_right = at(n, sy.lower, sx.upper, c);
        const float bottom_left = at(n, sy.upper, sx.lower, c);
        const float bottom_right = at(n, sy.upper, sx.upper, c);
        const float top = top_left + (top_right - top_left) * sx.lerp;
        const float bottom = bottom_left + (bottom_right - bottom_left) * sx.lerp;
        out[o + c] = top + (bottom - top) * sy.lerp;
      }
    });
  });
}

// ---- Nearest neighbour -------------------------------------------------------------------

// The input index each output index copies along one axis. Half-pixel centres take the pixel
// whose span holds the output centre, (i + 0.5) * scale; align_corners rounds i * scale (half
// away from zero); the legacy mode truncates it.
inline std::vector<std::int64_t> nearest_samples(std::int64_t out, std::int64_t in, float scale,
                                                 const ops::nn::ResizeAttrs& a) {
  std::vector<std::int64_t> samples(static_cast<std::size_t>(out));
  for (std::int64_t i = 0; i < out; ++i) {
    const float pos = a.half_pixel_centers ? (static_cast<float>(i) + 0.5f) * scale
                                           : static_cast<float>(i) * scale;
    const float picked = a.align_corners ? std::round(pos) : std::floor(pos);
    std::int64_t index = std::min<std::int64_t>(static_cast<std::int64_t>(picked), in - 1);
    if (a.half_pixel_centers) index = std::max<std::int64_t>(index, 0);
    samples[static_cast<std::size_t>(i)] = index;
  }
  return samples;
}

inline void resize_nearest_neighbor_kernel(const Node& node, const std::vector<Tensor>& inputs,
                                           std::vector<Tensor>& outputs) {
  const ops::nn::ResizeAttrs a = ops::nn::resize_attrs(known_context(node, inputs));
  const ResizePlan p = resize_plan(inputs[0], outputs[0], a.align_corners);
  const auto ys = nearest_samples(p.out_h, p.in_h, p.scale_h, a);
  const auto xs = nearest_samples(p.out_w, p.in_w, p.scale_w, a);
  dispatch_numeric(node, inputs[0].dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* image = inputs[0].data<T>();
    T* out = outputs[0].data<T>();
    for_each_output_pixel(p, [&](std::int64_t n, std::int64_t y, std::int64_t x, std::int64_t o) {
      const T* pixel = image + ((n * p.in_h + ys[static_cast<std::size_t>(y)]) * p.in_w +
                                xs[static_cast<std::size_t>(x)]) *
                                   p.channels;
      std::copy(pixel, pixel + p.channels, out + o);
    });
  });
}

// ---- Bicubic -----------------------------------------------------------------------------

// TensorFlow samples the cubic kernel at 1/1024 steps of the distance to the left neighbour
// and rounds every distance to the nearest step. Entry 2 * i holds the weight at distance
// i / 1024, entry 2 * i + 1 at distance 1 + i / 1024. `a` is -0.5 (Keys' kernel, with
// half-pixel centres) or -0.75 (the legacy kernel).
constexpr int kCubicSteps = 1024;
using CubicTable = std::array<float, 2 * (kCubicSteps + 1)>;

inline CubicTable cubic_table(double a) {
  CubicTable t{};
  for (int i = 0; i <= kCubicSteps; ++i) {
    float x = static_cast<float>(i * 1.0 / kCubicSteps);
    t[static_cast<std::size_t>(2 * i)] =
        static_cast<float>(((a + 2) * x - (a + 3)) * x * x + 1);
    x += 1.0f;
    t[static_cast<std::size_t>(2 * i + 1)] =
        static_cast<float>(((a * x - 5 * a) * x + 8 * a) * x - 4 * a);
  }
  return t;
}

// The four input indices (clamped to the image) an output index blends, with their weights.
struct CubicSample {
  std::array<std::int64_t, 4> index{};
  std::array<float, 4> weight{};
};

inline std::vector<CubicSample> cubic_samples(std::int64_t out, std::int64_t in, float scale,
                                              bool half_pixel_centers) {
  static const CubicTable keys = cubic_table(-0.5);
  static const CubicTable legacy = cubic_table(-0.75);
  const CubicTable& table = half_pixel_centers ? keys : legacy;
  std::vector<CubicSample> samples(static_cast<std::size_t>(out));
  for (std::int64_t i = 0; i < out; ++i) {
    const float pos = sample_position(i, scale, half_pixel_centers);
    const auto left = static_cast<std::int64_t>(std::floor(pos));
    const float delta = pos - static_cast<float>(left);
    const auto step = static_cast<std::size_t>(std::lrint(delta * kCubicSteps));
    const std::array<float, 4> weights = {table[step * 2 + 1], table[step * 2],
                                          table[(kCubicSteps - step) * 2],
                                          table[(kCubicSteps - step) * 2 + 1]};
    CubicSample& s = samples[static_cast<std::size_t>(i)];
    float sum = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      const std::int64_t wanted = left - 1 + static_cast<std::int64_t>(k);
      s.index[k] = std::min(in - 1, std::max<std::int64_t>(0, wanted));
      // With half-pixel centres, taps outside the image get no weight and the others are
      // renormalized; the legacy kernel repeats the edge pixel instead.
      s.weight[k] = !half_pixel_centers || s.index[k] == wanted ? weights[k] : 0.0f;
      sum += s.weight[k];
    }
    if (half_pixel_centers && std::abs(sum) >= 1000.0f * std::numeric_limits<float>::min()) {
      const float inverse = 1.0f / sum;
      for (float& w : s.weight) w *= inverse;
    }
  }
  return samples;
}

inline float cubic_blend(const std::array<float, 4>& weight, const std::array<float, 4>& value) {
  return value[0] * weight[0] + value[1] * weight[1] + value[2] * weight[2] +
         value[3] * weight[3];
}

inline void resize_bicubic_kernel(const Node& node, const std::vector<Tensor>& inputs,
                                  std::vector<Tensor>& outputs) {
  const ops::nn::ResizeAttrs a = ops::nn::resize_attrs(known_context(node, inputs));
  const ResizePlan p = resize_plan(inputs[0], outputs[0], a.align_corners);
  const auto ys = cubic_samples(p.out_h, p.in_h, p.scale_h, a.half_pixel_centers);
  const auto xs = cubic_samples(p.out_w, p.in_w, p.scale_w, a.half_pixel_centers);
  float* out = outputs[0].data<float>();
  dispatch_numeric(node, inputs[0].dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* image = inputs[0].data<T>();
    for_each_output_pixel(p, [&](std::int64_t n, std::int64_t y, std::int64_t x, std::int64_t o) {
      const CubicSample& sy = ys[static_cast<std::size_t>(y)];
      const CubicSample& sx = xs[static_cast<std::size_t>(x)];
      for (std::int64_t c = 0; c < p.channels; ++c) {
        // Down each of the four columns first, then across them, as TensorFlow does.
        std::array<float, 4> columns{};
        for (std::size_t k = 0; k < 4; ++k) {
          std::array<float, 4> column{};
          for (std::size_t j = 0; j < 4; ++j) {
            column[j] = to_acc<float>(
                image[((n * p.in_h + sy.index[j]) * p.in_w + sx.index[k]) * p.channels + c]);
          }
          columns[k] = cubic_blend(sy.weight, column);
        }
        out[o + c] = cubic_blend(sx.weight, columns);
      }
    });
  });
}

// ---- Area --------------------------------------------------------------------------------

// The input cells [first, last) an output index covers along one axis, with the covered
// fraction of the first and of the last cell (the cells between count whole). Cells past the
// image edge (align_corners can reach them) read the edge pixel.
struct AreaSpan {
  std::int64_t first = 0, last = 0;
  float first_scale = 0, last_scale = 0;
};

inline float area_cell_scale(std::int64_t cell, float start, float end, float scale) {
  const auto c = static_cast<float>(cell);
  if (c < start) return c + 1 > end ? scale : c + 1 - start;
  return c + 1 > end ? end - c : 1.0f;
}

inline std::vector<AreaSpan> area_spans(std::int64_t out, float scale) {
  std::vector<AreaSpan> spans(static_cast<std::size_t>(out));
  for (std::int64_t i = 0; i < out; ++i) {
    const float start = static_cast<float>(i) * scale;
    const float end = static_cast<float>(i + 1) * scale;
    AreaSpan& s = spans[static_cast<std::size_t>(i)];
    s.first = static_cast<std::int64_t>(std::floor(start));
    s.last = static_cast<std::int64_t>(std::ceil(end));
    s.first_scale = area_cell_scale(s.first, start, end, scale);
    s.last_scale = area_cell_scale(s.last - 1, start, end, scale);
  }
  return spans;
}

inline void resize_area_kernel(const Node& node, const std::vector<Tensor>& inputs,
                               std::vector<Tensor>& outputs) {
  const ops::nn::ResizeAttrs a = ops::nn::resize_attrs(known_context(node, inputs));
  const ResizePlan p = resize_plan(inputs[0], outputs[0], a.align_corners);
  const auto ys = area_spans(p.out_h, p.scale_h);
  const auto xs = area_spans(p.out_w, p.scale_w);
  // Each output is the covered area's weighted sum divided by the area itself.
  const auto area_inverse = static_cast<float>(1.0 / (p.scale_h * p.scale_w));
  auto bound = [](std::int64_t v, std::int64_t size) {
    return std::min(size - 1, std::max<std::int64_t>(0, v));
  };
  float* out = outputs[0].data<float>();
  dispatch_numeric(node, inputs[0].dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* image = inputs[0].data<T>();
    for_each_output_pixel(p, [&](std::int64_t n, std::int64_t y, std::int64_t x, std::int64_t o) {
      const AreaSpan& sy = ys[static_cast<std::size_t>(y)];
      const AreaSpan& sx = xs[static_cast<std::size_t>(x)];
      for (std::int64_t c = 0; c < p.channels; ++c) {
        float sum = 0;
        for (std::int64_t row = sy.first; row < sy.last; ++row) {
          const T* line = image + (n * p.in_h + bound(row, p.in_h)) * p.in_w * p.channels + c;
          auto value = [&](std::int64_t col) {
            return to_acc<float>(line[bound(col, p.in_w) * p.channels]);
          };
          float row_sum = value(sx.first) * sx.first_scale;
          if (sx.first + 1 != sx.last) {
            for (std::int64_t col = sx.first + 1; col < sx.last - 1; ++col) row_sum += value(col);
            row_sum += value(sx.last - 1) * sx.last_scale;
          }
          sum += row_sum * area_cell_scale(row, static_cast<float>(y) * p.scale_h,
                                           static_cast<float>(y + 1) * p.scale_h, p.scale_h);
        }
        out[o + c] = sum * area_inverse;
      }
    });
  });
}

}  // namespace kiln::reference::nn
