// Einsum on equations worked out by hand, including the ones Keras emits. Larger random cases
// of the Keras equations are compared with TensorFlow in test_nn_tensorflow.cpp.
#include "nn_test_util.hpp"

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;
using namespace kiln::test;
using namespace kiln::test::nn;

namespace {
Attrs einsum_attrs(const std::string& equation, std::int64_t n) {
  return {{"equation", equation}, {"N", n}, {"T", DType::float32}};
}
Tensor einsum1(const std::string& equation, const Tensor& a) {
  return run_op1("Einsum", {a}, einsum_attrs(equation, 1));
}
Tensor einsum2(const std::string& equation, const Tensor& a, const Tensor& b) {
  return run_op1("Einsum", {a, b}, einsum_attrs(equation, 2));
}
const Tensor m22() { return f32({2, 2}, {1, 2, 3, 4}); }  // [[1,2],[3,4]]
}  // namespace

TEST_CASE("Einsum with one operand") {
  check_close(einsum1("ij->ji", m22()), f32({2, 2}, {1, 3, 2, 4}));
  check_close(einsum1("ij->", m22()), f32({}, {10}));
  check_close(einsum1("ij->i", m22()), f32({2}, {3, 7}));                      // row sums
  check_close(einsum1("ij->j", m22()), f32({2}, {4, 6}));                      // column sums
  check_close(einsum1("ii->i", m22()), f32({2}, {1, 4}));                      // diagonal
  check_close(einsum1("ii->", m22()), f32({}, {5}));                           // trace
  check_close(einsum1("i->ii", f32({2}, {1, 2})), f32({2, 2}, {1, 0, 0, 2}));  // diagonal matrix
  check_close(einsum1("ij->ij", m22()), m22());
  // "...ij->...ji" over a batch of two: [[1,2],[3,4]] and [[5,6],[7,8]] transposed.
  check_close(einsum1("...ij->...ji", f32({2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8})),
              f32({2, 2, 2}, {1, 3, 2, 4, 5, 7, 6, 8}));
}

TEST_CASE("Einsum with two operands") {
  const Tensor b = f32({2, 2}, {5, 6, 7, 8});
  check_close(einsum2("ij,jk->ik", m22(), b), f32({2, 2}, {19, 22, 43, 50}));  // matmul
  check_close(einsum2("ij,kj->ik", m22(), b), f32({2, 2}, {17, 23, 39, 53}));  // a x b^T
  check_close(einsum2("ij,ij->", m22(), b), f32({}, {70}));                    // 5+12+21+32
  check_close(einsum2("ij,ij->ij", m22(), b), f32({2, 2}, {5, 12, 21, 32}));
  // outer product: [1,2] x [3,4,5]
  check_close(einsum2("i,j->ij", f32({2}, {1, 2}), f32({3}, {3, 4, 5})),
              f32({2, 3}, {3, 4, 5, 6, 8, 10}));
  // a label summed in one operand only: sum_j a[i][j] * sum_k c[k] = (3, 7) * 3
  check_close(einsum2("ij,k->i", m22(), f32({2}, {1, 2})), f32({2}, {9, 21}));
  // two scalars: 2 * 3
  check_close(einsum2(",->", f32({}, {2}), f32({}, {3})), f32({}, {6}));
  // a diagonal times a vector: a[i][i] * v[i] = (1*10, 4*20)
  check_close(einsum2("ii,i->i", m22(), f32({2}, {10, 20})), f32({2}, {10, 80}));
}

TEST_CASE("Einsum broadcasts ellipsis dimensions") {
  SECTION("[2,1,2] with [3,2]: batch dims (2,1) and (3) broadcast to (2,3)") {
    // "...i,...i->..." dots the last axis: x rows (1,2), (3,4); y rows (1,0), (0,1), (1,1).
    // out[b][c] = x_b . y_c = 1, 2, 3 ; 3, 4, 7
    Tensor x = f32({2, 1, 2}, {1, 2, 3, 4});
    Tensor y = f32({3, 2}, {1, 0, 0, 1, 1, 1});
    check_close(einsum2("...i,...i->...", x, y), f32({2, 3}, {1, 2, 3, 3, 4, 7}));
  }
  SECTION("Dense on a 3-D input: ...b,bc->...c") {
    // [1,2,2] x [[5,6],[7,8]]: rows (1,2) -> (19,22), (3,4) -> (43,50)
    check_close(einsum2("...b,bc->...c", f32({1, 2, 2}, {1, 2, 3, 4}), f32({2, 2}, {5, 6, 7, 8})),
                f32({1, 2, 2}, {19, 22, 43, 50}));
  }
  SECTION("an ellipsis that stands for no dimension") {
    check_close(einsum2("...b,bc->...c", f32({2}, {1, 2}), f32({2, 2}, {5, 6, 7, 8})),
                f32({2}, {19, 22}));
  }
}

TEST_CASE("Einsum equations Keras emits") {
  SECTION("EinsumDense on 3-D input: abc,cd->abd") {
    // two batches of one row: (1,2) and (3,4) times [[5,6],[7,8]].
    check_close(einsum2("abc,cd->abd", f32({2, 1, 2}, {1, 2, 3, 4}), f32({2, 2}, {5, 6, 7, 8})),
                f32({2, 1, 2}, {19, 22, 43, 50}));
  }
  SECTION("MultiHeadAttention projection: abc,cde->abde") {
    // x = one token (1, 2); kernel [2, 2 heads, 1]: w[c][d][0] = [[1, 2], [3, 4]]
    // out[0][0][d] = 1*w[0][d] + 2*w[1][d] = (1+6, 2+8) = (7, 10)
    check_close(einsum2("abc,cde->abde", f32({1, 1, 2}, {1, 2}), f32({2, 2, 1}, {1, 2, 3, 4})),
                f32({1, 1, 2, 1}, {7, 10}));
  }
  SECTION("MultiHeadAttention output: abcd,cde->abe") {
    // heads c = 2, dim d = 1: x[0][0] = [[1], [2]], w[c][0][e] = [[1, 2], [3, 4]]
    // out[e] = 1*w[0][0][e] + 2*w[1][0][e] = (1+6, 2+8) = (7, 10)
    check_close(einsum2("abcd,cde->abe", f32({1, 1, 2, 1}, {1, 2}), f32({2, 1, 2}, {1, 2, 3, 4})),
                f32({1, 1, 2}, {7, 10}));
  }
  SECTION("MultiHeadAttention scores: aecd,abcd->acbe") {
    // a=1, key length e=2, heads c=1, dim d=2, query length b=1.
    // key rows (1,2), (3,4); query (5,6): scores = (1*5+2*6, 3*5+4*6) = (17, 39).
    check_close(
        einsum2("aecd,abcd->acbe", f32({1, 2, 1, 2}, {1, 2, 3, 4}), f32({1, 1, 1, 2}, {5, 6})),
        f32({1, 1, 1, 2}, {17, 39}));
  }
  SECTION("MultiHeadAttention context: acbe,aecd->abcd") {
    // weights (a=1, c=1, b=1, e=2) = (0.25, 0.75); values (e=2, c=1, d=2) = (1,2), (3,4):
    // context = 0.25*(1,2) + 0.75*(3,4) = (2.5, 3.5)
    check_close(einsum2("acbe,aecd->abcd", f32({1, 1, 1, 2}, {0.25f, 0.75f}),
                        f32({1, 2, 1, 2}, {1, 2, 3, 4})),
                f32({1, 1, 1, 2}, {2.5f, 3.5f}));
  }
}

TEST_CASE("Einsum in other types") {
  Attrs a = einsum_attrs("ij,jk->ik", 2);
  a["T"] = DType::int64;
  check_equal(run_op1("Einsum",
                      {Tensor::from<std::int64_t>({1, 2}, {1, -2}),
                       Tensor::from<std::int64_t>({2, 1}, {3, 4})},
                      a),
              Tensor::from<std::int64_t>({1, 1}, {-5}));
  a["T"] = DType::float64;
  check_close(
      run_op1("Einsum",
              {Tensor::from<double>({1, 2}, {0.5, 0.25}), Tensor::from<double>({2, 1}, {2, 4})}, a),
      Tensor::from<double>({1, 1}, {2}));
}

TEST_CASE("Einsum refuses bad equations") {
  const Tensor v = f32({2}, {1, 2});
  CHECK_REFUSES(Errc::invalid_attr, "Einsum", {m22()}, einsum_attrs("ij", 1));
  CHECK_REFUSES(Errc::invalid_attr, "Einsum", {m22()}, einsum_attrs("ij->i->j", 1));
  CHECK_REFUSES(Errc::invalid_attr, "Einsum", {m22()}, einsum_attrs("ij->k", 1));
  CHECK_REFUSES(Errc::invalid_attr, "Einsum", {m22()}, einsum_attrs("i1->i", 1));
  CHECK_REFUSES(Errc::invalid_attr, "Einsum", {m22()}, einsum_attrs("i..j->i", 1));
  CHECK_REFUSES(Errc::invalid_attr, "Einsum", {m22()}, einsum_attrs("......->", 1));
  CHECK_REFUSES(Errc::invalid_attr, "Einsum", {m22()}, einsum_attrs("ij,jk->ik", 1));
  CHECK_REFUSES(Errc::invalid_attr, "Einsum", {m22(), v}, einsum_attrs("ij,j->i", 1));
  CHECK_REFUSES(Errc::shape_mismatch, "Einsum", {m22()}, einsum_attrs("ijk->i", 1));
  CHECK_REFUSES(Errc::shape_mismatch, "Einsum", {m22(), f32({3}, {1, 2, 3})},
                einsum_attrs("ij,j->i", 2));
  CHECK_REFUSES(Errc::shape_mismatch, "Einsum", {f32({2, 3}, {1, 2, 3, 4, 5, 6})},
                einsum_attrs("ii->i", 1));
  // Ellipsis dimensions must reach the output.
  CHECK_REFUSES(Errc::invalid_attr, "Einsum", {m22()}, einsum_attrs("...->", 1));
  CHECK_REFUSES(Errc::shape_mismatch, "Einsum",
                {f32({2, 2}, {1, 2, 3, 4}), f32({3, 2}, {1, 2, 3, 4, 5, 6})},
                einsum_attrs("...i,...i->...", 2));
  CHECK_REFUSES(Errc::invalid_graph, "Einsum", {m22(), m22(), m22()}, einsum_attrs("i,i,i->i", 3));
}

}  // namespace KILN_TEST_FILE
