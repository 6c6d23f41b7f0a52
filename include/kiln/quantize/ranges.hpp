// What calibration learns about one activation: its smallest and largest value, and a histogram
// of magnitudes from which a percentile range is read.
//
// The histogram has a fixed number of bins whose width doubles (merging neighbours) whenever a
// larger value arrives, so it needs one pass over each batch and no prior bound; a percentile is
// then exact to one bin (1/2048 of the largest magnitude seen, or finer).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <kiln/core/error.hpp>
#include <kiln/core/tensor.hpp>

namespace kiln::quantization {

enum class CalibrationMethod {
  minmax,      // the largest magnitude seen: nothing calibration saw is clipped
  percentile,  // the magnitude that `percentile` % of the values do not exceed: outliers clip
};

inline const char* method_name(CalibrationMethod m) {
  return m == CalibrationMethod::minmax ? "minmax" : "percentile";
}

inline CalibrationMethod method_from_name(const std::string& name) {
  if (name == "minmax") return CalibrationMethod::minmax;
  if (name == "percentile") return CalibrationMethod::percentile;
  throw Error(Errc::invalid_argument, "unknown calibration method")
      .expected("minmax or percentile")
      .found(name);
}

class RangeObserver {
 public:
  static constexpr std::size_t kBins = 2048;

  // Adds every finite element of a float32 tensor (NaN and infinities say nothing of a range).
  void observe(const Tensor& t) {
    const float* x = t.data<float>();
    const std::int64_t n = t.num_elements();
    float largest = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      if (!std::isfinite(x[i])) continue;
      min_ = std::min(min_, x[i]);
      max_ = std::max(max_, x[i]);
      largest = std::max(largest, std::fabs(x[i]));
    }
    fit(largest);
    for (std::int64_t i = 0; i < n; ++i) {
      if (!std::isfinite(x[i])) continue;
      const float bin = width_ > 0 ? std::fabs(x[i]) / width_ : 0.f;
      ++bins_[std::min(static_cast<std::size_t>(bin), kBins - 1)];
      ++count_;
    }
  }

  std::uint64_t count() const { return count_; }
  float min() const { return min_; }
  float max() const { return max_; }
  // Never below zero: the value can be quantized unsigned (uint8) and keep every code.
  bool non_negative() const { return count_ > 0 && min_ >= 0.f; }

  // The magnitude quantization maps to the largest code (127 or 255).
  float magnitude(CalibrationMethod method, double percentile) const {
    const float largest = std::max(std::fabs(min_), std::fabs(max_));
    if (count_ == 0) return 0.f;
    if (method == CalibrationMethod::minmax) return largest;
    const double wanted = std::ceil(percentile / 100.0 * static_cast<double>(count_));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < kBins; ++i) {
      seen += bins_[i];
      if (static_cast<double>(seen) >= wanted) {
        return std::min(largest, static_cast<float>(i + 1) * width_);
      }
    }
    return largest;
  }

 private:
  // Widens the bins until `largest` falls inside the last one.
  void fit(float largest) {
    if (largest <= 0.f) return;
    if (width_ == 0.f) {
      width_ = largest / static_cast<float>(kBins);
      return;
    }
    while (largest >= width_ * static_cast<float>(kBins)) {
      for (std::size_t i = 0; i < kBins / 2; ++i) bins_[i] = bins_[2 * i] + bins_[2 * i + 1];
      std::fill(bins_.begin() + kBins / 2, bins_.end(), 0);
      width_ *= 2;
    }
  }

  std::vector<std::uint64_t> bins_ = std::vector<std::uint64_t>(kBins, 0);
  float width_ = 0;  // of one bin; 0 until a non-zero value arrives
  std::uint64_t count_ = 0;
  float min_ = std::numeric_limits<float>::infinity();
  float max_ = -std::numeric_limits<float>::infinity();
};

}  // namespace kiln::quantization
