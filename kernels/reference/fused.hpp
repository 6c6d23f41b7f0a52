// (being written) reference kernels for the fused ops the optimizer creates.
#pragma once

#include "kernel.hpp"

namespace kiln::reference {

inline void register_fused_kernels(KernelTable&) {}

}  // namespace kiln::reference
