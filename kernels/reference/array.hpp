// Reference kernels for the array ops. Reshape, Squeeze, ExpandDims and EnsureShape have none:
// evaluate() forwards their input's bytes under the shape inference computed.
#pragma once

#include "broadcasting.hpp"
#include "diagonals.hpp"
#include "gather_scatter.hpp"
#include "generating.hpp"
#include "joining.hpp"
#include "bincount.hpp"
#include "one_hot.hpp"
#include "padding.hpp"
#include "reversing.hpp"
#include "slicing.hpp"
#include "space_to_batch.hpp"
#include "top_k.hpp"

namespace kiln::reference {

inline void register_array_kernels(KernelTable& table) {
  array::register_slicing_kernels(table);
  array::register_joining_kernels(table);
  array::register_padding_kernels(table);
  array::register_broadcasting_kernels(table);
  array::register_generating_kernels(table);
  array::register_space_to_batch_kernels(table);
  array::register_reversing_kernels(table);
  array::register_one_hot_kernels(table);
  array::register_bincount_kernels(table);
  array::register_gather_scatter_kernels(table);
  array::register_diagonal_kernels(table);
  array::register_top_k_kernels(table);
}

}  // namespace kiln::reference
