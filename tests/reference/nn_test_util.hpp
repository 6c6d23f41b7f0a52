// Helpers for the nn reference tests: tensor literals, attribute sets, shape inference on
// partial shapes, and error checks.
#pragma once

#include <string>
#include <vector>

#include "../support.hpp"

namespace kiln::test::nn {

using namespace std::string_literals;

inline Tensor f32(Shape shape, std::vector<float> values) {
  return Tensor::from_vector<float>(std::move(shape), values);
}

// Attributes of a Conv2D / DepthwiseConv2dNative node. Strides and dilations are given for
// height and width and placed where data_format says.
inline Attrs conv_attrs(const std::string& padding, std::int64_t stride_h = 1,
                        std::int64_t stride_w = 1, const std::string& format = "NHWC",
                        std::int64_t dilation_h = 1, std::int64_t dilation_w = 1) {
  const bool nchw = format == "NCHW";
  Attrs a{{"T", DType::float32}, {"padding", padding}, {"data_format", format}};
  a["strides"] = nchw ? Ints{1, 1, stride_h, stride_w} : Ints{1, stride_h, stride_w, 1};
  a["dilations"] = nchw ? Ints{1, 1, dilation_h, dilation_w} : Ints{1, dilation_h, dilation_w, 1};
  return a;
}

inline Attrs pool_attrs(const std::string& padding, std::int64_t k_h, std::int64_t k_w,
                        std::int64_t stride_h, std::int64_t stride_w,
                        const std::string& format = "NHWC") {
  const bool nchw = format == "NCHW";
  Attrs a{{"T", DType::float32}, {"padding", padding}, {"data_format", format}};
  a["ksize"] = nchw ? Ints{1, 1, k_h, k_w} : Ints{1, k_h, k_w, 1};
  a["strides"] = nchw ? Ints{1, 1, stride_h, stride_w} : Ints{1, stride_h, stride_w, 1};
  return a;
}

// Output types that type inference gives for inputs of the given (possibly partial) shapes.
inline std::vector<TensorType> infer(const std::string& op, const std::vector<TensorType>& inputs,
                                     Attrs attrs) {
  Node node;
  node.name = "test/" + op;
  node.op = op;
  node.attrs = std::move(attrs);
  fill_default_attrs(node);
  return infer_node(node, inputs, std::vector<const Tensor*>(inputs.size(), nullptr));
}

inline TensorType f32_type(Shape shape) { return {DType::float32, std::move(shape)}; }

// Runs the op and returns the kiln::Error it throws (failing the test when it does not).
inline Error run_error(const std::string& op, const std::vector<Tensor>& inputs, Attrs attrs) {
  try {
    run_op(op, inputs, std::move(attrs));
  } catch (const Error& e) {
    return e;
  }
  FAIL("expected " << op << " to throw kiln::Error");
  return Error(Errc::internal, "not reached: FAIL throws");
}

inline Error infer_error(const std::string& op, const std::vector<TensorType>& inputs,
                         Attrs attrs) {
  try {
    infer(op, inputs, std::move(attrs));
  } catch (const Error& e) {
    return e;
  }
  FAIL("expected inference of " << op << " to throw kiln::Error");
  return Error(Errc::internal, "not reached: FAIL throws");
}

}  // namespace kiln::test::nn

// CHECK_REFUSES(Errc::invalid_attr, "Conv2D", {x, w}, attrs): running the op throws a
// kiln::Error with this code. Variadic, so that braced lists pass through the macro intact.
#define CHECK_REFUSES(errc, op, ...) \
  CHECK(::kiln::test::nn::run_error(op, __VA_ARGS__).code() == (errc))
// The same for type inference alone, on input types that may be partly unknown.
#define CHECK_INFER_REFUSES(errc, op, ...) \
  CHECK(::kiln::test::nn::infer_error(op, __VA_ARGS__).code() == (errc))
