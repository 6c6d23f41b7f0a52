// Kiln's main job, end to end: load a real TensorFlow SavedModel, compile it, run it, check the
// answers, and show what the graph compiler bought.
//
//   classify_digits <digits_cnn folder>
//
// The folder (tests/fixtures/models/digits_cnn) holds a small CNN that TensorFlow trained on
// scikit-learn's 8x8 handwritten digits, 360 held-out test images, their labels, and the
// accuracy TensorFlow itself measured. Kiln loads the SavedModel without TensorFlow, compiles its
// serving signature at O2 (folding, simplification, fusion, one memory arena), classifies every
// test image and prints its accuracy beside TensorFlow's. Then it runs the same graph eagerly
// (node by node, on the same kernels, no graph optimization) to show what optimization changed.
#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iostream>
#include <vector>

#include <kiln/npy.hpp>
#include <kiln/session.hpp>

namespace {

// The index of the largest of `n` scores.
std::int64_t argmax(const float* scores, std::int64_t n) {
  std::int64_t best = 0;
  for (std::int64_t i = 1; i < n; ++i) {
    if (scores[i] > scores[best]) best = i;
  }
  return best;
}

// Median wall time of `runs` calls, after one warm-up call.
double median_ms(const std::function<void()>& call, int runs) {
  call();
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    const auto start = std::chrono::steady_clock::now();
    call();
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

void print_what_optimization_bought(const kiln::Graph& imported, const kiln::CompiledModel& net,
                                    const kiln::NamedTensors& feeds) {
  kiln::InputShapes shapes;
  for (const auto& [name, tensor] : feeds) shapes[name] = tensor.shape();
  const kiln::CompiledPlan& compiled = *net.plan(shapes);
  const kiln::opt::PipelineReport& report = compiled.optimization();
  const kiln::opt::MemoryPlan& memory = *report.memory;

  const kiln::EagerInterpreter eager(imported, net.options().backend());
  constexpr int kRuns = 20;
  const double eager_ms = median_ms([&] { eager.run(feeds); }, kRuns);
  const double optimized_ms = median_ms([&] { net.run(feeds); }, kRuns);

  std::cout << "\nWhat optimization bought (" << kiln::backend_name(net.options().backend())
            << " backend, batch of " << feeds.begin()->second.dim(0) << ", median of " << kRuns
            << " runs):\n";
  for (const kiln::opt::PassRecord& pass : report.passes) {
    std::cout << "  pass     " << kiln::opt::stats_line(pass) << "\n";
  }
  std::cout << "  nodes    " << imported.size() << " imported -> "
            << compiled.plan().steps().size() << " steps in the compiled plan\n"
            << "  memory   arena " << kiln::opt::format_bytes(memory.arena_bytes) << " for every "
            << "intermediate, against " << kiln::opt::format_bytes(memory.naive_bytes)
            << " with a buffer each (lower bound "
            << kiln::opt::format_bytes(memory.lower_bound_bytes) << ")\n"
            << std::setprecision(2) << "  latency  eager " << eager_ms << " ms, optimized "
            << optimized_ms << " ms: " << eager_ms / optimized_ms << "x\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: classify_digits <digits_cnn folder>\n";
    return 2;
  }
  const std::string dir = argv[1];
  try {
    const kiln::Model model = kiln::load_saved_model(dir + "/saved_model");
    const kiln::Signature& signature = model.signature("serving_default");
    const std::string input = signature.inputs[0].key, output = signature.outputs[0].key;
    std::cout << "loaded " << dir << "/saved_model: signature 'serving_default', " << input << " "
              << signature.inputs[0].shape.str() << " -> " << output << " "
              << signature.outputs[0].shape.str() << "\n";

    const kiln::Tensor images = kiln::load_npy(dir + "/inputs/" + input + ".npy");
    const kiln::Tensor labels = kiln::load_npy(dir + "/test_labels.npy");
    const kiln::NamedTensors feeds = {{input, images}};

    // Options() picks the cpu backend when the program links kiln::onednn, else the reference.
    const kiln::CompiledModel net = kiln::compile(model, kiln::Options().level("O2"));
    const kiln::Tensor scores = net.run(feeds).at(output);

    const std::int64_t count = scores.dim(0), classes = scores.dim(1);
    std::int64_t correct = 0;
    for (std::int64_t i = 0; i < count; ++i) {
      correct += argmax(scores.data<float>() + i * classes, classes) == labels.data<std::int64_t>()[i];
    }
    double tf_accuracy = 0;
    std::ifstream(dir + "/tf_accuracy.txt") >> tf_accuracy;

    std::cout << std::fixed << std::setprecision(4)
              << "Kiln accuracy:       " << static_cast<double>(correct) / static_cast<double>(count)
              << "  (" << correct << "/" << count << " test digits)\n"
              << "TensorFlow accuracy: " << tf_accuracy << "\n";

    print_what_optimization_bought(model.graph(), net, feeds);
  } catch (const kiln::Error& e) {
    std::cerr << "classify_digits: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
