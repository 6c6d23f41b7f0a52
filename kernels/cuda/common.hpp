// What the cuda backend's prepared kernels share: the base class, argument access, the checks
// every factory makes, and the map from op and epilogue names to the elementwise functions.
#pragma once

#include <kiln/core/graph.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "device.hpp"
#include "launch.hpp"

namespace kiln::cuda_kernels {

// A prepared kernel of this backend: run() reads and writes device memory and queues its work on
// the instance's stream (KernelArgs::queue).
class DeviceKernel : public PreparedKernel {
 protected:
  explicit DeviceKernel(std::string implementation) { implementation_ = "cuda " + implementation; }

  static const float* input(const KernelArgs& args, std::size_t i) {
    return static_cast<const float*>(args.inputs[i]);
  }
  static float* output(const KernelArgs& args, std::size_t i = 0) {
    return static_cast<float*>(args.outputs[i]);
  }
  static cudaStream_t stream(const KernelArgs& args) { return queue_of(args).stream; }
};

// Why the device kernels cannot take the request (they compute float32 tensors that are not
// empty and have at most kMaxRank dimensions), or "" when they can. Only the first `tensors`
// inputs are data; the others (axes, permutations) are read on the host while preparing.
std::string unsupported_tensors(const KernelRequest& request,
                                std::size_t tensors = ~std::size_t{0});

// The elementwise function an op or an epilogue step names ("Relu", "GeluApproximate", ...).
std::optional<Unary> unary_of(std::string_view name);

// The broadcast of `a` and `b` to `out` (NumPy's rule: align on the right, 1 repeats).
Broadcast broadcast_index(const Shape& a, const Shape& b, const Shape& out);

// Every output buffer that is also an input's (the memory plan's in-place choice), other than
// input `allowed` (-1: none): a kernel that reads its inputs while writing declines these.
bool aliases_other_than(const KernelRequest& request, int allowed);

// The launchers' window from the catalogue's convolution or pooling geometry, which name the
// input, output, kernel, strides and padding alike; a convolution adds its dilation.
template <class Geometry>
Window window_of(const Geometry& g, i64 channels) {
  Window w;
  w.batch = g.batch;
  w.height = g.in_h;
  w.width = g.in_w;
  w.channels = channels;
  w.out_height = g.h.out;
  w.out_width = g.w.out;
  w.kernel_h = g.k_h;
  w.kernel_w = g.k_w;
  w.stride_h = g.attrs.stride_h;
  w.stride_w = g.attrs.stride_w;
  w.pad_top = g.h.pad_before;
  w.pad_left = g.w.pad_before;
  return w;
}

}  // namespace kiln::cuda_kernels
