// The cuda backend's kernel table and BackendDef. Ops not listed, and requests a kernel declines
// (another dtype, layout or shape), run on the reference kernels on the host, between the copies
// the plan adds (include/kiln/device_fallback.hpp); the plan summary shows each one.
#include "backend.hpp"

#include "device.hpp"
#include "factories.hpp"

namespace kiln::cuda_kernels {

namespace {

const KernelFactoryTable& kernel_table() {
  static const KernelFactoryTable table = [] {
    KernelFactoryTable t;
    add_matmul_kernels(t);
    add_conv_kernels(t);
    add_elementwise_kernels(t);
    add_row_kernels(t);
    add_reduce_kernels(t);
    add_pool_kernels(t);
    add_transpose_kernels(t);
    add_concat_kernels(t);
    add_slice_kernels(t);
    add_pad_kernels(t);
    return t;
  }();
  return table;
}

}  // namespace

BackendDef backend_def() {
  BackendDef def;
  def.name = "cuda";
  def.description =
      "cuBLASLt and CUDA kernels on an NVIDIA GPU, the reference kernels on the host elsewhere";
  def.kernels = kernel_table;
  def.reference_fallback = true;
  def.preference = -1;  // never the default: a GPU is asked for by name
  def.device = device_hooks();
  return def;
}

}  // namespace kiln::cuda_kernels
