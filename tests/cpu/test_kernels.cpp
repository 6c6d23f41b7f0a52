// Each cpu (oneDNN) kernel against the reference kernel on random inputs: convolutions in every
// geometry TensorFlow allows, the fused epilogues, matrix products, pooling, reductions,
// elementwise ops with broadcasting, softmax, batch norm and the byte-moving ops.
#include "cpu_support.hpp"

#include <kiln/kernels/cpu/epilogue.hpp>
#include <kiln/kernels/cpu/vector_math.hpp>

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;
using test::check_against_reference;
using test::random_tensor;

namespace {

Attrs conv_attrs(Ints strides, const std::string& padding, Ints dilations = {1, 1, 1, 1},
                 const std::string& format = "NHWC", Ints explicit_paddings = {}) {
  return {{"strides", strides},
          {"padding", padding},
          {"dilations", dilations},
          {"data_format", format},
          {"explicit_paddings", explicit_paddings}};
}

Attrs with(Attrs attrs, const Attrs& more) {
  for (const auto& [k, v] : more) attrs[k] = v;
  return attrs;
}

}  // namespace

TEST_CASE("Conv2D on oneDNN matches the reference in every geometry", "[cpu][conv]") {
  struct Case {
    const char* name;
    Shape input, filter;
    Attrs attrs;
  };
  const std::vector<Case> cases = {
      {"3x3 SAME stride 1", {2, 9, 9, 5}, {3, 3, 5, 7}, conv_attrs({1, 1, 1, 1}, "SAME")},
      {"3x3 SAME stride 2 (odd padding after)",
       {1, 10, 11, 4},
       {3, 3, 4, 8},
       conv_attrs({1, 2, 2, 1}, "SAME")},
      {"7x7 VALID stride 2", {1, 20, 18, 3}, {7, 7, 3, 16}, conv_attrs({1, 2, 2, 1}, "VALID")},
      {"1x1 stride 1", {2, 6, 6, 32}, {1, 1, 32, 24}, conv_attrs({1, 1, 1, 1}, "VALID")},
      {"unequal strides", {1, 12, 13, 3}, {3, 2, 3, 4}, conv_attrs({1, 2, 3, 1}, "SAME")},
      {"dilated", {1, 12, 12, 4}, {3, 3, 4, 6}, conv_attrs({1, 1, 1, 1}, "VALID", {1, 2, 3, 1})},
      {"dilated SAME",
       {1, 11, 11, 4},
       {3, 3, 4, 6},
       conv_attrs({1, 1, 1, 1}, "SAME", {1, 2, 2, 1})},
      {"explicit padding",
       {1, 8, 8, 3},
       {3, 3, 3, 5},
       conv_attrs({1, 1, 1, 1}, "EXPLICIT", {1, 1, 1, 1}, "NHWC", {0, 0, 1, 2, 3, 0, 0, 0})},
      {"grouped (2 groups)", {1, 7, 7, 8}, {3, 3, 4, 6}, conv_attrs({1, 1, 1, 1}, "SAME")},
      {"grouped (4 groups), stride 2",
       {2, 9, 9, 8},
       {3, 3, 2, 12},
       conv_attrs({1, 2, 2, 1}, "SAME")},
      {"NCHW", {1, 5, 9, 9}, {3, 3, 5, 4}, conv_attrs({1, 1, 2, 2}, "SAME", {1, 1, 1, 1}, "NCHW")},
  };
  std::uint32_t seed = 1;
  for (const Case& c : cases) {
    SECTION(c.name) {
      const Tensor x = random_tensor(c.input, seed++);
      const Tensor w = random_tensor(c.filter, seed++);
      // A constant filter is reordered into oneDNN's layout; a computed one is read as HWIO.
      check_against_reference("Conv2D", {x, w}, c.attrs, {1});
      check_against_reference("Conv2D", {x, w}, c.attrs, {});
    }
  }
}

TEST_CASE("DepthwiseConv2dNative on oneDNN matches the reference", "[cpu][conv]") {
  struct Case {
    const char* name;
    Shape input, filter;
    Attrs attrs;
  };
  const std::vector<Case> cases = {
      {"3x3 SAME", {2, 9, 9, 16}, {3, 3, 16, 1}, conv_attrs({1, 1, 1, 1}, "SAME")},
      {"3x3 VALID stride 2", {1, 11, 11, 32}, {3, 3, 32, 1}, conv_attrs({1, 2, 2, 1}, "VALID")},
      {"multiplier 2", {1, 8, 8, 6}, {3, 3, 6, 2}, conv_attrs({1, 1, 1, 1}, "SAME")},
      {"5x5 dilated", {1, 14, 14, 8}, {5, 5, 8, 1}, conv_attrs({1, 1, 1, 1}, "SAME", {1, 2, 2, 1})},
      {"explicit padding",
       {1, 7, 7, 4},
       {3, 3, 4, 1},
       conv_attrs({1, 2, 2, 1}, "EXPLICIT", {1, 1, 1, 1}, "NHWC", {0, 0, 0, 1, 1, 0, 0, 0})},
  };
  std::uint32_t seed = 100;
  for (const Case& c : cases) {
    SECTION(c.name) {
      const Tensor x = random_tensor(c.input, seed++);
      const Tensor w = random_tensor(c.filter, seed++);
      check_against_reference("DepthwiseConv2dNative", {x, w}, c.attrs, {1});
      check_against_reference("DepthwiseConv2dNative", {x, w}, c.attrs, {});
    }
  }
}

TEST_CASE("fused convolution epilogues become oneDNN post-ops", "[cpu][conv][fused]") {
  const Tensor x = random_tensor({2, 8, 8, 6}, 7);
  const Tensor w = random_tensor({3, 3, 6, 10}, 8);
  const Tensor dw = random_tensor({3, 3, 6, 1}, 9);
  const Tensor bias = random_tensor({10}, 10);
  const Tensor dw_bias = random_tensor({6}, 11);
  const Tensor residual = random_tensor({2, 8, 8, 10}, 12, -2.f, 2.f);
  const Tensor dw_residual = random_tensor({2, 8, 8, 6}, 13, -2.f, 2.f);
  const Attrs base = conv_attrs({1, 1, 1, 1}, "SAME");

  for (const char* activation : {"Relu", "Relu6", "Elu", "LeakyRelu", "Sigmoid", "Tanh", "Swish",
                                 "GeluExact", "GeluApproximate"}) {
    SECTION(std::string("BiasAdd + ") + activation) {
      const Attrs attrs = with(base, {{"fused_ops", Strings{"BiasAdd", activation}},
                                      {"num_args", std::int64_t{1}},
                                      {"leakyrelu_alpha", 0.3f}});
      check_against_reference("_FusedConv2D", {x, w, bias}, attrs, {1, 2});
      const Attrs dw_attrs = with(attrs, {});
      check_against_reference("_FusedDepthwiseConv2dNative", {x, dw, dw_bias}, dw_attrs, {1, 2});
    }
  }
  SECTION("residual Add then Relu: binary post-op, and sum post-op in place") {
    const Attrs attrs = with(
        base, {{"fused_ops", Strings{"BiasAdd", "Add", "Relu"}}, {"num_args", std::int64_t{2}}});
    test::CpuResult binary =
        check_against_reference("_FusedConv2D", {x, w, bias, residual}, attrs, {1, 2});
    test::CpuResult sum = check_against_reference("_FusedConv2D", {x, w, bias, residual}, attrs,
                                                  {1, 2}, /*in_place_input=*/3);
    (void)binary;
    (void)sum;
    check_against_reference("_FusedDepthwiseConv2dNative", {x, dw, dw_bias, dw_residual}, attrs,
                            {1, 2}, 3);
  }
  SECTION("Relu then residual Add, in place and not") {
    const Attrs attrs = with(
        base, {{"fused_ops", Strings{"BiasAdd", "Relu6", "Add"}}, {"num_args", std::int64_t{2}}});
    check_against_reference("_FusedConv2D", {x, w, bias, residual}, attrs, {1, 2});
    check_against_reference("_FusedConv2D", {x, w, bias, residual}, attrs, {1, 2}, 3);
  }
  SECTION("no bias, only an activation; a bias that is not constant") {
    check_against_reference(
        "_FusedConv2D", {x, w},
        with(base, {{"fused_ops", Strings{"Relu"}}, {"num_args", std::int64_t{0}}}), {1});
    check_against_reference(
        "_FusedConv2D", {x, w, bias},
        with(base, {{"fused_ops", Strings{"BiasAdd"}}, {"num_args", std::int64_t{1}}}), {});
  }
  SECTION("ScaleShift after the activation: binary mul and add post-ops per channel") {
    const Tensor scale = random_tensor({10}, 14, 0.5f, 2.f);
    const Tensor shift = random_tensor({10}, 15);
    const Attrs attrs = with(base, {{"fused_ops", Strings{"BiasAdd", "Relu", "ScaleShift"}},
                                    {"num_args", std::int64_t{3}}});
    check_against_reference("_FusedConv2D", {x, w, bias, scale, shift}, attrs, {1, 2, 3, 4});
    // With a residual before it, accumulated in place.
    const Attrs with_add =
        with(base, {{"fused_ops", Strings{"BiasAdd", "Add", "Relu", "ScaleShift"}},
                    {"num_args", std::int64_t{4}}});
    check_against_reference("_FusedConv2D", {x, w, bias, residual, scale, shift}, with_add,
                            {1, 2, 4, 5}, 3);
    const Tensor dw_scale = random_tensor({6}, 16, 0.5f, 2.f);
    const Tensor dw_shift = random_tensor({6}, 17);
    check_against_reference("_FusedDepthwiseConv2dNative", {x, dw, dw_bias, dw_scale, dw_shift},
                            attrs, {1, 2, 3, 4});
  }
  SECTION("stride 2 with the epilogue") {
    const Attrs attrs =
        with(conv_attrs({1, 2, 2, 1}, "SAME"),
             {{"fused_ops", Strings{"BiasAdd", "Relu"}}, {"num_args", std::int64_t{1}}});
    check_against_reference("_FusedConv2D", {x, w, bias}, attrs, {1, 2});
  }
}

TEST_CASE("MatMul, _FusedMatMul and BatchMatMul on oneDNN match the reference", "[cpu][matmul]") {
  const Tensor a = random_tensor({3, 7}, 20);
  const Tensor b = random_tensor({7, 5}, 21);
  const Tensor at = random_tensor({7, 3}, 22);
  const Tensor bt = random_tensor({5, 7}, 23);
  for (bool constant : {true, false}) {
    const std::vector<int> c = constant ? std::vector<int>{1} : std::vector<int>{};
    SECTION(std::string("transposes, ") + (constant ? "constant" : "computed") + " weights") {
      check_against_reference("MatMul", {a, b}, {}, c);
      check_against_reference("MatMul", {at, b}, {{"transpose_a", true}}, c);
      check_against_reference("MatMul", {a, bt}, {{"transpose_b", true}}, c);
      check_against_reference("MatMul", {at, bt}, {{"transpose_a", true}, {"transpose_b", true}},
                              c);
    }
  }
  SECTION("fused bias, activation and residual") {
    const Tensor bias = random_tensor({5}, 24);
    const Tensor residual = random_tensor({3, 5}, 25);
    check_against_reference(
        "_FusedMatMul", {a, b, bias},
        {{"fused_ops", Strings{"BiasAdd", "Relu"}}, {"num_args", std::int64_t{1}}}, {1, 2});
    check_against_reference("_FusedMatMul", {a, bt, bias},
                            {{"fused_ops", Strings{"BiasAdd", "GeluExact"}},
                             {"num_args", std::int64_t{1}},
                             {"transpose_b", true}},
                            {1, 2});
    const Attrs add = {{"fused_ops", Strings{"BiasAdd", "Add", "Tanh"}},
                       {"num_args", std::int64_t{2}}};
    check_against_reference("_FusedMatMul", {a, b, bias, residual}, add, {1, 2});
    check_against_reference("_FusedMatMul", {a, b, bias, residual}, add, {1, 2}, 3);
  }
  SECTION("ScaleShift after the activation, on 2-D and 3-D products") {
    const Tensor bias = random_tensor({5}, 35);
    const Tensor scale = random_tensor({5}, 36, 0.5f, 2.f);
    const Tensor shift = random_tensor({5}, 37);
    const Attrs attrs = {{"fused_ops", Strings{"BiasAdd", "Relu6", "ScaleShift"}},
                         {"num_args", std::int64_t{3}}};
    check_against_reference("_FusedMatMul", {a, b, bias, scale, shift}, attrs, {1, 2, 3, 4});
    check_against_reference("_FusedBatchMatMulV2",
                            {random_tensor({2, 3, 7}, 38), b, bias, scale, shift}, attrs,
                            {1, 2, 3, 4});
  }
  SECTION("a Dense layer at batch 1") {
    check_against_reference(
        "_FusedMatMul",
        {random_tensor({1, 64}, 26), random_tensor({64, 100}, 27), random_tensor({100}, 28)},
        {{"fused_ops", Strings{"BiasAdd"}}, {"num_args", std::int64_t{1}}}, {1, 2});
  }
  SECTION("weights whose rows are 4 KiB long, which Kiln stores padded") {
    const Attrs gelu = {{"fused_ops", Strings{"BiasAdd", "GeluApproximate"}},
                        {"num_args", std::int64_t{1}}};
    const Tensor bias = random_tensor({1024}, 41);
    const test::CpuResult product = check_against_reference(
        "_FusedMatMul", {random_tensor({6, 48}, 42), random_tensor({48, 1024}, 43), bias}, gelu,
        {1, 2});
    // Kiln's GELU loop where it beats oneDNN's (AVX2), oneDNN's post-op elsewhere (AVX-512).
    const std::string gelu_step = cpu_kernels::kiln_gelu_pays() ? "kiln gelu_tanh" : "eltwise_gelu_tanh";
    CHECK(product.implementation.find("[bias, " + gelu_step + "]") != std::string::npos);
    check_against_reference("_FusedBatchMatMulV2",
                            {random_tensor({2, 3, 48}, 44), random_tensor({1024, 48}, 45), bias},
                            with(gelu, {{"adj_y", true}}), {1, 2});
  }
  SECTION("one row of input and 4 KiB-long weight rows, which Kiln stores transposed") {
    const Tensor bias = random_tensor({1024}, 46);
    check_against_reference(
        "_FusedMatMul", {random_tensor({1, 48}, 47), random_tensor({48, 1024}, 48), bias},
        {{"fused_ops", Strings{"BiasAdd", "Relu"}}, {"num_args", std::int64_t{1}}}, {1, 2});
    check_against_reference("BatchMatMulV2",
                            {random_tensor({1, 1, 48}, 49), random_tensor({1, 48, 1024}, 50)}, {},
                            {1});
    check_against_reference("MatMul", {random_tensor({1, 48}, 51), random_tensor({1024, 48}, 52)},
                            {{"transpose_b", true}}, {1});
  }
  SECTION("BatchMatMulV2 with broadcast batches and adjoints") {
    check_against_reference("BatchMatMulV2",
                            {random_tensor({2, 3, 4, 5}, 29), random_tensor({3, 5, 6}, 30)});
    check_against_reference("BatchMatMulV2",
                            {random_tensor({2, 1, 5, 4}, 31), random_tensor({3, 6, 5}, 32)},
                            {{"adj_x", true}, {"adj_y", true}});
    check_against_reference("BatchMatMul",
                            {random_tensor({4, 3, 5}, 33), random_tensor({4, 5, 2}, 34)});
  }
}

TEST_CASE("Kiln's GELU loop agrees with the tanh form in double precision", "[cpu][gelu]") {
  std::vector<float> x;
  for (float v : {-30.f, -10.f, -5.f, -2.5f, -1.f, -0.1f, -1e-4f, 0.f, 1e-4f, 0.3f, 1.f, 2.f, 6.f,
                  40.f}) {
    x.push_back(v);
  }
  for (int i = 0; i < 37; ++i) x.push_back(-4.f + 0.23f * static_cast<float>(i));  // the loop's body
  std::vector<float> y(x.size());
  cpu_kernels::vector_math::gelu_tanh(x.data(), y.data(), static_cast<std::int64_t>(x.size()));
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double v = x[i];
    const double u = 0.7978845608028654 * (v + 0.044715 * v * v * v);  // sqrt(2/pi) (...)
    const double want = 0.5 * v * (1 + std::tanh(u));
    INFO("x = " << v);
    CHECK(std::abs(y[i] - want) <= 1e-30 + 2e-6 * std::abs(want));
  }
  cpu_kernels::vector_math::gelu_tanh(x.data(), x.data(), static_cast<std::int64_t>(x.size()));
  CHECK(x == y);  // in place, the same
}

TEST_CASE("a whole LSTM sequence on Kiln's kernel matches the reference", "[cpu][lstm]") {
  struct Case {
    std::int64_t steps, batch, units;
  };
  // 130 units: 17 blocks of 8 lanes, the last one partial, shared by a team of threads (the
  // work per step is large enough); 5 units: one partial block on one thread.
  for (const Case& c : {Case{4, 3, 130}, Case{1, 1, 5}, Case{6, 2, 16}}) {
    CAPTURE(c.steps, c.batch, c.units);
    const Tensor p = random_tensor({c.steps, c.batch, 4 * c.units}, 140);
    const Tensor r = random_tensor({c.units, 4 * c.units}, 141, -0.2f, 0.2f);
    const Tensor h0 = random_tensor({c.batch, c.units}, 142);
    const Tensor c0 = random_tensor({c.batch, c.units}, 143);
    CHECK(check_against_reference("_FusedLSTMSequence", {p, r, h0, c0}, {}, {1}).implementation ==
          "kiln lstm sequence");
  }
  SECTION("recurrent weights that are no constant fall back") {
    const Tensor r = random_tensor({4, 16}, 144);
    const test::CpuResult got = check_against_reference(
        "_FusedLSTMSequence",
        {random_tensor({2, 1, 16}, 145), r, random_tensor({1, 4}, 146), random_tensor({1, 4}, 147)},
        {}, {}, -1, false);
    CHECK(got.implementation == "reference (the recurrent kernel is no constant)");
  }
}

TEST_CASE("pooling on oneDNN matches the reference", "[cpu][pool]") {
  const Tensor x = random_tensor({2, 11, 10, 6}, 40);
  for (const char* op : {"MaxPool", "AvgPool"}) {
    SECTION(op) {
      check_against_reference(op, {x},
                              {{"ksize", Ints{1, 3, 3, 1}},
                               {"strides", Ints{1, 2, 2, 1}},
                               {"padding", std::string("SAME")}});
      check_against_reference(op, {x},
                              {{"ksize", Ints{1, 2, 3, 1}},
                               {"strides", Ints{1, 2, 1, 1}},
                               {"padding", std::string("VALID")}});
      check_against_reference(op, {random_tensor({1, 4, 7, 9}, 41)},
                              {{"ksize", Ints{1, 1, 2, 2}},
                               {"strides", Ints{1, 1, 2, 2}},
                               {"padding", std::string("SAME")},
                               {"data_format", std::string("NCHW")}});
    }
  }
  SECTION("MaxPool with explicit padding") {
    check_against_reference("MaxPool", {x},
                            {{"ksize", Ints{1, 3, 3, 1}},
                             {"strides", Ints{1, 2, 2, 1}},
                             {"padding", std::string("EXPLICIT")},
                             {"explicit_paddings", Ints{0, 0, 1, 1, 1, 1, 0, 0}}});
  }
}

TEST_CASE("reductions on oneDNN match the reference", "[cpu][reduce]") {
  const Tensor x = random_tensor({2, 5, 6, 8}, 50);
  const Tensor spatial = Tensor::from<std::int32_t>({2}, {1, 2});
  SECTION("global pooling: Mean and Max over H and W") {
    check_against_reference("Mean", {x, spatial}, {}, {1});
    check_against_reference("Mean", {x, spatial}, {{"keep_dims", true}}, {1});
    check_against_reference("Max", {x, spatial}, {}, {1});
  }
  SECTION("other axes through oneDNN's reduction") {
    check_against_reference("Mean", {x, Tensor::from<std::int32_t>({1}, {-1})},
                            {{"keep_dims", true}}, {1});
    check_against_reference("Sum", {x, Tensor::from<std::int64_t>({2}, {0, 3})},
                            {{"Tidx", DType::int64}}, {1}, -1, true, 1e-4);
    check_against_reference("Min", {x, Tensor::from<std::int32_t>({1}, {1})}, {}, {1});
  }
  SECTION("computed axes fall back to the reference kernel") {
    const test::CpuResult r =
        check_against_reference("Mean", {x, spatial}, {}, {}, -1, /*expect_fast=*/false);
    CHECK(r.implementation == "reference (axes are not constant)");
  }
}

TEST_CASE("unary elementwise ops on oneDNN match the reference", "[cpu][eltwise]") {
  const Tensor x = random_tensor({3, 17, 5}, 60, -4.f, 4.f);
  const Tensor positive = random_tensor({3, 17, 5}, 61, 0.1f, 4.f);
  for (const char* op :
       {"Relu", "Relu6", "Elu", "Sigmoid", "Tanh", "Exp", "Square", "Abs", "Neg"}) {
    SECTION(op) {
      check_against_reference(op, {x});
      check_against_reference(op, {x.clone()}, {}, {}, /*in_place_input=*/0);
    }
  }
  SECTION("LeakyRelu keeps its alpha") {
    check_against_reference("LeakyRelu", {x}, {{"alpha", 0.1f}});
  }
  SECTION("Log and Sqrt on positive inputs") {
    check_against_reference("Log", {positive});
    check_against_reference("Sqrt", {positive});
  }
  SECTION("Eigen's Erf, Erfc, Rsqrt, Reciprocal and Log1p") {
    for (const char* op : {"Erf", "Erfc", "Reciprocal"}) {
      CHECK(check_against_reference(op, {x}).implementation == "eigen");
    }
    CHECK(check_against_reference("Rsqrt", {positive}).implementation == "eigen");
    CHECK(check_against_reference("Log1p", {positive}).implementation == "eigen");
    check_against_reference("Erf", {x.clone()}, {}, {}, /*in_place_input=*/0);
  }
}

TEST_CASE("binary ops on oneDNN match the reference, broadcasting included", "[cpu][binary]") {
  const Tensor x = random_tensor({2, 4, 5, 6}, 70);
  const Tensor y = random_tensor({2, 4, 5, 6}, 71, 0.5f, 2.f);
  const Tensor channel = random_tensor({6}, 72, 0.5f, 2.f);
  const Tensor column = random_tensor({4, 1, 1}, 73, 0.5f, 2.f);
  const Tensor scalar = Tensor::scalar<float>(1.5f);
  for (const char* op : {"Add", "AddV2", "Sub", "Mul", "RealDiv", "Maximum", "Minimum"}) {
    SECTION(op) {
      check_against_reference(op, {x, y});
      check_against_reference(op, {x, channel});
      check_against_reference(op, {x, column});
      check_against_reference(op, {x, scalar});
      check_against_reference(op, {x.clone(), y}, {}, {}, /*in_place_input=*/0);
    }
  }
  SECTION("a broadcast first operand: swapped for oneDNN, or on Kiln's loops") {
    CHECK(check_against_reference("Mul", {column, x}).implementation.rfind("onednn", 0) == 0);
    check_against_reference("AddV2", {scalar, x});
    CHECK(check_against_reference("Sub", {channel, x}).implementation == "kiln broadcast");
    CHECK(check_against_reference("Sub", {column, x}).implementation == "kiln broadcast");
    CHECK(check_against_reference("RealDiv", {random_tensor({5, 6}, 77, 1.f, 2.f), x})
              .implementation == "kiln broadcast");
  }
  SECTION("short periods, both operands broadcast, SquaredDifference: Kiln's loops") {
    const Tensor image = random_tensor({1, 7, 9, 3}, 78);
    const Tensor rgb = random_tensor({3}, 79, 0.5f, 2.f);
    CHECK(check_against_reference("RealDiv", {image, rgb}).implementation == "kiln broadcast");
    CHECK(check_against_reference("Sub", {image.clone(), rgb}, {}, {}, 0).implementation ==
          "kiln broadcast");
    const Tensor rows = random_tensor({2, 8, 1}, 80);  // LayerNorm: per-row statistics
    const Tensor gamma = random_tensor({16}, 81);
    const Tensor tokens = random_tensor({2, 8, 16}, 82);
    CHECK(check_against_reference("Mul", {rows, gamma}).implementation == "kiln broadcast");
    CHECK(check_against_reference("SquaredDifference", {tokens, rows}).implementation ==
          "kiln broadcast");
    CHECK(check_against_reference("SquaredDifference", {tokens, tokens.clone()}).implementation ==
          "kiln broadcast");
    check_against_reference("Mul", {random_tensor({3, 1}, 83), random_tensor({1, 4}, 84)});
    const Tensor wide = random_tensor({2, 3, 3, 40}, 85);
    CHECK(check_against_reference("Mul", {wide, random_tensor({40}, 86)})
              .implementation.rfind("onednn", 0) == 0);
  }
  SECTION("a broadcast no single loop covers falls back") {
    const test::CpuResult r = check_against_reference(
        "Sub", {random_tensor({2, 1, 6}, 87), random_tensor({2, 5, 6}, 88)}, {}, {}, -1, false);
    CHECK(r.implementation == "reference (a broadcast Kiln's loops do not cover)");
  }
  SECTION("BiasAdd in both layouts") {
    check_against_reference("BiasAdd", {x, channel});
    check_against_reference("BiasAdd", {x, random_tensor({4}, 76)},
                            {{"data_format", std::string("NCHW")}});
  }
}

TEST_CASE("SelectV2 and Select on Kiln's loop match the reference, broadcasting included",
          "[cpu][select]") {
  const Tensor scores = random_tensor({1, 3, 4, 4}, 90);
  const Tensor fill = Tensor::scalar(-1e9f);
  std::vector<bool> bits;
  for (int i = 0; i < 16; ++i) bits.push_back(i % 3 != 0);
  Tensor mask(DType::boolean, Shape{1, 1, 4, 4});
  for (std::int64_t i = 0; i < 16; ++i) mask.data<bool>()[i] = bits[static_cast<std::size_t>(i)];
  SECTION("masked attention: a [1,1,T,T] mask, full scores, a scalar fill") {
    CHECK(check_against_reference("SelectV2", {mask, scores, fill}).implementation ==
          "kiln select");
    CHECK(check_against_reference("SelectV2", {mask, fill, scores}).implementation ==
          "kiln select");
    CHECK(check_against_reference("SelectV2", {mask, scores.clone(), fill}, {}, {}, 1)
              .implementation == "kiln select");  // in place over the scores
  }
  SECTION("by hand: [T, F] picks along the last axis") {
    Tensor cond(DType::boolean, Shape{2});
    cond.data<bool>()[0] = true;
    const Tensor a = Tensor::from<float>({2, 2}, {1, 2, 3, 4});
    const Tensor b = Tensor::from<float>({2, 2}, {10, 20, 30, 40});
    const test::CpuResult r = check_against_reference("SelectV2", {cond, a, b});
    CHECK(r.implementation == "kiln select");
    CHECK(r.outputs.at(0).to_float_vector() == std::vector<float>{1, 20, 3, 40});
  }
  SECTION("int32 values, and Select with a condition of the output's shape") {
    Tensor cond(DType::boolean, Shape{2, 3});
    cond.data<bool>()[1] = cond.data<bool>()[5] = true;
    const Tensor a = Tensor::from<std::int32_t>({2, 3}, {1, 2, 3, 4, 5, 6});
    const Tensor b = Tensor::from<std::int32_t>({2, 3}, {-1, -2, -3, -4, -5, -6});
    CHECK(check_against_reference("Select", {cond, a, b}).implementation == "kiln select");
    CHECK(check_against_reference("SelectV2", {cond, a, b}).implementation == "kiln select");
  }
}

TEST_CASE("Softmax and LogSoftmax on oneDNN match the reference", "[cpu][softmax]") {
  const Tensor x = random_tensor({4, 3, 10}, 80, -5.f, 5.f);
  check_against_reference("Softmax", {x});
  check_against_reference("LogSoftmax", {x});
  check_against_reference("Softmax", {random_tensor({1, 1000}, 81, -10.f, 10.f)});
}

TEST_CASE("FusedBatchNormV3 in inference on oneDNN matches the reference", "[cpu][batchnorm]") {
  const Tensor x = random_tensor({2, 5, 4, 6}, 90);
  const Tensor scale = random_tensor({6}, 91);
  const Tensor offset = random_tensor({6}, 92);
  const Tensor mean = random_tensor({6}, 93);
  const Tensor variance = random_tensor({6}, 94, 0.2f, 2.f);
  for (const char* op : {"FusedBatchNorm", "FusedBatchNormV3"}) {
    SECTION(op) {
      check_against_reference(op, {x, scale, offset, mean, variance},
                              {{"is_training", false}, {"epsilon", 0.001f}}, {1, 2, 3, 4});
    }
  }
}

TEST_CASE("ConcatV2, Transpose and Pad on oneDNN match the reference", "[cpu][array]") {
  const Tensor a = random_tensor({2, 3, 4}, 100);
  const Tensor b = random_tensor({2, 5, 4}, 101);
  SECTION("ConcatV2 on the middle axis and on the last") {
    check_against_reference("ConcatV2", {a, b, Tensor::scalar<std::int32_t>(1)},
                            {{"N", std::int64_t{2}}, {"T", DType::float32}}, {2});
    check_against_reference("ConcatV2", {a, a, a, Tensor::scalar<std::int32_t>(-1)},
                            {{"N", std::int64_t{3}}, {"T", DType::float32}}, {3});
  }
  SECTION("Transpose") {
    check_against_reference("Transpose", {b, Tensor::from<std::int32_t>({3}, {2, 0, 1})}, {}, {1});
    check_against_reference(
        "Transpose",
        {random_tensor({2, 3, 4, 5}, 102), Tensor::from<std::int64_t>({4}, {0, 3, 1, 2})},
        {{"Tperm", DType::int64}}, {1});
  }
  SECTION("Pad and PadV2") {
    const Tensor image = random_tensor({1, 6, 7, 3}, 103);
    const Tensor paddings = Tensor::from<std::int32_t>({4, 2}, {0, 0, 1, 2, 0, 1, 0, 0});
    check_against_reference("Pad", {image, paddings}, {}, {1});
    check_against_reference("Pad", {a, Tensor::from<std::int32_t>({3, 2}, {1, 0, 2, 1, 3, 2})}, {},
                            {1});
    check_against_reference("PadV2", {image, paddings, Tensor::scalar<float>(-7.5f)}, {}, {1, 2});
  }
}

TEST_CASE("ops without a fast kernel fall back visibly; unknown ops are named", "[cpu][table]") {
  SECTION("a dtype oneDNN is not asked to do") {
    const Tensor i = Tensor::from<std::int32_t>({2, 2}, {1, -2, 3, -4});
    const test::CpuResult r = check_against_reference("Relu", {i}, {}, {}, -1, false);
    CHECK(r.implementation == "reference (float32 only)");
  }
  SECTION("an op the cpu backend has no kernel for") {
    const test::CpuResult r =
        check_against_reference("Softsign", {random_tensor({4}, 110)}, {}, {}, -1, false);
    CHECK(r.implementation == "reference (no cpu kernel)");
  }
  SECTION("an op no backend has a kernel for") {
    Node node;
    node.name = "mystery";
    node.op = "FancyOp";
    KernelRequest request(node, {}, {});
    try {
      make_kernel(Backend::cpu, request);
      FAIL("expected an error");
    } catch (const Error& e) {
      CHECK(e.code() == Errc::unsupported);
      CHECK(e.message() == "no kernel for op 'FancyOp' (node 'mystery') on backend 'cpu'");
    }
  }
}

TEST_CASE("Einsum as one oneDNN matmul, as attention layers write it", "[cpu][einsum]") {
  auto einsum = [](const std::string& equation, const std::vector<Tensor>& inputs,
                   const std::vector<int>& constant = {}, bool expect_fast = true) {
    INFO(equation);
    return check_against_reference(
        "Einsum", inputs, {{"equation", equation}, {"N", static_cast<std::int64_t>(inputs.size())}},
        constant, -1, expect_fast);
  };
  // batch 2, sequence 5 (query) and 6 (key), model width 8, 2 heads of 4
  const Tensor tokens = random_tensor({2, 5, 8}, 120);
  const Tensor projection = random_tensor({8, 2, 4}, 121);
  const Tensor query = random_tensor({2, 5, 2, 4}, 122);
  const Tensor key = random_tensor({2, 6, 2, 4}, 123);
  const Tensor scores = random_tensor({2, 2, 5, 6}, 124);
  const Tensor value = random_tensor({2, 6, 2, 4}, 125);
  const Tensor output_kernel = random_tensor({2, 4, 8}, 126);
  SECTION("the four equations of multi-head attention") {
    einsum("abc,cde->abde", {tokens, projection}, {1});    // query/key/value projection
    einsum("abc,cde->abde", {tokens, projection});         // the same, weights computed
    einsum("aecd,abcd->acbe", {key, query});               // scores
    einsum("acbe,aecd->abcd", {scores, value});            // context (a strided output)
    einsum("abcd,cde->abe", {query, output_kernel}, {1});  // output projection
  }
  SECTION("a Dense layer on 3-D input, ellipses and broadcast batches") {
    einsum("abc,cd->abd", {tokens, random_tensor({8, 3}, 127)}, {1});
    einsum("...ij,...jk->...ik", {random_tensor({3, 2, 4, 5}, 128), random_tensor({2, 5, 6}, 129)});
    einsum("...ij,...jk->...ik", {random_tensor({3, 1, 4, 5}, 142), random_tensor({2, 5, 6}, 143)});
    einsum("bij,bjk->bik", {random_tensor({3, 4, 5}, 130), random_tensor({3, 5, 2}, 131)});
    einsum("ij,kj->ik", {random_tensor({4, 5}, 132), random_tensor({3, 5}, 133)});
    // `a` cannot fold with `c` (b lies between them): it becomes a broadcast batch.
    einsum("abc,bd->acd", {random_tensor({2, 3, 4}, 140), random_tensor({3, 5}, 141)});
  }
  SECTION("what one matmul cannot do falls back to the reference kernel") {
    CHECK(einsum("ij,jk->i", {random_tensor({3, 4}, 134), random_tensor({4, 5}, 135)}, {}, false)
              .implementation == "reference (a label summed in one operand)");
    CHECK(einsum("ii,ij->ij", {random_tensor({3, 3}, 136), random_tensor({3, 2}, 137)}, {}, false)
              .implementation == "reference (a repeated label)");
    CHECK(einsum("abc,acd->bd", {random_tensor({2, 3, 4}, 138), random_tensor({2, 4, 5}, 139)}, {},
                 false)
              .implementation == "reference (label groups that do not fold)");
  }
}

}  // namespace KILN_TEST_FILE
