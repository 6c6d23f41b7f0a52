// Launch geometry shared by the .cu files: one thread per element in a grid-stride loop, so any
// element count fits a grid of bounded size.
#pragma once

#include <cstdint>

namespace kiln::cuda_kernels {

constexpr int kThreads = 256;

inline unsigned blocks_for(std::int64_t n) {
  const std::int64_t blocks = (n + kThreads - 1) / kThreads;
  return static_cast<unsigned>(blocks < 65535 ? (blocks > 0 ? blocks : 1) : 65535);
}

#define KILN_FOR_EACH(i, n)                                                                        \
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < (n); \
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x)

}  // namespace kiln::cuda_kernels
