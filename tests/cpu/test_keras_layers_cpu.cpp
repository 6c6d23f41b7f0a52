// Every Keras layer fixture (tests/fixtures/layers/MANIFEST.txt), compiled on the cpu backend,
// unoptimized (O0) and optimized (O2), gives TensorFlow's stored outputs within the manifest's
// tolerance: |kiln - tf| <= atol + rtol * |tf| (1e-4 + 1e-4 |tf|, as for the other cpu
// conformance tests). The reference backend runs them in tests/importer/test_keras_layers.cpp.
#include <catch2/catch.hpp>

#include "../keras_layer_cases.hpp"
#include "../support.hpp"

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;

TEST_CASE("Keras layer fixtures match TensorFlow on the cpu backend at O0",
          "[cpu][conformance][keras_layers]") {
  for (const test::LayerFixture& f : test::layer_fixtures()) {
    SECTION(f.name) { test::check_layer_fixture(f, Backend::cpu, OptLevel::O0); }
  }
}

TEST_CASE("Keras layer fixtures match TensorFlow on the cpu backend at O2",
          "[cpu][conformance][keras_layers]") {
  for (const test::LayerFixture& f : test::layer_fixtures()) {
    SECTION(f.name) { test::check_layer_fixture(f, Backend::cpu, OptLevel::O2); }
  }
}

}  // namespace KILN_TEST_FILE
