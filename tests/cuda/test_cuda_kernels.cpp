// Each cuda kernel against the reference kernel. Preparing runs everywhere (the factory accepts
// the request and names its implementation); the comparison runs on a GPU, and without one each
// test says "skipped: no CUDA device (...)" after its preparing half.
#include "cuda_kernel_check.hpp"

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;
using test::check_cuda_kernel;
using test::random_tensor;

namespace {

Attrs conv_attrs(Ints strides, const std::string& padding, Ints dilations = {1, 1, 1, 1}) {
  return {{"strides", strides},
          {"padding", padding},
          {"dilations", dilations},
          {"data_format", std::string("NHWC")},
          {"explicit_paddings", Ints{}}};
}

Attrs with(Attrs attrs, const Attrs& more) {
  for (const auto& [k, v] : more) attrs[k] = v;
  return attrs;
}

// Counts the checks that ran on a device; none ran: the test reports itself skipped.
struct DeviceRuns {
  int ran = 0, prepared = 0;
  void operator+=(bool on_device) {
    ++prepared;
    ran += on_device ? 1 : 0;
  }
  ~DeviceRuns() {
    if (ran == 0) {
      std::cout << "skipped: " << test::cuda_unavailable() << " (" << prepared
                << " kernels prepared, none run)" << std::endl;
    }
  }
};

}  // namespace

TEST_CASE("every op in the cuda kernel table is a catalogue op", "[cuda][kernels]") {
  for (const std::string& op : require_backend(test::cuda).ops()) {
    INFO(op);
    CHECK(op_catalogue().find(op) != nullptr);
  }
}

TEST_CASE("cuda elementwise kernels match the reference", "[cuda][kernels]") {
  DeviceRuns runs;
  const Tensor x = random_tensor({2, 3, 5}, 1, -3.f, 3.f);
  const Tensor positive = random_tensor({2, 3, 5}, 2, 0.1f, 4.f);
  for (const char* op : {"Relu", "Relu6", "Elu", "Selu", "Sigmoid", "Tanh", "Softplus", "Exp",
                         "Square", "Abs", "Neg", "Erf"}) {
    runs += check_cuda_kernel(op, {x});
  }
  runs += check_cuda_kernel("LeakyRelu", {x}, {{"alpha", 0.1f}});
  for (const char* op : {"Log", "Sqrt", "Rsqrt", "Reciprocal", "Log1p"}) {
    runs += check_cuda_kernel(op, {positive});
  }
  const Tensor row = random_tensor({5}, 3);
  const Tensor column = random_tensor({2, 1, 1}, 4);
  for (const char* op : {"Add", "AddV2", "Sub", "Mul", "SquaredDifference"}) {
    runs += check_cuda_kernel(op, {x, x});
    runs += check_cuda_kernel(op, {x, row});
    runs += check_cuda_kernel(op, {column, x});
  }
  runs += check_cuda_kernel("RealDiv", {x, positive});
  runs += check_cuda_kernel("BiasAdd", {x, row}, {}, {1});
}

TEST_CASE("cuda matrix products on cuBLASLt match the reference", "[cuda][kernels]") {
  DeviceRuns runs;
  const Tensor a = random_tensor({3, 7}, 20), b = random_tensor({7, 5}, 21);
  const Tensor at = random_tensor({7, 3}, 22), bt = random_tensor({5, 7}, 23);
  runs += check_cuda_kernel("MatMul", {a, b});
  runs += check_cuda_kernel("MatMul", {at, b}, {{"transpose_a", true}});
  runs += check_cuda_kernel("MatMul", {a, bt}, {{"transpose_b", true}}, {1});
  runs += check_cuda_kernel("MatMul", {at, bt}, {{"transpose_a", true}, {"transpose_b", true}});
  const Tensor bias = random_tensor({5}, 24), residual = random_tensor({3, 5}, 25);
  for (const char* activation : {"Relu", "GeluApproximate", "GeluExact", "Sigmoid", "Relu6"}) {
    runs += check_cuda_kernel(
        "_FusedMatMul", {a, b, bias},
        {{"fused_ops", Strings{"BiasAdd", activation}}, {"num_args", std::int64_t{1}}}, {1, 2});
  }
  runs += check_cuda_kernel(
      "_FusedMatMul", {a, b, bias, residual},
      {{"fused_ops", Strings{"BiasAdd", "Add", "Tanh"}}, {"num_args", std::int64_t{2}}}, {1, 2});
  const Tensor scale = random_tensor({5}, 26, 0.5f, 2.f), shift = random_tensor({5}, 27);
  runs += check_cuda_kernel(
      "_FusedMatMul", {a, b, bias, scale, shift},
      {{"fused_ops", Strings{"BiasAdd", "Relu", "ScaleShift"}}, {"num_args", std::int64_t{3}}},
      {1, 2, 3, 4});
  const Tensor x3 = random_tensor({4, 3, 7}, 28), y3 = random_tensor({4, 7, 5}, 29);
  runs += check_cuda_kernel("BatchMatMulV2", {x3, y3});
  runs += check_cuda_kernel("BatchMatMulV2", {x3, b});  // one matrix for the batch: folded
  runs += check_cuda_kernel("BatchMatMulV2", {a, y3});  // the left one broadcast: stride 0
  runs += check_cuda_kernel("BatchMatMulV2", {random_tensor({4, 7, 3}, 30), y3}, {{"adj_x", true}});
}

TEST_CASE("cuda convolutions match the reference", "[cuda][kernels]") {
  DeviceRuns runs;
  const Tensor x = random_tensor({2, 9, 8, 6}, 7);
  const Tensor w = random_tensor({3, 3, 6, 10}, 8), w1 = random_tensor({1, 1, 6, 4}, 9);
  const Tensor dw = random_tensor({3, 3, 6, 2}, 10);
  runs += check_cuda_kernel("Conv2D", {x, w}, conv_attrs({1, 1, 1, 1}, "SAME"), {1});
  runs += check_cuda_kernel("Conv2D", {x, w}, conv_attrs({1, 2, 2, 1}, "VALID"), {1});
  runs += check_cuda_kernel("Conv2D", {x, w}, conv_attrs({1, 1, 1, 1}, "SAME", {1, 2, 2, 1}), {1});
  runs += check_cuda_kernel("Conv2D", {x, w1}, conv_attrs({1, 1, 1, 1}, "VALID"), {1});  // 1x1
  runs +=
      check_cuda_kernel("DepthwiseConv2dNative", {x, dw}, conv_attrs({1, 2, 2, 1}, "SAME"), {1});
  const Tensor bias = random_tensor({10}, 11), residual = random_tensor({2, 9, 8, 10}, 12);
  const Attrs fused =
      with(conv_attrs({1, 1, 1, 1}, "SAME"),
           {{"fused_ops", Strings{"BiasAdd", "Add", "Relu"}}, {"num_args", std::int64_t{2}}});
  runs += check_cuda_kernel("_FusedConv2D", {x, w, bias, residual}, fused, {1, 2});
  const Tensor dw_bias = random_tensor({12}, 13);
  runs += check_cuda_kernel(
      "_FusedDepthwiseConv2dNative", {x, dw, dw_bias},
      with(conv_attrs({1, 1, 1, 1}, "SAME"),
           {{"fused_ops", Strings{"BiasAdd", "Relu6"}}, {"num_args", std::int64_t{1}}}),
      {1, 2});
}

TEST_CASE("cuda pooling, softmax, layer norm, reductions, transpose, concat match the reference",
          "[cuda][kernels]") {
  DeviceRuns runs;
  const Tensor x = random_tensor({2, 7, 6, 3}, 40);
  for (const char* op : {"MaxPool", "AvgPool"}) {
    for (const char* padding : {"SAME", "VALID"}) {
      runs += check_cuda_kernel(op, {x},
                                {{"ksize", Ints{1, 3, 3, 1}},
                                 {"strides", Ints{1, 2, 2, 1}},
                                 {"padding", std::string(padding)}});
    }
  }
  const Tensor logits = random_tensor({4, 3, 10}, 41, -5.f, 5.f);
  runs += check_cuda_kernel("Softmax", {logits});
  runs += check_cuda_kernel("LogSoftmax", {logits});
  runs += check_cuda_kernel("_FusedLayerNorm",
                            {logits, random_tensor({10}, 42), random_tensor({10}, 43)},
                            {{"epsilon", 1e-3f}}, {1, 2});
  for (const char* op : {"Sum", "Mean", "Max", "Min"}) {
    for (bool keep : {true, false}) {
      runs += check_cuda_kernel(op, {x, Tensor::from<std::int32_t>({2}, {1, 2})},
                                {{"keep_dims", keep}}, {1});
      runs += check_cuda_kernel(op, {x, Tensor::from<std::int32_t>({1}, {-1})},
                                {{"keep_dims", keep}}, {1});
    }
  }
  runs +=
      check_cuda_kernel("Transpose", {x, Tensor::from<std::int32_t>({4}, {0, 3, 1, 2})}, {}, {1});
  // Concatenation is byte copies: any dtype.
  const Tensor y = random_tensor({2, 7, 2, 3}, 44);
  const Attrs two = {{"N", std::int64_t{2}}, {"T", DType::float32}};
  runs += check_cuda_kernel("ConcatV2", {x, y, Tensor::from<std::int32_t>({}, {2})}, two, {2});
  runs += check_cuda_kernel("ConcatV2", {x, x, Tensor::from<std::int32_t>({}, {-1})}, two, {2});
  const Tensor ints = Tensor::from<std::int32_t>({2, 2}, {1, 2, 3, 4});
  runs += check_cuda_kernel("ConcatV2", {ints, ints, Tensor::from<std::int32_t>({}, {0})},
                            {{"N", std::int64_t{2}}, {"T", DType::int32}}, {2});
}

TEST_CASE("cuda transpose, slices and padding move any dtype", "[cuda][kernels]") {
  DeviceRuns runs;
  const Tensor x = random_tensor({2, 7, 6, 3}, 60);
  auto ints = [](const std::vector<std::int32_t>& v) {
    Tensor t(DType::int32, Shape{static_cast<std::int64_t>(v.size())});
    std::copy(v.begin(), v.end(), t.data<std::int32_t>());
    return t;
  };
  runs += check_cuda_kernel("Slice", {x, ints({1, 2, 0, 1}), ints({1, 3, -1, 2})}, {}, {1, 2});
  const Attrs no_masks = {{"begin_mask", std::int64_t{0}},
                          {"end_mask", std::int64_t{0}},
                          {"ellipsis_mask", std::int64_t{0}},
                          {"new_axis_mask", std::int64_t{0}},
                          {"shrink_axis_mask", std::int64_t{0}}};
  runs += check_cuda_kernel("StridedSlice",
                            {x, ints({0, 1, 5, 0}), ints({2, 7, 0, 3}), ints({1, 2, -2, 1})},
                            no_masks, {1, 2, 3});
  Attrs shrink = no_masks;
  shrink["shrink_axis_mask"] = std::int64_t{1};  // x[1, ...] drops the batch axis
  runs += check_cuda_kernel("StridedSlice",
                            {x, ints({1, 0, 0, 0}), ints({2, 7, 6, 3}), ints({1, 1, 1, 1})}, shrink,
                            {1, 2, 3});
  const Tensor paddings = Tensor::from<std::int32_t>({4, 2}, {0, 0, 1, 2, 2, 1, 0, 0});
  runs += check_cuda_kernel("Pad", {x, paddings}, {}, {1});
  const Tensor labels = Tensor::from<std::int64_t>({2, 3}, {1, 2, 3, 4, 5, 6});
  runs += check_cuda_kernel("Transpose", {labels, ints({1, 0})}, {}, {1});
  runs +=
      check_cuda_kernel("Pad", {labels, Tensor::from<std::int32_t>({2, 2}, {1, 0, 0, 1})}, {}, {1});
}

TEST_CASE("requests the cuda kernels do not cover fall back, saying why", "[cuda][kernels]") {
  const Tensor ints = Tensor::from<std::int32_t>({3}, {1, 2, 3});
  const Node add = test::make_node("AddV2", {}, {ints, ints});
  CHECK(test::prepare_on_cuda(add, {ints, ints}).kernel->implementation() ==
        "reference (float32 only)");
  const Tensor x = random_tensor({2, 3}, 50);
  const Tensor paddings = Tensor::from<std::int32_t>({2, 2}, {1, 1, 0, 2});
  const Node mirror =
      test::make_node("MirrorPad", {{"mode", std::string("REFLECT")}}, {x, paddings});
  CHECK(test::prepare_on_cuda(mirror, {x, paddings}, {1}).kernel->implementation() ==
        "reference (no cuda kernel)");
}

}  // namespace KILN_TEST_FILE
