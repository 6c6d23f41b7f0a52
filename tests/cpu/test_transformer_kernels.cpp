// The cpu kernels a Transformer encoder runs on, against the reference kernels on random data:
// _FusedBatchMatMulV2 (projections with shared weights, folded into one [rows, K] product),
// BatchMatMulV2 with shared weights, _FusedLayerNorm (also in place) and GatherV2 (embedding
// lookups, with the index check).
#include "cpu_support.hpp"

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;
using test::check_against_reference;
using test::random_tensor;

namespace {

Attrs epilogue(Strings steps, Attrs attrs = {}) {
  std::int64_t args = 0;
  for (const std::string& s : steps) args += s == "BiasAdd" || s == "Add";
  attrs["fused_ops"] = std::move(steps);
  attrs["num_args"] = args;
  return attrs;
}

Tensor indices(Shape shape, std::vector<std::int32_t> values) {
  return Tensor::from_vector<std::int32_t>(std::move(shape), std::move(values));
}

}  // namespace

TEST_CASE("_FusedBatchMatMulV2 on oneDNN matches the reference", "[cpu][matmul]") {
  const Tensor x = random_tensor({2, 3, 4}, 1);
  const Tensor w = random_tensor({4, 5}, 2);
  const Tensor bias = random_tensor({5}, 3);
  const Tensor residual = random_tensor({2, 3, 5}, 4);
  SECTION("shared constant weights: bias, GELU") {
    const test::CpuResult r = check_against_reference("_FusedBatchMatMulV2", {x, w, bias},
                                                      epilogue({"BiasAdd", "GeluExact"}), {1, 2});
    CHECK(r.implementation.find("eltwise_gelu_erf") != std::string::npos);
  }
  SECTION("bias and residual, also accumulated in the residual's buffer") {
    const Attrs add = epilogue({"BiasAdd", "Add"});
    check_against_reference("_FusedBatchMatMulV2", {x, w, bias, residual}, add, {1, 2});
    const test::CpuResult r =
        check_against_reference("_FusedBatchMatMulV2", {x, w, bias, residual}, add, {1, 2}, 3);
    CHECK(r.implementation.find("sum") != std::string::npos);
  }
  SECTION("transposed weights, computed weights, a rank-4 batch") {
    Attrs adjoint = epilogue({"BiasAdd"});
    adjoint["adj_y"] = true;
    check_against_reference("_FusedBatchMatMulV2", {x, random_tensor({5, 4}, 5), bias}, adjoint,
                            {1, 2});
    check_against_reference("_FusedBatchMatMulV2", {x, w, bias}, epilogue({"BiasAdd", "Tanh"}));
    check_against_reference("_FusedBatchMatMulV2",
                            {random_tensor({2, 2, 3, 4}, 6), random_tensor({1, 4, 5}, 7), bias},
                            epilogue({"BiasAdd"}), {1, 2});
  }
  SECTION("a transposed left operand keeps its batch") {
    Attrs adjoint = epilogue({"BiasAdd"});
    adjoint["adj_x"] = true;
    check_against_reference("_FusedBatchMatMulV2", {random_tensor({2, 4, 3}, 8), w, bias}, adjoint,
                            {1, 2});
  }
}

TEST_CASE("BatchMatMulV2 with weights shared by the batch matches the reference", "[cpu][matmul]") {
  check_against_reference("BatchMatMulV2",
                          {random_tensor({3, 2, 4}, 10), random_tensor({4, 6}, 11)}, {}, {1});
  check_against_reference("BatchMatMulV2",
                          {random_tensor({3, 2, 4}, 12), random_tensor({1, 4, 6}, 13)});
}

TEST_CASE("_FusedLayerNorm on oneDNN matches the reference", "[cpu][normalization]") {
  const Tensor x = random_tensor({3, 5, 16}, 20, -2.f, 3.f);
  const Tensor scale = random_tensor({16}, 21);
  const Tensor offset = random_tensor({16}, 22);
  for (float epsilon : {1e-12f, 1e-3f}) {
    const Attrs attrs = {{"epsilon", epsilon}};
    check_against_reference("_FusedLayerNorm", {x, scale, offset}, attrs, {1, 2});
    check_against_reference("_FusedLayerNorm", {x, scale, offset}, attrs, {1, 2}, 0);  // in place
  }
  // One row of 7, and a 2-D input of 300 channels (not a multiple of the vector width).
  check_against_reference("_FusedLayerNorm",
                          {random_tensor({7}, 23), random_tensor({7}, 24), random_tensor({7}, 25)},
                          {{"epsilon", 1e-5f}});
  check_against_reference(
      "_FusedLayerNorm",
      {random_tensor({4, 300}, 26), random_tensor({300}, 27), random_tensor({300}, 28)},
      {{"epsilon", 1e-5f}});
}

TEST_CASE("GatherV2 copies rows by index and refuses an index out of range", "[cpu][array]") {
  const Tensor table = random_tensor({10, 3, 2}, 30);
  const Tensor axis0 = Tensor::scalar(std::int32_t{0});
  check_against_reference("GatherV2", {table, indices({2, 3}, {0, 9, 4, 4, 1, 0}), axis0}, {}, {2});
  check_against_reference("GatherV2",
                          {table, indices({2}, {2, 0}), Tensor::scalar(std::int32_t{1})}, {}, {2});
  check_against_reference(
      "GatherV2",
      {table, Tensor::from<std::int64_t>({3}, {7, 3, 7}), Tensor::scalar(std::int64_t{-3})}, {},
      {2});
  for (std::int32_t bad : {10, -1}) {
    INFO("index " << bad);
    const Node node = test::make_node("GatherV2", {}, {table, indices({2}, {1, bad}), axis0});
    CHECK_THROWS_AS(test::run_cpu(node, {table, indices({2}, {1, bad}), axis0}, {2}), Error);
  }
}

}  // namespace KILN_TEST_FILE
