// `kiln opt` and the optimizing `kiln run`: the optimizer's report on TensorFlow-made fixtures,
// its dumps and files, clear errors for bad flags (also as exit codes of the built tool), and
// optimized runs that still give TensorFlow's answers.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>

#include <kiln/model.hpp>
#include <kiln/session.hpp>

#include "../../examples/kiln/opt.hpp"
#include "../../examples/kiln/run.hpp"
#include "../support.hpp"
#include "cli_capture.hpp"
#include "importer_test_util.hpp"

namespace fs = std::filesystem;
using namespace kiln;

namespace {

const fs::path kModels = fs::path(KILN_SOURCE_DIR) / "tests" / "fixtures" / "models";

std::string model_dir(const std::string& name) {
  return (kModels / name / "saved_model").string();
}

std::string kiln_opt(std::vector<std::string> words) {
  return test::capture_cli(cli::opt, cli::opt_args, std::move(words));
}
std::string kiln_run(std::vector<std::string> words) {
  return test::capture_cli(cli::run, cli::run_args, std::move(words));
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The integer after `"key": ` in `json`, starting the search at `from`.
std::int64_t json_int(const std::string& json, const std::string& key, std::size_t from = 0) {
  const std::string quoted = "\"" + key + "\": ";
  const std::size_t at = json.find(quoted, from);
  REQUIRE(at != std::string::npos);
  return std::stoll(json.substr(at + quoted.size()));
}

// The JSON text of the pass record named `name` (the first one from `from`).
std::string pass_record(const std::string& json, const std::string& name, std::size_t from = 0) {
  const std::size_t at = json.find("{\"name\": \"" + name + "\"", from);
  REQUIRE(at != std::string::npos);
  return json.substr(at, json.find('}', json.find("\"stats\": {", at) + 10) - at);
}

// Nodes by op in a printed graph: lines "  %name = Op(...".
std::map<std::string, int> ops_in_print(const std::string& text) {
  std::map<std::string, int> ops;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("  %", 0) != 0) continue;
    const std::size_t eq = line.find(" = ");
    const std::size_t paren = line.find('(', eq);
    if (eq == std::string::npos || paren == std::string::npos) continue;
    ++ops[line.substr(eq + 3, paren - eq - 3)];
  }
  return ops;
}

std::map<std::string, int> ops_in_graph(const Graph& g) {
  std::map<std::string, int> ops;
  for (const Node& n : g.nodes()) ++ops[n.op];
  return ops;
}

// "--inputs" for a fixture: every file in its inputs/ folder, by its stem.
std::string fixture_inputs(const std::string& name) {
  std::string list;
  for (const fs::directory_entry& e : fs::directory_iterator(kModels / name / "inputs")) {
    list += (list.empty() ? "" : ",") + e.path().stem().string() + "=" + e.path().string();
  }
  return list;
}

// Every output TensorFlow stored for the fixture against the file Kiln wrote, within
// atol + rtol * |tf|.
void check_outputs(const std::string& name, const fs::path& outdir, double tolerance) {
  for (const fs::directory_entry& e : fs::directory_iterator(kModels / name / "outputs")) {
    INFO(name << ": " << e.path().filename().string());
    test::check_close(load_npy((outdir / e.path().filename()).string()),
                      load_npy(e.path().string()), tolerance, tolerance);
  }
}

#if defined(KILN_CLI_PATH)
// Runs the built `kiln` tool; returns its exit code and what it printed (stdout and stderr).
struct Outcome {
  int exit_code = -1;
  std::string output;
};

Outcome run_tool(const std::vector<std::string>& words) {
  auto quoted = [](const std::string& w) {
    std::string q = "'";
    for (char c : w) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
  };
  std::string command = quoted(KILN_CLI_PATH);
  for (const std::string& w : words) command += " " + quoted(w);
  command += " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  Outcome outcome;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) {
    outcome.output.append(buffer, n);
  }
  const int status = pclose(pipe);
  outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return outcome;
}
#endif

}  // namespace

TEST_CASE("kiln opt --json: fold-affine folds every BatchNorm of a Keras CNN, bounded arena") {
  const std::string model = model_dir("conv_bn_relu");
  // Counted on the imported graph, independently of the optimizer.
  int batch_norms = 0;
  const Graph imported = load_saved_model(model).graph("serving_default");
  for (const Node& n : imported.nodes()) {
    batch_norms += n.op.rfind("FusedBatchNorm", 0) == 0;
  }
  REQUIRE(batch_norms == 2);  // the fixture's two BatchNormalization layers (tests/fixtures)

  const std::string json = kiln_opt({model, "--json"});
  // JSON only: one object, from its first byte to its last.
  REQUIRE(json.rfind("{\"passes\": [", 0) == 0);
  CHECK(json.compare(json.size() - 2, 2, "}\n") == 0);
  const std::string fold = pass_record(json, "fold-affine");
  CHECK(json_int(fold, "BatchNorms folded") == batch_norms);
  // The folded weights and biases replace the old ones; the epilogue takes nodes away.
  CHECK(json_int(fold, "nodes_after") <= json_int(fold, "nodes_before"));
  const std::string epilogue = pass_record(json, "fuse-epilogue");
  CHECK(json_int(epilogue, "nodes_after") < json_int(epilogue, "nodes_before"));
  for (const char* pass : {"fold-constants", "simplify", "fold-affine", "fuse-epilogue"}) {
    const std::string record = pass_record(json, pass);
    CHECK(has(record, "\"ms\": "));
    CHECK(has(record, "\"stats\": {"));
  }
  const std::size_t memory = json.find("\"memory\": {");
  REQUIRE(memory != std::string::npos);
  const std::int64_t arena = json_int(json, "arena_bytes", memory);
  const std::int64_t naive = json_int(json, "naive_bytes", memory);
  const std::int64_t bound = json_int(json, "lower_bound_bytes", memory);
  CHECK(arena > 0);
  CHECK(arena <= naive);
  CHECK(arena >= bound);

  // Nothing of a BatchNorm is left after the last pass.
  const std::string dumps = kiln_opt({model, "--print-ir-after-all"});
  const std::string last = dumps.substr(dumps.rfind("IR Dump After simplify"));
  const std::map<std::string, int> ops = ops_in_print(last);
  CHECK(ops.count("FusedBatchNormV3") == 0);
  CHECK(ops.at("_FusedConv2D") == 2);
}

TEST_CASE("kiln opt prints statistics by default, and IR dumps when asked") {
  const std::string model = model_dir("conv_bn_relu");
  const std::string stats = kiln_opt({model});
  // First the pipeline, as compile() runs it at the same level.
  CHECK(stats.rfind("pipeline: " + opt::pipeline_text(opt::o2()) + "\n", 0) == 0);
  CHECK(has(stats, "fold-constants: "));
  CHECK(has(stats, "fold-affine: "));
  CHECK(has(stats, "2 BatchNorms folded"));
  CHECK(has(stats, "total: "));
  CHECK(has(stats, "memory plan for image [1,12,12,3]: arena "));
  CHECK(has(stats, ", lower bound "));
  CHECK(has(stats, ", naive "));
  CHECK(has(kiln_opt({model, "--batch", "4"}), "memory plan for image [4,12,12,3]: arena "));

  const std::string changed = kiln_opt({model, "--print-ir-after-change"});
  CHECK(has(changed, "// -----// IR Dump After fold-affine //----- //"));
  CHECK(has(changed, "_FusedConv2D("));
  CHECK_FALSE(has(changed, "IR Dump After einsum-to-matmul"));  // it changes no node here
  CHECK_FALSE(has(changed, "fold-affine: "));                   // no statistics unless asked

  const std::string o1 = kiln_opt({model, "-O1", "--print-ir-after-all", "--stats"});
  CHECK(has(o1, "IR Dump After fold-constants"));
  CHECK_FALSE(has(o1, "IR Dump After fold-affine"));
  CHECK(o1.rfind("pipeline: fold-constants,simplify\n", 0) == 0);
  // The memory plan is made from the final graph at every level.
  CHECK(has(o1, "memory plan for image [1,12,12,3]: arena "));

  const std::string help = kiln_opt({"--help"});
  CHECK(has(help, "usage: kiln opt"));
  CHECK(has(help, "  fold-affine     fold BatchNorm, bias, scale and zero Pad into"));
  CHECK(has(help, "  fuse            the fusion passes of O2 in order, as one group"));

  const std::string timing = kiln_opt({model, "--passes", "simplify,fuse", "--timing"});
  CHECK(has(timing, "Pass execution timing"));
  CHECK(has(timing, "total"));
}

TEST_CASE("kiln opt --dot-dir writes a DOT file per pass, --memory-plan an SVG") {
  test::TempDir dir;
  const std::string dots = dir / "dots";
  const std::string svg = dir / "plan.svg";
  kiln_opt({model_dir("conv_bn_relu"), "--dot-dir", dots, "--memory-plan", svg});
  std::vector<std::string> files;
  for (const fs::directory_entry& e : fs::directory_iterator(dots)) {
    files.push_back(e.path().filename().string());
    CHECK(test::read_bytes(e.path().string()).rfind("digraph", 0) == 0);
  }
  std::sort(files.begin(), files.end());
  std::vector<std::string> expected = {"00-input.dot"};
  const opt::Pipeline o2 = opt::o2();
  for (std::size_t i = 0; i < o2.size(); ++i) {
    expected.push_back((i + 1 < 10 ? "0" : "") + std::to_string(i + 1) + "-" + o2[i].name + ".dot");
  }
  CHECK(files == expected);
  const std::string picture = test::read_bytes(svg);
  CHECK(picture.rfind("<svg", 0) == 0);
  CHECK(has(picture, "lower bound"));
}

TEST_CASE("kiln opt works on a frozen GraphDef: its outputs are the sinks") {
  const std::string json = kiln_opt({(kModels / "frozen_graph" / "model.pb").string(), "--json"});
  CHECK(json_int(pass_record(json, "fold-affine"), "BatchNorms folded") == 1);
  CHECK(json.find("\"memory\": {") != std::string::npos);
}

TEST_CASE("kiln opt reaches the graph that kiln::compile runs") {
  // One run of the pipeline settles the shape computations of Keras' Tensordot and attention;
  // the session compiles for batch 1, kiln opt keeps the batch unknown: the nodes are the same.
  for (const std::string& name : std::vector<std::string>{"transformer_block", "conv_bn_relu",
                                                          "se_swish"}) {
    INFO(name);
    const std::string dumps = kiln_opt({model_dir(name), "--print-ir-after-all"});
    const std::string last = dumps.substr(dumps.rfind("IR Dump After simplify"));
    const CompiledModel net = compile(load_saved_model(model_dir(name)).graph("serving_default"),
                                      Options().backend(Backend::reference));
    CHECK(ops_in_print(last) == ops_in_graph(net.plan()->plan().graph()));
    // The pipeline kiln opt prints is the one compile() ran, pass by pass.
    std::string ran;
    for (const opt::PassRecord& r : net.plan()->optimization().passes) {
      ran += (ran.empty() ? "" : ",") + r.name;
    }
    CHECK(dumps.substr(0, dumps.find('\n')) == "pipeline: " + ran);
  }
}

TEST_CASE("kiln opt refuses bad flags with a clear error") {
  const std::string model = model_dir("conv_bn_relu");
  test::require_error([&] { kiln_opt({model, "--passes", "nope"}); }, Errc::not_found,
                      {"no optimizer pass of this name", "nope", "fold-constants, simplify"});
  test::require_error([&] { kiln_opt({model, "-O7"}); }, Errc::invalid_argument,
                      {"unknown optimization level", "-O0, -O1 or -O2", "-O7"});
  test::require_error([&] { kiln_opt({model, "-O1", "-O2"}); }, Errc::invalid_argument,
                      {"give one optimization level"});
  test::require_error([&] { kiln_opt({model, "-O1", "--passes", "fuse"}); },
                      Errc::invalid_argument, {"not both"});
  test::require_error([&] { kiln_opt({model, "--batch", "0"}); }, Errc::invalid_argument,
                      {"--batch takes a positive number"});
  test::require_error(
      [&] { kiln_opt({model, "--print-ir-after-all", "--print-ir-after-change"}); },
      Errc::invalid_argument, {"not both"});
  test::require_error([&] { kiln_opt({model, "--bogus"}); }, Errc::invalid_argument,
                      {"unknown flag", "--bogus"});
#if defined(KILN_CLI_PATH)
  // The built tool: the same messages, and an exit code that is not 0.
  const std::vector<std::pair<std::vector<std::string>, std::string>> bad = {
      {{"opt", model, "--passes", "nope"}, "no optimizer pass of this name"},
      {{"opt", model, "-O7"}, "unknown optimization level"},
      {{"run", model, "-O7", "--outdir", "x"}, "unknown optimization level"}};
  for (const auto& [words, message] : bad) {
    const Outcome outcome = run_tool(words);
    INFO(outcome.output);
    CHECK(outcome.exit_code != 0);
    CHECK(outcome.output.rfind("kiln: ", 0) == 0);
    CHECK(has(outcome.output, message));
  }
#endif
}

TEST_CASE("kiln run -O2 and -O0 --backend reference both give TensorFlow's answers") {
  test::TempDir dir;
  for (const std::string& name : std::vector<std::string>{"conv_bn_relu", "transformer_block",
                                                          "sepconv_residual"}) {
    const std::string inputs = fixture_inputs(name);
    const std::string optimized = dir / (name + "_o2");
    const std::string eager = dir / (name + "_eager");
    kiln_run({model_dir(name), "--inputs", inputs, "--outdir", optimized, "-O2"});
    kiln_run({model_dir(name), "--inputs", inputs, "--outdir", eager, "-O0", "--backend",
         "reference"});
    check_outputs(name, optimized, 1e-5);
    check_outputs(name, eager, 1e-5);
#if defined(KILN_CLI_PATH)
    // The built tool runs on the cpu backend (oneDNN) when it was built with it.
    for (const char* level : {"-O2", "-O0"}) {
      const std::string tool = dir / (name + "_tool" + level);
      const Outcome outcome = run_tool(
          {"run", model_dir(name), "--inputs", inputs, "--outdir", tool, level, "--threads", "2"});
      INFO(level << ": " << outcome.output);
      REQUIRE(outcome.exit_code == 0);
      check_outputs(name, tool, 1e-5);
    }
#endif
  }
  const std::string mlp = model_dir("mlp");
  test::require_error(
      [&] { kiln_run({mlp, "--inputs", "x=y.npy", "--outdir", "o", "--backend", "gpu"}); },
      Errc::invalid_argument, {"unknown backend", "gpu"});
  test::require_error(
      [&] { kiln_run({mlp, "--inputs", "x=y.npy", "--outdir", "o", "--threads", "-1"}); },
      Errc::invalid_argument, {"--threads"});
}
