// Data movement by index: each output element reads the input element its coordinates map to
// (Transpose, Slice, StridedSlice), or padding outside the input (Pad). The element type does not
// matter, only its size, so one kernel per size serves every dtype.
#include <cstdint>

#include "grid.cuh"
#include "launch.hpp"

namespace kiln::cuda_kernels {

namespace {

template <typename T>
__global__ void gather_kernel(const T* x, T* y, i64 n, Gather g) {
  KILN_FOR_EACH(i, n) {
    i64 rest = i, at = g.offset;
    for (int d = g.rank - 1; d >= 0; --d) {
      at += (rest % g.dims[d]) * g.strides[d];
      rest /= g.dims[d];
    }
    y[i] = x[at];
  }
}

// Zero (all bits clear, which is zero in every dtype) outside the input.
template <typename T>
__global__ void pad_kernel(const T* x, T* y, i64 n, Padding p) {
  KILN_FOR_EACH(i, n) {
    i64 rest = i, at = 0;
    bool inside = true;
    for (int d = p.rank - 1; d >= 0; --d) {
      const i64 c = rest % p.dims[d] - p.before[d];
      rest /= p.dims[d];
      inside = inside && c >= 0 && c < p.in_dims[d];
      at += c * p.in_strides[d];
    }
    y[i] = inside ? x[at] : T{};
  }
}

// Calls launch(T{}) with the unsigned integer type of `bytes`.
template <typename Launch>
void by_size(int bytes, Launch launch) {
  switch (bytes) {
    case 1:
      launch(std::uint8_t{});
      break;
    case 2:
      launch(std::uint16_t{});
      break;
    case 4:
      launch(std::uint32_t{});
      break;
    default:
      launch(std::uint64_t{});
      break;
  }
}

}  // namespace

void gather(const void* x, void* y, i64 n, const Gather& index, int element_bytes,
            cudaStream_t stream) {
  by_size(element_bytes, [&](auto zero) {
    using T = decltype(zero);
    gather_kernel<T><<<blocks_for(n), kThreads, 0, stream>>>(static_cast<const T*>(x),
                                                             static_cast<T*>(y), n, index);
  });
}

void pad(const void* x, void* y, i64 n, const Padding& padding, int element_bytes,
         cudaStream_t stream) {
  by_size(element_bytes, [&](auto zero) {
    using T = decltype(zero);
    pad_kernel<T><<<blocks_for(n), kThreads, 0, stream>>>(static_cast<const T*>(x),
                                                          static_cast<T*>(y), n, padding);
  });
}

}  // namespace kiln::cuda_kernels
