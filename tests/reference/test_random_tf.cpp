// Replays every case make_random_cases.py recorded from TensorFlow (data/random_tf_cases.txt) on
// Kiln's reference kernels: the same random numbers bit for bit (stateful ops: TensorFlow's
// first run for the seeds), the same key and counter, CheckNumerics passing its input on, and an
// Error wherever TensorFlow refused.
#include "tf_cases.hpp"

#include <algorithm>
#include <cstring>

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;

namespace {

// Bit for bit, not merely equal: -0.0 against 0.0 or two NaNs would pass a value comparison.
void check_same_bits(const Tensor& actual, const Tensor& expected) {
  REQUIRE(std::string(dtype_name(actual.dtype())) == dtype_name(expected.dtype()));
  REQUIRE(actual.shape().str() == expected.shape().str());
  const auto* a = static_cast<const unsigned char*>(actual.raw());
  const auto* e = static_cast<const unsigned char*>(expected.raw());
  const std::size_t width = dtype_size(actual.dtype());
  for (std::int64_t i = 0; i < expected.num_elements(); ++i) {
    const std::size_t at = static_cast<std::size_t>(i) * width;
    if (std::memcmp(a + at, e + at, width) != 0) {
      FAIL_CHECK("element " << i << ": actual " << actual.element_as_double(i) << ", expected "
                            << expected.element_as_double(i));
    }
  }
}

}  // namespace

TEST_CASE("random ops and checks agree with TensorFlow bit for bit") {
  const std::vector<test::TfCase> cases =
      test::load_tf_cases(test::tf_cases_file("random_tf_cases.txt"));
  // What make_random_cases.py reported when it wrote the file: 196 cases, 50 refused.
  CHECK(cases.size() == 196);
  CHECK(std::count_if(cases.begin(), cases.end(), [](const test::TfCase& c) { return c.fails; }) ==
        50);
  for (const test::TfCase& c : cases) {
    DYNAMIC_SECTION(c.op << ": " << c.name) {
      if (c.fails) {
        CHECK_THROWS_AS(test::run_op(c.op, c.inputs, c.attrs), Error);
        continue;
      }
      const std::vector<Tensor> outputs = test::run_op(c.op, c.inputs, c.attrs);
      REQUIRE(outputs.size() == c.outputs.size());
      for (std::size_t i = 0; i < outputs.size(); ++i) {
        INFO("output " << i);
        check_same_bits(outputs[i], c.outputs[i]);
      }
    }
  }
}

}  // namespace KILN_TEST_FILE
