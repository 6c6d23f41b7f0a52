// What the data-movement kernels share (transpose.cpp, slice.cpp, pad.cpp): the check that a
// request is plain bytes, row-major strides, and the kernel that runs a Gather.
#pragma once

#include <string>
#include <vector>

#include "common.hpp"

namespace kiln::cuda_kernels {

// Why input 0 and output 0 cannot be moved by index ("" when they can): any dtype whose
// elements are 1, 2, 4 or 8 bytes, at most kMaxRank dimensions, not empty, not in place.
std::string unmovable(const KernelRequest& request);

// The element strides of a dense row-major tensor of shape `s`.
std::vector<i64> dense_strides(const Shape& s);

class GatherKernel final : public DeviceKernel {
 public:
  GatherKernel(const std::string& what, const Gather& index, const KernelRequest& request);
  void run(const KernelArgs& args) const override;

 private:
  Gather index_;
  i64 n_;
  int element_bytes_;
};

}  // namespace kiln::cuda_kernels
