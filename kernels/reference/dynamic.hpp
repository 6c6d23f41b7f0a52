// Reference kernels for the ops whose output shape depends on their inputs' values
// (core/ops/dynamic.hpp). Each kernel gets outputs sized by the shape function, which saw the
// same values, and fills them following the same plan.
#pragma once

#include "dynamic/partition.hpp"
#include "dynamic/segments.hpp"
#include "dynamic/selection.hpp"
#include "dynamic/sparse.hpp"

namespace kiln::reference {

inline void register_dynamic_kernels(KernelTable& table) {
  dynamic::register_selection_kernels(table);
  dynamic::register_partition_kernels(table);
  dynamic::register_segment_kernels(table);
  dynamic::register_sparse_kernels(table);
}

}  // namespace kiln::reference
