// One node on the cuda backend's kernel next to the same node on the reference kernel (the
// oracle, tested against TensorFlow). Preparing the kernel needs no device, so that half always
// runs: the factory takes the request (or declines it, for the fallback tests) and names its
// implementation. Running it needs a GPU: without one, the caller's test reports itself skipped.
#pragma once

#include <kiln/backend.hpp>
#include <string>
#include <vector>

#include "../cpu/cpu_support.hpp"
#include "cuda_support.hpp"

namespace kiln::test {

// |cuda - reference| <= 1e-4 + 1e-4 * |reference|: cuBLASLt and the device kernels sum in
// another order (tiled, in parallel) and use CUDA's own exp, tanh and erf.
constexpr double kCudaTolerance = 1e-4;

struct CudaPrepared {
  KernelPtr kernel;
  std::vector<TensorType> out_types;
  std::vector<Tensor> expected;
};

// Prepares `node` for the cuda backend, with the inputs listed in `constant` as constants.
inline CudaPrepared prepare_on_cuda(const Node& node, const std::vector<Tensor>& inputs,
                                    const std::vector<int>& constant = {}) {
  std::vector<TensorType> types;
  std::vector<const Tensor*> values;
  for (const Tensor& t : inputs) {
    types.push_back({t.dtype(), t.shape()});
    values.push_back(&t);
  }
  CudaPrepared p;
  p.out_types = infer_node(node, types, values);
  KernelRequest request(node, types, p.out_types);
  request.constants.assign(inputs.size(), nullptr);
  for (int c : constant)
    request.constants[static_cast<std::size_t>(c)] = &inputs[static_cast<std::size_t>(c)];
  request.output_aliases.assign(p.out_types.size(), -1);
  p.kernel = make_kernel(require_backend(cuda), request);
  p.expected = reference::evaluate(node, inputs);
  return p;
}

// Runs a prepared kernel on the device: inputs uploaded, one run on a queue of its own, outputs
// downloaded. Needs a device.
inline std::vector<Tensor> run_on_cuda(const CudaPrepared& p, const std::vector<Tensor>& inputs) {
  const DeviceHooks& d = require_backend(cuda).device;
  std::vector<void*> buffers;
  auto device_copy = [&](std::size_t bytes) {
    buffers.push_back(d.allocate(bytes + 1));
    return buffers.back();
  };
  void* queue = d.make_queue();
  std::vector<const void*> in;
  for (const Tensor& t : inputs) {
    in.push_back(device_copy(t.byte_size()));
    d.to_device(const_cast<void*>(in.back()), t.raw(), t.byte_size(), nullptr);
  }
  std::vector<void*> out;
  for (const TensorType& t : p.out_types)
    out.push_back(device_copy(Tensor(t.dtype, t.shape).byte_size()));
  KernelArgs args;
  args.inputs = in.data();
  args.outputs = out.data();
  args.scratch = device_copy(p.kernel->scratch_bytes());
  std::unique_ptr<KernelState> state = p.kernel->make_state();
  args.state = state.get();
  args.queue = queue;
  p.kernel->run(args);
  std::vector<Tensor> results;
  for (std::size_t i = 0; i < p.out_types.size(); ++i) {
    results.emplace_back(p.out_types[i].dtype, p.out_types[i].shape);
    d.to_host(results.back().raw(), out[i], results.back().byte_size(), queue);
  }
  d.wait(queue);
  state.reset();
  d.drop_queue(queue);
  for (void* b : buffers) d.release(b);
  return results;
}

// The op's cuda kernel is chosen (not a fallback) and, on a GPU, agrees with the reference.
// Returns false when there was no device to run it on.
inline bool check_cuda_kernel(const std::string& op, const std::vector<Tensor>& inputs,
                              Attrs attrs = {}, const std::vector<int>& constant = {}) {
  const Node node = make_node(op, std::move(attrs), inputs);
  const CudaPrepared p = prepare_on_cuda(node, inputs, constant);
  INFO(op << " prepared as " << p.kernel->implementation());
  CHECK(p.kernel->implementation().rfind("cuda ", 0) == 0);
  if (!cuda_unavailable().empty()) return false;
  const std::vector<Tensor> got = run_on_cuda(p, inputs);
  REQUIRE(got.size() == p.expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    check_close(got[i], p.expected[i], kCudaTolerance, kCudaTolerance);
  }
  return true;
}

}  // namespace kiln::test
