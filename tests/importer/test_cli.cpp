// The `kiln` command-line tool: `show` reads like saved_model_cli, `run` writes TensorFlow's
// answers as .npy files, and inputs are data files only (BAD_INPUTS.md case 23).
#include <catch2/catch.hpp>

#include <filesystem>
#include <sstream>

#include "../../examples/kiln/run.hpp"
#include "../../examples/kiln/show.hpp"
#include "../support.hpp"
#include "cli_capture.hpp"

namespace fs = std::filesystem;
using namespace kiln;

namespace {

const fs::path kFixtures = fs::path(KILN_SOURCE_DIR) / "tests" / "fixtures";
const fs::path kCorpus = fs::path(KILN_CORPUS_DIR);

std::string show(std::vector<std::string> words) {
  auto parse = [](int argc, char** argv, int first) {
    return cli::Args(argc, argv, first, {"tag_set", "signature_def"}, {"all", "json"});
  };
  return test::capture_cli(cli::show, parse, std::move(words));
}
std::string run(std::vector<std::string> words) {
  return test::capture_cli(cli::run, cli::run_args, std::move(words));
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("kiln show prints what saved_model_cli prints") {
  const std::string model = (kCorpus / "keras_mlp_tf211").string();
  CHECK(show({model}) == "The given SavedModel contains the following tag-sets:\n'serve'\n");
  CHECK(has(show({model, "--tag_set", "serve"}), "SignatureDef key: \"serving_default\""));
  const std::string all = show({model, "--all"});
  CHECK(has(all, "MetaGraphDef with tag-set: 'serve' contains the following SignatureDefs:"));
  CHECK(has(all, "signature_def['serving_default']:"));
  CHECK(has(all, "dtype: DT_FLOAT"));
  CHECK(has(all, "shape: (-1, 28, 28, 1)"));
  CHECK(has(all, "Method name is: tensorflow/serving/predict"));
  // The TF1 model's tf.Example inputs are listed too, under TensorFlow's dtype name.
  CHECK(has(show({(kCorpus / "half_plus_two_tf1").string(), "--all"}), "dtype: DT_STRING"));
}

TEST_CASE("kiln show --json gives the same facts to scripts") {
  const std::string json = show({(kCorpus / "keras_multi_io_tf23").string(), "--json"});
  CHECK(has(json, "\"signatures\": {\"serving_default\": {"));
  CHECK(has(json, "\"dtype\": \"float32\""));
  CHECK(has(json, "\"name\": \"StatefulPartitionedCall:1\""));
  const std::string frozen = show({(kCorpus / "frozen" / "mlp_tf2_frozen.pb").string(), "--json"});
  CHECK(has(frozen, "\"sinks\": [\"Identity\"]"));
}

TEST_CASE("kiln run writes one .npy per output, matching TensorFlow") {
  const fs::path fixture = kFixtures / "corpus" / "keras_multi_io_tf23" / "serving_default";
  const fs::path outdir = fs::temp_directory_path() / "kiln_cli_run";
  fs::remove_all(outdir);
  std::string inputs;
  for (const fs::directory_entry& e : fs::directory_iterator(fixture / "inputs")) {
    inputs += (inputs.empty() ? "" : ",") + e.path().stem().string() + "=" + e.path().string();
  }
  const std::string printed = run({(kCorpus / "keras_multi_io_tf23").string(), "--inputs", inputs,
                                   "--outdir", outdir.string()});
  CHECK(has(printed, "wrote"));
  for (const fs::directory_entry& e : fs::directory_iterator(fixture / "outputs")) {
    INFO(e.path().filename().string());
    test::check_close(load_npy((outdir / e.path().filename()).string()), load_npy(e.path().string()),
                      1e-5, 1e-5);
  }
}

TEST_CASE("kiln run on a frozen graph fetches its sinks by default") {
  const fs::path fixture = kFixtures / "corpus" / "frozen" / "mlp_tf2_frozen";
  const fs::path outdir = fs::temp_directory_path() / "kiln_cli_frozen";
  fs::remove_all(outdir);
  run({(kCorpus / "frozen" / "mlp_tf2_frozen.pb").string(), "--inputs",
       "x=" + (fixture / "inputs" / "x.npy").string(), "--outdir", outdir.string()});
  test::check_close(load_npy((outdir / "Identity.npy").string()),
                    load_npy((fixture / "outputs" / "Identity.npy").string()), 1e-5, 1e-5);
}

TEST_CASE("case 23: inputs are .npy files, never expressions") {
  const std::string model = (kCorpus / "keras_mlp_tf211").string();
  const std::string outdir = (fs::temp_directory_path() / "kiln_cli_bad").string();
  CHECK_THROWS_AS(run({model, "--inputs", "input_1=np.ones((1,28,28,1))", "--outdir", outdir}), Error);
  CHECK_THROWS_AS(run({model, "--inputs", "input_1=__import__('os').system('true')", "--outdir", outdir}),
                  Error);
  CHECK_THROWS_AS(run({model, "--inputs", "no_equals_sign", "--outdir", outdir}), Error);
  CHECK_THROWS_AS(run({model, "--inputs", "input_1=missing.npy", "--outdir", outdir}), Error);
  CHECK_THROWS_AS(show({model, "--bogus-flag"}), Error);
}
