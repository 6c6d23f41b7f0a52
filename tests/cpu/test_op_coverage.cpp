// The op catalogue against both kernel tables: the coverage table (printed), and the epilogue
// activations each backend must implement.
#include "../kernel_coverage.hpp"
#include "cpu_support.hpp"

#include <iostream>

#include <kiln/core/op_traits.hpp>
#include <kiln/backend_registry.hpp>
#include <kiln/kernels/cpu/backend.hpp>

#include <algorithm>

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;

TEST_CASE("kernel coverage table: which backend implements each catalogue op", "[coverage]") {
  // Every backend this program registered (a CUDA build adds its column by itself).
  std::vector<test::BackendKernels> backends;
  for (const BackendDef* def : registered_backends()) {
    backends.push_back(test::backend_kernels(def->name, def->kernels()));
  }
  std::sort(backends.begin(), backends.end(), [](const auto& a, const auto& b) {
    return (a.name != "reference") < (b.name != "reference");  // reference first
  });
  REQUIRE(backends.size() >= 2);
  REQUIRE(backends[0].name == "reference");
  REQUIRE(backends[1].name == "cpu");
  const std::vector<test::CoverageRow> rows = test::kernel_coverage(backends);
  std::cout << "Kernel coverage (x: a kernel; the cpu backend falls back to reference):\n"
            << test::coverage_table(backends, rows);
  CHECK(test::missing_kernels(rows, 0).empty());  // reference runs everything
  for (const test::BackendKernels& b : backends) {
    for (const std::string& op : test::unknown_ops(b)) {
      FAIL_CHECK("the " << b.name << " kernel table serves " << op
                        << ", which the catalogue lacks");
    }
  }
  // The table is derived from the catalogue for activations: every fusable op has one.
  for (const std::string& op : ops_where([](const OpDef& d) { return !d.epilogue.empty(); })) {
    INFO(op);
    CHECK(backends[1].ops.count(op) == 1);
  }
}

TEST_CASE("every catalogue epilogue activation has a reference function and a oneDNN eltwise",
          "[coverage]") {
  for (const std::string& step : op_catalogue().epilogue_activations()) {
    INFO(step);
    CHECK(reference::epilogue_activations().count(step) == 1);
    CHECK(cpu_kernels::activation_of(step, 0.2f).has_value());
  }
  for (const auto& [step, form] : cpu_kernels::onednn_activations()) {
    INFO(step);
    CHECK(op_catalogue().is_epilogue_activation(step));
  }
  // LeakyRelu's slope reaches oneDNN as the eltwise alpha.
  CHECK(cpu_kernels::activation_of("LeakyRelu", 0.3f)->alpha == 0.3f);
  CHECK_FALSE(cpu_kernels::activation_of("BiasAdd", 0.f).has_value());
}

}  // namespace KILN_TEST_FILE
