// What the cuda backend's C++ side shares: a run instance's queue (its stream, cuBLASLt handle
// and workspace), error checks that turn a failed CUDA call into a kiln::Error, and the device
// hooks of the BackendDef (device.cpp). Internal to the library: includes CUDA headers.
#pragma once

#include <cublasLt.h>
#include <cuda_runtime_api.h>

#include <cstddef>
#include <kiln/core/error.hpp>
#include <kiln/kernels/backend_def.hpp>
#include <kiln/kernels/prepared_kernel.hpp>

namespace kiln::cuda_kernels {

// One per plan instance (DeviceHooks::make_queue): its work runs in order on `stream`, and
// instances never share a handle or a workspace, so they run at once safely.
struct Queue {
  static constexpr std::size_t kWorkspaceBytes = std::size_t{32} << 20;  // cuBLASLt's, per queue
  cudaStream_t stream = nullptr;
  cublasLtHandle_t blas = nullptr;
  void* workspace = nullptr;
};

inline Queue& queue_of(const KernelArgs& args) { return *static_cast<Queue*>(args.queue); }

// Throws a kiln::Error naming the call when a CUDA runtime or cuBLASLt call failed.
void check(cudaError_t status, const char* what);
void check(cublasStatus_t status, const char* what);
// After a kernel launch: a bad launch configuration is reported here, not at the next call.
inline void check_launch(const char* kernel) { check(cudaGetLastError(), kernel); }

DeviceHooks device_hooks();

}  // namespace kiln::cuda_kernels
