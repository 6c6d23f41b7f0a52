// The backend registry in a program that links kiln::onednn: the target compiled
// kernels/cpu/register_backend.cpp into this program, so `cpu` is registered before main() and
// is the default; registering it again (as a second library linking kiln::onednn would) changes
// nothing.
#include <kiln/backend.hpp>
#include <kiln/kernels/cpu/backend.hpp>
#include <kiln/session.hpp>

#include "cpu_support.hpp"

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;

namespace {

std::vector<std::string> backend_names() {
  std::vector<std::string> names;
  for (const BackendDef* def : registered_backends()) names.push_back(def->name);
  return names;
}

}  // namespace

TEST_CASE("linking kiln::onednn registers the cpu backend as the default", "[cpu][backend]") {
  CHECK(backend_names() == std::vector<std::string>{"cpu", "reference"});  // preferred first
  CHECK(default_backend() == kiln::cpu);
  CHECK(Options().backend() == kiln::cpu);
  CHECK(backend_from_name("cpu") == Backend::cpu);
  CHECK(backend_available(kiln::cpu));
}

TEST_CASE("registering the cpu backend again is harmless", "[cpu][backend]") {
  const BackendDef* before = find_backend("cpu");
  REQUIRE(before != nullptr);
  CHECK_FALSE(register_backend(cpu_kernels::backend_def()));
  CHECK(find_backend("cpu") == before);
  CHECK(backend_names() == std::vector<std::string>{"cpu", "reference"});
}

TEST_CASE("the cpu backend's table: its own kernels, and the reference for the rest",
          "[cpu][backend]") {
  const BackendDef& cpu = require_backend(kiln::cpu);
  CHECK(cpu.reference_fallback);
  CHECK(cpu.threads.resolve(3) == 3);
  CHECK(cpu.threads.resolve(0) >= 1);  // the runtime's default
  for (const char* op : {"Conv2D", "_FusedConv2D", "MatMul", "Softmax", "ConcatV2"}) {
    INFO(op);
    CHECK(cpu.has_kernel(op));
  }
  // Softsign has a reference kernel only (tests/cpu/test_kernels.cpp sees it fall back).
  CHECK_FALSE(cpu.has_kernel("Softsign"));
  CHECK(runs_op(cpu, "Softsign"));
  CHECK_FALSE(runs_op(cpu, "NoSuchOp"));
  const std::vector<std::string> ops = cpu.ops();
  CHECK(std::find(ops.begin(), ops.end(), "MaxPool") != ops.end());
  CHECK(std::find(ops.begin(), ops.end(), "Softsign") == ops.end());
}

}  // namespace KILN_TEST_FILE
