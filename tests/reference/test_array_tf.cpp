// Replays every case make_array_cases.py recorded from TensorFlow on Kiln's reference kernels:
// the same outputs, bit for bit, or an Error where TensorFlow refused the inputs.
#include "array_tf_cases.hpp"

using namespace kiln;

TEST_CASE("array ops agree with TensorFlow") {
  for (const test::ArrayCase& c : test::tensorflow_array_cases()) {
    DYNAMIC_SECTION(c.op << ": " << c.name) {
      std::vector<Tensor> inputs;
      for (const test::Literal& l : c.inputs) inputs.push_back(l.tensor());
      if (c.fails) {
        CHECK_THROWS_AS(test::run_op(c.op, inputs, c.attrs), Error);
        continue;
      }
      const std::vector<Tensor> outputs = test::run_op(c.op, inputs, c.attrs);
      REQUIRE(outputs.size() == c.outputs.size());
      for (std::size_t i = 0; i < outputs.size(); ++i) {
        INFO("output " << i);
        test::check_equal(outputs[i], c.outputs[i].tensor());
      }
    }
  }
}
