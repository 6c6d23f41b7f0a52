// The cuda backend's device hooks (DeviceHooks in kernels/backend_def.hpp): device presence,
// memory, queues and copies, on the CUDA runtime.
#include "device.hpp"

#include <memory>
#include <string>

namespace kiln::cuda_kernels {

void check(cudaError_t status, const char* what) {
  if (status == cudaSuccess) return;
  cudaGetLastError();  // clear a sticky-free error so the next call starts clean
  const Errc code = status == cudaErrorMemoryAllocation ? Errc::limit_exceeded : Errc::internal;
  throw Error(code, std::string("CUDA: ") + what + " failed")
      .found(std::string(cudaGetErrorName(status)) + ": " + cudaGetErrorString(status));
}

void check(cublasStatus_t status, const char* what) {
  if (status == CUBLAS_STATUS_SUCCESS) return;
  throw Error(Errc::internal, std::string("cuBLASLt: ") + what + " failed")
      .found("cublasStatus_t " + std::to_string(static_cast<int>(status)));
}

namespace {

std::string unavailable() {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    cudaGetLastError();
    return std::string("no CUDA device (") + cudaGetErrorString(status) + ")";
  }
  if (count == 0) return "no CUDA device (the driver reports none)";
  return "";
}

void* allocate(std::size_t bytes) {
  void* memory = nullptr;
  check(cudaMalloc(&memory, bytes), "cudaMalloc");  // 256-byte aligned
  return memory;
}

void release(void* memory) { cudaFree(memory); }

void drop_queue(void* q) {
  std::unique_ptr<Queue> queue(static_cast<Queue*>(q));
  if (queue->stream) cudaStreamSynchronize(queue->stream);
  if (queue->workspace) cudaFree(queue->workspace);
  if (queue->blas) cublasLtDestroy(queue->blas);
  if (queue->stream) cudaStreamDestroy(queue->stream);
}

void* make_queue() {
  auto queue = std::make_unique<Queue>();
  try {
    check(cudaStreamCreateWithFlags(&queue->stream, cudaStreamNonBlocking), "cudaStreamCreate");
    check(cublasLtCreate(&queue->blas), "cublasLtCreate");
    check(cudaMalloc(&queue->workspace, Queue::kWorkspaceBytes), "cudaMalloc (cuBLASLt workspace)");
  } catch (...) {
    drop_queue(queue.release());
    throw;
  }
  return queue.release();
}

cudaStream_t stream_of(void* queue) { return queue ? static_cast<Queue*>(queue)->stream : nullptr; }

void copy(void* to, const void* from, std::size_t bytes, cudaMemcpyKind kind, void* queue) {
  if (queue == nullptr) {
    check(cudaMemcpy(to, from, bytes, kind), "cudaMemcpy");
  } else {
    check(cudaMemcpyAsync(to, from, bytes, kind, stream_of(queue)), "cudaMemcpyAsync");
  }
}

void to_device(void* device, const void* host, std::size_t bytes, void* queue) {
  copy(device, host, bytes, cudaMemcpyHostToDevice, queue);
}

void to_host(void* host, const void* device, std::size_t bytes, void* queue) {
  copy(host, device, bytes, cudaMemcpyDeviceToHost, queue);
}

void wait(void* queue) {
  if (queue == nullptr) {
    check(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
  } else {
    check(cudaStreamSynchronize(stream_of(queue)), "cudaStreamSynchronize");
  }
}

}  // namespace

DeviceHooks device_hooks() {
  DeviceHooks hooks;
  hooks.unavailable = unavailable;
  hooks.allocate = allocate;
  hooks.release = release;
  hooks.make_queue = make_queue;
  hooks.drop_queue = drop_queue;
  hooks.to_device = to_device;
  hooks.to_host = to_host;
  hooks.wait = wait;
  return hooks;
}

}  // namespace kiln::cuda_kernels
