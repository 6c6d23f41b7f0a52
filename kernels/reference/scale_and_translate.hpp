// Reference kernel for ScaleAndTranslate, NHWC. The resampling is separable: each output row
// is a weighted sum of input rows, then each output column a weighted sum of that row's
// columns. The input pixels and weights behind one output index along an axis (its span) are
// the same for every row or column, so they are computed once per axis. Arithmetic follows
// TensorFlow's, in float32 and in its order, so that results agree to the last bit or nearly.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <vector>

#include <kiln/core/ops/nn/scale_and_translate.hpp>

#include "nn_support.hpp"

namespace kiln::reference::nn {

using ops::nn::SamplingKernel;

// How far from its centre a kernel is non-zero, in input pixels (before antialiasing widens it).
inline float sampling_radius(SamplingKernel kernel) {
  switch (kernel) {
    case SamplingKernel::lanczos1:
    case SamplingKernel::box:
    case SamplingKernel::triangle:
      return 1.0f;
    case SamplingKernel::gaussian:
      return 1.5f;
    case SamplingKernel::lanczos3:
      return 3.0f;
    case SamplingKernel::lanczos5:
      return 5.0f;
    case SamplingKernel::keys_cubic:
    case SamplingKernel::mitchell_cubic:
      return 2.0f;
  }
  return 1.0f;
}

// sinc(x) * sinc(x / a) for |x| <= a, with the limit 1 near 0.
inline float lanczos(float a, float x) {
  if (x > a) return 0.0f;
  if (x <= 1e-3f) return 1.0f;
  const auto pi = static_cast<float>(3.14159265359);
  return a * std::sin(pi * x) * std::sin(pi * x / a) / (pi * pi * x * x);
}

// The kernel's weight at distance x >= 0 from a sample point.
inline float sampling_weight(SamplingKernel kernel, float x) {
  switch (kernel) {
    case SamplingKernel::lanczos1:
      return lanczos(1.0f, x);
    case SamplingKernel::lanczos3:
      return lanczos(3.0f, x);
    case SamplingKernel::lanczos5:
      return lanczos(5.0f, x);
    case SamplingKernel::gaussian: {
      // Radius 1.5 and sigma = radius / 3 = 0.5 (Turkowski's choice for a 3-pixel support);
      // the exponent is taken in double, as TensorFlow does.
      constexpr float sigma = 0.5f;
      if (x >= sampling_radius(kernel)) return 0.0f;
      return static_cast<float>(std::exp(-x * x / (2.0 * sigma * sigma)));
    }
    case SamplingKernel::box:
      return x < 0.5f ? 1.0f : x == 0.5f ? 0.5f : 0.0f;
    case SamplingKernel::triangle:
      return x < 1.0f ? 1.0f - x : 0.0f;
    case SamplingKernel::keys_cubic:  // Catmull-Rom, a = -0.5
      if (x >= 2.0f) return 0.0f;
      if (x >= 1.0f) return ((-0.5f * x + 2.5f) * x - 4.0f) * x + 2.0f;
      return ((1.5f * x - 2.5f) * x) * x + 1.0f;
    case SamplingKernel::mitchell_cubic:  // Mitchell-Netravali, B = C = 1/3
      if (x >= 2.0f) return 0.0f;
      if (x >= 1.0f) return (((-7.0f / 18.0f) * x + 2.0f) * x - 10.0f / 3.0f) * x + 16.0f / 9.0f;
      return (((7.0f / 6.0f) * x - 2.0f) * x) * x + 8.0f / 9.0f;
  }
  return 0.0f;
}

// The spans of every output index along one axis. Output i reads `reads(i)` input pixels from
// start[i]: its own weights first, then zeros up to the axis's widest span (TensorFlow reads
// that many, so a NaN or infinite pixel there still turns the output into NaN). An output
// whose sample point lies off the image has no weights, and so does one whose weights sum to
// about zero.
struct AxisSpans {
  std::int64_t in = 0;
  std::int64_t widest = 0;
  std::vector<std::int64_t> start;
  std::vector<std::size_t> first_weight;  // one more entry than outputs
  std::vector<float> weights;

  std::int64_t reads(std::size_t i) const { return std::min(start[i] + widest, in) - start[i]; }
  float weight(std::size_t i, std::int64_t j) const {
    const std::size_t k = first_weight[i] + static_cast<std::size_t>(j);
    return k < first_weight[i + 1] ? weights[k] : 0.0f;
  }
};

// A float position rounded to a pixel index, clamped to [0, in - 1] (in double, which holds
// every index exactly, where float would not).
inline std::int64_t clamped_index(float position, std::int64_t in) {
  const double clamped =
      std::min(std::max(static_cast<double>(position), 0.0), static_cast<double>(in - 1));
  return static_cast<std::int64_t>(clamped);
}

// Output index x samples input position (x + 0.5) / scale - translation / scale, in pixel
// units whose pixel centres sit at +0.5. With antialias and scale < 1 the kernel stretches by
// 1 / scale. Weights are normalized to sum to 1 over the pixels inside the image.
inline AxisSpans axis_spans(SamplingKernel kernel, bool antialias, std::int64_t out,
                            std::int64_t in, const ops::nn::AxisTransform& t) {
  const auto inv_scale = static_cast<float>(1.0 / t.scale);
  const float inv_translate = -inv_scale * t.translation;
  const float kernel_scale = antialias ? std::max(inv_scale, 1.0f) : 1.0f;
  const float reach = sampling_radius(kernel) * kernel_scale;
  const float one_over_kernel_scale = 1.0f / kernel_scale;
  AxisSpans spans;
  spans.in = in;
  spans.widest = static_cast<std::int64_t>(
      std::min(2.0 * std::ceil(static_cast<double>(reach)) + 1, static_cast<double>(in)));
  spans.start.assign(static_cast<std::size_t>(out), 0);
  spans.first_weight.assign(static_cast<std::size_t>(out) + 1, 0);
  std::vector<float> span;
  for (std::int64_t x = 0; x < out; ++x) {
    const auto i = static_cast<std::size_t>(x);
    spans.first_weight[i + 1] = spans.weights.size();
    const float sample = (static_cast<float>(x) + 0.5f) * inv_scale + inv_translate;
    if (!(sample >= 0 && sample <= static_cast<float>(in))) continue;  // off the image, or NaN
    const std::int64_t first = clamped_index(std::ceil(sample - reach - 0.5f), in);
    const std::int64_t last = clamped_index(std::floor(sample + reach - 0.5f), in);
    const std::int64_t end = std::min(last + 1, first + spans.widest);
    span.clear();
    float sum = 0;
    for (std::int64_t source = first; source < end; ++source) {
      const float distance = static_cast<float>(source) + 0.5f - sample;
      span.push_back(sampling_weight(kernel, std::abs(distance * one_over_kernel_scale)));
      sum += span.back();
    }
    spans.start[i] = first;
    if (std::abs(sum) < 1000.0f * std::numeric_limits<float>::min()) continue;
    const float inverse = 1.0f / sum;
    for (float w : span) spans.weights.push_back(w * inverse);
    spans.first_weight[i + 1] = spans.weights.size();
  }
  return spans;
}

inline void scale_and_translate_kernel(const Node& node, const std::vector<Tensor>& inputs,
                                       std::vector<Tensor>& outputs) {
  const InferContext ctx = known_context(node, inputs);
  const SamplingKernel kernel = ops::nn::sampling_kernel(ctx);
  const bool antialias = node.attr<bool>("antialias");
  const std::array<ops::nn::AxisTransform, 2> transforms = *ops::nn::axis_transforms(ctx);
  const Shape& in = inputs[0].shape();
  const Shape& out = outputs[0].shape();
  const std::int64_t batch = in.dim(0), in_h = in.dim(1), in_w = in.dim(2), channels = in.dim(3);
  const std::int64_t out_h = out.dim(1), out_w = out.dim(2);
  if (outputs[0].num_elements() == 0) return;
  const AxisSpans rows = axis_spans(kernel, antialias, out_h, in_h, transforms[0]);
  const AxisSpans cols = axis_spans(kernel, antialias, out_w, in_w, transforms[1]);
  float* result = outputs[0].data<float>();
  // One output row at a time: the input rows blended into one row of in_w pixels, then its
  // columns blended into out_w pixels.
  std::vector<float> row(static_cast<std::size_t>(in_w * channels));
  dispatch_numeric(node, inputs[0].dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* image = inputs[0].data<T>();
    for (std::int64_t n = 0; n < batch; ++n) {
      for (std::int64_t y = 0; y < out_h; ++y) {
        const auto yi = static_cast<std::size_t>(y);
        std::fill(row.begin(), row.end(), 0.0f);
        for (std::int64_t j = 0; j < rows.reads(yi); ++j) {
          const float w = rows.weight(yi, j);
          const T* line = image + (n * in_h + rows.start[yi] + j) * in_w * channels;
          for (std::size_t k = 0; k < row.size(); ++k) row[k] += w * to_acc<float>(line[k]);
        }
        float* o = result + (n * out_h + y) * out_w * channels;
        for (std::int64_t x = 0; x < out_w; ++x, o += channels) {
          const auto xi = static_cast<std::size_t>(x);
          std::fill(o, o + channels, 0.0f);
          for (std::int64_t j = 0; j < cols.reads(xi); ++j) {
            const float w = cols.weight(xi, j);
            const float* pixel = row.data() + (cols.start[xi] + j) * channels;
            for (std::int64_t c = 0; c < channels; ++c) o[c] += w * pixel[c];
          }
        }
      }
    }
  });
}

}  // namespace kiln::reference::nn
