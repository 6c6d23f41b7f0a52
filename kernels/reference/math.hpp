// (being written) reference kernels for the math ops.
#pragma once

#include "kernel.hpp"

namespace kiln::reference {

inline void register_math_kernels(KernelTable&) {}

}  // namespace kiln::reference
