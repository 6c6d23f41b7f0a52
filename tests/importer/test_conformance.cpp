// Conformance: every fixture and every corpus model, imported by Kiln and run eagerly on the
// reference kernels, gives TensorFlow's outputs (stored by tests/fixtures/make_fixtures.py).
// Tolerance for float32: |kiln - tf| <= 1e-5 + 1e-5 * |tf|.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include <kiln/eager.hpp>
#include <kiln/model.hpp>
#include <kiln/npy.hpp>

#include "../support.hpp"

namespace fs = std::filesystem;
using namespace kiln;

namespace {

const fs::path kFixtures = fs::path(KILN_SOURCE_DIR) / "tests" / "fixtures";
const fs::path kCorpus = fs::path(KILN_CORPUS_DIR);

// Every <key>.npy in `dir`, by key. Frozen-graph files write '/' in node names as "__".
NamedTensors read_npy_dir(const fs::path& dir, bool node_names = false) {
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

void check_outputs(const NamedTensors& actual, const NamedTensors& expected) {
  REQUIRE(actual.size() == expected.size());
  for (const auto& [key, want] : expected) {
    INFO("output " << key);
    REQUIRE(actual.count(key));
    test::check_close(actual.at(key), want, 1e-5, 1e-5);
  }
}

// Runs one signature of a SavedModel on the stored inputs and compares with TensorFlow.
void check_signature(const fs::path& model_dir, const std::string& key, const fs::path& data,
                     const LoadOptions& options = {}) {
  INFO("model " << model_dir.string() << ", signature " << key);
  Model model = load_saved_model(model_dir.string(), options);
  Graph graph = model.graph(key);
  check_outputs(run_eager(graph, read_npy_dir(data / "inputs")), read_npy_dir(data / "outputs"));
}

void check_frozen(const fs::path& pb, const fs::path& data) {
  INFO("frozen graph " << pb.string());
  Model model = load_graphdef(pb.string());
  const NamedTensors expected = read_npy_dir(data / "outputs", true);
  std::vector<std::string> outputs;
  for (const auto& [name, tensor] : expected) outputs.push_back(name);
  Graph graph = model.graph_for_tensors(outputs);
  check_outputs(run_eager(graph, read_npy_dir(data / "inputs", true)), expected);
}

std::string first_line(const fs::path& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  return line;
}

}  // namespace

TEST_CASE("fixture models match TensorFlow", "[conformance]") {
  for (const fs::directory_entry& e : fs::directory_iterator(kFixtures / "models")) {
    const fs::path dir = e.path();
    SECTION(dir.filename().string()) {
      if (fs::exists(dir / "model.pb")) {
        check_frozen(dir / "model.pb", dir);
      } else {
        check_signature(dir / "saved_model", first_line(dir / "signature_def.txt"), dir);
      }
    }
  }
}

TEST_CASE("corpus SavedModels match TensorFlow", "[conformance]") {
  for (const fs::directory_entry& model : fs::directory_iterator(kFixtures / "corpus")) {
    if (!model.is_directory() || model.path().filename() == "frozen") continue;
    for (const fs::directory_entry& sig : fs::directory_iterator(model.path())) {
      SECTION(model.path().filename().string() + "/" + sig.path().filename().string()) {
        check_signature(kCorpus / model.path().filename(), sig.path().filename().string(), sig.path());
      }
    }
  }
}

TEST_CASE("corpus frozen graphs match TensorFlow", "[conformance]") {
  for (const fs::directory_entry& e : fs::directory_iterator(kFixtures / "corpus" / "frozen")) {
    SECTION(e.path().filename().string()) {
      check_frozen(kCorpus / "frozen" / (e.path().filename().string() + ".pb"), e.path());
    }
  }
}

TEST_CASE("half_plus_two computes 0.5 x + 2 exactly", "[conformance]") {
  // Values whose halves are exact in binary, so 0.5x + 2 has one right answer.
  const std::vector<float> xs = {-3.0f, 0.25f, 1024.5f};
  const std::vector<float> ys = {0.5f, 2.125f, 514.25f};

  Graph tf1 = load_saved_model((kCorpus / "half_plus_two_tf1").string()).graph("serving_default");
  NamedTensors out = run_eager(tf1, {{"x", Tensor::from_vector<float>({3, 1}, xs)}});
  test::check_equal(out.at("y"), Tensor::from_vector<float>({3, 1}, ys));

  // The TF2 export declares its input as shape [1] (a PlaceholderWithDefault).
  Graph tf2 = load_saved_model((kCorpus / "half_plus_two_tf2").string()).graph("serving_default");
  for (std::size_t i = 0; i < xs.size(); ++i) {
    NamedTensors y = run_eager(tf2, {{"x", Tensor::from<float>({1}, {xs[i]})}});
    test::check_equal(y.at("y"), Tensor::from<float>({1}, {ys[i]}));
  }
}
