// Replays every case make_array_tail_cases.py recorded from TensorFlow
// (data/array_tail_tf_cases.txt) on Kiln's reference kernels: the same outputs, bit for bit, or
// an Error where TensorFlow refused the inputs.
#include "tf_cases.hpp"

#include <algorithm>

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;

TEST_CASE("the less common array ops agree with TensorFlow") {
  const std::vector<test::TfCase> cases =
      test::load_tf_cases(test::tf_cases_file("array_tail_tf_cases.txt"));
  // What make_array_tail_cases.py reported when it wrote the file: 370 cases, 129 refused.
  CHECK(cases.size() == 370);
  CHECK(std::count_if(cases.begin(), cases.end(),
                      [](const test::TfCase& c) { return c.fails; }) == 129);
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
        test::check_equal(outputs[i], c.outputs[i]);
      }
    }
  }
}

}  // namespace KILN_TEST_FILE
