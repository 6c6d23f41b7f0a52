// The program every downstream package test builds (find_package, add_subdirectory, pkg-config),
// using Kiln as an embedder would: one include, one op, one checked answer.
// Exits non-zero when the answer is wrong, so the CTest test that runs it fails.
#include <kiln/kiln.hpp>

#include <iostream>
#include <string>
#include <vector>

// The backends this program links, after `reference`'s place in the order (most preferred first).
#if defined(KILN_DOWNSTREAM_WITH_CUDA)
const std::string kCudaName = "cuda ";
#else
const std::string kCudaName;
#endif

#if defined(KILN_DOWNSTREAM_WITH_CPU)
std::string downstream_plugin_kernel();  // downstream_plugin.cpp, a shared library

// This program and its plugin both link kiln::onednn, so both registered `cpu`: the registry
// must hold it once, beside `reference`, and the plugin must get the cpu backend's own kernel.
bool check_cpu_backend() {
  std::string names;
  for (const kiln::BackendDef* def : kiln::registered_backends()) names += def->name + " ";
  if (names != "cpu reference " + kCudaName) {
    std::cerr << "registered backends: " << names << "(expected cpu, reference " << kCudaName << ")\n";
    return false;
  }
  const std::string kernel = downstream_plugin_kernel();
  if (kernel.empty() || kernel.rfind("reference", 0) == 0) {
    std::cerr << "the plugin's AddV2 kernel on cpu is '" << kernel << "', not the cpu backend's\n";
    return false;
  }
  std::cout << "kiln downstream: backends " << names << "(plugin's AddV2: " << kernel << ")\n";
  return true;
}
#endif

int main() {
  try {
    kiln::Tensor x = kiln::Tensor::from<float>({2, 2}, {1, 2, 3, 4});
    kiln::Tensor y = kiln::Tensor::from<float>({2, 2}, {10, 20, 30, 40});
    kiln::Node node;
    node.name = "downstream/add";
    node.op = "AddV2";
    node.attrs = {{"T", kiln::DType::float32}};
    kiln::fill_default_attrs(node);
    const std::vector<kiln::Tensor> out = kiln::reference::evaluate(node, {x, y});
    const std::vector<float> expected = {11, 22, 33, 44};  // 1+10, 2+20, 3+30, 4+40
    if (out.size() != 1 || out[0].num_elements() != 4) {
      std::cerr << "AddV2 gave the wrong number of outputs or elements\n";
      return 1;
    }
    for (int i = 0; i < 4; ++i) {
      if (out[0].data<float>()[i] != expected[static_cast<std::size_t>(i)]) {
        std::cerr << "AddV2 element " << i << ": got " << out[0].data<float>()[i]
                  << ", expected " << expected[static_cast<std::size_t>(i)] << '\n';
        return 1;
      }
    }
    std::cout << "kiln downstream: AddV2 " << out[0] << '\n';
#if defined(KILN_DOWNSTREAM_WITH_CPU)
    if (!check_cpu_backend()) return 1;
#endif
#if defined(KILN_DOWNSTREAM_WITH_CUDA)
    // Linking kiln::cuda registers `cuda`, never as the default; no GPU is needed for that.
    const kiln::BackendDef* cuda = kiln::find_backend("cuda");
    if (cuda == nullptr || !cuda->device.present() || kiln::default_backend().name() == "cuda") {
      std::cerr << "kiln::cuda did not register a device backend `cuda` below the default\n";
      return 1;
    }
    std::cout << "kiln downstream: backend cuda with " << cuda->ops().size() << " kernels\n";
#endif
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "kiln downstream failed: " << e.what() << '\n';
    return 1;
  }
}
