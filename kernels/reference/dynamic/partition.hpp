// DynamicPartition and DynamicStitch: whole rows copied by index. The shape functions checked
// every index (core/ops/dynamic/partition.hpp), so the kernels only move bytes.
#pragma once

#include <cstring>

#include <kiln/core/ops.hpp>

#include "../kernel.hpp"

namespace kiln::reference::dynamic {

// Bytes of one row of `data` when its first `index_rank` dims are the indexed ones.
inline std::size_t row_bytes(const Tensor& data, int index_rank) {
  std::size_t bytes = dtype_size(data.dtype());
  for (int d = index_rank; d < data.rank(); ++d) bytes *= static_cast<std::size_t>(data.dim(d));
  return bytes;
}

inline void dynamic_partition_kernel(const Node&, const std::vector<Tensor>& in,
                                     std::vector<Tensor>& out) {
  const Tensor& data = in[0];
  const std::size_t row = row_bytes(data, in[1].rank());
  std::vector<std::byte*> next;  // where each output's next row goes
  for (Tensor& t : out) next.push_back(static_cast<std::byte*>(t.raw()));
  const auto* src = static_cast<const std::byte*>(data.raw());
  for (std::int64_t p : in[1].to_int64_vector()) {
    std::byte*& dst = next[static_cast<std::size_t>(p)];
    if (row > 0) std::memcpy(dst, src, row);
    dst += row;
    src += row;
  }
}

// Inputs in order, rows in order: a repeated index keeps the last row written to it.
inline void dynamic_stitch_kernel(const Node&, const std::vector<Tensor>& in,
                                  std::vector<Tensor>& out) {
  const std::size_t n = in.size() / 2;
  auto* dst = static_cast<std::byte*>(out[0].raw());
  for (std::size_t i = 0; i < n; ++i) {
    const Tensor& data = in[n + i];
    const std::size_t row = row_bytes(data, in[i].rank());
    if (row == 0) continue;
    const auto* src = static_cast<const std::byte*>(data.raw());
    for (std::int64_t index : in[i].to_int64_vector()) {
      std::memcpy(dst + static_cast<std::size_t>(index) * row, src, row);
      src += row;
    }
  }
}

inline void register_partition_kernels(KernelTable& table) {
  table["DynamicPartition"] = dynamic_partition_kernel;
  table["DynamicStitch"] = dynamic_stitch_kernel;
  table["ParallelDynamicStitch"] = dynamic_stitch_kernel;
}

}  // namespace kiln::reference::dynamic
