// (being written) reference kernels for the nn ops.
#pragma once

#include "kernel.hpp"

namespace kiln::reference {

inline void register_nn_kernels(KernelTable&) {}

}  // namespace kiln::reference
