// Every fixture model (and the shared corpus), compiled at O2 on the cpu backend, gives
// TensorFlow's stored outputs (tests/fixtures/make_fixtures.py).
//
// Tolerance |kiln - tf| <= 1e-4 + 1e-4 * |tf|, ten times the reference interpreter's: oneDNN
// sums convolutions and matrix products in another order (blocked, vectorized, split across
// threads), fusion folds BatchNorm into the weights, and oneDNN's exp/tanh/erf are its own
// polynomial approximations. All of these move results by float32 roundings, not more.
#include <filesystem>
#include <fstream>
#include <kiln/model.hpp>
#include <kiln/npy.hpp>
#include <kiln/session.hpp>

#include "cpu_support.hpp"

namespace fs = std::filesystem;
using namespace kiln;

namespace {

const fs::path kFixtures = fs::path(KILN_SOURCE_DIR) / "tests" / "fixtures";
const fs::path kCorpus = fs::path(KILN_CORPUS_DIR);
constexpr double kTolerance = 1e-4;

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

std::string first_line(const fs::path& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  return line;
}

void check_compiled(const Graph& graph, const NamedTensors& inputs, const NamedTensors& expected) {
  const CompiledModel net =
      compile(graph, Options().backend(Backend::cpu).level(OptLevel::O2).threads(2));
  const NamedTensors actual = net.run(inputs);
  InputShapes shapes;
  for (const auto& [name, tensor] : inputs) shapes[name] = tensor.shape();
  INFO(net.plan(shapes)->plan().summary());
  REQUIRE(actual.size() == expected.size());
  for (const auto& [key, want] : expected) {
    INFO("output " << key);
    REQUIRE(actual.count(key));
    test::check_close(actual.at(key), want, kTolerance, kTolerance);
  }
}

}  // namespace

TEST_CASE("fixture models compiled at O2 on cpu match TensorFlow", "[cpu][conformance]") {
  for (const fs::directory_entry& e : fs::directory_iterator(kFixtures / "models")) {
    const fs::path dir = e.path();
    SECTION(dir.filename().string()) {
      if (fs::exists(dir / "model.pb")) {
        const Model model = load_graphdef((dir / "model.pb").string());
        const NamedTensors expected = read_npy_dir(dir / "outputs", true);
        std::vector<std::string> outputs;
        for (const auto& [name, tensor] : expected) outputs.push_back(name);
        check_compiled(model.graph_for_tensors(outputs), read_npy_dir(dir / "inputs", true),
                       expected);
      } else {
        const Model model = load_saved_model((dir / "saved_model").string());
        check_compiled(model.graph(first_line(dir / "signature_def.txt")),
                       read_npy_dir(dir / "inputs"), read_npy_dir(dir / "outputs"));
      }
    }
  }
}

TEST_CASE("the trained digits CNN keeps TensorFlow's accuracy on cpu", "[cpu][conformance]") {
  const fs::path dir = kFixtures / "models" / "digits_cnn";
  const CompiledModel net = compile(load_saved_model((dir / "saved_model").string()),
                                    Options().signature(first_line(dir / "signature_def.txt")));
  const Tensor probs = net.run(read_npy_dir(dir / "inputs")).at("output_0");
  const Tensor labels = load_npy((dir / "test_labels.npy").string());
  int correct = 0;
  for (std::int64_t row = 0; row < probs.dim(0); ++row) {
    const float* p = probs.data<float>() + row * 10;
    correct += std::max_element(p, p + 10) - p == labels.data<std::int64_t>()[row];
  }
  // tf_accuracy.txt: 0.980556, i.e. 353 of 360.
  CHECK(correct == 353);
}

TEST_CASE("corpus SavedModels compiled at O2 on cpu match TensorFlow", "[cpu][conformance]") {
  if (!fs::exists(kCorpus)) return;
  for (const fs::directory_entry& model : fs::directory_iterator(kFixtures / "corpus")) {
    if (!model.is_directory() || model.path().filename() == "frozen") continue;
    for (const fs::directory_entry& sig : fs::directory_iterator(model.path())) {
      SECTION(model.path().filename().string() + "/" + sig.path().filename().string()) {
        const Model m = load_saved_model((kCorpus / model.path().filename()).string());
        check_compiled(m.graph(sig.path().filename().string()), read_npy_dir(sig.path() / "inputs"),
                       read_npy_dir(sig.path() / "outputs"));
      }
    }
  }
}
