// Helpers for the hand-written math tests: type inference on declared types, and the code of
// the Error a call throws.
#pragma once

#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "../support.hpp"

namespace kiln::test {

constexpr float kNaNf = std::numeric_limits<float>::quiet_NaN();
constexpr float kInff = std::numeric_limits<float>::infinity();

// Runs `op`'s shape function on declared input types; `values[i]` is input i's value if known.
inline std::vector<TensorType> infer_op(const std::string& op, std::vector<TensorType> inputs,
                                        Attrs attrs, std::vector<const Tensor*> values = {}) {
  Node node;
  node.name = "test/" + op;
  node.op = op;
  node.attrs = std::move(attrs);
  fill_default_attrs(node);
  values.resize(inputs.size(), nullptr);
  return infer_node(node, std::move(inputs), std::move(values));
}

inline TensorType infer_op1(const std::string& op, std::vector<TensorType> inputs, Attrs attrs,
                            std::vector<const Tensor*> values = {}) {
  std::vector<TensorType> out =
      infer_op(op, std::move(inputs), std::move(attrs), std::move(values));
  REQUIRE(out.size() == 1);
  return out[0];
}

// The code of the kiln::Error that `f` throws; fails the test if it throws nothing.
inline Errc error_code(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    INFO(e.what());
    return e.code();
  }
  FAIL("expected a kiln::Error, but nothing was thrown");
  return Errc::internal;
}

// The message of the kiln::Error that `f` throws (empty if none).
inline std::string error_text(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace kiln::test
