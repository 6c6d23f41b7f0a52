// MatMul and the BatchMatMul family on products worked out by hand.
#include "nn_test_util.hpp"

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;
using namespace kiln::test;
using namespace kiln::test::nn;

namespace {
const Tensor a22() { return f32({2, 2}, {1, 2, 3, 4}); }  // [[1,2],[3,4]]
const Tensor b22() { return f32({2, 2}, {5, 6, 7, 8}); }  // [[5,6],[7,8]]
}  // namespace

TEST_CASE("MatMul") {
  const Attrs f32_attrs{{"T", DType::float32}};
  // [[1,2],[3,4]] x [[5,6],[7,8]] = [[1*5+2*7, 1*6+2*8], [3*5+4*7, 3*6+4*8]] = [[19,22],[43,50]]
  check_close(run_op1("MatMul", {a22(), b22()}, f32_attrs), f32({2, 2}, {19, 22, 43, 50}));
  SECTION("transpose_a: [[1,3],[2,4]] x b = [[26,30],[38,44]]") {
    Attrs a = f32_attrs;
    a["transpose_a"] = true;
    check_close(run_op1("MatMul", {a22(), b22()}, a), f32({2, 2}, {26, 30, 38, 44}));
  }
  SECTION("transpose_b: a x [[5,7],[6,8]] = [[17,23],[39,53]]") {
    Attrs a = f32_attrs;
    a["transpose_b"] = true;
    check_close(run_op1("MatMul", {a22(), b22()}, a), f32({2, 2}, {17, 23, 39, 53}));
  }
  SECTION("both transposed: (b x a)^T = [[23,31],[34,46]]^T") {
    // b x a = [[5+18, 10+24], [7+24, 14+32]] = [[23,34],[31,46]]; its transpose:
    Attrs a = f32_attrs;
    a["transpose_a"] = true;
    a["transpose_b"] = true;
    check_close(run_op1("MatMul", {a22(), b22()}, a), f32({2, 2}, {23, 31, 34, 46}));
  }
  SECTION("non-square: [2,3] x [3,1]") {
    // [[1,2,3],[4,5,6]] x [1,0,-1]^T = [1-3, 4-6] = [-2, -2]
    check_close(
        run_op1("MatMul", {f32({2, 3}, {1, 2, 3, 4, 5, 6}), f32({3, 1}, {1, 0, -1})}, f32_attrs),
        f32({2, 1}, {-2, -2}));
  }
  SECTION("float64, float16, int32 and int64") {
    check_close(run_op1("MatMul",
                        {Tensor::from<double>({2, 2}, {1, 2, 3, 4}),
                         Tensor::from<double>({2, 2}, {5, 6, 7, 8})},
                        {{"T", DType::float64}}),
                Tensor::from<double>({2, 2}, {19, 22, 43, 50}));
    Tensor h = run_op1("MatMul",
                       {Tensor::from<half>({1, 2}, {half(1.0f), half(2.0f)}),
                        Tensor::from<half>({2, 1}, {half(3.0f), half(4.0f)})},
                       {{"T", DType::float16}});
    CHECK(h.to_float_vector() == std::vector<float>{11});
    check_equal(run_op1("MatMul",
                        {Tensor::from<std::int32_t>({2, 2}, {1, 2, 3, 4}),
                         Tensor::from<std::int32_t>({2, 2}, {5, 6, 7, 8})},
                        {{"T", DType::int32}}),
                Tensor::from<std::int32_t>({2, 2}, {19, 22, 43, 50}));
    check_equal(
        run_op1("MatMul",
                {Tensor::from<std::int64_t>({1, 1}, {-3}), Tensor::from<std::int64_t>({1, 1}, {4})},
                {{"T", DType::int64}}),
        Tensor::from<std::int64_t>({1, 1}, {-12}));
  }
  SECTION("an empty inner dimension gives zeros") {
    Tensor a(DType::float32, Shape{2, 0}), b(DType::float32, Shape{0, 3});
    check_close(run_op1("MatMul", {a, b}, f32_attrs), f32({2, 3}, {0, 0, 0, 0, 0, 0}));
  }
}

TEST_CASE("BatchMatMulV2 broadcasts batch dimensions") {
  const Attrs attrs{{"T", DType::float32}};
  SECTION("[2,2,2] x [2,2]: the rank-2 operand is reused for every batch") {
    // batch 0: [[1,2],[3,4]] x b = [[19,22],[43,50]]; batch 1: identity x b = b.
    Tensor a = f32({2, 2, 2}, {1, 2, 3, 4, 1, 0, 0, 1});
    check_close(run_op1("BatchMatMulV2", {a, b22()}, attrs),
                f32({2, 2, 2}, {19, 22, 43, 50, 5, 6, 7, 8}));
  }
  SECTION("[2,1,1,2] x [1,3,2,1] -> [2,3,1,1]") {
    // rows r0 = (1,2), r1 = (3,4); columns c0 = (1,0), c1 = (0,1), c2 = (1,1):
    // out[i][j] = r_i . c_j = 1, 2, 3 ; 3, 4, 7.
    Tensor a = f32({2, 1, 1, 2}, {1, 2, 3, 4});
    Tensor b = f32({1, 3, 2, 1}, {1, 0, 0, 1, 1, 1});
    check_close(run_op1("BatchMatMulV2", {a, b}, attrs), f32({2, 3, 1, 1}, {1, 2, 3, 3, 4, 7}));
  }
  SECTION("adj_x and adj_y transpose each matrix") {
    Attrs a = attrs;
    a["adj_x"] = true;
    a["adj_y"] = true;
    Tensor x = f32({1, 2, 2}, {1, 2, 3, 4});
    Tensor y = f32({1, 2, 2}, {5, 6, 7, 8});
    check_close(run_op1("BatchMatMulV2", {x, y}, a), f32({1, 2, 2}, {23, 31, 34, 46}));
  }
}

TEST_CASE("BatchMatMul and BatchMatMulV3") {
  Tensor a = f32({2, 2, 2}, {1, 2, 3, 4, 1, 0, 0, 1});
  Tensor b = f32({2, 2, 2}, {5, 6, 7, 8, 5, 6, 7, 8});
  const Tensor expected = f32({2, 2, 2}, {19, 22, 43, 50, 5, 6, 7, 8});
  check_close(run_op1("BatchMatMul", {a, b}, {{"T", DType::float32}}), expected);
  const Attrs v3{{"Ta", DType::float32}, {"Tb", DType::float32}, {"Tout", DType::float32}};
  check_close(run_op1("BatchMatMulV3", {a, b}, v3), expected);
  SECTION("V1 does not broadcast") {
    CHECK_REFUSES(Errc::shape_mismatch, "BatchMatMul", {a, b22()}, {{"T", DType::float32}});
  }
  SECTION("V3 with another output type is refused by the reference kernel") {
    Attrs mixed = v3;
    mixed["Tout"] = DType::float64;
    CHECK_REFUSES(Errc::unsupported, "BatchMatMulV3", {a, b}, mixed);
  }
}

TEST_CASE("matrix products refuse bad nodes") {
  const Attrs attrs{{"T", DType::float32}};
  CHECK_REFUSES(Errc::shape_mismatch, "MatMul", {f32({2, 3}, {1, 2, 3, 4, 5, 6}), b22()}, attrs);
  CHECK_REFUSES(Errc::shape_mismatch, "MatMul", {f32({1, 2, 2}, {1, 2, 3, 4}), b22()}, attrs);
  CHECK_REFUSES(Errc::shape_mismatch, "BatchMatMulV2", {f32({2}, {1, 2}), b22()}, attrs);
  CHECK_REFUSES(Errc::shape_mismatch, "BatchMatMulV2",
                {f32({2, 1, 2}, {1, 2, 3, 4}), f32({3, 2, 1}, {1, 2, 3, 4, 5, 6})}, attrs);
  CHECK_REFUSES(Errc::type_mismatch, "MatMul",
                {Tensor::from<bool>({1, 1}, {true}), Tensor::from<bool>({1, 1}, {true})},
                {{"T", DType::boolean}});
  CHECK_REFUSES(Errc::unsupported, "MatMul",
                {Tensor::from<std::int8_t>({1, 1}, {1}), Tensor::from<std::int8_t>({1, 1}, {1})},
                {{"T", DType::int8}});
}

}  // namespace KILN_TEST_FILE
