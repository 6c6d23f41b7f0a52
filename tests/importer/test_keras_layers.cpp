// Every Keras layer fixture (tests/fixtures/layers/MANIFEST.txt), imported and compiled on the
// reference backend, unoptimized (O0) and optimized (O2), gives TensorFlow's stored outputs
// within the manifest's tolerance: |kiln - tf| <= atol + rtol * |tf| (1e-4 + 1e-4 |tf|).
// The cpu backend runs the same fixtures in tests/cpu/test_keras_layers_cpu.cpp.
#include <catch2/catch.hpp>

#include "../keras_layer_cases.hpp"
#include "../support.hpp"

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;

TEST_CASE("the layer manifest lists every layer fixture folder", "[conformance][keras_layers]") {
  const std::vector<test::LayerFixture> fixtures = test::layer_fixtures();
  CHECK(fixtures.size() >= 80);  // about 45 families, two exports each
  CHECK(test::unlisted_layer_folders(fixtures).empty());
  for (const test::LayerFixture& f : fixtures) {
    INFO(f.name);
    CHECK(std::filesystem::is_directory(f.dir() / "saved_model"));
  }
}

TEST_CASE("Keras layer fixtures match TensorFlow on the reference backend at O0",
          "[conformance][keras_layers]") {
  for (const test::LayerFixture& f : test::layer_fixtures()) {
    SECTION(f.name) { test::check_layer_fixture(f, Backend::reference, OptLevel::O0); }
  }
}

TEST_CASE("Keras layer fixtures match TensorFlow on the reference backend at O2",
          "[conformance][keras_layers]") {
  for (const test::LayerFixture& f : test::layer_fixtures()) {
    SECTION(f.name) { test::check_layer_fixture(f, Backend::reference, OptLevel::O2); }
  }
}

}  // namespace KILN_TEST_FILE
