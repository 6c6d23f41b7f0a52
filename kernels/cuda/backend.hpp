// The `cuda` backend: cuBLASLt for the matrix products and convolutions, Kiln's own CUDA kernels
// for the rest (kernels/cuda/*.cu), the reference kernels on the host for what neither covers.
// Compiled into the static library kiln::cuda; this header, which register_backend.cpp includes,
// needs no CUDA header, so a program using the backend compiles without the toolkit's headers.
#pragma once

#include <kiln/kernels/backend_def.hpp>

namespace kiln::cuda_kernels {

// The backend's definition: its kernel table and the device hooks compiled plans use.
BackendDef backend_def();

}  // namespace kiln::cuda_kernels
