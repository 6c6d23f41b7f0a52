// Reference kernels for FakeQuantWithMinMaxArgs and FakeQuantWithMinMaxVars, in float32 and in
// TensorFlow's order of operations, so that every value lands on the same level as there.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include <kiln/core/ops/nn/fake_quant.hpp>

#include "nn_support.hpp"

namespace kiln::reference::nn {

// The range [min, max] moved so that 0.0 falls exactly on a quantized level: TensorFlow's
// "nudge". The zero point is rounded half away from zero and held in 16 bits.
struct NudgedRange {
  float min = 0, max = 0;
  float scale = 0;      // (max - min) / (quant_max - quant_min)
  float inv_scale = 0;  // computed on its own, not as 1 / scale, as TensorFlow does
};

inline NudgedRange nudge(float min, float max, const ops::nn::QuantLevels& q) {
  const float quant_min = static_cast<float>(q.quant_min);
  const float quant_max = static_cast<float>(q.quant_max);
  NudgedRange r;
  r.scale = (max - min) / (quant_max - quant_min);
  r.inv_scale = (quant_max - quant_min) / (max - min);
  const float zero_point_from_min = quant_min - min / r.scale;
  std::uint16_t zero_point = 0;  // also for a NaN, where x86 truncation leaves 0 in 16 bits
  if (zero_point_from_min < quant_min) {
    zero_point = static_cast<std::uint16_t>(q.quant_min);
  } else if (zero_point_from_min > quant_max) {
    zero_point = static_cast<std::uint16_t>(q.quant_max);
  } else if (!std::isnan(zero_point_from_min)) {
    zero_point = static_cast<std::uint16_t>(std::round(zero_point_from_min));
  }
  r.min = (quant_min - zero_point) * r.scale;
  r.max = (quant_max - zero_point) * r.scale;
  return r;
}

// Clamps each value to the nudged range and rounds it to the nearest level. `to_levels` maps a
// distance from the range's start to a (fractional) level count: Args multiplies by inv_scale,
// Vars divides by scale, and the two differ in the last bit.
template <class ToLevels>
void fake_quantize(const NudgedRange& r, const Tensor& input, Tensor& output, ToLevels to_levels) {
  const float quant_zero = std::floor(-r.min * r.inv_scale + 0.5f);
  const float* x = input.data<float>();
  float* y = output.data<float>();
  for (std::int64_t i = 0; i < input.num_elements(); ++i) {
    const float clamped = std::max(std::min(x[i], r.max), r.min);
    y[i] = std::floor(to_levels(clamped - r.min) - quant_zero + 0.5f) * r.scale;
  }
}

inline void fake_quant_args_kernel(const Node& node, const std::vector<Tensor>& inputs,
                                   std::vector<Tensor>& outputs) {
  const NudgedRange r = nudge(node.attr<float>("min"), node.attr<float>("max"),
                              ops::nn::quant_levels(known_context(node, inputs)));
  fake_quantize(r, inputs[0], outputs[0], [&](float shifted) { return shifted * r.inv_scale; });
}

inline void fake_quant_vars_kernel(const Node& node, const std::vector<Tensor>& inputs,
                                   std::vector<Tensor>& outputs) {
  const ops::nn::QuantLevels q = ops::nn::quant_levels(known_context(node, inputs));
  const float min = inputs[1].data<float>()[0], max = inputs[2].data<float>()[0];
  if (min == 0.0f && max == 0.0f) {  // TensorFlow's special case: everything quantizes to 0
    std::fill(outputs[0].data<float>(), outputs[0].data<float>() + outputs[0].num_elements(), 0.0f);
    return;
  }
  const NudgedRange r = nudge(min, max, q);
  fake_quantize(r, inputs[0], outputs[0], [&](float shifted) { return shifted / r.scale; });
}

}  // namespace kiln::reference::nn
