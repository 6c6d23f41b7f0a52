// The cuda backend as a program that links kiln::cuda meets it, with or without a GPU: it is
// registered but never the default, it says clearly when there is no device, and the kiln tool
// turns that into exit code 1.
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <kiln/kiln.hpp>
#include <kiln/savedmodel.hpp>
#include <kiln/session.hpp>

#include "cuda_support.hpp"

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;
namespace fs = std::filesystem;

namespace {

const fs::path kModels = fs::path(KILN_SOURCE_DIR) / "tests" / "fixtures" / "models";

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

Graph dense_relu() {
  GraphBuilder b;
  Value x = b.input("x", DType::float32, {2, 3});
  Value w = b.constant("W", Tensor::from<float>({3, 2}, {1, -1, 2, 0, 0, 1}));
  Value bias = b.constant("b", Tensor::from<float>({2}, {0.5f, -4}));
  Value mm = b.op("MatMul", {x, w}, {}, "dense/MatMul");
  b.output("y", b.op("Relu", {b.op("BiasAdd", {mm, bias}, {}, "dense/BiasAdd")}, {}, "relu"));
  return b.finish();
}

}  // namespace

TEST_CASE("linking kiln::cuda registers the cuda backend, never as the default", "[cuda]") {
  const BackendDef* cuda = find_backend("cuda");
  REQUIRE(cuda != nullptr);
  CHECK(cuda->device.present());
  CHECK(cuda->reference_fallback);
  CHECK(default_backend() != test::cuda);
  CHECK(backend_from_name("cuda") == test::cuda);
}

TEST_CASE("without a device, compiling for cuda fails with the driver's reason", "[cuda]") {
  const std::string why = test::cuda_unavailable();
  if (why.empty()) {
    std::cout << "skipped: a CUDA device is present (this test is for machines without one)\n";
    return;
  }
  CHECK(why.rfind("no CUDA device (", 0) == 0);
  CompiledModel net = compile(dense_relu(), Options().backend(test::cuda));
  // The plan is made (and printable) without a device; running it is what fails.
  CHECK(has(net.plan()->summary(), "on backend 'cuda'"));
  try {
    net.run({{"x", Tensor::from<float>({2, 3}, {1, 2, 3, 0, 1, 1})}});
    FAIL("ran without a device");
  } catch (const Error& e) {
    CHECK(e.code() == Errc::unsupported);
    CHECK(has(e.what(), "backend 'cuda': no CUDA device ("));
  }
}

#if defined(KILN_CLI_PATH)
namespace {

struct Outcome {
  int exit_code = -1;
  std::string output;
};

// Runs a shell command; its exit code and what it printed (stdout and stderr).
Outcome run_command(const std::string& command) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
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

// Runs the built `kiln` tool.
Outcome run_tool(const std::string& arguments) {
  return run_command(std::string("'") + KILN_CLI_PATH + "' " + arguments);
}

}  // namespace

TEST_CASE("kiln run and bench --backend cuda without a device: the reason, exit code 1",
          "[cuda][cli]") {
  const std::string why = test::cuda_unavailable();
  if (why.empty()) {
    std::cout << "skipped: a CUDA device is present (this test is for machines without one)\n";
    return;
  }
  const fs::path mlp = kModels / "mlp";
  const std::string inputs = "features=" + (mlp / "inputs" / "features.npy").string();
  const fs::path outdir = fs::temp_directory_path() / "kiln_cuda_cli_test";
  for (const std::string& words :
       {"run '" + (mlp / "saved_model").string() + "' --inputs '" + inputs + "' --outdir '" +
            outdir.string() + "' --backend cuda",
        "bench '" + (mlp / "saved_model").string() + "' --backend cuda --runs 1 --warmup 0"}) {
    const Outcome outcome = run_tool(words);
    INFO(words << "\n" << outcome.output);
    CHECK(outcome.exit_code == 1);
    CHECK(has(outcome.output, "kiln: "));
    CHECK(has(outcome.output, "backend 'cuda': no CUDA device ("));
  }
}

TEST_CASE("kiln opt --backend cuda lists the steps that run on the host", "[cuda][cli]") {
  // The plan is made without a device, so this runs anywhere.
  const std::string model = (kModels / "transformer_block" / "saved_model").string();
  const Outcome outcome = run_tool("opt '" + model + "' --backend cuda");
  INFO(outcome.output);
  CHECK(outcome.exit_code == 0);
  CHECK(has(outcome.output, "backend 'cuda': "));
  CHECK(has(outcome.output, " on reference kernels on the host ("));
  CHECK(has(outcome.output, "host-device copies per run)"));
  CHECK(has(outcome.output, ", on the host: "));  // one line per fallback step
  const Outcome wrong = run_tool("opt '" + model + "' --backend nope");
  CHECK(wrong.exit_code == 2);
}

TEST_CASE("the kiln tool loads the cuda backend only when asked for", "[cuda][cli]") {
  // The tool is not linked to cuBLASLt (whose start-up costs every command about 0.4 s): the
  // backend is a plugin beside it. `show --ops` loads it for its cuda column.
  const std::string model = (kModels / "transformer_block" / "saved_model").string();
  const Outcome ops = run_tool("show '" + model + "' --ops");
  INFO(ops.output);
  CHECK(ops.exit_code == 0);
  CHECK(has(ops.output, "cuda"));
  const Outcome libraries = run_command(std::string("ldd '") + KILN_CLI_PATH + "'");
  INFO(libraries.output);
  CHECK(libraries.exit_code == 0);
  CHECK(!has(libraries.output, "cublas"));
}
#endif

}  // namespace KILN_TEST_FILE
