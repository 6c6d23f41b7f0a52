// Compiled plans and sessions: a hand-built network compiled at every level on both backends
// agrees with the reference interpreter, batch sizes change between calls, inputs are checked
// by name, fallbacks show in the summary, and one compiled model serves many threads at once.
#include <atomic>
#include <kiln/core/builder.hpp>
#include <kiln/session.hpp>
#include <thread>

#include "cpu_support.hpp"

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;
using test::random_tensor;

namespace {

// A small residual CNN with most of what real models have: Conv + BatchNorm + Relu chains, a
// depthwise convolution, a residual Add, a Pad, pooling, a Reshape (a view), a Dense layer and
// Softmax. Input [?, 8, 8, 3]; outputs "probs" [?, 5] and "features" (a view of an
// intermediate, [?, 16]).
Graph small_cnn() {
  GraphBuilder b;
  std::uint32_t seed = 500;
  auto weights = [&](Shape s) {
    const std::uint32_t k = seed++;
    return b.constant("w" + std::to_string(k), random_tensor(s, k));
  };
  auto positive = [&](Shape s) {
    const std::uint32_t k = seed++;
    return b.constant("p" + std::to_string(k), random_tensor(s, k, 0.5f, 1.5f));
  };
  const Attrs same = {{"strides", Ints{1, 1, 1, 1}}, {"padding", std::string("SAME")}};
  Value x = b.input("image", DType::float32, {-1, 8, 8, 3});
  Value c1 = b.op("Conv2D", {x, weights({3, 3, 3, 4})}, same);
  Value bn = b.op_outputs("FusedBatchNormV3",
                          {c1, positive({4}), weights({4}), weights({4}), positive({4})},
                          {{"is_training", false}, {"epsilon", 0.001f}})[0];
  Value r1 = b.op("Relu", {bn});
  Value dw = b.op("DepthwiseConv2dNative", {r1, weights({3, 3, 4, 1})}, same);
  Value r2 = b.op("Relu6", {b.op("BiasAdd", {dw, weights({4})})});
  Value sum = b.op("AddV2", {r2, r1});
  Value padded = b.op(
      "Pad",
      {sum, b.constant("paddings", Tensor::from<std::int32_t>({4, 2}, {0, 0, 1, 1, 1, 1, 0, 0}))});
  Value pool = b.op("MaxPool", {padded},
                    {{"ksize", Ints{1, 3, 3, 1}},
                     {"strides", Ints{1, 2, 2, 1}},
                     {"padding", std::string("VALID")}});  // [?,4,4,4]
  Value channel_mean =
      b.op("Mean", {pool, b.constant("axes", Tensor::from<std::int32_t>({1}, {3}))});
  Value flat = b.op("Reshape",
                    {channel_mean, b.constant("shape", Tensor::from<std::int32_t>({2}, {-1, 16}))});
  Value logits = b.op("BiasAdd", {b.op("MatMul", {flat, weights({16, 5})}), weights({5})});
  b.output("probs", b.op("Softmax", {logits}));
  b.output("features", flat);
  return b.finish();
}

NamedTensors reference_outputs(const Graph& g, const NamedTensors& feeds) {
  return run_eager(g, feeds);
}

void check_named(const NamedTensors& actual, const NamedTensors& expected, double tolerance) {
  REQUIRE(actual.size() == expected.size());
  for (const auto& [name, want] : expected) {
    INFO("output " << name);
    REQUIRE(actual.count(name));
    test::check_close(actual.at(name), want, tolerance, tolerance);
  }
}

Error error_of(const CompiledModel& net, const NamedTensors& feeds) {
  try {
    net.run(feeds);
  } catch (const Error& e) {
    return e;
  }
  FAIL("expected an error");
  return Error(Errc::internal, "");
}

}  // namespace

TEST_CASE("a compiled network matches the reference interpreter at every level and backend",
          "[cpu][session]") {
  const Graph g = small_cnn();
  const NamedTensors feeds = {{"image", random_tensor({3, 8, 8, 3}, 1)}};
  const NamedTensors expected = reference_outputs(g, feeds);
  for (Backend backend : {Backend::cpu, Backend::reference}) {
    for (OptLevel level : {OptLevel::O0, OptLevel::O1, OptLevel::O2}) {
      INFO(backend_name(backend) << " " << opt_level_name(level));
      const CompiledModel net = compile(g, Options().backend(backend).level(level).threads(2));
      // Folded BatchNorms and oneDNN's summation order move results by float32 roundings.
      check_named(net.run(feeds), expected, 1e-5);
    }
  }
  SECTION("O2 on cpu runs oneDNN kernels only, and fuses") {
    const CompiledModel net = compile(g, Options().backend(Backend::cpu));
    const std::shared_ptr<const CompiledPlan> plan = net.plan({{"image", Shape{3, 8, 8, 3}}});
    INFO(plan->plan().summary());
    CHECK(plan->plan().fallback_count() == 0);
    CHECK(plan->plan().steps().front().op == "_FusedConv2D");
    CHECK(plan->plan().memory_plan().arena_bytes > 0);
  }
}

TEST_CASE("the eager interpreter runs on the cpu kernels too", "[cpu][eager]") {
  const Graph g = small_cnn();
  const NamedTensors feeds = {{"image", random_tensor({2, 8, 8, 3}, 2)}};
  EagerInterpreter eager(g, Backend::cpu, 2);
  check_named(eager.run(feeds), reference_outputs(g, feeds), 1e-5);
  check_named(eager.run(feeds), reference_outputs(g, feeds), 1e-5);  // kernels now cached
}

TEST_CASE("batch sizes change between calls: a plan per shape, cached with a bound",
          "[cpu][session]") {
  const Graph g = small_cnn();
  const CompiledModel net = compile(g, Options().threads(1).max_plans(2));
  CHECK(net.cached_plans() == 1);  // compile() made the plan for batch 1
  for (std::int64_t batch : {1, 4, 2, 4, 7}) {
    INFO("batch " << batch);
    const NamedTensors feeds = {
        {"image", random_tensor({batch, 8, 8, 3}, 10 + static_cast<std::uint32_t>(batch))}};
    const NamedTensors out = net.run(feeds);
    CHECK(out.at("probs").shape() == Shape{batch, 5});
    check_named(out, reference_outputs(g, feeds), 1e-5);
    CHECK(net.cached_plans() <= 2);
  }
}

TEST_CASE("the plans of one model share their folded weights", "[cpu][session]") {
  // A scale folds into the convolution's weights, the same for every batch size: compile()
  // folds it once, before the plans, which must all hold that one copy.
  auto model = [] {
    GraphBuilder b;
    const Attrs same = {{"strides", Ints{1, 1, 1, 1}}, {"padding", std::string("SAME")}};
    Value x = b.input("image", DType::float32, {-1, 6, 6, 16});
    Value conv = b.op("Conv2D", {x, b.constant("w", random_tensor({3, 3, 16, 32}, 1))}, same);
    Value scale = b.constant("scale", random_tensor({32}, 2, 0.5f, 1.5f));
    Value shift = b.constant("shift", random_tensor({32}, 3));
    b.output("y", b.op("Relu", {b.op("AddV2", {b.op("Mul", {conv, scale}), shift})}));
    return b.finish();
  };
  const Graph imported = model();
  const CompiledModel net = compile(model(), Options().threads(1));

  auto folded_weights = [&](std::int64_t batch) {
    const Graph& g = net.plan({{"image", Shape{batch, 6, 6, 16}}})->plan().graph();
    for (const Node& node : g.nodes()) {
      if (node.op == "_FusedConv2D") return *constant_value(g, node.inputs.at(1));
    }
    FAIL("no _FusedConv2D in the plan for batch " << batch);
    return Tensor();
  };
  const Tensor one = folded_weights(1), three = folded_weights(3);
  REQUIRE(one.shape() == Shape{3, 3, 16, 32});
  CHECK(one.raw() == three.raw());  // one copy
  CHECK(one.raw() != imported.node(imported.at("w")).attr<Tensor>("value").raw());
  const NamedTensors feeds = {{"image", random_tensor({3, 6, 6, 16}, 4)}};
  check_named(net.run(feeds), reference_outputs(imported, feeds), 1e-4);
}

TEST_CASE("inputs are checked by name, dtype, rank and shape", "[cpu][session]") {
  const CompiledModel net = compile(small_cnn());
  const Tensor good = random_tensor({1, 8, 8, 3}, 3);
  CHECK(error_of(net, {}).message() == "input was not fed");
  CHECK(error_of(net, {}).context().input == "image");

  const Error extra = error_of(net, {{"image", good}, {"label", good}});
  CHECK(extra.code() == Errc::not_found);
  CHECK(extra.context().input == "label");

  const Error dtype = error_of(net, {{"image", Tensor(DType::int32, Shape{1, 8, 8, 3})}});
  CHECK(dtype.code() == Errc::type_mismatch);
  CHECK(dtype.context().input == "image");
  CHECK(std::string(dtype.what()).find("expected float32, found int32") != std::string::npos);

  const Error rank = error_of(net, {{"image", random_tensor({8, 8, 3}, 4)}});
  CHECK(rank.code() == Errc::shape_mismatch);
  CHECK(rank.message() == "input has the wrong rank");

  const Error shape = error_of(net, {{"image", random_tensor({1, 8, 9, 3}, 5)}});
  CHECK(shape.code() == Errc::shape_mismatch);
  CHECK(shape.context().input == "image");
  CHECK(shape.context().expected == "[?,8,8,3]");

  CHECK(error_of(net, {{"image", Tensor()}}).message() == "input is an empty tensor");
}

TEST_CASE("inputs with defaults, pass-through and constant outputs", "[cpu][session]") {
  GraphBuilder b;
  Value x = b.input("x", DType::float32, {-1, 3});
  Value scale = b.input_with_default("scale", Tensor::from<float>({1}, {2.f}));
  Value y = b.op("Mul", {b.op("Relu", {x}), scale});
  b.output("y", y);
  b.output("echo", x);
  b.output("constant", b.constant("c", Tensor::from<float>({2}, {4.f, 5.f})));
  const Graph g = b.finish();
  const CompiledModel net = compile(g);
  const Tensor in = Tensor::from<float>({2, 3}, {1, -2, 3, -4, 5, -6});
  // relu(x) * 2 = [2, 0, 6, 0, 10, 0]; with scale fed as 0.5: [0.5, 0, 1.5, 0, 2.5, 0]
  NamedTensors out = net.run({{"x", in}});
  test::check_close(out.at("y"), Tensor::from<float>({2, 3}, {2, 0, 6, 0, 10, 0}));
  test::check_close(out.at("echo"), in);
  test::check_close(out.at("constant"), Tensor::from<float>({2}, {4, 5}));
  CHECK(out.at("echo").raw() != in.raw());  // the caller gets a copy
  out = net.run({{"x", in}, {"scale", Tensor::from<float>({1}, {0.5f})}});
  test::check_close(out.at("y"), Tensor::from<float>({2, 3}, {0.5f, 0, 1.5f, 0, 2.5f, 0}));
  CHECK(error_of(net, {{"x", in}, {"scale", Tensor::from<float>({3}, {1, 2, 3})}}).code() ==
        Errc::shape_mismatch);  // the declared shape is the default's, [1]
}

TEST_CASE("the plan summary names every kernel and every fallback", "[cpu][session]") {
  GraphBuilder b;
  Value x = b.input("x", DType::float32, {2, 4});
  b.output("y", b.op("Softsign", {b.op("Tanh", {x}, {}, "squash")}, {}, "softsign"));
  const CompiledModel net = compile(b.finish());
  const std::string summary = net.plan()->plan().summary();
  INFO(summary);
  CHECK(summary.find("squash") != std::string::npos);
  CHECK(summary.find("onednn") != std::string::npos);
  CHECK(summary.find("reference (no cpu kernel)") != std::string::npos);
  CHECK(summary.find("1 on reference kernels") != std::string::npos);
}

TEST_CASE("one compiled model runs from many threads with different batch sizes",
          "[cpu][session][threads]") {
  const Graph g = small_cnn();
  const CompiledModel net = compile(g, Options().threads(2).max_plans(4));
  const std::vector<std::int64_t> batches = {1, 2, 3, 5};
  std::vector<NamedTensors> feeds, expected;
  for (std::int64_t batch : batches) {
    feeds.push_back(
        {{"image", random_tensor({batch, 8, 8, 3}, 900 + static_cast<std::uint32_t>(batch))}});
    expected.push_back(net.run(feeds.back()));  // single-threaded, one call at a time
  }
  std::atomic<int> mismatches{0}, failures{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < 6; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < 15; ++i) {
        const std::size_t k = static_cast<std::size_t>(t + i) % batches.size();
        try {
          const NamedTensors out = net.run(feeds[k]);
          for (const auto& [name, want] : expected[k]) {
            const Tensor& got = out.at(name);
            if (got.shape() != want.shape() ||
                std::memcmp(got.raw(), want.raw(), want.byte_size()) != 0) {
              ++mismatches;
            }
          }
        } catch (const std::exception&) {
          ++failures;
        }
      }
    });
  }
  for (std::thread& w : workers) w.join();
  CHECK(failures == 0);
  CHECK(mismatches == 0);  // bit for bit: the same plan and thread count compute the same
  CHECK(net.cached_plans() == 4);
}

TEST_CASE("plans for given shapes are checked and cached", "[cpu][session]") {
  const CompiledModel net = compile(small_cnn(), Options().max_plans(3));
  const std::shared_ptr<const CompiledPlan> batch4 = net.plan({{"image", Shape{4, 8, 8, 3}}});
  CHECK(net.plan({{"image", Shape{4, 8, 8, 3}}}) == batch4);  // cached
  CHECK(batch4->plan().graph().type_of(batch4->plan().graph().outputs()[0].value).shape ==
        Shape{4, 5});
  CHECK(batch4->optimization().passes.size() >= 4);  // what O2 did is kept with the plan
  try {
    net.plan({{"image", Shape{4, 8, -1, 3}}});
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.code() == Errc::shape_mismatch);
    CHECK(e.context().input == "image");
  }
  try {
    net.plan({{"image", Shape{4, 8, 9, 3}}});
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.context().expected == "[?,8,8,3]");
  }
}

// keras.applications.MobileNetV3 leaves height and width open ([?,?,?,3]) and pads before each
// strided depthwise convolution. compile() used to plan at once with every unknown size taken
// as 1, and a 1x1 image padded to 2x2 is smaller than a 3x3 window: it threw "window is larger
// than its padded input" for a model that runs fine on real images.
TEST_CASE("a model with open height and width compiles, and is planned for the images it gets",
          "[cpu][session]") {
  GraphBuilder b;
  Value x = b.input("image", DType::float32, {-1, -1, -1, 3});
  Value conv = b.op("Conv2D", {x, b.constant("w", random_tensor({3, 3, 3, 4}, 900))},
                    {{"strides", Ints{1, 2, 2, 1}}, {"padding", std::string("SAME")}});
  Value padded = b.op(
      "Pad",
      {conv, b.constant("paddings", Tensor::from<std::int32_t>({4, 2}, {0, 0, 0, 1, 0, 1, 0, 0}))});
  Value depthwise =
      b.op("DepthwiseConv2dNative", {padded, b.constant("dw", random_tensor({3, 3, 4, 1}, 901))},
           {{"strides", Ints{1, 2, 2, 1}}, {"padding", std::string("VALID")}});
  b.output("features", b.op("Relu", {depthwise}));
  const Graph g = b.finish();

  for (Backend backend : {Backend::cpu, Backend::reference}) {
    INFO(backend_name(backend));
    const CompiledModel net = compile(g, Options().backend(backend));
    CHECK(net.cached_plans() == 0);  // nothing to plan for until an image arrives
    const NamedTensors feeds = {{"image", random_tensor({2, 16, 12, 3}, 902)}};
    const NamedTensors out = net.run(feeds);
    // 16x12 -> 8x6 (SAME, stride 2) -> 9x7 padded -> 4x3 (VALID 3x3, stride 2).
    CHECK(out.at("features").shape() == Shape{2, 4, 3, 4});
    check_named(out, reference_outputs(g, feeds), 1e-5);
  }
}

}  // namespace KILN_TEST_FILE
