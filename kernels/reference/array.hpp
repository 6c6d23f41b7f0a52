// Reference kernels for the array ops. Reshape, Squeeze and ExpandDims have none: evaluate()
// forwards their input's bytes under the shape inference computed.
#pragma once

#include "broadcasting.hpp"
#include "generating.hpp"
#include "joining.hpp"
#include "padding.hpp"
#include "slicing.hpp"

namespace kiln::reference {

inline void register_array_kernels(KernelTable& table) {
  array::register_slicing_kernels(table);
  array::register_joining_kernels(table);
  array::register_padding_kernels(table);
  array::register_broadcasting_kernels(table);
  array::register_generating_kernels(table);
}

}  // namespace kiln::reference
