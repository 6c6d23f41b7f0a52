// A shared library that links kiln::onednn on its own (tests/package/downstream.cmake): it says
// which backend adds two numbers for it, so the program that loads it can check that the
// library's view of the registry agrees with its own.
#include <kiln/backend.hpp>

#include <string>

std::string downstream_plugin_kernel() {
  kiln::Node node;
  node.name = "plugin/add";
  node.op = "AddV2";
  node.attrs = {{"T", kiln::DType::float32}};
  kiln::fill_default_attrs(node);
  const kiln::TensorType type{kiln::DType::float32, kiln::Shape{4}};
  const kiln::KernelRequest request(node, {type, type}, {type});
  return kiln::make_kernel(kiln::cpu, request)->implementation();
}
