// Kiln's umbrella header: the IR and its tools, the op catalogue, the reference kernels and the
// eager interpreter. All header-only: `g++ -std=c++17 -I include` is all a program needs.
#pragma once

#include "core/builder.hpp"
#include "core/dot.hpp"
#include "core/error.hpp"
#include "core/graph.hpp"
#include "core/ops.hpp"
#include "core/print.hpp"
#include "core/tensor.hpp"
#include "core/verify.hpp"
#include "eager.hpp"
#include "kernels/reference/reference.hpp"
#include "npy.hpp"
