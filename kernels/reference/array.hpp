// (being written) reference kernels for the array ops.
#pragma once

#include "kernel.hpp"

namespace kiln::reference {

inline void register_array_kernels(KernelTable&) {}

}  // namespace kiln::reference
