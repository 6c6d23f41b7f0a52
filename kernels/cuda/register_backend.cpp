// Registers the `cuda` backend in every program that links kiln::cuda, as
// kernels/cpu/register_backend.cpp registers `cpu` (that file says why the registration is a
// source compiled into the user rather than an object inside the library). It includes no CUDA
// header: the kernels, the device hooks and their use of the CUDA runtime are inside the
// compiled library, which the program links.
//
// Without CMake, compile this file into the program and link the library and what it needs:
//   g++ -I<prefix>/include app.cpp <prefix>/include/kiln/kernels/cuda/register_backend.cpp
//       <prefix>/lib/libkiln_cuda.a -L<cuda>/lib64 -lcublasLt -lcudart
#include <kiln/backend_registry.hpp>
#include <kiln/kernels/cuda/backend.hpp>

namespace {

[[maybe_unused]] const bool cuda_backend_registered =
    kiln::register_backend(kiln::cuda_kernels::backend_def());

}  // namespace
