// Softmax and LogSoftmax. Expected values: exp(x - max) / sum, computed with Python's math
// module (e.g. for (1, 2, 3): exp(-2), exp(-1), 1 over their sum 1.5032147244...).
#include "nn_test_util.hpp"

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;
using namespace kiln::test;
using namespace kiln::test::nn;

TEST_CASE("Softmax over the last dimension") {
  const Attrs attrs{{"T", DType::float32}};
  Tensor x = f32({2, 3}, {1, 2, 3, -1, -1, -3});
  check_close(run_op1("Softmax", {x}, attrs),
              f32({2, 3}, {0.09003057317f, 0.24472847105f, 0.66524095577f,  //
                           0.46831053083f, 0.46831053083f, 0.06337893833f}));
  SECTION("large logits do not overflow") {
    check_close(run_op1("Softmax", {f32({2}, {1000, 1000})}, attrs), f32({2}, {0.5f, 0.5f}));
  }
  SECTION("float64 and bfloat16") {
    check_close(
        run_op1("Softmax", {Tensor::from<double>({3}, {1, 2, 3})}, {{"T", DType::float64}}),
        Tensor::from<double>({3}, {0.09003057317038046, 0.24472847105479764, 0.6652409557748218}),
        1e-15, 1e-15);
    Tensor b = run_op1("Softmax", {Tensor::from<bfloat16>({2}, {bfloat16(5.0f), bfloat16(5.0f)})},
                       {{"T", DType::bfloat16}});
    CHECK(b.to_float_vector() == std::vector<float>{0.5f, 0.5f});
  }
}

TEST_CASE("LogSoftmax over the last dimension") {
  check_close(run_op1("LogSoftmax", {f32({1, 3}, {1, 2, 3})}, {{"T", DType::float32}}),
              f32({1, 3}, {-2.40760596444f, -1.40760596444f, -0.40760596444f}));
  check_close(run_op1("LogSoftmax", {f32({2}, {-1000, -1000})}, {{"T", DType::float32}}),
              f32({2}, {-0.69314718056f, -0.69314718056f}));
}

TEST_CASE("Softmax refuses bad nodes") {
  CHECK_REFUSES(Errc::shape_mismatch, "Softmax", {f32({}, {1})}, {{"T", DType::float32}});
  CHECK_REFUSES(Errc::type_mismatch, "Softmax", {Tensor::from<std::int32_t>({1}, {1})},
                {{"T", DType::int32}});
  CHECK_REFUSES(Errc::type_mismatch, "LogSoftmax", {f32({1}, {1})}, {{"T", DType::float64}});
}

}  // namespace KILN_TEST_FILE
