// Helpers shared by the tests: run one op on the reference kernels, compare tensors.
#pragma once

#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include <kiln/eager.hpp>
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

// The first of float32, int32 and bool that an elementwise op accepts for every input: what
// tests that walk the catalogue give it (the bitwise ops take only integers, the logical ones
// only bool). Asks the op's own type inference rather than a list of names.
inline DType first_accepted_dtype(const std::string& op) {
  const OpDef& def = *op_catalogue().find(op);
  for (DType dtype : {DType::float32, DType::int32, DType::boolean}) {
    Node node;
    node.name = "probe/" + op;
    node.op = op;
    for (const std::string& key : def.input_types) {
      if (!key.empty()) node.attrs[key] = dtype;
    }
    fill_default_attrs(node, def);
    const std::vector<TensorType> inputs(static_cast<std::size_t>(def.min_inputs),
                                         TensorType{dtype, Shape({2})});
    try {
      infer_node(node, inputs, std::vector<const Tensor*>(inputs.size(), nullptr));
      return dtype;
    } catch (const Error&) {
    }
  }
  FAIL("no dtype among float32, int32 and bool is accepted by " << op);
  return DType::float32;
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

// Every output of `actual` within atol + rtol * |expected| of `expected`'s, by name: no
// output more or less.
inline void check_outputs_close(const NamedTensors& actual, const NamedTensors& expected,
                                double atol, double rtol) {
  REQUIRE(actual.size() == expected.size());
  for (const auto& [key, want] : expected) {
    INFO("output " << key);
    REQUIRE(actual.count(key));
    check_close(actual.at(key), want, atol, rtol);
  }
}

}  // namespace kiln::test
