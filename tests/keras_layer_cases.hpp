// The Keras layer fixtures: one small model per Keras layer family, exported by
// `model.export` and by `tf.saved_model.save`, with the inputs TensorFlow was fed and what it
// answered (tests/fixtures/layers/, made by tests/fixtures/make_layer_fixtures.py).
//
// layers/MANIFEST.txt has one line per fixture folder:
//
//   conv2d_export signature=serving_default inputs=x outputs=dilated,grouped atol=0.0001 rtol=0.0001
//
// and a fixture passes iff every output is within |kiln - tf| <= atol + rtol * |tf| everywhere.
// The tests walk the manifest, so a new family needs no edit here.
//
// Programs that include this define KILN_SOURCE_DIR.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <kiln/npy.hpp>
#include <kiln/savedmodel.hpp>
#include <kiln/session.hpp>

#include "conformance_cases.hpp"

namespace kiln::test {

inline const fs::path kLayerFixtures = fs::path(KILN_SOURCE_DIR) / "tests" / "fixtures" / "layers";

struct LayerFixture {
  std::string name;  // the folder: <family>_export or <family>_tfsave
  std::string signature;
  std::vector<std::string> inputs, outputs;  // sorted keys, as the manifest lists them
  double atol = 0, rtol = 0;

  fs::path dir() const { return kLayerFixtures / name; }
};

namespace layer_detail {

inline std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, ',');) {
    if (!part.empty()) parts.push_back(part);
  }
  return parts;
}

// One manifest line; a malformed line is the generator's bug, reported with the line.
inline LayerFixture parse_line(const std::string& line) {
  std::istringstream in(line);
  LayerFixture f;
  in >> f.name;
  bool has_atol = false, has_rtol = false;
  for (std::string field; in >> field;) {
    const std::size_t eq = field.find('=');
    if (eq == std::string::npos) {
      throw Error(Errc::invalid_argument, "manifest field is not key=value").found(line);
    }
    const std::string key = field.substr(0, eq), value = field.substr(eq + 1);
    if (key == "signature") {
      f.signature = value;
    } else if (key == "inputs") {
      f.inputs = split_list(value);
    } else if (key == "outputs") {
      f.outputs = split_list(value);
    } else if (key == "atol") {
      f.atol = std::stod(value);
      has_atol = true;
    } else if (key == "rtol") {
      f.rtol = std::stod(value);
      has_rtol = true;
    } else {
      throw Error(Errc::invalid_argument, "unknown manifest field").found(line);
    }
  }
  if (f.signature.empty() || f.inputs.empty() || f.outputs.empty() || !has_atol || !has_rtol) {
    throw Error(Errc::invalid_argument, "manifest line lacks a field")
        .expected("NAME signature= inputs= outputs= atol= rtol=")
        .found(line);
  }
  return f;
}

}  // namespace layer_detail

// Every fixture the manifest lists, in its order (sorted by name).
inline std::vector<LayerFixture> layer_fixtures() {
  std::ifstream in(kLayerFixtures / "MANIFEST.txt");
  if (!in) throw Error(Errc::io_error, "cannot read the layer manifest").file("layers/MANIFEST.txt");
  std::vector<LayerFixture> fixtures;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    fixtures.push_back(layer_detail::parse_line(line));
  }
  return fixtures;
}

inline std::vector<std::string> sorted_keys(const NamedTensors& tensors) {
  std::vector<std::string> keys;
  for (const auto& [key, tensor] : tensors) keys.push_back(key);
  std::sort(keys.begin(), keys.end());
  return keys;
}

// Empty when `actual` is within atol + rtol * |expected| everywhere; otherwise what is wrong: the
// dtype or shape, or how many elements are out and the worst of them. One message per output,
// not one line per element: a wrong layer is usually wrong everywhere.
inline std::string tolerance_failure(const Tensor& actual, const Tensor& expected, double atol,
                                     double rtol) {
  if (actual.dtype() != expected.dtype()) {
    return std::string("dtype ") + dtype_name(actual.dtype()) + ", TensorFlow's " +
           dtype_name(expected.dtype());
  }
  if (actual.shape() != expected.shape()) {
    return "shape " + actual.shape().str() + ", TensorFlow's " + expected.shape().str();
  }
  std::int64_t bad = 0, worst_at = -1;
  double worst = 0;  // |a - e| / (atol + rtol |e|); NaN against a number counts as infinite
  for (std::int64_t i = 0; i < expected.num_elements(); ++i) {
    const double a = actual.element_as_double(i), e = expected.element_as_double(i);
    double ratio;
    if (std::isnan(e) || std::isnan(a)) {
      ratio = std::isnan(e) && std::isnan(a) ? 0 : HUGE_VAL;
    } else if (std::isinf(e) || std::isinf(a)) {
      ratio = a == e ? 0 : HUGE_VAL;
    } else {
      ratio = std::fabs(a - e) / (atol + rtol * std::fabs(e));
    }
    if (ratio > 1) ++bad;
    if (ratio > worst) {
      worst = ratio;
      worst_at = i;
    }
  }
  if (bad == 0) return "";
  std::ostringstream text;
  text << bad << " of " << expected.num_elements() << " elements out of tolerance; worst at flat "
       << "index " << worst_at << ": kiln " << actual.element_as_double(worst_at) << ", tf "
       << expected.element_as_double(worst_at) << " (" << worst << " times the tolerance)";
  return text.str();
}

// The layer families Kiln cannot run yet, each with the op that stops it. Their fixtures must
// stop on exactly that op, so the day the op arrives this test fails until its line goes.
inline const std::map<std::string, std::string> kLayerGaps = {
    // none: the last one, StatelessIf (Resizing with pad_to_aspect_ratio), runs now
};

// The op a fixture's family is known to stop on, or "" (the fixture must match TensorFlow).
inline std::string layer_gap(const LayerFixture& f) {
  const std::string family = f.name.substr(0, f.name.rfind('_'));  // drop _export / _tfsave
  auto gap = kLayerGaps.find(family);
  return gap == kLayerGaps.end() ? "" : gap->second;
}

// Imports the fixture, compiles it at `level` on `backend` and compares every output.
inline void check_layer_fixture(const LayerFixture& f, Backend backend, OptLevel level) {
  const NamedTensors inputs = read_npy_dir(f.dir() / "inputs");
  const NamedTensors expected = read_npy_dir(f.dir() / "outputs");
  // The manifest and the folder agree, so the manifest's keys say what the test checks.
  REQUIRE(sorted_keys(inputs) == f.inputs);
  REQUIRE(sorted_keys(expected) == f.outputs);

  const Model model = load_saved_model((f.dir() / "saved_model").string());
  if (const std::string missing = layer_gap(f); !missing.empty()) {
    CHECK_THROWS_WITH(compile(model.graph(f.signature), Options().backend(backend).level(level)),
                      Catch::Contains("unsupported") && Catch::Contains(missing));
    return;
  }
  const Graph graph = model.graph(f.signature);
  const CompiledModel net = compile(graph, Options().backend(backend).level(level).threads(2));
  const NamedTensors actual = net.run(inputs);
  REQUIRE(sorted_keys(actual) == f.outputs);
  for (const std::string& key : f.outputs) {
    INFO(f.name << " output " << key << " (" << backend_name(backend) << ", "
                << opt_level_name(level) << ")");
    CHECK(tolerance_failure(actual.at(key), expected.at(key), f.atol, f.rtol) == "");
  }
}

// Every folder under layers/ that the manifest does not list (a stale or forgotten fixture).
inline std::vector<std::string> unlisted_layer_folders(const std::vector<LayerFixture>& fixtures) {
  std::vector<std::string> unlisted;
  for (const fs::path& dir : sorted_entries(kLayerFixtures)) {
    if (!fs::is_directory(dir)) continue;
    const std::string name = dir.filename().string();
    const bool listed = std::any_of(fixtures.begin(), fixtures.end(),
                                    [&](const LayerFixture& f) { return f.name == name; });
    if (!listed) unlisted.push_back(name);
  }
  return unlisted;
}

}  // namespace kiln::test
