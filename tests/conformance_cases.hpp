// The conformance cases: every model TensorFlow's outputs were stored for
// (tests/fixtures/make_fixtures.py), as a graph to run, the inputs TensorFlow was given and what it
// answered. The reference, cpu and command-line suites all check the same cases this way.
//
//   tests/fixtures/models/<name>/          a fixture: saved_model/ (first line of
//                                          signature_def.txt names the signature) or model.pb
//   tests/fixtures/control_flow/<name>/    the same, for models with loops and conditionals
//   tests/fixtures/corpus/<model>/<sig>/   one signature of tests/fixtures/corpus_models/<model>
//   tests/fixtures/corpus/frozen/<name>/   the frozen graph corpus_models/frozen/<name>.pb
//
// Programs that include this define KILN_SOURCE_DIR and KILN_CORPUS_DIR.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <kiln/eager.hpp>
#include <kiln/model.hpp>
#include <kiln/npy.hpp>

namespace kiln::test {

namespace fs = std::filesystem;

inline const fs::path kFixtures = fs::path(KILN_SOURCE_DIR) / "tests" / "fixtures";
inline const fs::path kCorpus = fs::path(KILN_CORPUS_DIR);

// Every <key>.npy in `dir`, by key. Frozen-graph files write '/' in node names as "__".
inline NamedTensors read_npy_dir(const fs::path& dir, bool node_names = false) {
  NamedTensors tensors;
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".npy") continue;
    std::string key = e.path().stem().string();
    if (node_names) {
      for (std::size_t at; (at = key.find("__")) != std::string::npos;) key.replace(at, 2, "/");
    }
    tensors[key] = load_npy(e.path().string());
  }
  return tensors;
}

inline std::string first_line(const fs::path& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  return line;
}

struct ConformanceCase {
  std::string label;  // for SECTION names: "digits_cnn", "half_plus_two_tf2/serving_default"
  fs::path model;     // the SavedModel folder or the frozen .pb
  std::string signature;  // empty for a frozen graph
  fs::path data;          // holds inputs/ and outputs/

  bool frozen() const { return signature.empty(); }
  NamedTensors inputs() const { return read_npy_dir(data / "inputs", frozen()); }
  NamedTensors expected() const { return read_npy_dir(data / "outputs", frozen()); }

  // The imported graph: the signature's, or the frozen graph cut at the stored outputs.
  Graph graph(const LoadOptions& options = {}) const {
    if (!frozen()) return load_saved_model(model.string(), options).graph(signature);
    std::vector<std::string> outputs;
    for (const auto& [name, tensor] : expected()) outputs.push_back(name);
    return load_graphdef(model.string(), options).graph_for_tensors(outputs);
  }
};

// Directory listings come in no particular order: cases are sorted so runs are repeatable.
inline std::vector<fs::path> sorted_entries(const fs::path& dir) {
  std::vector<fs::path> entries;
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) entries.push_back(e.path());
  std::sort(entries.begin(), entries.end());
  return entries;
}

// The fixture models, then the control-flow fixtures (labelled "control_flow/<name>").
inline std::vector<ConformanceCase> fixture_cases() {
  std::vector<ConformanceCase> cases;
  for (const char* folder : {"models", "control_flow"}) {
    const std::string prefix = folder == std::string("models") ? "" : std::string(folder) + "/";
    for (const fs::path& dir : sorted_entries(kFixtures / folder)) {
      if (!fs::is_directory(dir)) continue;
      const std::string name = prefix + dir.filename().string();
      if (fs::exists(dir / "model.pb")) {
        cases.push_back({name, dir / "model.pb", "", dir});
      } else {
        cases.push_back({name, dir / "saved_model", first_line(dir / "signature_def.txt"), dir});
      }
    }
  }
  return cases;
}

// Every stored signature of the corpus's SavedModels.
inline std::vector<ConformanceCase> corpus_saved_model_cases() {
  std::vector<ConformanceCase> cases;
  for (const fs::path& model : sorted_entries(kFixtures / "corpus")) {
    if (!fs::is_directory(model) || model.filename() == "frozen") continue;
    for (const fs::path& sig : sorted_entries(model)) {
      const std::string key = sig.filename().string();
      cases.push_back({model.filename().string() + "/" + key, kCorpus / model.filename(), key, sig});
    }
  }
  return cases;
}

inline std::vector<ConformanceCase> corpus_frozen_cases() {
  std::vector<ConformanceCase> cases;
  for (const fs::path& data : sorted_entries(kFixtures / "corpus" / "frozen")) {
    const std::string name = data.filename().string();
    cases.push_back({"frozen/" + name, kCorpus / "frozen" / (name + ".pb"), "", data});
  }
  return cases;
}

}  // namespace kiln::test
