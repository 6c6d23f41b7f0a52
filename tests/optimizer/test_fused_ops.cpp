// The fused ops' shape functions and reference kernels, on values worked out by hand (the
// activations' values come from Python's math module: math.erf, math.tanh, math.exp).
#include "helpers.hpp"

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;
using test::check_close;
using test::run_op1;

namespace {
Attrs epilogue(Strings steps, Attrs attrs = {}) {
  std::int64_t args = 0;
  for (const std::string& s : steps) args += s == "ScaleShift" ? 2 : s == "BiasAdd" || s == "Add";
  attrs["fused_ops"] = std::move(steps);
  attrs["num_args"] = args;
  attrs["T"] = DType::float32;
  return attrs;
}
Attrs conv(Strings steps) {
  return epilogue(std::move(steps),
                  {{"strides", Ints{1, 1, 1, 1}}, {"padding", std::string("VALID")}});
}

// One activation on [v0, v1] through a 1x1 _FusedMatMul with weight 1.
Tensor activate(const std::string& step, std::vector<float> v, Attrs extra = {}) {
  const Tensor a = Tensor::from_vector<float>({2, 1}, v);
  const Tensor one = Tensor::from<float>({1, 1}, {1});
  Attrs attrs = epilogue({step}, std::move(extra));
  return run_op1("_FusedMatMul", {a, one}, attrs);
}
}  // namespace

TEST_CASE("_FusedMatMul adds the bias, then activates") {
  // [1, -2] x [[1, 2], [3, 4]] = [1 - 6, 2 - 8] = [-5, -6]; + {10, 1} = [5, -5]; relu = [5, 0]
  const Tensor a = Tensor::from<float>({1, 2}, {1, -2});
  const Tensor b = Tensor::from<float>({2, 2}, {1, 2, 3, 4});
  const Tensor bias = Tensor::from<float>({2}, {10, 1});
  check_close(run_op1("_FusedMatMul", {a, b, bias}, epilogue({"BiasAdd", "Relu"})),
              Tensor::from<float>({1, 2}, {5, 0}));
  // transpose_b: b^T = [[1, 3], [2, 4]]: [1 - 4, 3 - 8] = [-3, -5]; + {10, 1} = [7, -4]
  Attrs transposed = epilogue({"BiasAdd"});
  transposed["transpose_b"] = true;
  check_close(run_op1("_FusedMatMul", {a, b, bias}, transposed),
              Tensor::from<float>({1, 2}, {7, -4}));
}

TEST_CASE("_FusedConv2D applies bias, residual and activation in order") {
  // x: one row of two pixels {1, 2}; 1x1 filter to two channels {1, -1}:
  //   conv = [[1, -1], [2, -2]]; + bias 0.5 = [[1.5, -0.5], [2.5, -1.5]]
  //   + residual 1 = [[2.5, 0.5], [3.5, -0.5]]; relu6 = [[2.5, 0.5], [3.5, 0]]
  const Tensor x = Tensor::from<float>({1, 1, 2, 1}, {1, 2});
  const Tensor w = Tensor::from<float>({1, 1, 1, 2}, {1, -1});
  const Tensor bias = Tensor::from<float>({2}, {0.5f, 0.5f});
  const Tensor residual = Tensor::from<float>({1, 1, 2, 2}, {1, 1, 1, 1});
  check_close(run_op1("_FusedConv2D", {x, w, bias, residual}, conv({"BiasAdd", "Add", "Relu6"})),
              Tensor::from<float>({1, 1, 2, 2}, {2.5f, 0.5f, 3.5f, 0}));
  // Activation before the residual: relu6 first gives [[1.5, 0], [2.5, 0]], then + 1.
  check_close(run_op1("_FusedConv2D", {x, w, bias, residual}, conv({"BiasAdd", "Relu6", "Add"})),
              Tensor::from<float>({1, 1, 2, 2}, {2.5f, 1, 3.5f, 1}));
  // No epilogue at all: just the convolution.
  check_close(run_op1("_FusedConv2D", {x, w}, conv({})),
              Tensor::from<float>({1, 1, 2, 2}, {1, -1, 2, -2}));
}

TEST_CASE("ScaleShift scales and shifts each channel after the activation") {
  // x: one row of two pixels {1, 2}; 1x1 filter to two channels {1, -1}:
  //   conv = [[1, -1], [2, -2]]; relu = [[1, 0], [2, 0]];
  //   * scale {2, 3} + shift {0.5, -1} = [[2.5, -1], [4.5, -1]]
  const Tensor x = Tensor::from<float>({1, 1, 2, 1}, {1, 2});
  const Tensor w = Tensor::from<float>({1, 1, 1, 2}, {1, -1});
  const Tensor scale = Tensor::from<float>({2}, {2, 3});
  const Tensor shift = Tensor::from<float>({2}, {0.5f, -1});
  check_close(run_op1("_FusedConv2D", {x, w, scale, shift}, conv({"Relu", "ScaleShift"})),
              Tensor::from<float>({1, 1, 2, 2}, {2.5f, -1, 4.5f, -1}));
}

TEST_CASE("a ScaleShift epilogue computes what the unfused ops compute") {
  // Dense + bias + ReLU + BatchNorm as Keras exports it unfused: Mul by a [C] scale, then Add
  // of a [C] shift, each op run on its own, against the one fused node.
  const Tensor a = test::random_tensor({5, 7}, 41);
  const Tensor w = test::random_tensor({7, 4}, 42);
  const Tensor bias = test::random_tensor({4}, 43);
  const Tensor scale = test::random_tensor({4}, 44, 0.5f, 2.f);
  const Tensor shift = test::random_tensor({4}, 45);
  const Tensor product = run_op1("MatMul", {a, w}, {{"T", DType::float32}});
  const Tensor biased = run_op1("BiasAdd", {product, bias}, {{"T", DType::float32}});
  const Tensor activated = run_op1("Relu", {biased}, {{"T", DType::float32}});
  const Tensor scaled = run_op1("Mul", {activated, scale}, {{"T", DType::float32}});
  const Tensor unfused = run_op1("AddV2", {scaled, shift}, {{"T", DType::float32}});
  const Tensor fused = run_op1("_FusedMatMul", {a, w, bias, scale, shift},
                               epilogue({"BiasAdd", "Relu", "ScaleShift"}));
  check_close(fused, unfused, 1e-6, 1e-6);
}

TEST_CASE("_FusedDepthwiseConv2dNative with LeakyRelu") {
  // One pixel, channels {3, -1}, filter {2, 5}: {6, -5}; leaky relu 0.1: {6, -0.5}
  const Tensor x = Tensor::from<float>({1, 1, 1, 2}, {3, -1});
  const Tensor w = Tensor::from<float>({1, 1, 2, 1}, {2, 5});
  Attrs attrs = conv({"LeakyRelu"});
  attrs["leakyrelu_alpha"] = 0.1f;
  check_close(run_op1("_FusedDepthwiseConv2dNative", {x, w}, attrs),
              Tensor::from<float>({1, 1, 1, 2}, {6, -0.5f}));
}

TEST_CASE("every activation of the epilogue") {
  check_close(activate("Relu", {-1, 2}), Tensor::from<float>({2, 1}, {0, 2}));
  check_close(activate("Relu6", {7, 2}), Tensor::from<float>({2, 1}, {6, 2}));
  check_close(activate("Elu", {-1, 2}), Tensor::from<float>({2, 1}, {-0.6321205588f, 2}));
  check_close(activate("Sigmoid", {-2, 0}), Tensor::from<float>({2, 1}, {0.1192029220f, 0.5f}));
  check_close(activate("Tanh", {0.5f, 0}), Tensor::from<float>({2, 1}, {0.4621171573f, 0}));
  check_close(activate("Swish", {1, -2}),
              Tensor::from<float>({2, 1}, {0.7310585786f, -0.2384058440f}));
  check_close(activate("GeluExact", {1, -3}),
              Tensor::from<float>({2, 1}, {0.8413447461f, -0.0040496941f}), 1e-7, 1e-6);
  check_close(activate("GeluApproximate", {1, -3}),
              Tensor::from<float>({2, 1}, {0.8411919906f, -0.0036373921f}), 1e-7, 1e-6);
  check_close(activate("LeakyRelu", {-1, 2}),
              Tensor::from<float>({2, 1}, {-0.2f, 2}));  // alpha 0.2
}

TEST_CASE("the fused ops' shape functions check the epilogue") {
  GraphBuilder b;
  Value x = b.input("x", DType::float32, {-1, 3});
  Value w = b.constant("w", Tensor(DType::float32, {3, 2}));
  Value bias = b.constant("bias", Tensor(DType::float32, {2}));
  Value wrong_bias = b.constant("wrong_bias", Tensor(DType::float32, {3}));
  Value residual = b.input("r", DType::float32, {-1, 2});
  Value small = b.input("s", DType::float32, {1, 2, 1});
  auto error_of = [&](std::vector<Value> inputs, Strings steps) {
    try {
      b.op("_FusedMatMul", std::move(inputs), epilogue(std::move(steps)));
    } catch (const Error& e) {
      return e.code();
    }
    return Errc::internal;  // no error
  };
  CHECK(b.graph()
            .node(b.op("_FusedMatMul", {x, w, bias, residual}, epilogue({"BiasAdd", "Add", "Tanh"}))
                      .node)
            .outputs[0]
            .str() == "float32[?,2]");
  CHECK(error_of({x, w, bias}, {"BiasAdd", "Softmax"}) == Errc::invalid_attr);  // unknown step
  CHECK(error_of({x, w, bias}, {"Relu", "BiasAdd"}) == Errc::invalid_attr);     // bias not first
  CHECK(error_of({x, w, bias}, {"Relu", "Relu"}) == Errc::invalid_graph);       // args left over
  CHECK(error_of({x, w}, {"BiasAdd"}) == Errc::invalid_graph);                  // no bias given
  CHECK(error_of({x, w, wrong_bias}, {"BiasAdd"}) == Errc::shape_mismatch);     // 3 != 2 channels
  CHECK(error_of({x, w, small}, {"Add"}) == Errc::shape_mismatch);              // rank 3 residual
  CHECK(error_of({x, w, bias}, {"Relu", "ScaleShift"}) == Errc::invalid_graph);  // shift missing
  CHECK(error_of({x, w, bias, wrong_bias}, {"Relu", "ScaleShift"}) == Errc::shape_mismatch);
  CHECK(b.graph()
            .node(b.op("_FusedMatMul", {x, w, bias, bias}, epilogue({"Relu", "ScaleShift"})).node)
            .outputs[0]
            .str() == "float32[?,2]");
}

TEST_CASE("_FusedBatchMatMulV2 multiplies each batch by the weights, then applies the epilogue") {
  // a = [[[1, 2]], [[3, -4]]] (batch 2 of 1x2), w = [[1, 0], [2, 1]]:
  //   batch 0: [1 + 4, 0 + 2] = [5, 2]; batch 1: [3 - 8, 0 - 4] = [-5, -4]
  //   + bias {1, 1} = [6, 3], [-4, -3]; relu = [6, 3], [0, 0]
  const Tensor a = Tensor::from<float>({2, 1, 2}, {1, 2, 3, -4});
  const Tensor w = Tensor::from<float>({2, 2}, {1, 0, 2, 1});
  const Tensor bias = Tensor::from<float>({2}, {1, 1});
  check_close(run_op1("_FusedBatchMatMulV2", {a, w, bias}, epilogue({"BiasAdd", "Relu"})),
              Tensor::from<float>({2, 1, 2}, {6, 3, 0, 0}));
  // adj_y reads w transposed, [[1, 2], [0, 1]]:
  //   [1, 2] x w^T = [1, 2 + 2] = [1, 4]; [3, -4] x w^T = [3, 6 - 4] = [3, 2]
  //   + residual [[10, 20]], [[30, 40]] = [11, 24], [33, 42]
  Attrs adjoint = epilogue({"Add"});
  adjoint["adj_y"] = true;
  const Tensor residual = Tensor::from<float>({2, 1, 2}, {10, 20, 30, 40});
  check_close(run_op1("_FusedBatchMatMulV2", {a, w, residual}, adjoint),
              Tensor::from<float>({2, 1, 2}, {11, 24, 33, 42}));
}

TEST_CASE("_FusedLayerNorm normalizes every row over the last axis") {
  // Row {1, 2, 3, 4}: mean 2.5, variance (2.25 + 0.25 + 0.25 + 2.25) / 4 = 1.25; with epsilon
  // 2.75, 1 / sqrt(4) = 0.5: (x - 2.5) * 0.5 = {-0.75, -0.25, 0.25, 0.75}, times scale
  // {1, 2, 3, 4}, plus offset {0, 1, 0, -1} = {-0.75, 0.5, 0.75, 2}.
  // Row {2, 2, 2, 2}: x - mean = 0, so y = offset.
  const Tensor x = Tensor::from<float>({2, 1, 4}, {1, 2, 3, 4, 2, 2, 2, 2});
  const Tensor scale = Tensor::from<float>({4}, {1, 2, 3, 4});
  const Tensor offset = Tensor::from<float>({4}, {0, 1, 0, -1});
  const Attrs attrs = {{"T", DType::float32}, {"epsilon", 2.75f}};
  check_close(run_op1("_FusedLayerNorm", {x, scale, offset}, attrs),
              Tensor::from<float>({2, 1, 4}, {-0.75f, 0.5f, 0.75f, 2, 0, 1, 0, -1}));
  // epsilon 1e-12 on {0, 4}: mean 2, variance 4, 1 / sqrt(4) = 0.5: {-1, 1}.
  check_close(run_op1("_FusedLayerNorm",
                      {Tensor::from<float>({2}, {0, 4}), Tensor::from<float>({2}, {1, 1}),
                       Tensor::from<float>({2}, {0, 0})},
                      {{"T", DType::float32}, {"epsilon", 1e-12f}}),
              Tensor::from<float>({2}, {-1, 1}));
}

TEST_CASE("the shape functions of _FusedBatchMatMulV2 and _FusedLayerNorm check their inputs") {
  GraphBuilder b;
  Value x = b.input("x", DType::float32, {-1, 3, 4});
  Value w = b.constant("w", Tensor(DType::float32, {4, 2}));
  Value bias = b.constant("bias", Tensor(DType::float32, {2}));
  Value wrong = b.constant("wrong", Tensor(DType::float32, {3}));
  Value scalar = b.constant("scalar", Tensor::scalar(1.0f));
  auto error_of = [&](const std::string& op, std::vector<Value> inputs, Attrs attrs) {
    try {
      b.op(op, std::move(inputs), std::move(attrs));
    } catch (const Error& e) {
      return e.code();
    }
    return Errc::internal;  // no error
  };
  CHECK(b.graph().node(b.op("_FusedBatchMatMulV2", {x, w, bias}, epilogue({"BiasAdd"})).node)
            .outputs[0]
            .str() == "float32[?,3,2]");
  CHECK(error_of("_FusedBatchMatMulV2", {x, w, wrong}, epilogue({"BiasAdd"})) ==
        Errc::shape_mismatch);  // 3 != 2 channels
  const Value gamma = b.constant("gamma", Tensor(DType::float32, {4}));
  const Attrs norm = {{"T", DType::float32}, {"epsilon", 1e-3f}};
  CHECK(b.graph().node(b.op("_FusedLayerNorm", {x, gamma, gamma}, norm).node).outputs[0].str() ==
        "float32[?,3,4]");
  CHECK(error_of("_FusedLayerNorm", {x, wrong, gamma}, norm) == Errc::shape_mismatch);
  CHECK(error_of("_FusedLayerNorm", {x, gamma, w}, norm) == Errc::shape_mismatch);  // rank 2
  CHECK(error_of("_FusedLayerNorm", {scalar, gamma, gamma}, norm) == Errc::shape_mismatch);
}

}  // namespace KILN_TEST_FILE
