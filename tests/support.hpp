// Helpers shared by the tests: run one op on the reference kernels, compare tensors.
#pragma once

#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include <kiln/kernels/reference/reference.hpp>

namespace kiln::test {

// Runs `op` on `inputs` with the reference kernels. The node gets the catalogue's defaults
// first, exactly as the importer and the builder give them.
inline std::vector<Tensor> run_op(const std::string& op, const std::vector<Tensor>& inputs,
                                  Attrs attrs = {}) {
  Node node;
  node.name = "test/" + op;
  node.op = op;
  node.attrs = std::move(attrs);
  fill_default_attrs(node);
  return reference::evaluate(node, inputs);
}

inline Tensor run_op1(const std::string& op, const std::vector<Tensor>& inputs, Attrs attrs = {}) {
  std::vector<Tensor> out = run_op(op, inputs, std::move(attrs));
  REQUIRE(!out.empty());
  return out[0];
}

// Same dtype and shape, and every element within atol + rtol * |expected|. NaNs must match.
inline void check_close(const Tensor& actual, const Tensor& expected, double atol = 1e-6,
                        double rtol = 1e-6) {
  REQUIRE(actual.valid());
  REQUIRE(std::string(dtype_name(actual.dtype())) == dtype_name(expected.dtype()));
  REQUIRE(actual.shape().str() == expected.shape().str());
  for (std::int64_t i = 0; i < expected.num_elements(); ++i) {
    const double a = actual.element_as_double(i);
    const double e = expected.element_as_double(i);
    if (std::isnan(e)) {
      CHECK(std::isnan(a));
      continue;
    }
    if (std::isinf(e)) {
      CHECK(a == e);
      continue;
    }
    INFO("element " << i << ": actual " << a << ", expected " << e);
    CHECK(std::fabs(a - e) <= atol + rtol * std::fabs(e));
  }
}

// An exact comparison for integer and boolean results.
inline void check_equal(const Tensor& actual, const Tensor& expected) {
  check_close(actual, expected, 0.0, 0.0);
}

}  // namespace kiln::test
