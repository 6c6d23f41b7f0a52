// Every math op against TensorFlow's own answers, which math_tf_cases.py wrote into
// data/math_tf_cases.txt: all unary, binary and reduction ops, the broadcasting patterns,
// keep_dims and negative axes, int and bool dtypes, the 16-bit floats and all 81 Cast pairs.
#include "tf_cases.hpp"

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;

TEST_CASE("math ops agree with TensorFlow", "[math][tf]") {
  const std::vector<test::TfCase> cases = test::load_tf_cases(test::tf_cases_file("math_tf_cases.txt"));
  CHECK(cases.size() == 571);  // what math_tf_cases.py reported when it wrote the file
  for (const test::TfCase& c : cases) {
    INFO("case '" << c.name << "'");
    REQUIRE(c.outputs.size() == 1);
    const Tensor out = test::run_op1(c.op, c.inputs, c.attrs);
    test::check_close(out, c.outputs[0], c.atol, c.rtol);
  }
}

}  // namespace KILN_TEST_FILE
