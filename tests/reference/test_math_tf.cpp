// Every math op against TensorFlow's own answers, which math_tf_cases.py wrote into
// math_tf_cases.hpp: all unary, binary and reduction ops, the broadcasting patterns, keep_dims
// and negative axes, int and bool dtypes, the 16-bit floats and all 81 Cast pairs.
#include "math_tf_case.hpp"
#include "math_tf_cases.hpp"

using namespace kiln;

TEST_CASE("math ops agree with TensorFlow", "[math][tf]") {
  const std::vector<test::TfCase> cases = test::parse_tf_cases(test::kMathTfCases);
  REQUIRE(cases.size() > 500);
  for (const test::TfCase& c : cases) {
    INFO("case '" << c.name << "'");
    REQUIRE(c.expected.valid());
    const Tensor out = test::run_op1(c.op, c.inputs, c.attrs);
    test::check_close(out, c.expected, c.atol, c.rtol);
  }
}
