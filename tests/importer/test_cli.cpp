// The `kiln` command-line tool: `show` reads like saved_model_cli, `run` writes TensorFlow's
// answers as .npy files, and inputs are data files only (BAD_INPUTS.md case 23).
#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "../support.hpp"
#include "cli_capture.hpp"

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

namespace fs = std::filesystem;
using namespace kiln;

namespace {

const fs::path kFixtures = fs::path(KILN_SOURCE_DIR) / "tests" / "fixtures";
const fs::path kCorpus = fs::path(KILN_CORPUS_DIR);

std::string show(std::vector<std::string> words) {
  return test::capture_cli("show", std::move(words));
}
std::string run(std::vector<std::string> words) {
  return test::capture_cli("run", std::move(words));
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
  // The multi-output Keras model: inputs my_input_1, my_input_2 [?,5], outputs my_outputs_1,
  // my_outputs_2 [?,1] (what saved_model_cli shows for tests/fixtures/corpus_models).
  const nlohmann::json shown =
      nlohmann::json::parse(show({(kCorpus / "keras_multi_io_tf23").string(), "--json"}));
  CHECK(shown.at("tags") == nlohmann::json::array({"serve"}));
  const nlohmann::json& signature = shown.at("signatures").at("serving_default");
  CHECK(signature.at("method_name") == "tensorflow/serving/predict");
  const nlohmann::json& input = signature.at("inputs").at("my_input_2");
  CHECK(input.at("dtype") == "float32");
  CHECK(input.at("shape") == nlohmann::json::array({-1, 5}));
  CHECK(input.at("name") == "serving_default_my_input_2:0");
  const nlohmann::json& output = signature.at("outputs").at("my_outputs_2");
  CHECK(output.at("shape") == nlohmann::json::array({-1, 1}));
  CHECK(output.at("name") == "StatefulPartitionedCall:1");
  CHECK(signature.at("inputs").size() == 2);
  CHECK(signature.at("outputs").size() == 2);

  const nlohmann::json frozen = nlohmann::json::parse(
      show({(kCorpus / "frozen" / "mlp_tf2_frozen.pb").string(), "--json"}));
  CHECK(frozen.at("sinks") == nlohmann::json::array({"Identity"}));
  REQUIRE(frozen.at("placeholders").contains("x"));
  CHECK(frozen.at("placeholders").at("x").at("shape") == nlohmann::json::array({-1, 5}));
}

TEST_CASE("kiln show --ops lists every op a signature reaches, supported or not") {
  // The digits CNN (tests/fixtures/README.md): two convolutions, two dense layers, 12 variables.
  const nlohmann::json digits = nlohmann::json::parse(
      show({(kFixtures / "models" / "digits_cnn" / "saved_model").string(), "--ops",
            "--json"}));
  CHECK(digits.at("missing_op_types") == 0);
  std::map<std::string, nlohmann::json> rows;
  for (const nlohmann::json& row : digits.at("ops")) rows[row.at("op")] = row;
  CHECK(rows.at("Conv2D").at("nodes") == 2);
  CHECK(rows.at("MatMul").at("nodes") == 2);
  CHECK(rows.at("VarHandleOp").at("status") == "becomes Const");
  CHECK(rows.at("Conv2D").at("backends").at("reference") == "kernel");
  // The TF1 half_plus_two's regression signature parses tf.Example strings: ParseExample is
  // missing, and the listing says so instead of stopping at it.
  const std::string text = show({(kCorpus / "half_plus_two_tf1").string(), "--ops",
                                 "--signature_def", "regress_x_to_y"});
  CHECK(has(text, "ParseExample"));
  CHECK(has(text, "1 op type missing (1 node)"));
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
  test::require_usage_error({"show", model, "--bogus-flag"}, {"--bogus-flag"});
}

}  // namespace KILN_TEST_FILE
