// A host kernel inside a plan whose buffers live on a device: the node's inputs are copied to the
// host, the kernel (a reference kernel, usually) runs there, and its outputs are copied back.
// The plan (plan.hpp) wraps every fallback of a device backend in one, so each copy is a visible
// part of the step: the summary says "reference (no cuda kernel), on the host: 2 in, 1 out".
//
// Constant inputs are read from the graph's own host copy, never copied back from the device.
// Each run instance owns the host buffers (HostStaging), so instances run at once safely. An
// output the memory plan put in an input's buffer gets that input's host buffer too, so a kernel
// computing in place sees what it would see on the host.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/tensor.hpp"
#include "kernels/backend_def.hpp"
#include "kernels/prepared_kernel.hpp"

namespace kiln {

class HostFallbackKernel final : public PreparedKernel {
 public:
  // `in_bytes[k]` and `out_bytes[k]`: the sizes of the node's inputs and outputs;
  // `host_constants[k]`: the host bytes of input k when it is a constant, else null;
  // `aliases[k]`: the input output k overwrites in place, or -1.
  HostFallbackKernel(KernelPtr host, const DeviceHooks& device, std::vector<std::size_t> in_bytes,
                     std::vector<const void*> host_constants, std::vector<std::size_t> out_bytes,
                     std::vector<int> aliases)
      : host_(std::move(host)),
        device_(&device),
        in_bytes_(std::move(in_bytes)),
        constants_(std::move(host_constants)),
        out_bytes_(std::move(out_bytes)),
        aliases_(std::move(aliases)) {
    std::size_t in_copies = 0;
    for (std::size_t k = 0; k < in_bytes_.size(); ++k) in_copies += constants_[k] ? 0 : 1;
    implementation_ = host_->implementation() + ", on the host: " + std::to_string(in_copies) +
                      " in, " + std::to_string(out_bytes_.size()) + " out";
    copies_ = in_copies + out_bytes_.size();
    owned_bytes_ = host_->owned_bytes();
  }

  // Host-device copies per run of this step.
  std::size_t copies() const { return copies_; }

  std::unique_ptr<KernelState> make_state() const override {
    auto state = std::make_unique<HostStaging>();
    auto aligned = [](std::size_t n) { return (n + 63) / 64 * 64; };
    std::size_t total = aligned(host_->scratch_bytes() + 1);
    for (std::size_t k = 0; k < in_bytes_.size(); ++k)
      total += constants_[k] ? 0 : aligned(in_bytes_[k]);
    for (std::size_t k = 0; k < out_bytes_.size(); ++k)
      total += aliases_[k] >= 0 ? 0 : aligned(out_bytes_[k]);
    state->bytes = Tensor(DType::uint8, Shape{static_cast<std::int64_t>(total)});
    auto* at = static_cast<std::byte*>(state->bytes.raw());
    state->scratch = at;
    at += aligned(host_->scratch_bytes() + 1);
    for (std::size_t k = 0; k < in_bytes_.size(); ++k) {
      state->inputs.push_back(constants_[k] ? constants_[k] : at);
      if (!constants_[k]) at += aligned(in_bytes_[k]);
    }
    for (std::size_t k = 0; k < out_bytes_.size(); ++k) {
      if (aliases_[k] >= 0) {
        state->outputs.push_back(
            const_cast<void*>(state->inputs[static_cast<std::size_t>(aliases_[k])]));
      } else {
        state->outputs.push_back(at);
        at += aligned(out_bytes_[k]);
      }
    }
    state->host_state = host_->make_state();
    return state;
  }

  void run(const KernelArgs& args) const override {
    auto& staging = static_cast<HostStaging&>(*args.state);
    for (std::size_t k = 0; k < in_bytes_.size(); ++k) {
      if (constants_[k] || in_bytes_[k] == 0) continue;
      device_->to_host(const_cast<void*>(staging.inputs[k]), args.inputs[k], in_bytes_[k],
                       args.queue);
    }
    device_->wait(args.queue);  // the host kernel reads the bytes now
    KernelArgs host_args;
    host_args.inputs = staging.inputs.data();
    host_args.outputs = staging.outputs.data();
    host_args.scratch = staging.scratch;
    host_args.state = staging.host_state.get();
    host_->run(host_args);
    for (std::size_t k = 0; k < out_bytes_.size(); ++k) {
      if (out_bytes_[k] == 0) continue;
      device_->to_device(args.outputs[k], staging.outputs[k], out_bytes_[k], args.queue);
    }
    // The staging bytes are reused by the next run of this instance only after the queue has
    // finished these copies: that run waits before it writes them.
  }

 private:
  struct HostStaging final : KernelState {
    Tensor bytes;  // scratch, then the non-constant inputs, then the outputs
    void* scratch = nullptr;
    std::vector<const void*> inputs;
    std::vector<void*> outputs;
    std::unique_ptr<KernelState> host_state;
  };

  KernelPtr host_;
  const DeviceHooks* device_;
  std::vector<std::size_t> in_bytes_;
  std::vector<const void*> constants_;
  std::vector<std::size_t> out_bytes_;
  std::vector<int> aliases_;
  std::size_t copies_ = 0;
};

}  // namespace kiln
