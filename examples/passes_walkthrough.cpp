// Watch Kiln's optimizer work: a small Keras-style CNN built by hand, then every O2 pass with
// its statistics and the IR after each pass that changed something.
//
//   g++ -std=c++17 -O2 -I include examples/passes_walkthrough.cpp -o passes_walkthrough
//   ./passes_walkthrough [DIR]
//
// With DIR, it also writes a Graphviz file per pass (DIR/00-input.dot, DIR/01-...; render
// them with `dot -Tsvg`) and the memory plan as DIR/memory_plan.svg. Finally it runs the graph
// before and after optimization on the same input and prints both results.
//
// The network is what a frozen Keras model looks like: conv -> BatchNorm -> ReLU, a Dropout
// that is an Identity at inference, Flatten's Shape/StridedSlice/Pack chain for a batch of
// unknown size, and a dense layer with a bias and a swish activation.
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include <kiln/kiln.hpp>
#include <kiln/optimizer/optimizer.hpp>

namespace {

using kiln::DType;
using kiln::Tensor;
using kiln::Value;

// Deterministic weights in [-0.5, 0.5): a small linear congruential generator, so the example
// prints the same numbers everywhere.
Tensor weights(kiln::Shape shape, unsigned seed) {
  Tensor t(DType::float32, std::move(shape));
  unsigned state = seed;
  for (std::int64_t i = 0; i < t.num_elements(); ++i) {
    state = state * 1664525u + 1013904223u;
    t.data<float>()[i] = static_cast<float>(state >> 8) / 16777216.0f - 0.5f;
  }
  return t;
}

Tensor vector(std::initializer_list<float> values) {
  return Tensor::from<float>({static_cast<std::int64_t>(values.size())}, values);
}

kiln::Graph keras_cnn() {
  kiln::GraphBuilder b;
  const kiln::Attrs same{{"strides", kiln::Ints{1, 1, 1, 1}}, {"padding", std::string("SAME")}};
  Value x = b.input("image", DType::float32, {-1, 4, 4, 1});

  // conv2d -> batch_normalization -> re_lu
  Value conv = b.op("Conv2D", {x, b.constant("conv2d/kernel", weights({3, 3, 1, 2}, 1))}, same,
                    "conv2d/Conv2D");
  std::vector<Value> bn =
      b.op_outputs("FusedBatchNormV3",
                   {conv, b.constant("bn/gamma", vector({1.0f, 0.5f})),
                    b.constant("bn/beta", vector({0.1f, -0.1f})),
                    b.constant("bn/moving_mean", vector({0.2f, -0.3f})),
                    b.constant("bn/moving_variance", vector({1.5f, 0.8f}))},
                   {{"epsilon", 0.001f}, {"is_training", false}}, "bn/FusedBatchNormV3");
  Value relu = b.op("Relu", {bn[0]}, {}, "re_lu/Relu");
  Value dropout = b.op("Identity", {relu}, {}, "dropout/Identity");

  // flatten: Reshape(x, [shape(x)[0], -1])
  auto ints = [&](const std::string& name, std::int32_t v) {
    return b.constant(name, Tensor::from<std::int32_t>({1}, {v}));
  };
  Value shape = b.op("Shape", {dropout}, {}, "flatten/Shape");
  Value batch = b.op(
      "StridedSlice",
      {shape, ints("flatten/stack", 0), ints("flatten/stack_1", 1), ints("flatten/stack_2", 1)},
      {{"shrink_axis_mask", std::int64_t{1}}}, "flatten/strided_slice");
  Value target =
      b.op("Pack", {batch, b.constant("flatten/minus_one", Tensor::scalar<std::int32_t>(-1))},
           {{"N", std::int64_t{2}}}, "flatten/Reshape/shape");
  Value flat = b.op("Reshape", {dropout, target}, {}, "flatten/Reshape");

  // dense with swish: y = z * sigmoid(z), z = flat W + b
  Value mm =
      b.op("MatMul", {flat, b.constant("dense/kernel", weights({32, 3}, 2))}, {}, "dense/MatMul");
  Value z = b.op("BiasAdd", {mm, b.constant("dense/bias", vector({0.1f, 0.2f, 0.3f}))}, {},
                 "dense/BiasAdd");
  Value swish = b.op("Mul", {z, b.op("Sigmoid", {z}, {}, "dense/Sigmoid")}, {}, "dense/mul");
  b.output("scores", swish);
  return b.finish();
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const kiln::Graph original = keras_cnn();
    kiln::Graph graph = original;
    std::cout << "// -----// Input //----- //\n" << kiln::print_graph(graph) << '\n';

    kiln::opt::PassManager pm(kiln::opt::o2());
    pm.add_instrument(kiln::opt::PrintIR::after_change(std::cout));
    pm.add_instrument(std::make_shared<kiln::opt::VerifyEach>());
    if (argc > 1) pm.add_instrument(std::make_shared<kiln::opt::DotDump>(argv[1]));
    std::ostringstream stats;
    pm.add_instrument(std::make_shared<kiln::opt::PassStatistics>(stats, /*with_notes=*/true));
    kiln::opt::PipelineReport report = pm.run(graph);
    // The memory plan is an analysis of the final graph, made after the pipeline.
    kiln::opt::MemoryPlanRequest request;
    request.input_shapes["image"] = kiln::Shape{1, 4, 4, 1};  // plan for batch 1
    report.memory = kiln::opt::plan_memory(graph, request).plan;

    std::cout << "// -----// Statistics //----- //\n" << stats.str() << '\n';
    if (report.memory) {
      std::cout << "// -----// Memory plan //----- //\n";
      for (const kiln::opt::PlannedTensor& t : report.memory->tensors) {
        std::cout << "  " << t.name << ": " << t.bytes << " bytes at offset "
                  << report.memory->buffers[static_cast<std::size_t>(t.buffer)].offset << ", steps "
                  << t.first << "-" << t.last << '\n';
      }
      std::cout << "  arena " << report.memory->arena_bytes << " bytes, lower bound "
                << report.memory->lower_bound_bytes << ", naive " << report.memory->naive_bytes
                << "\n\n";
      if (argc > 1) {
        std::ofstream svg(std::string(argv[1]) + "/memory_plan.svg");
        svg << kiln::opt::memory_plan_svg(*report.memory, "passes_walkthrough");
      }
    }

    const Tensor image = weights({1, 4, 4, 1}, 3);
    std::cout << "O0: " << kiln::run_eager(original, {{"image", image}}).at("scores") << '\n';
    std::cout << "O2: " << kiln::run_eager(graph, {{"image", image}}).at("scores") << '\n';
  } catch (const kiln::Error& e) {
    std::cerr << "kiln: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
