// Post-training int8 quantization: a float32 model, a few batches of typical inputs, and out
// comes a graph whose convolutions and matrix products run in int8.
//
//   kiln::Model model = kiln::load_saved_model("mobilenet_v2/");
//   std::vector<kiln::NamedTensors> calibration = {{{"input_1", kiln::load_npy("batch0.npy")}}};
//   kiln::QuantizedModel q = kiln::quantize(model, calibration);
//   kiln::save_saved_model("mobilenet_v2_int8/", q.graph);     // <kiln/saved_model_writer.hpp>
//   auto net = kiln::compile(q.graph);                          // or load the saved one
//
// Steps: the signature's graph goes through O2 (so BatchNorms are folded and epilogues fused:
// the int8 ops take them along); the optimized float32 graph runs on every calibration batch with
// the input of each convolution and product as an extra output, and a RangeObserver per value
// records its range; the rewrite (quantize/rewrite.hpp) then puts the int8 ops in place. The
// result is an ordinary graph: compile() runs it on any backend, and saved, it reloads with its
// scales, without calibrating again.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "quantize/accuracy.hpp"
#include "quantize/ranges.hpp"
#include "quantize/rewrite.hpp"
#include "session.hpp"

namespace kiln {

using quantization::CalibrationMethod;

class QuantizeOptions {
 public:
  QuantizeOptions& method(CalibrationMethod m) {
    method_ = m;
    return *this;
  }
  // For CalibrationMethod::percentile: the share of magnitudes, in percent, the range keeps.
  QuantizeOptions& percentile(double p) {
    if (!(p > 0 && p <= 100)) {
      throw Error(Errc::invalid_argument, "the calibration percentile must be in (0, 100]").found(std::to_string(p));
    }
    percentile_ = p;
    return *this;
  }
  QuantizeOptions& signature(std::string key) {
    signature_ = std::move(key);
    return *this;
  }
  // Where the calibration runs (the float32 model): the default backend, and its threads.
  QuantizeOptions& backend(Backend b) {
    backend_ = b;
    return *this;
  }
  QuantizeOptions& threads(int n) {
    threads_ = n;
    return *this;
  }

  CalibrationMethod method() const { return method_; }
  double percentile() const { return percentile_; }
  const std::string& signature() const { return signature_; }
  Options compile_options() const {
    Options o;
    if (backend_) o.backend(*backend_);
    return o.threads(threads_);
  }

 private:
  CalibrationMethod method_ = CalibrationMethod::minmax;
  double percentile_ = 99.99;
  std::string signature_ = "serving_default";
  std::optional<Backend> backend_;
  int threads_ = 0;
};

// One calibration batch per entry, each feeding every input of the signature.
using Calibration = std::vector<NamedTensors>;

struct QuantizedModel {
  Graph graph;                           // ports named as the signature's
  quantization::RewriteReport report;
  std::size_t calibration_batches = 0;
};

// The graph quantize() starts from: the signature's graph after O2.
inline Graph float_graph_for_quantization(Graph imported) {
  opt::infer_types_with_values(imported);
  opt::PassManager(opt::o2()).run(imported);
  return imported;
}

inline QuantizedModel quantize(Graph imported, const Calibration& calibration,
                               const QuantizeOptions& options = {}) {
  if (calibration.empty()) {
    throw Error(Errc::invalid_argument, "quantizing needs at least one calibration batch");
  }
  Graph graph = float_graph_for_quantization(std::move(imported));

  // The float32 graph with the input of every quantizable op as an extra output.
  std::vector<Value> observed;
  for (NodeId id : quantization::quantizable_nodes(graph)) {
    const Value v = graph.node(id).inputs[0];
    if (std::find(observed.begin(), observed.end(), v) == observed.end()) observed.push_back(v);
  }
  Graph probe = graph;
  const std::string prefix = "kiln_calibration/";
  for (std::size_t i = 0; i < observed.size(); ++i) {
    probe.outputs().push_back({prefix + std::to_string(i), observed[i]});
  }
  // Already optimized: compiled as it is, so the extra outputs are exactly these values.
  const CompiledModel net = compile(std::move(probe), options.compile_options().level(OptLevel::O0));

  std::vector<quantization::RangeObserver> ranges(observed.size());
  for (const NamedTensors& batch : calibration) {
    const NamedTensors out = net.run(batch);
    for (std::size_t i = 0; i < observed.size(); ++i) ranges[i].observe(out.at(prefix + std::to_string(i)));
  }
  std::map<Value, quantization::ValueQuantization> quantizations;
  for (std::size_t i = 0; i < observed.size(); ++i) {
    const float magnitude = ranges[i].magnitude(options.method(), options.percentile());
    quantizations[observed[i]] = quantization::value_quantization(magnitude, ranges[i].non_negative());
  }
  QuantizedModel result;
  result.report = quantization::quantize_graph(graph, quantizations);
  result.graph = std::move(graph);
  result.calibration_batches = calibration.size();
  return result;
}

inline QuantizedModel quantize(const Model& model, const Calibration& calibration,
                               const QuantizeOptions& options = {}) {
  return quantize(model.graph(options.signature()), calibration, options);
}

// The quantized graph against the float32 one on the same batches (accuracy.hpp says how).
inline std::vector<quantization::OutputAccuracy> compare_with_float(const Graph& float_graph,
                                                                    const Graph& quantized,
                                                                    const Calibration& batches,
                                                                    const Options& options = {}) {
  const CompiledModel f = compile(float_graph, options);
  const CompiledModel q = compile(quantized, options);
  quantization::AccuracyMeter meter;
  for (const NamedTensors& batch : batches) meter.add(f.run(batch), q.run(batch));
  return meter.report();
}

}  // namespace kiln
