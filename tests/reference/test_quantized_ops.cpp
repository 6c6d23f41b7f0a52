// Kiln's int8 ops on the reference kernels, against integers worked out by hand (each expected
// value is derived in the comment above it), and the parts of quantization that need no
// backend: range observers, per-channel weights, the graph rewrite.
#include <kiln/quantize/ranges.hpp>
#include <kiln/quantize/rewrite.hpp>

#include "../support.hpp"

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;
using test::check_close;
using test::check_equal;
using test::run_op1;

namespace {

template <class T> Tensor tensor(Shape shape, std::initializer_list<T> values) {
  return Tensor::from<T>(std::move(shape), values);
}

const Attrs kValid = {{"strides", Ints{1, 1, 1, 1}}, {"padding", std::string("VALID")}};

Attrs with(Attrs attrs, std::initializer_list<std::pair<const std::string, AttrValue>> more) {
  for (const auto& [k, v] : more) attrs[k] = v;
  return attrs;
}

}  // namespace

TEST_CASE("_KilnQuantize rounds half to even and saturates; _KilnDequantize multiplies back") {
  // x / 0.5 = 1, -0.52, 2, 200, -200, 0.5, 1.5 -> int8 1, -1, 2, 127, -128, 0 (tie to even), 2
  const Tensor x = tensor<float>({7}, {0.5f, -0.26f, 1.0f, 100.f, -100.f, 0.25f, 0.75f});
  check_equal(run_op1("_KilnQuantize", {x}, {{"scale", 0.5f}, {"out_type", DType::int8}}),
              tensor<std::int8_t>({7}, {1, -1, 2, 127, -128, 0, 2}));
  // uint8 clamps at 0 below and 255 above: 200 fits.
  check_equal(run_op1("_KilnQuantize", {x}, {{"scale", 0.5f}, {"out_type", DType::uint8}}),
              tensor<std::uint8_t>({7}, {1, 0, 2, 200, 0, 0, 2}));
  check_equal(run_op1("_KilnDequantize", {tensor<std::int8_t>({3}, {-128, 3, 0})}, {{"scale", 0.25f}}),
              tensor<float>({3}, {-32.f, 0.75f, 0.f}));
  check_equal(run_op1("_KilnDequantize", {tensor<std::uint8_t>({2}, {255, 4})}, {{"scale", 0.5f}}),
              tensor<float>({2}, {127.5f, 2.f}));
}

TEST_CASE("_KilnQuantize refuses a float64 input, a zero scale and a float32 out_type") {
  const Tensor x = tensor<float>({1}, {1.f});
  CHECK_THROWS_AS(run_op1("_KilnQuantize", {x}, {{"scale", 0.f}, {"out_type", DType::int8}}), Error);
  CHECK_THROWS_AS(run_op1("_KilnQuantize", {x}, {{"scale", 1.f}, {"out_type", DType::float32}}), Error);
  CHECK_THROWS_AS(run_op1("_KilnQuantize", {tensor<double>({1}, {1.0})}, {{"scale", 1.f}, {"out_type", DType::int8}}),
                  Error);
}

namespace {

// x: uint8 [1, 3, 3, 1] = 1..9. Filter [2, 2, 1, 2]: channel 0 = [[1, 0], [0, -1]], channel 1 all 2.
//   acc channel 0 = x[i][j] - x[i+1][j+1] = -4 at every pixel
//   acc channel 1 = 2 * window sum = 24, 32, 48, 56
// input_scale 0.5, weight_scales 0.25 and 0.125: multipliers 0.125, 0.0625
//   real channel 0 = -0.5; channel 1 = 1.5, 2, 3, 3.5
// BiasAdd [1, -2] then Relu: channel 0 = 0.5; channel 1 = 0, 0, 1, 1.5
struct ConvCase {
  Tensor x = tensor<std::uint8_t>({1, 3, 3, 1}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  Tensor w = tensor<std::int8_t>({2, 2, 1, 2}, {1, 2, 0, 2, 0, 2, -1, 2});
  Tensor bias = tensor<float>({2}, {1.f, -2.f});
  Attrs attrs = with(kValid, {{"input_scale", 0.5f},
                              {"weight_scales", Floats{0.25f, 0.125f}},
                              {"fused_ops", Strings{"BiasAdd", "Relu"}},
                              {"num_args", std::int64_t{1}}});
};

}  // namespace

TEST_CASE("_KilnQuantizedConv2D: int32 sums, per-channel scales, the epilogue in real units") {
  ConvCase c;
  check_equal(run_op1("_KilnQuantizedConv2D", {c.x, c.w, c.bias}, c.attrs),
              tensor<float>({1, 2, 2, 2}, {0.5f, 0.f, 0.5f, 0.f, 0.5f, 1.f, 0.5f, 1.5f}));
  // uint8 at output_scale 0.25: real / 0.25.
  check_equal(run_op1("_KilnQuantizedConv2D", {c.x, c.w, c.bias},
                      with(c.attrs, {{"out_type", DType::uint8}, {"output_scale", 0.25f}})),
              tensor<std::uint8_t>({1, 2, 2, 2}, {2, 0, 2, 0, 2, 4, 2, 6}));
}

TEST_CASE("_KilnQuantizedConv2D refuses float inputs, NCHW and a wrong number of weight scales") {
  ConvCase c;
  CHECK_THROWS_AS(run_op1("_KilnQuantizedConv2D", {c.x, c.w, c.bias},
                          with(c.attrs, {{"weight_scales", Floats{0.25f}}})),
                  Error);
  CHECK_THROWS_AS(run_op1("_KilnQuantizedConv2D", {c.x, c.w, c.bias},
                          with(c.attrs, {{"data_format", std::string("NCHW")}})),
                  Error);
  const Tensor xf = tensor<float>({1, 3, 3, 1}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  CHECK_THROWS_AS(run_op1("_KilnQuantizedConv2D", {xf, c.w, c.bias}, c.attrs), Error);
}

TEST_CASE("_KilnQuantizedDepthwiseConv2dNative: one filter per channel") {
  // x int8 [1, 2, 2, 2]: channel 0 = 1, 2, 3, 4; channel 1 = -1, -2, -3, -4 (pixels in order).
  // Filter [2, 2, 2, 1]: channel 0 all 1, channel 1 = 1, 2, 3, 4 by tap.
  //   acc channel 0 = 1+2+3+4 = 10; channel 1 = -1 - 4 - 9 - 16 = -30
  // input_scale 0.5, weight_scales 1 and 0.5: real 5, -7.5; int8 at output_scale 0.5: 10, -15.
  const Tensor x = tensor<std::int8_t>({1, 2, 2, 2}, {1, -1, 2, -2, 3, -3, 4, -4});
  const Tensor w = tensor<std::int8_t>({2, 2, 2, 1}, {1, 1, 1, 2, 1, 3, 1, 4});
  const Attrs attrs = with(kValid, {{"input_scale", 0.5f}, {"weight_scales", Floats{1.f, 0.5f}}});
  check_equal(run_op1("_KilnQuantizedDepthwiseConv2dNative", {x, w}, attrs),
              tensor<float>({1, 1, 1, 2}, {5.f, -7.5f}));
  check_equal(run_op1("_KilnQuantizedDepthwiseConv2dNative", {x, w},
                      with(attrs, {{"out_type", DType::int8}, {"output_scale", 0.5f}})),
              tensor<std::int8_t>({1, 1, 1, 2}, {10, -15}));
}

TEST_CASE("_KilnQuantizedMatMul with a residual Add") {
  // a = [[1, 2, 3], [4, 5, 6]] (uint8), b = [[1, -1], [0, 2], [-3, 1]] (int8)
  //   acc = [[1 - 9, -1 + 4 + 3], [4 - 18, -4 + 10 + 6]] = [[-8, 6], [-14, 12]]
  // scales 1 and (0.5, 0.25): real [[-4, 1.5], [-7, 3]]; + residual 1: [[-3, 2.5], [-6, 4]]
  const Tensor a = tensor<std::uint8_t>({2, 3}, {1, 2, 3, 4, 5, 6});
  const Tensor b = tensor<std::int8_t>({3, 2}, {1, -1, 0, 2, -3, 1});
  const Tensor residual = tensor<float>({2, 2}, {1.f, 1.f, 1.f, 1.f});
  check_equal(run_op1("_KilnQuantizedMatMul", {a, b, residual},
                      {{"input_scale", 1.f},
                       {"weight_scales", Floats{0.5f, 0.25f}},
                       {"fused_ops", Strings{"Add"}},
                       {"num_args", std::int64_t{1}}}),
              tensor<float>({2, 2}, {-3.f, 2.5f, -6.f, 4.f}));
}

TEST_CASE("RangeObserver: min/max, and a percentile read from the magnitude histogram") {
  quantization::RangeObserver r;
  std::vector<float> values;
  for (int i = 1; i <= 1000; ++i) values.push_back(static_cast<float>(i));
  r.observe(Tensor::from_vector<float>(Shape{1000}, values));
  r.observe(tensor<float>({2}, {0.f, std::nanf("")}));  // NaN says nothing of a range
  CHECK(r.count() == 1001);
  CHECK(r.min() == 0.f);
  CHECK(r.max() == 1000.f);
  CHECK(r.non_negative());
  CHECK(r.magnitude(quantization::CalibrationMethod::minmax, 99.99) == 1000.f);
  // 99% of 1001 values: the 991st smallest magnitude is 990; bins are 1000/2048 wide.
  const float p99 = r.magnitude(quantization::CalibrationMethod::percentile, 99.0);
  CHECK(p99 >= 990.f);
  CHECK(p99 <= 990.f + 1000.f / 2048.f);
  // A larger value later doubles the bin width until it fits; the percentile stays within a bin.
  r.observe(tensor<float>({1}, {-3000.f}));
  CHECK_FALSE(r.non_negative());
  CHECK(r.magnitude(quantization::CalibrationMethod::minmax, 99.99) == 3000.f);
  const float p50 = r.magnitude(quantization::CalibrationMethod::percentile, 50.0);
  CHECK(p50 >= 501.f);
  CHECK(p50 <= 501.f + 4000.f / 2048.f);
}

TEST_CASE("value_quantization: uint8 (0..127) for values never below zero, int8 otherwise") {
  const quantization::ValueQuantization u = quantization::value_quantization(2.55f, true);
  CHECK(u.type == DType::uint8);
  CHECK(u.scale == 2.55f / 127.f);  // 7 bits: see value_quantization
  const quantization::ValueQuantization s = quantization::value_quantization(1.27f, false);
  CHECK(s.type == DType::int8);
  CHECK(s.scale == 1.27f / 127.f);
  CHECK(quantization::value_quantization(0.f, false).scale == 1.f);
}

TEST_CASE("quantize_weights: per output channel, max |w| maps to 127") {
  // [1, 1, 2, 2] HWIO: channel 0 = 0.25, -1.0 (scale 1/127), channel 1 = 0.2, 0.05 (scale 0.2/127)
  //   channel 0: 0.25 * 127 = 31.75 -> 32, -127; channel 1: 127, 31.75 -> 32
  const Tensor w = tensor<float>({1, 1, 2, 2}, {0.25f, 0.2f, -1.0f, 0.05f});
  const quantization::QuantizedWeights q = quantization::quantize_weights(w, 2);
  CHECK(q.scales == Floats{1.0f / 127.f, 0.2f / 127.f});
  check_equal(q.values, tensor<std::int8_t>({1, 1, 2, 2}, {32, 127, -127, 32}));
}

TEST_CASE("the rewrite quantizes a chain of two convolutions and keeps int8 between them") {
  // x -> conv_a -> conv_b -> output: conv_a hands int8 to conv_b, conv_b writes float32.
  Graph g;
  Node x;
  x.name = "x";
  x.op = "Placeholder";
  x.attrs = {{"dtype", DType::float32}, {"shape", Shape{1, 4, 4, 2}}};
  const NodeId xid = g.add(x);
  auto constant = [&](const std::string& name, Tensor value) {
    Node n;
    n.name = name;
    n.op = "Const";
    n.attrs = {{"dtype", value.dtype()}, {"value", value}};
    return g.add(n);
  };
  const NodeId wa = constant("wa", tensor<float>({1, 1, 2, 2}, {1.f, 0.5f, -2.f, 0.25f}));
  const NodeId wb = constant("wb", tensor<float>({1, 1, 2, 1}, {0.5f, -0.5f}));
  auto conv = [&](const std::string& name, Value in, NodeId w) {
    Node n;
    n.name = name;
    n.op = "Conv2D";
    n.inputs = {in, Value{w, 0}};
    n.attrs = with(kValid, {{"T", DType::float32}});
    fill_default_attrs(n);
    return g.add(n);
  };
  const NodeId a = conv("conv_a", Value{xid, 0}, wa);
  const NodeId b = conv("conv_b", Value{a, 0}, wb);
  g.inputs().push_back({"x", Value{xid, 0}});
  g.outputs().push_back({"y", Value{b, 0}});
  infer_types(g);

  REQUIRE(quantization::quantizable_nodes(g).size() == 2);
  const std::map<Value, quantization::ValueQuantization> ranges = {
      {Value{xid, 0}, {0.5f, DType::int8}}, {Value{a, 0}, {0.25f, DType::uint8}}};
  const quantization::RewriteReport report = quantization::quantize_graph(g, ranges);
  CHECK(report.quantize_nodes == 1);
  REQUIRE(report.quantized.size() == 2);
  const Node& qa = g.node(g.at("conv_a"));
  const Node& qb = g.node(g.at("conv_b"));
  CHECK(qa.op == "_KilnQuantizedConv2D");
  CHECK(qa.outputs[0].dtype == DType::uint8);   // read only by conv_b: stays quantized
  CHECK(qa.attr<float>("output_scale") == 0.25f);
  CHECK(qa.attr<float>("input_scale") == 0.5f);
  CHECK(qa.attr<Floats>("weight_scales") == Floats{2.f / 127.f, 0.5f / 127.f});
  CHECK(qb.outputs[0].dtype == DType::float32);  // a graph output
  CHECK(g.node(qb.inputs[0].node).name == "conv_a");
  CHECK(g.node(qa.inputs[0].node).op == "_KilnQuantize");
  CHECK_FALSE(g.find("wa"));  // the float32 weights are gone
}

}  // namespace KILN_TEST_FILE
