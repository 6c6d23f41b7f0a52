// `kiln opt` and the optimizing `kiln run`: the optimizer's report on TensorFlow-made fixtures,
// its dumps and files, clear errors for bad flags (also as exit codes of the built tool), and
// optimized runs that still give TensorFlow's answers.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <map>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include <kiln/model.hpp>
#include <kiln/session.hpp>

#include "../support.hpp"
#include "cli_capture.hpp"
#include "importer_test_util.hpp"

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

namespace fs = std::filesystem;
using namespace kiln;

namespace {

const fs::path kModels = fs::path(KILN_SOURCE_DIR) / "tests" / "fixtures" / "models";

std::string model_dir(const std::string& name) {
  return (kModels / name / "saved_model").string();
}

std::string kiln_opt(std::vector<std::string> words) {
  return test::capture_cli("opt", std::move(words));
}
std::string kiln_run(std::vector<std::string> words) {
  return test::capture_cli("run", std::move(words));
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The pass record named `name` in a `kiln opt --json` report (the first one of that name).
const nlohmann::json& pass_record(const nlohmann::json& report, const std::string& name) {
  for (const nlohmann::json& record : report.at("passes")) {
    if (record.at("name") == name) return record;
  }
  FAIL("no pass record named " << name << " in " << report.dump());
  throw std::logic_error("unreachable");
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

  // JSON only on stdout: the parse fails on anything else before or after the one object.
  const nlohmann::json json = nlohmann::json::parse(kiln_opt({model, "--json"}));
  const nlohmann::json& fold = pass_record(json, "fold-affine");
  CHECK(fold.at("stats").at("BatchNorms folded") == batch_norms);
  // The folded weights and biases replace the old ones; the epilogue takes nodes away.
  CHECK(fold.at("nodes_after") <= fold.at("nodes_before"));
  const nlohmann::json& epilogue = pass_record(json, "fuse-epilogue");
  CHECK(epilogue.at("nodes_after") < epilogue.at("nodes_before"));
  CHECK(epilogue.at("changed") == true);
  std::vector<std::string> names;
  for (const nlohmann::json& record : json.at("passes")) {
    names.push_back(record.at("name"));
    CHECK(record.at("ms").get<double>() >= 0);
    CHECK(record.at("stats").is_object());
    CHECK(record.at("notes").is_array());
    CHECK_FALSE(record.contains("failure"));
  }
  std::vector<std::string> o2;
  for (const opt::Pass& pass : opt::pipeline_for_level("O2")) o2.push_back(pass.name);
  CHECK(names == o2);
  CHECK(json.at("total_ms").get<double>() >= 0);
  const nlohmann::json& memory = json.at("memory");
  REQUIRE(memory.is_object());
  const std::int64_t arena = memory.at("arena_bytes");
  CHECK(arena > 0);
  CHECK(arena <= memory.at("naive_bytes").get<std::int64_t>());
  CHECK(arena >= memory.at("lower_bound_bytes").get<std::int64_t>());
  CHECK(memory.at("tensors").get<int>() > 0);

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
  const nlohmann::json json =
      nlohmann::json::parse(kiln_opt({(kModels / "frozen_graph" / "model.pb").string(), "--json"}));
  CHECK(pass_record(json, "fold-affine").at("stats").at("BatchNorms folded") == 1);
  CHECK(json.at("memory").is_object());
}

TEST_CASE("kiln opt --json writes every fact of a report, and null for what is not a number") {
  // A report made by hand, so that every value is known: one pass that worked, one that failed,
  // a time that is not a number, and no memory plan.
  opt::PipelineReport report;
  opt::PassRecord simplify;
  simplify.name = "simplify";
  simplify.nodes_before = 9;
  simplify.nodes_after = 7;
  simplify.ms = std::numeric_limits<double>::quiet_NaN();
  simplify.result.changed = true;
  simplify.result.stats.push_back({"dead nodes removed", 2});
  simplify.result.notes.push_back("a \"quoted\" note\n");
  opt::PassRecord broken;
  broken.name = "fuse";
  broken.index = 1;
  broken.nodes_before = broken.nodes_after = 7;
  broken.ms = 0.5;
  broken.failure = "internal error: something went wrong";
  report.passes = {simplify, broken};
  report.total_ms = std::numeric_limits<double>::infinity();

  const nlohmann::json json = nlohmann::json::parse(cli::json_text(cli::report_json(report)));
  REQUIRE(json.at("passes").size() == 2);
  const nlohmann::json& first = json.at("passes").at(0);
  CHECK(first.at("name") == "simplify");
  CHECK(first.at("nodes_before") == 9);
  CHECK(first.at("nodes_after") == 7);
  CHECK(first.at("ms").is_null());
  CHECK(first.at("changed") == true);
  CHECK(first.at("stats") == nlohmann::json{{"dead nodes removed", 2}});
  CHECK(first.at("notes") == nlohmann::json::array({"a \"quoted\" note\n"}));
  CHECK_FALSE(first.contains("failure"));
  const nlohmann::json& second = json.at("passes").at(1);
  CHECK(second.at("failure") == "internal error: something went wrong");
  CHECK(second.at("ms") == 0.5);
  CHECK(second.at("changed") == false);
  CHECK(json.at("total_ms").is_null());
  CHECK(json.at("memory").is_null());
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
    // The pipeline kiln opt prints is the one compile() ran, pass by pass, but for the
    // fold-filters compile() runs once per model first, which kiln opt's fold-affine includes.
    std::string ran;
    for (const opt::PassRecord& r : net.plan()->optimization().passes) {
      if (r.name != "fold-filters") ran += (ran.empty() ? "" : ",") + r.name;
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
                      {"--batch", "1 to 999999999"});
  test::require_error(
      [&] { kiln_opt({model, "--print-ir-after-all", "--print-ir-after-change"}); },
      Errc::invalid_argument, {"not both"});
  test::require_error([&] { kiln_opt({model, "--bogus"}); }, Errc::invalid_argument,
                      {"not expected", "--bogus"});
  // All of them are bad usage (exit code 2), found before the model is read.
  for (const std::vector<std::string>& words : std::vector<std::vector<std::string>>{
           {model, "--passes", "nope"}, {model, "-O7"}, {model, "-O1", "-O2"},
           {model, "-O1", "--passes", "fuse"}, {model, "--batch", "0"}, {model, "--print-ir-after-all", "--print-ir-after-change"},
           {model, "--bogus"}, {"--stats"}}) {
    INFO(words.back());
    CHECK_THROWS_AS(kiln_opt(words), cli::UsageError);
  }
#if defined(KILN_CLI_PATH)
  // The built tool: the same messages, and exit code 2.
  const std::vector<std::pair<std::vector<std::string>, std::string>> bad = {
      {{"opt", model, "--passes", "nope"}, "no optimizer pass of this name"},
      {{"opt", model, "-O7"}, "unknown optimization level"},
      {{"run", model, "-O7", "--outdir", "x"}, "unknown optimization level"}};
  for (const auto& [words, message] : bad) {
    const Outcome outcome = run_tool(words);
    INFO(outcome.output);
    CHECK(outcome.exit_code == 2);
    CHECK(outcome.output.rfind("kiln: ", 0) == 0);
    CHECK(has(outcome.output, message));
  }
#endif
}

#if defined(KILN_CLI_PATH)
TEST_CASE("the kiln tool exits with 0 on success, 1 on an error, 2 on bad usage") {
  const std::string model = model_dir("conv_bn_relu");
  const Outcome version = run_tool({"--version"});
  CHECK(version.exit_code == 0);
  CHECK(version.output == "kiln " KILN_TOOL_VERSION "\n");  // CMake's PROJECT_VERSION

  const Outcome help = run_tool({"--help"});
  CHECK(help.exit_code == 0);
  for (const char* part : {"usage: kiln", "show", "run", "opt", "bench", "exit codes:"}) {
    CHECK(has(help.output, part));
  }
  CHECK(run_tool({"opt", "--help"}).exit_code == 0);
  CHECK(run_tool({"opt", model, "-O1"}).exit_code == 0);

  // A model that is not there: a kiln::Error.
  const Outcome missing = run_tool({"opt", model + "_missing"});
  INFO(missing.output);
  CHECK(missing.exit_code == 1);
  CHECK(missing.output.rfind("kiln: ", 0) == 0);

  // Bad usage: what went wrong, and where the help is.
  const Outcome bogus = run_tool({"opt", model, "--bogus"});
  INFO(bogus.output);
  CHECK(bogus.exit_code == 2);
  CHECK(has(bogus.output, "--bogus"));
  CHECK(has(bogus.output, "kiln opt --help"));
  CHECK(run_tool({"opt", model, "--batch"}).exit_code == 2);  // a flag without its value
  CHECK(run_tool({"frobnicate", model}).exit_code == 2);
  CHECK(has(run_tool({"frobnicate", model}).output, "unknown command"));
  CHECK(run_tool({}).exit_code == 2);
  // A command alone: its help, and still exit code 2.
  const Outcome bench_alone = run_tool({"bench"});
  CHECK(bench_alone.exit_code == 2);
  CHECK(has(bench_alone.output, "usage: kiln bench"));
}
#endif

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

}  // namespace KILN_TEST_FILE
