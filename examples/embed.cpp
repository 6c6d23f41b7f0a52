// Embedding Kiln: load a SavedModel, compile it for the CPU, run it on a .npy file.
//
//   embed MODEL_DIR INPUT_NAME INPUT.npy        e.g. embed mobilenet_v2/ input_1 cat.npy
//
// In a CMake project: find_package(kiln REQUIRED COMPONENTS savedmodel onednn), then
// target_link_libraries(app PRIVATE kiln::savedmodel kiln::onednn).
#include <iostream>
#include <kiln/npy.hpp>
#include <kiln/session.hpp>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: embed MODEL_DIR INPUT_NAME INPUT.npy\n";
    return 2;
  }
  try {
    // The five lines.
    auto model = kiln::load_saved_model(argv[1]);
    auto net = kiln::compile(model, kiln::Options().backend(kiln::cpu).threads(2));
    auto out = net.run({{argv[2], kiln::load_npy(argv[3])}});
    for (const auto& [name, tensor] : out) std::cout << name << ": " << tensor << '\n';
    return 0;
  } catch (const kiln::Error& e) {
    std::cerr << "embed: " << e.what() << '\n';
    return 1;
  }
}
