// Helpers for the cpu-backend tests: random tensors, and one node run on its cpu kernel next to
// the same node on the reference kernel (independently tested against TensorFlow, so here it is
// the oracle).
#pragma once

#include <kiln/backend.hpp>
#include <kiln/kernels/reference/reference.hpp>
#include <random>
#include <string>
#include <vector>

#include "../support.hpp"

namespace kiln::test {

// Uniform in [lo, hi), reproducible from `seed`.
inline Tensor random_tensor(const Shape& shape, std::uint32_t seed, float lo = -1.f,
                            float hi = 1.f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  Tensor t(DType::float32, shape);
  float* p = t.data<float>();
  for (std::int64_t i = 0; i < t.num_elements(); ++i) p[i] = dist(rng);
  return t;
}

// A node of `op` with TensorFlow's defaults, and type attributes (T, Tidx, ...) that are not
// given taken from the inputs, as GraphBuilder does.
inline Node make_node(const std::string& op, Attrs attrs, const std::vector<Tensor>& inputs) {
  Node node;
  node.name = "test/" + op;
  node.op = op;
  node.attrs = std::move(attrs);
  const OpDef& def = op_catalogue().at(node);
  fill_default_attrs(node, def);
  for (std::size_t i = 0; i < def.input_types.size() && i < inputs.size(); ++i) {
    const std::string& key = def.input_types[i];
    if (!key.empty() && !node.has_attr(key)) node.attrs.emplace(key, inputs[i].dtype());
  }
  return node;
}

struct CpuResult {
  std::vector<Tensor> outputs;
  std::string implementation;
};

// Runs `node` on the cpu backend's kernel. Inputs listed in `constant` are handed to prepare()
// as constants (weights get reordered). With `in_place_input` >= 0, output 0 is computed into
// that input's buffer, as the memory plan arranges for in-place nodes.
inline CpuResult run_cpu(const Node& node, const std::vector<Tensor>& inputs,
                         const std::vector<int>& constant = {}, int in_place_input = -1) {
  std::vector<TensorType> types;
  std::vector<const Tensor*> values;
  for (const Tensor& t : inputs) {
    types.push_back({t.dtype(), t.shape()});
    values.push_back(&t);
  }
  const std::vector<TensorType> out_types = infer_node(node, types, values);
  KernelRequest request(node, types, out_types);
  request.constants.assign(inputs.size(), nullptr);
  for (int c : constant) {
    request.constants[static_cast<std::size_t>(c)] = &inputs[static_cast<std::size_t>(c)];
  }
  request.output_aliases.assign(out_types.size(), -1);
  request.output_aliases[0] = in_place_input;
  KernelPtr kernel = make_kernel(Backend::cpu, request);

  std::vector<Tensor> in_copies;  // the kernel may overwrite an input in place
  for (const Tensor& t : inputs) in_copies.push_back(t.clone());
  CpuResult result;
  for (std::size_t i = 0; i < out_types.size(); ++i) {
    if (i == 0 && in_place_input >= 0) {
      result.outputs.push_back(
          in_copies[static_cast<std::size_t>(in_place_input)].reshaped(out_types[0].shape));
    } else {
      result.outputs.emplace_back(out_types[i].dtype, out_types[i].shape);
    }
  }
  std::vector<const void*> in;
  for (const Tensor& t : in_copies) in.push_back(t.raw());
  std::vector<void*> out;
  for (Tensor& t : result.outputs) out.push_back(t.raw());
  Tensor scratch(DType::uint8, Shape{static_cast<std::int64_t>(kernel->scratch_bytes() + 1)});
  std::unique_ptr<KernelState> state = kernel->make_state();
  KernelArgs args;
  args.inputs = in.data();
  args.outputs = out.data();
  args.scratch = scratch.raw();
  args.state = state.get();
  kernel->run(args);
  // A second run on the same state must give the same result (in place, it would start from
  // the first run's output instead of the residual, so it runs once).
  if (in_place_input < 0) kernel->run(args);
  result.implementation = kernel->implementation();
  return result;
}

// The cpu kernel of `op` agrees with the reference kernel within 1e-5 (oneDNN sums in another
// order and may use other exp/tanh approximations), and it was a fast kernel that ran (oneDNN
// or one of Kiln's own; unless `expect_fast` is false), so no test here compares the reference
// kernel with itself.
inline CpuResult check_against_reference(const std::string& op, const std::vector<Tensor>& inputs,
                                         Attrs attrs = {}, const std::vector<int>& constant = {},
                                         int in_place_input = -1, bool expect_fast = true,
                                         double tolerance = 1e-5) {
  const Node node = make_node(op, std::move(attrs), inputs);
  const std::vector<Tensor> expected = reference::evaluate(node, inputs);
  CpuResult got = run_cpu(node, inputs, constant, in_place_input);
  INFO(op << " ran on " << got.implementation);
  if (expect_fast) CHECK(got.implementation.rfind("reference", 0) != 0);
  REQUIRE(got.outputs.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    INFO("output " << i);
    check_close(got.outputs[i], expected[i], tolerance, tolerance);
  }
  return got;
}

}  // namespace kiln::test
