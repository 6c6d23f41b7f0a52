// int8 on the cpu backend: oneDNN's int8 kernels against the reference kernels (themselves checked
// against hand-worked integers in tests/reference/test_quantized_ops.cpp), a jit implementation
// chosen (not oneDNN's `ref`), and kiln::quantize on the bundled digits model: calibrated on
// training images, saved, reloaded, and within one point of float32's accuracy on the 360
// held-out test images.
#include <dnnl.hpp>
#include <unistd.h>

#include <kiln/quantize.hpp>
#include <kiln/saved_model_writer.hpp>
#include <kiln/savedmodel.hpp>

#include "../conformance_cases.hpp"
#include "cpu_support.hpp"

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

namespace fs = std::filesystem;
using namespace kiln;
using test::kFixtures;

namespace {

// Uniform integers in [lo, hi] as a tensor of `dtype`.
Tensor random_codes(DType dtype, const Shape& shape, std::uint32_t seed, int lo, int hi) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> dist(lo, hi);
  Tensor t(dtype, shape);
  for (std::int64_t i = 0; i < t.num_elements(); ++i) {
    if (dtype == DType::int8) t.data<std::int8_t>()[i] = static_cast<std::int8_t>(dist(rng));
    else t.data<std::uint8_t>()[i] = static_cast<std::uint8_t>(dist(rng));
  }
  return t;
}

Floats random_scales(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(0.002f, 0.02f);
  Floats s(n);
  for (float& v : s) v = dist(rng);
  return s;
}

// Whether oneDNN's int8 kernels use VNNI on this CPU. Without it, oneDNN guards vpmaddubsw's
// int16 pair sums against overflow by storing the weights at half scale when the source is int8
// (the weights reorder rounds w / 2 to even, the output scales double back): the result is then
// what the reference kernel gives for the weights round(w / 2) at twice the weight scales.
bool has_vnni() {
  using isa = dnnl::cpu_isa;
  const isa i = dnnl::get_effective_cpu_isa();
  return i == isa::avx512_core_vnni || i == isa::avx512_core_bf16 || i == isa::avx512_core_amx ||
         i == isa::avx2_vnni;
}

Tensor halved(const Tensor& w) {
  Tensor out = w.clone();
  for (std::int64_t i = 0; i < w.num_elements(); ++i) {
    out.data<std::int8_t>()[i] =
        static_cast<std::int8_t>(std::nearbyint(0.5f * static_cast<float>(w.data<std::int8_t>()[i])));
  }
  return out;
}

// The cpu kernel against the reference kernel. A quantized output may differ by one code where
// the real value sits within a rounding of a half (oneDNN adds the bias before scaling, in
// another order); a float32 output by float32 roundings.
void check_int8_kernel(const std::string& op, const std::vector<Tensor>& inputs, const Attrs& attrs,
                       const std::vector<int>& constant) {
  const Node node = test::make_node(op, attrs, inputs);
  Node oracle = node;
  std::vector<Tensor> oracle_inputs = inputs;
  if (inputs[0].dtype() == DType::int8 && !has_vnni()) {
    oracle_inputs[1] = halved(inputs[1]);
    Floats doubled = node.attr<Floats>("weight_scales");
    for (float& s : doubled) s *= 2;
    oracle.attrs["weight_scales"] = doubled;
  }
  const Tensor expected = reference::evaluate(oracle, oracle_inputs).at(0);
  const test::CpuResult got = test::run_cpu(node, inputs, constant);
  INFO(op << " ran on " << got.implementation);
  CHECK(got.implementation.rfind("onednn", 0) == 0);
  CHECK(got.implementation.find("ref") == std::string::npos);  // a jit kernel, not oneDNN's ref
  const bool quantized = expected.dtype() != DType::float32;
  test::check_close(got.outputs.at(0), expected, quantized ? 1.0 : 1e-4, quantized ? 0.0 : 1e-5);
  if (quantized) {
    // Most codes agree exactly: a systematic error would move them all.
    std::int64_t same = 0;
    for (std::int64_t i = 0; i < expected.num_elements(); ++i) {
      same += got.outputs[0].element_as_double(i) == expected.element_as_double(i);
    }
    CHECK(static_cast<double>(same) >= 0.97 * static_cast<double>(expected.num_elements()));
  }
}

const Attrs kSame = {{"strides", Ints{1, 1, 1, 1}}, {"padding", std::string("SAME")}};

Attrs with(Attrs attrs, std::initializer_list<std::pair<const std::string, AttrValue>> more) {
  for (const auto& [k, v] : more) attrs[k] = v;
  return attrs;
}

}  // namespace

TEST_CASE("cpu int8 Conv2D with bias, ReLU6 and requantization matches the reference kernel", "[cpu][int8]") {
  for (DType input : {DType::uint8, DType::int8}) {
    for (DType output : {DType::float32, DType::uint8, DType::int8}) {
      INFO("input " << dtype_name(input) << ", output " << dtype_name(output));
      const Tensor x = random_codes(input, Shape{2, 9, 7, 16}, 1, input == DType::uint8 ? 0 : -128, 127);
      const Tensor w = random_codes(DType::int8, Shape{3, 3, 16, 24}, 2, -127, 127);
      const Tensor bias = test::random_tensor(Shape{24}, 3);
      const Attrs attrs = with(kSame, {{"input_scale", 0.02f},
                                       {"weight_scales", random_scales(24, 4)},
                                       {"out_type", output},
                                       {"output_scale", 0.05f},
                                       {"fused_ops", Strings{"BiasAdd", "Relu6"}},
                                       {"num_args", std::int64_t{1}}});
      check_int8_kernel("_KilnQuantizedConv2D", {x, w, bias}, attrs, {1, 2});
    }
  }
}

TEST_CASE("cpu int8 depthwise convolution, strided, matches the reference kernel", "[cpu][int8]") {
  const Tensor x = random_codes(DType::uint8, Shape{1, 12, 12, 32}, 5, 0, 127);  // as quantize makes them
  const Tensor w = random_codes(DType::int8, Shape{3, 3, 32, 1}, 6, -127, 127);
  const Tensor bias = test::random_tensor(Shape{32}, 7);
  const Attrs attrs = {{"strides", Ints{1, 2, 2, 1}},
                       {"padding", std::string("SAME")},
                       {"input_scale", 0.01f},
                       {"weight_scales", random_scales(32, 8)},
                       {"out_type", DType::uint8},
                       {"output_scale", 0.04f},
                       {"fused_ops", Strings{"BiasAdd", "Relu"}},
                       {"num_args", std::int64_t{1}}};
  check_int8_kernel("_KilnQuantizedDepthwiseConv2dNative", {x, w, bias}, attrs, {1, 2});
}

TEST_CASE("cpu int8 MatMul with bias and a float32 residual matches the reference kernel", "[cpu][int8]") {
  for (DType output : {DType::float32, DType::int8}) {
    INFO("output " << dtype_name(output));
    const Tensor a = random_codes(DType::uint8, Shape{5, 64}, 9, 0, 127);
    const Tensor b = random_codes(DType::int8, Shape{64, 48}, 10, -127, 127);
    const Tensor bias = test::random_tensor(Shape{48}, 11);
    const Tensor residual = test::random_tensor(Shape{5, 48}, 12);
    const Attrs attrs = {{"input_scale", 0.01f},
                         {"weight_scales", random_scales(48, 13)},
                         {"out_type", output},
                         {"output_scale", 0.1f},
                         {"fused_ops", Strings{"BiasAdd", "Add"}},
                         {"num_args", std::int64_t{2}}};
    check_int8_kernel("_KilnQuantizedMatMul", {a, b, bias, residual}, attrs, {1, 2});
  }
}

TEST_CASE("cpu _KilnQuantize and _KilnDequantize match the reference kernels exactly", "[cpu][int8]") {
  const Tensor x = test::random_tensor(Shape{3, 50}, 14, -3.f, 3.f);
  for (DType type : {DType::int8, DType::uint8}) {
    INFO(dtype_name(type));
    const Node q = test::make_node("_KilnQuantize", {{"scale", 0.013f}, {"out_type", type}}, {x});
    const Tensor expected = reference::evaluate(q, {x}).at(0);
    const test::CpuResult got = test::run_cpu(q, {x});
    CHECK(got.implementation.rfind("onednn", 0) == 0);
    test::check_equal(got.outputs[0], expected);
    const Node d = test::make_node("_KilnDequantize", {{"scale", 0.013f}}, {expected});
    test::check_equal(test::run_cpu(d, {expected}).outputs[0], reference::evaluate(d, {expected}).at(0));
  }
}

namespace {

struct Digits {
  fs::path dir = kFixtures / "models" / "digits_cnn";
  Model model = load_saved_model((dir / "saved_model").string());
  std::string signature = test::first_line(dir / "signature_def.txt");
  Tensor test_images = load_npy((dir / "inputs" / "image.npy").string());
  Tensor labels = load_npy((dir / "test_labels.npy").string());
  // Drawn from the training split (tests/fixtures/make_digits_calibration.py): never the test images.
  Calibration calibration = {{{"image", load_npy((dir / "calibration" / "image.npy").string())}}};

  QuantizedModel quantize(CalibrationMethod method = CalibrationMethod::minmax) const {
    return kiln::quantize(model, calibration, QuantizeOptions().signature(signature).method(method).threads(2));
  }
  double accuracy(const CompiledModel& net) const {
    const Tensor probs = net.run({{"image", test_images}}).begin()->second;
    int correct = 0;
    for (std::int64_t row = 0; row < probs.dim(0); ++row) {
      const float* p = probs.data<float>() + row * 10;
      correct += std::max_element(p, p + 10) - p == labels.data<std::int64_t>()[row];
    }
    return static_cast<double>(correct) / static_cast<double>(probs.dim(0));
  }
};

}  // namespace

TEST_CASE("int8 digits CNN stays within one point of float32 accuracy on held-out images", "[cpu][int8]") {
  const Digits digits;
  const double f32 = digits.accuracy(compile(digits.model, Options().signature(digits.signature).threads(2)));
  CHECK(f32 == Approx(353.0 / 360.0));  // tf_accuracy.txt: 0.980556
  for (CalibrationMethod method : {CalibrationMethod::minmax, CalibrationMethod::percentile}) {
    INFO(quantization::method_name(method));
    const QuantizedModel q = digits.quantize(method);
    // Both convolutions and both dense layers; the first dense layer hands int8 to the second.
    REQUIRE(q.report.quantized.size() == 4);
    int chained = 0;
    for (const auto& r : q.report.quantized) chained += r.output != DType::float32;
    CHECK(chained == 1);
    const CompiledModel net = compile(q.graph, Options().backend(Backend::cpu).threads(2));
    for (const Plan::StepInfo& step : net.plan()->plan().steps()) {
      if (step.op.rfind("_KilnQuantized", 0) != 0) continue;
      INFO(step.node << " ran on " << step.implementation);
      CHECK_FALSE(step.fallback);
      CHECK(step.implementation.find("ref") == std::string::npos);
    }
    const double int8 = digits.accuracy(net);
    INFO("float32 " << f32 << ", int8 " << int8);
    CHECK(std::fabs(int8 - f32) <= 0.01);
  }
}

TEST_CASE("a quantized model saved as a SavedModel reloads and runs as it was, on cpu and reference",
          "[cpu][int8]") {
  const Digits digits;
  const QuantizedModel q = digits.quantize();
  const fs::path out = fs::temp_directory_path() / ("kiln_int8_round_trip_" + std::to_string(::getpid()));
  fs::remove_all(out);
  save_saved_model(out.string(), q.graph);
  const Model reloaded = load_saved_model(out.string());
  REQUIRE(reloaded.signatures().size() == 1);
  CHECK(reloaded.signatures()[0].key == "serving_default");
  const Graph graph = reloaded.graph();
  int quantized_ops = 0, int8_constants = 0;
  for (const Node& n : graph.nodes()) {
    quantized_ops += n.op.rfind("_KilnQuantized", 0) == 0;
    int8_constants += n.op == "Const" && n.attr<Tensor>("value").dtype() == DType::int8;
  }
  CHECK(quantized_ops == 4);
  CHECK(int8_constants == 4);

  const NamedTensors feeds = {{"image", digits.test_images}};
  const Tensor before = compile(q.graph, Options().backend(Backend::cpu).threads(2)).run(feeds).begin()->second;
  const Tensor after = compile(reloaded, Options().backend(Backend::cpu).threads(2)).run(feeds).begin()->second;
  test::check_equal(after, before);  // the same scales and weights: the same bytes out
  // The reference kernels, independent of oneDNN, agree within a code's worth of probability.
  const Tensor reference = compile(reloaded, Options().backend(Backend::reference)).run(feeds).begin()->second;
  test::check_close(reference, after, 2e-2, 0.0);
  fs::remove_all(out);
}

TEST_CASE("quantize refuses an empty calibration", "[cpu][int8]") {
  const Digits digits;
  CHECK_THROWS_AS(kiln::quantize(digits.model, {}, QuantizeOptions().signature(digits.signature)), Error);
}

}  // namespace KILN_TEST_FILE
