// How far a quantized (int8) or bf16 model's outputs are from the float32 model's, on the same
// inputs:
//
//   max relative error    max |q - f| / max |f|      over every element of an output
//   mean relative error   sum |q - f| / sum |f|
//   top-1 agreement       the share of rows whose largest entry is at the same place, for
//                         outputs [rows, classes] with more than one class
//
// Both errors are relative to the output's scale, not element by element: an element near zero
// would otherwise make any error look infinite.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <kiln/core/error.hpp>
#include <kiln/core/tensor.hpp>

namespace kiln::quantization {

struct OutputAccuracy {
  std::string name;
  double max_relative_error = 0;
  double mean_relative_error = 0;
  std::optional<double> top1_agreement;  // for [rows, classes] outputs
  std::int64_t rows = 0;                 // rows compared for top-1
};

class AccuracyMeter {
 public:
  // One batch: the float32 outputs and the tested model's, by output name.
  using Outputs = std::map<std::string, Tensor, std::less<>>;  // kiln::NamedTensors
  void add(const Outputs& reference, const Outputs& test) {
    for (const auto& [name, f] : reference) {
      auto it = test.find(name);
      if (it == test.end()) throw Error(Errc::not_found, "the model compared with float32 lacks an output").node(name);
      const Tensor& q = it->second;
      if (f.dtype() != DType::float32 || q.dtype() != DType::float32 || !(f.shape() == q.shape())) {
        throw Error(Errc::type_mismatch, "outputs to compare differ in dtype or shape")
            .node(name)
            .expected(std::string(dtype_name(f.dtype())) + f.shape().str())
            .found(std::string(dtype_name(q.dtype())) + q.shape().str());
      }
      Sums& s = sums_[name];
      const float* a = f.data<float>();
      const float* b = q.data<float>();
      for (std::int64_t i = 0; i < f.num_elements(); ++i) {
        const double d = std::fabs(static_cast<double>(b[i]) - a[i]);
        s.max_error = std::max(s.max_error, d);
        s.max_reference = std::max(s.max_reference, std::fabs(static_cast<double>(a[i])));
        s.error += d;
        s.reference += std::fabs(static_cast<double>(a[i]));
      }
      if (f.rank() == 2 && f.dim(1) > 1) {
        const std::int64_t classes = f.dim(1);
        for (std::int64_t r = 0; r < f.dim(0); ++r) {
          const float* fr = a + r * classes;
          const float* qr = b + r * classes;
          s.agree += std::max_element(fr, fr + classes) - fr == std::max_element(qr, qr + classes) - qr;
          ++s.rows;
        }
      }
    }
  }

  std::vector<OutputAccuracy> report() const {
    std::vector<OutputAccuracy> out;
    for (const auto& [name, s] : sums_) {
      OutputAccuracy a;
      a.name = name;
      a.max_relative_error = s.max_reference > 0 ? s.max_error / s.max_reference : s.max_error;
      a.mean_relative_error = s.reference > 0 ? s.error / s.reference : s.error;
      a.rows = s.rows;
      if (s.rows > 0) a.top1_agreement = static_cast<double>(s.agree) / static_cast<double>(s.rows);
      out.push_back(a);
    }
    return out;
  }

 private:
  struct Sums {
    double max_error = 0, max_reference = 0, error = 0, reference = 0;
    std::int64_t agree = 0, rows = 0;
  };
  std::map<std::string, Sums> sums_;
};

}  // namespace kiln::quantization
