// The accuracy table `kiln quantize`, `kiln bench --precision bf16` and `kiln run --precision
// bf16` print: per output, how far the model's outputs are from the float32 model's on the same
// inputs (quantization::AccuracyMeter says how each column is computed).
#pragma once

#include <iomanip>
#include <iostream>
#include <string>
#include <vector>

#include <kiln/quantize/accuracy.hpp>
#include <kiln/session.hpp>

namespace kiln::cli {

// `on_what`: "on the 360 calibration samples", "on these inputs".
inline void print_accuracy(const std::vector<quantization::OutputAccuracy>& accuracy,
                           const std::string& on_what) {
  std::cout << "accuracy against float32 " << on_what << ":\n"
            << "  output                    max rel. error  mean rel. error  top-1 agreement\n";
  for (const quantization::OutputAccuracy& a : accuracy) {
    std::cout << "  " << std::left << std::setw(26) << a.name << std::right << std::setw(14)
              << std::setprecision(4) << a.max_relative_error << std::setw(17)
              << a.mean_relative_error;
    if (a.top1_agreement) {
      std::cout << std::setw(16) << std::fixed << std::setprecision(4) << *a.top1_agreement
                << std::defaultfloat << " (" << a.rows << " rows)";
    } else {
      std::cout << std::setw(16) << "-";
    }
    std::cout << "\n";
  }
}

// `tested`'s outputs on `feeds` against a float32 compile of `graph` (the same model).
inline std::vector<quantization::OutputAccuracy> accuracy_against_f32(
    Graph graph, const NamedTensors& feeds, const NamedTensors& tested, Options options) {
  const CompiledModel reference = compile(std::move(graph), options.precision(Precision::f32));
  quantization::AccuracyMeter meter;
  meter.add(reference.run(feeds), tested);
  return meter.report();
}

}  // namespace kiln::cli
