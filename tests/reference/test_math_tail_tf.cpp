// Replays every case make_math_tail_cases.py recorded from TensorFlow (data/math_tail_tf_cases.txt)
// on Kiln's reference kernels: the trigonometric and hyperbolic functions, Expm1, IsNan/IsInf/
// IsFinite, DivNoNan, Xdivy, Xlogy, Xlog1py, Atan2, TruncateDiv, TruncateMod, ClipByValue, the
// bitwise ops and shifts, Cumsum and Cumprod. Outputs agree exactly, or within the tolerance the
// case names for a transcendental function; where TensorFlow refused the inputs, Kiln throws.
#include "tf_cases.hpp"

#include <algorithm>

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;

TEST_CASE("the long tail of math ops agrees with TensorFlow", "[math][tf]") {
  const std::vector<test::TfCase> cases =
      test::load_tf_cases(test::tf_cases_file("math_tail_tf_cases.txt"));
  // What make_math_tail_cases.py reported when it wrote the file: 330 cases, 60 refused.
  CHECK(cases.size() == 330);
  CHECK(std::count_if(cases.begin(), cases.end(), [](const test::TfCase& c) { return c.fails; }) ==
        60);
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
        test::check_close(outputs[i], c.outputs[i], c.atol, c.rtol);
      }
    }
  }
}

}  // namespace KILN_TEST_FILE
