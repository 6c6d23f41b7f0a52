// The nn reference kernels against TensorFlow on larger random inputs. The .npy files under
// tests/reference/data/nn/ hold TensorFlow's inputs and outputs; nn_expected.py wrote them, and
// each case below repeats the attributes that script used.
#include <kiln/npy.hpp>

#include "nn_test_util.hpp"

#ifndef KILN_SOURCE_DIR
#error "test_nn_tensorflow.cpp needs KILN_SOURCE_DIR (CMake defines it for the tests)"
#endif

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;
using namespace kiln::test;
using namespace kiln::test::nn;

namespace {

Tensor data_file(const std::string& case_name, const std::string& part) {
  return load_npy(std::string(KILN_SOURCE_DIR) + "/tests/reference/data/nn/" + case_name + "_" +
                  part + ".npy");
}

// Runs `op` on the case's inputs and compares its first `outputs` outputs with TensorFlow's.
// The tolerance allows for float32 sums taken in another order.
void check_case(const std::string& case_name, const std::string& op, int inputs, Attrs attrs,
                int outputs = 1, double tolerance = 2e-5) {
  INFO("case " << case_name);
  std::vector<Tensor> in;
  for (int i = 0; i < inputs; ++i) in.push_back(data_file(case_name, "in" + std::to_string(i)));
  const std::vector<Tensor> out = run_op(op, in, std::move(attrs));
  REQUIRE(static_cast<int>(out.size()) >= outputs);
  for (int i = 0; i < outputs; ++i) {
    INFO("output " << i);
    check_close(out[static_cast<std::size_t>(i)], data_file(case_name, "out" + std::to_string(i)),
                tolerance, tolerance);
  }
}

}  // namespace

TEST_CASE("convolutions match TensorFlow") {
  check_case("conv_same_stride2", "Conv2D", 2, conv_attrs("SAME", 2, 2));
  check_case("conv_same_stride2_nchw", "Conv2D", 2, conv_attrs("SAME", 2, 2, "NCHW"));
  check_case("conv_valid_dilated", "Conv2D", 2, conv_attrs("VALID", 1, 1, "NHWC", 2, 3));
  Attrs explicit_padding = conv_attrs("EXPLICIT", 2, 1);
  explicit_padding["explicit_paddings"] = Ints{0, 0, 1, 2, 2, 0, 0, 0};
  check_case("conv_explicit", "Conv2D", 2, explicit_padding);
  check_case("conv_grouped", "Conv2D", 2, conv_attrs("SAME"));
  check_case("depthwise_same_stride2", "DepthwiseConv2dNative", 2, conv_attrs("SAME", 2, 2));
  check_case("depthwise_same_stride2_nchw", "DepthwiseConv2dNative", 2,
             conv_attrs("SAME", 2, 2, "NCHW"));
  check_case("depthwise_valid_dilated", "DepthwiseConv2dNative", 2,
             conv_attrs("VALID", 1, 1, "NHWC", 2, 3));
}

TEST_CASE("pooling matches TensorFlow") {
  check_case("max_pool_same", "MaxPool", 1, pool_attrs("SAME", 3, 3, 2, 2));
  check_case("avg_pool_same", "AvgPool", 1, pool_attrs("SAME", 3, 2, 2, 1));
  check_case("avg_pool_valid_nchw", "AvgPool", 1, pool_attrs("VALID", 2, 3, 1, 2, "NCHW"));
}

TEST_CASE("FusedBatchNormV3 matches TensorFlow") {
  Attrs attrs{{"T", DType::float32}, {"U", DType::float32}, {"epsilon", 0.001f}};
  attrs["is_training"] = false;
  check_case("batch_norm_inference", "FusedBatchNormV3", 5, attrs, 3);
  attrs["is_training"] = true;
  check_case("batch_norm_training", "FusedBatchNormV3", 5, attrs, 5, 1e-4);
}

TEST_CASE("matrix products match TensorFlow") {
  Attrs mm{{"T", DType::float32}, {"transpose_b", true}};
  check_case("matmul_transpose_b", "MatMul", 2, mm);
  Attrs bmm{{"T", DType::float32}, {"adj_x", true}, {"adj_y", true}};
  check_case("batch_matmul_broadcast_adj", "BatchMatMulV2", 2, bmm);
}

TEST_CASE("Einsum matches TensorFlow on Keras's equations") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"einsum_mha_query", "abc,cde->abde"},
      {"einsum_mha_output", "abcd,cde->abe"},
      {"einsum_mha_scores", "aecd,abcd->acbe"},
      {"einsum_mha_context", "acbe,aecd->abcd"},
      {"einsum_dense_3d", "abc,cd->abd"},
      {"einsum_dense_ellipsis", "...b,bc->...c"},
      {"einsum_broadcast_batch", "...ij,...jk->...ik"},
      {"einsum_diagonal_sum", "bii,bij->bj"},
  };
  for (const auto& [name, equation] : cases) {
    check_case(name, "Einsum", 2,
               {{"equation", equation}, {"N", std::int64_t{2}}, {"T", DType::float32}});
  }
}

TEST_CASE("Softmax and LogSoftmax match TensorFlow") {
  check_case("softmax", "Softmax", 1, {{"T", DType::float32}});
  check_case("log_softmax", "LogSoftmax", 1, {{"T", DType::float32}});
}

}  // namespace KILN_TEST_FILE
