// The cuda backend's kernel factories, one group per file, and the table they fill (backend.cpp).
#pragma once

#include <kiln/kernels/prepared_kernel.hpp>

#include "common.hpp"

namespace kiln::cuda_kernels {

void add_matmul_kernels(KernelFactoryTable& table);       // matmul.cpp
void add_conv_kernels(KernelFactoryTable& table);         // conv.cpp
void add_elementwise_kernels(KernelFactoryTable& table);  // elementwise.cpp
void add_row_kernels(KernelFactoryTable& table);          // rows.cpp
void add_reduce_kernels(KernelFactoryTable& table);       // reduce.cpp
void add_pool_kernels(KernelFactoryTable& table);         // pool.cpp
void add_transpose_kernels(KernelFactoryTable& table);    // transpose.cpp
void add_concat_kernels(KernelFactoryTable& table);       // concat.cpp
void add_slice_kernels(KernelFactoryTable& table);        // slice.cpp
void add_pad_kernels(KernelFactoryTable& table);          // pad.cpp

}  // namespace kiln::cuda_kernels
