// Kiln's main job, end to end: load a real TensorFlow SavedModel, run it, check the answers.
//
//   classify_digits <digits_cnn folder>
//
// The folder (tests/fixtures/models/digits_cnn) holds a small CNN that TensorFlow trained on
// scikit-learn's 8x8 handwritten digits, 360 held-out test images, their labels, and the
// accuracy TensorFlow itself measured. Kiln loads the SavedModel without TensorFlow, imports its
// serving signature, classifies every test image and prints its accuracy beside TensorFlow's.
#include <fstream>
#include <iomanip>
#include <iostream>

#include <kiln/eager.hpp>
#include <kiln/model.hpp>
#include <kiln/npy.hpp>

namespace {

// The index of the largest of `n` scores.
std::int64_t argmax(const float* scores, std::int64_t n) {
  std::int64_t best = 0;
  for (std::int64_t i = 1; i < n; ++i) {
    if (scores[i] > scores[best]) best = i;
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: classify_digits <digits_cnn folder>\n";
    return 2;
  }
  const std::string dir = argv[1];
  try {
    kiln::Model model = kiln::load_saved_model(dir + "/saved_model");
    const kiln::Signature& signature = model.signature("serving_default");
    kiln::Graph graph = model.graph("serving_default");
    std::cout << "loaded " << dir << "/saved_model: signature 'serving_default', "
              << signature.inputs[0].key << " " << signature.inputs[0].shape.str() << " -> "
              << signature.outputs[0].key << " " << signature.outputs[0].shape.str() << ", "
              << graph.size() << " nodes\n";

    const kiln::Tensor images = kiln::load_npy(dir + "/inputs/" + signature.inputs[0].key + ".npy");
    const kiln::Tensor labels = kiln::load_npy(dir + "/test_labels.npy");
    kiln::EagerInterpreter interpreter(graph);
    const kiln::Tensor scores =
        interpreter.run({{signature.inputs[0].key, images}}).at(signature.outputs[0].key);

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
  } catch (const kiln::Error& e) {
    std::cerr << "classify_digits: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
