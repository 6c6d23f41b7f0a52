// `kiln quantize`: post-training int8 quantization from a folder of calibration inputs, saved as a
// SavedModel that `kiln run` and `kiln bench` (and kiln::load_saved_model) take as it is.
//
// The calibration folder holds one .npy file per signature input, named after the input's key
// (`image.npy` for an input `image`), with the samples along dimension 0: the layout of the
// fixtures' inputs/ folders. Every input has the same number of samples; they run in batches of
// --batch. The accuracy report compares the int8 model with the float32 one on the same samples.
#pragma once

#include <cstring>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <set>

#include <kiln/npy.hpp>
#include <kiln/quantize.hpp>
#include <kiln/saved_model_writer.hpp>

#include "accuracy_table.hpp"
#include "model_graph.hpp"

namespace kiln::cli {

struct QuantizeFlags {
  ModelFlags model;
  std::string calibration;  // a folder of <input>.npy
  std::string output;       // the SavedModel folder to write
  std::string method = "minmax";
  double percentile = 99.99;
  int batch = 16;
  std::string backend = backend_name(default_backend());
  int threads = 0;
};

inline CLI::App* add_quantize_command(CLI::App& kiln, QuantizeFlags& flags) {
  CLI::App* q = kiln.add_subcommand(
      "quantize", "int8 post-training quantization, calibrated on .npy inputs, saved as a SavedModel");
  add_model_flags(*q, flags.model, "signature to quantize (default serving_default)");
  q->add_option("--calibration", flags.calibration,
                "folder with one .npy per signature input (<input>.npy), samples along dim 0")
      ->type_name("DIR")
      ->required();
  q->add_option("-o,--output", flags.output, "the SavedModel folder to write")->type_name("OUT")->required();
  q->add_option("--method", flags.method, "activation ranges: minmax or percentile")
      ->type_name("M")
      ->check(CLI::IsMember({"minmax", "percentile"}))
      ->capture_default_str();
  q->add_option("--percentile", flags.percentile, "for --method percentile: the share of magnitudes kept, in %")
      ->type_name("P")
      ->check(CLI::Range(50.0, 100.0).description(""))
      ->capture_default_str();
  q->add_option("--batch", flags.batch, "calibration samples per run")
      ->type_name("N")
      ->check(in_range(1, 65536))
      ->capture_default_str();
  add_backend_flag(*q, flags.backend);
  add_threads_flag(*q, flags.threads);
  q->footer("Convolutions and matrix products with constant weights run in int8 (per-channel\n"
            "symmetric weights, int32 sums); the rest stays float32. The report compares the int8\n"
            "outputs with float32's on the calibration samples.");
  return q;
}

// Rows [begin, end) of a tensor along dimension 0, as a tensor of its own.
inline Tensor rows_of(const Tensor& t, std::int64_t begin, std::int64_t end) {
  std::vector<std::int64_t> dims = t.shape().dims();
  const std::int64_t row_bytes = t.dim(0) > 0 ? static_cast<std::int64_t>(t.byte_size()) / t.dim(0) : 0;
  dims[0] = end - begin;
  Tensor out(t.dtype(), Shape(dims));
  std::memcpy(out.raw(), static_cast<const char*>(t.raw()) + begin * row_bytes,
              static_cast<std::size_t>((end - begin) * row_bytes));
  return out;
}

// The calibration folder as batches: one .npy per graph input, each with the same sample count.
inline Calibration read_calibration(const std::string& dir, const Graph& graph, int batch) {
  namespace fs = std::filesystem;
  if (!fs::is_directory(dir)) {
    throw Error(Errc::invalid_argument, "--calibration must be a folder of .npy files").file(dir);
  }
  std::set<std::string> keys;
  for (const Graph::Port& p : graph.inputs()) keys.insert(p.name);
  for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
    const fs::path& file = entry.path();
    if (file.extension() == ".npy" && !keys.count(file.stem().string())) {
      std::string names;
      for (const std::string& k : keys) names += (names.empty() ? "" : ", ") + k + ".npy";
      throw Error(Errc::invalid_argument, "a calibration file names no input of the signature")
          .file(file.string())
          .expected(names);
    }
  }
  NamedTensors samples;
  std::int64_t count = -1;
  std::string first;
  for (const std::string& key : keys) {
    const fs::path file = fs::path(dir) / (key + ".npy");
    if (!fs::exists(file)) {
      throw Error(Errc::not_found, "no calibration file for a signature input").input(key).file(file.string());
    }
    Tensor t = load_npy(file.string());
    if (t.rank() == 0 || t.dim(0) == 0) {
      throw Error(Errc::invalid_argument, "a calibration file needs samples along dimension 0")
          .file(file.string())
          .found(t.shape().str());
    }
    if (count >= 0 && t.dim(0) != count) {
      throw Error(Errc::shape_mismatch, "calibration files hold different numbers of samples")
          .file(file.string())
          .expected(std::to_string(count) + " samples, as " + first + " has")
          .found(std::to_string(t.dim(0)));
    }
    count = t.dim(0);
    first = key + ".npy";
    samples[key] = std::move(t);
  }
  Calibration batches;
  for (std::int64_t begin = 0; begin < count; begin += batch) {
    const std::int64_t end = std::min<std::int64_t>(count, begin + batch);
    NamedTensors feeds;
    for (const auto& [key, t] : samples) feeds[key] = rows_of(t, begin, end);
    batches.push_back(std::move(feeds));
  }
  return batches;
}

inline int quantize_command(const QuantizeFlags& flags) {
  const Backend backend = chosen_backend(flags.backend);
  Graph graph = graph_from_flags(flags.model);
  const Calibration batches = read_calibration(flags.calibration, graph, flags.batch);
  std::int64_t samples = 0;
  for (const NamedTensors& b : batches) samples += b.begin()->second.dim(0);

  const QuantizeOptions options = QuantizeOptions()
                                      .method(quantization::method_from_name(flags.method))
                                      .percentile(flags.percentile)
                                      .backend(backend)
                                      .threads(flags.threads);
  const QuantizedModel q = quantize(graph, batches, options);

  int int8_outputs = 0;
  for (const quantization::QuantizedNodeRecord& r : q.report.quantized) int8_outputs += r.output != DType::float32;
  std::cout << "calibrated on " << samples << " samples (" << batches.size() << " batches, " << flags.method;
  if (flags.method == "percentile") std::cout << " " << flags.percentile << "%";
  std::cout << ")\n"
            << "int8: " << q.report.quantized.size() << " convolutions and products, " << int8_outputs
            << " of them handing int8 to the next, " << q.report.quantize_nodes
            << " quantize steps from float32\n";
  for (const auto& [name, why] : q.report.kept_float) std::cout << "  float32: " << name << " (" << why << ")\n";

  print_accuracy(compare_with_float(graph, q.graph, batches, Options().backend(backend).threads(flags.threads)),
                 "on the " + std::to_string(samples) + " calibration samples");
  save_saved_model(flags.output, q.graph);
  std::cout << "wrote " << (std::filesystem::path(flags.output) / "saved_model.pb").string() << "\n";
  return 0;
}

}  // namespace kiln::cli
