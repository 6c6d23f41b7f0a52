// `kiln bench`: the JSON the peer-comparison scripts read, the report's lines, generated inputs,
// nearest-rank percentiles, and clear errors for bad flags. Nothing here checks how fast
// anything is: only that times were measured and reported.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli_capture.hpp"

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

namespace fs = std::filesystem;
using namespace kiln;

namespace {

const fs::path kModels = fs::path(KILN_SOURCE_DIR) / "tests" / "fixtures" / "models";

std::string mlp() { return (kModels / "mlp" / "saved_model").string(); }

// Runs `kiln bench` with `words` in this process; returns what it printed on stdout.
std::string bench(std::vector<std::string> words) {
  return test::capture_cli("bench", std::move(words));
}

// `kiln bench` with `words` is refused as bad usage, with a message that names every `parts`.
void refused(std::vector<std::string> words, const std::vector<std::string>& parts) {
  words.insert(words.begin(), "bench");
  test::require_usage_error(std::move(words), parts);
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The JSON file `kiln bench --json` wrote, parsed (a parse error fails the test).
nlohmann::json read_json(const fs::path& path) {
  std::ifstream in(path);
  REQUIRE(in);
  return nlohmann::json::parse(in);
}

}  // namespace

TEST_CASE("kiln bench --compare --json writes every key the comparison scripts read") {
  const fs::path json_file = fs::temp_directory_path() / "kiln_bench_mlp.json";
  fs::remove(json_file);
  const std::string out = bench({mlp(), "--compare", "--runs", "3", "--warmup", "1", "--threads",
                                 "1", "--json", json_file.string()});
  CHECK(has(out, "Session creation (import + optimize + compile): "));
  CHECK(has(out, "First inference: "));
  CHECK(has(out, "[optimized] runs: 3  average: "));
  CHECK(has(out, "[eager] runs: 3  average: "));
  CHECK(has(out, "eager / optimized (medians): "));
  CHECK(has(out, "max |eager - optimized| over the outputs: "));
  CHECK(has(out, "Peak RSS: "));
  CHECK(has(out, "features: float32[1,20] (generated)"));  // unknown batch size -> --batch 1

  const nlohmann::json json = read_json(json_file);
  CHECK(json.at("model") == mlp());
  CHECK(json.at("signature") == "serving_default");
  CHECK(json.at("level") == "O2");
  CHECK(json.at("backend") == backend_name(default_backend()));
  CHECK(json.at("batch") == 1);
  CHECK(json.at("threads") >= 1);
  for (const char* key : {"import_ms", "compile_ms", "first_run_ms", "peak_rss_bytes",
                          "eager_over_optimized"}) {
    INFO(key);
    CHECK(json.at(key).get<double>() > 0);
  }
  for (const char* mode : {"optimized", "eager"}) {
    INFO("mode " << mode);
    const nlohmann::json& stats = json.at("modes").at(mode);
    CHECK(stats.at("runs") == 3);
    for (const char* key : {"mean_ms", "min_ms", "median_ms", "p50_ms", "p90_ms", "p99_ms"}) {
      CHECK(stats.at(key).get<double>() > 0);
    }
    CHECK(stats.at("min_ms") <= stats.at("p50_ms"));
    CHECK(stats.at("p50_ms") <= stats.at("p99_ms"));
  }
  fs::remove(json_file);
}

TEST_CASE("kiln bench without --compare measures the optimized model only") {
  const fs::path json_file = fs::temp_directory_path() / "kiln_bench_o1.json";
  const std::string out = bench({mlp(), "-O1", "--batch", "4", "--runs", "2", "--warmup", "0",
                                 "--json", json_file.string()});
  CHECK(has(out, "features: float32[4,20] (generated)"));
  CHECK(has(out, "[optimized] runs: 2"));
  CHECK(!has(out, "[eager]"));
  const nlohmann::json json = read_json(json_file);
  CHECK(json.at("level") == "O1");
  CHECK(json.at("batch") == 4);
  CHECK(json.at("modes").size() == 1);
  CHECK(json.at("modes").contains("optimized"));
  CHECK_FALSE(json.contains("eager_over_optimized"));
  fs::remove(json_file);
}

TEST_CASE("kiln bench reads inputs from files and runs frozen graphs") {
  const std::string image = (kModels / "conv_bn_relu" / "inputs" / "image.npy").string();
  const std::string out = bench({(kModels / "conv_bn_relu" / "saved_model").string(), "--inputs",
                                 "image=" + image, "--runs", "1", "--warmup", "0"});
  CHECK(has(out, "image: float32[2,12,12,3] (from file)"));  // the fixture's batch of 2

  const std::string frozen = (kModels / "frozen_graph" / "model.pb").string();
  CHECK(has(bench({frozen, "--runs", "1", "--warmup", "0"}), "(frozen graph)"));
  CHECK_THROWS_WITH(bench({frozen, "--signature_def", "serving_default"}),
                    Catch::Contains("frozen graph has no signatures"));
}

TEST_CASE("kiln bench --profile prints the time by op and the slowest steps") {
  const std::string out = bench({mlp(), "--profile", "--runs", "2", "--warmup", "0"});
  CHECK(has(out, "Profile over 2 runs"));
  CHECK(has(out, "MatMul"));
  CHECK(has(out, "Top "));
  CHECK(has(out, "steps run on reference kernels"));
}

TEST_CASE("kiln bench --help says how inputs are generated") {
  const std::string help = bench({"--help"});
  CHECK(has(help, "uniform in [-1, 1]"));
  CHECK(has(help, "uniform in [0, 100)"));
  CHECK(has(help, "--compare"));
}

TEST_CASE("kiln bench refuses bad flags with a message that names them") {
  const std::string model = mlp();
  refused({model, "--runs", "0"}, {"--runs", "1 to 100000000"});
  refused({model, "--runs", "ten"}, {"--runs", "ten"});
  refused({model, "--warmup", "-1"}, {"--warmup"});
  refused({model, "--batch", "0"}, {"--batch"});
  refused({model, "--batch", "2x"}, {"--batch", "2x"});
  refused({model, "--threads", "-2"}, {"--threads"});
  refused({model, "--backend", "gpu"}, {"unknown backend", "gpu"});
  refused({model, "-O1", "-O2"}, {"give one optimization level"});
  refused({model, "-O7"}, {"unknown optimization level", "-O7"});
  refused({model, "--frobnicate"}, {"--frobnicate"});
  refused({model, "--runs"}, {"--runs"});
  refused({model, "--json="}, {"--json"});
  refused({model, "extra"}, {"extra"});
  refused({"--runs", "3"}, {"MODEL"});
  // A model that is not there is not bad usage: a kiln::Error of its own (exit code 1).
  const std::string features = (kModels / "mlp" / "inputs" / "features.npy").string();
  CHECK_THROWS_WITH(bench({model, "--inputs", "pixels=" + features}), Catch::Contains("pixels"));
}

TEST_CASE("bench percentiles are nearest-rank over the sorted times") {
  // n = 5: P50 is the ceil(2.5) = 3rd smallest, P90 and P99 the 5th.
  const cli::RunStats five = cli::summarize({5, 1, 4, 2, 3});
  CHECK(five.runs == 5);
  CHECK(five.min_ms == 1);
  CHECK(five.mean_ms == 3);
  CHECK(five.median_ms == 3);
  CHECK(five.p50_ms == 3);
  CHECK(five.p90_ms == 5);
  CHECK(five.p99_ms == 5);
  // n = 4: P50 is the 2nd smallest, while the median is between the 2nd and the 3rd.
  const cli::RunStats four = cli::summarize({4, 3, 2, 1});
  CHECK(four.p50_ms == 2);
  CHECK(four.median_ms == 2.5);
  CHECK(four.p90_ms == 4);  // ceil(3.6) = 4th
  // n = 50: P90 is the 45th smallest, P99 the 50th.
  std::vector<double> fifty;
  for (int i = 50; i >= 1; --i) fifty.push_back(i);
  CHECK(cli::summarize(fifty).p90_ms == 45);
  CHECK(cli::summarize(fifty).p99_ms == 50);
}

TEST_CASE("bench inputs are generated in the documented ranges") {
  std::mt19937_64 rng(cli::kBenchSeed);
  const Tensor floats = cli::made_up_tensor(DType::float32, Shape{1000}, rng);
  const Tensor ints = cli::made_up_tensor(DType::int32, Shape{1000}, rng);
  double low = 1, high = -1;
  for (std::int64_t i = 0; i < 1000; ++i) {
    low = std::min(low, floats.element_as_double(i));
    high = std::max(high, floats.element_as_double(i));
    CHECK(ints.element_as_double(i) >= 0);
    CHECK(ints.element_as_double(i) < 100);
    CHECK(ints.element_as_double(i) == std::floor(ints.element_as_double(i)));
  }
  CHECK(low >= -1);
  CHECK(high <= 1);
  CHECK(low < -0.9);  // the whole range is used, not a corner of it
  CHECK(high > 0.9);
  CHECK(cli::bench_shape("x", Shape({-1, 28, 28, 1}), 8) == Shape({8, 28, 28, 1}));
  CHECK_THROWS_AS(cli::bench_shape("x", Shape::unknown_rank(), 8), Error);
}

TEST_CASE("bench statistics that are not finite numbers are written as JSON null") {
  // JSON has no NaN or infinity: a run that measured nonsense must still give a file that
  // every JSON reader accepts, with null where the number would be.
  cli::RunStats stats = cli::summarize({2, 1});
  stats.mean_ms = std::numeric_limits<double>::quiet_NaN();
  stats.p99_ms = std::numeric_limits<double>::infinity();
  const nlohmann::json json = nlohmann::json::parse(cli::json_text(cli::stats_json(stats)));
  CHECK(json.at("mean_ms").is_null());
  CHECK(json.at("p99_ms").is_null());
  CHECK(json.at("min_ms") == 1);
  CHECK(json.at("median_ms") == 1.5);
  CHECK(json.at("runs") == 2);
}

}  // namespace KILN_TEST_FILE
