// One copying engine for every array op that reads its input in a rearranged order. Transpose,
// Slice, StridedSlice, Tile, BroadcastTo, Fill, Pad and MirrorPad differ only in where output
// position o along axis k reads from. Each op fills one table per output axis (the byte offset
// that position reads, or kPadding) and gather_by_tables() copies: the element at output index
// (o0, o1, ...) is the source element at byte offset tables[0][o0] + tables[1][o1] + ...
//
// Copies move raw bytes, so these kernels work for every dtype without dispatching on it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include <kiln/core/ops.hpp>

#include "kernel.hpp"

namespace kiln::reference::array {

using AxisTable = std::vector<std::int64_t>;
using AxisTables = std::vector<AxisTable>;

// A table entry that reads nothing: the output element takes the fill value instead.
constexpr std::int64_t kPadding = -1;

// Byte distance between neighbours along each axis of a row-major tensor.
inline std::vector<std::int64_t> byte_strides(const Shape& shape, DType dtype) {
  std::vector<std::int64_t> strides(shape.dims().size());
  std::int64_t stride = static_cast<std::int64_t>(dtype_size(dtype));
  for (std::size_t k = strides.size(); k-- > 0;) {
    strides[k] = stride;
    stride *= shape.dims()[k];
  }
  return strides;
}

// The product of dims [from, to) of a shape. Callers use it on dims of a non-empty tensor, whose
// product is bounded by that tensor's element count.
inline std::int64_t dims_product(const Shape& shape, int from, int to) {
  std::int64_t n = 1;
  for (int k = from; k < to; ++k) n *= shape.dim(k);
  return n;
}

// Positions start, start + step, ... (count of them) of an axis whose neighbours are `stride`
// bytes apart. A step of 0 repeats one position: that is broadcasting.
inline AxisTable range_table(std::int64_t start, std::int64_t step, std::int64_t count,
                             std::int64_t stride) {
  AxisTable table(static_cast<std::size_t>(count));
  for (std::int64_t o = 0; o < count; ++o) {
    table[static_cast<std::size_t>(o)] = (start + o * step) * stride;
  }
  return table;
}

// Copies src into dst, element by element in dst's row-major order, reading through the tables
// (one per output axis, as long as that axis). `fill` is one element's bytes, used where a table
// says kPadding.
inline void gather_by_tables(const Tensor& src, const AxisTables& tables, Tensor& dst,
                             const void* fill = nullptr) {
  const std::size_t element = dtype_size(dst.dtype());
  std::int64_t total = 1;
  for (const AxisTable& table : tables) total *= static_cast<std::int64_t>(table.size());
  if (total != dst.num_elements() || src.dtype() != dst.dtype()) {
    throw Error(Errc::internal, "gather_by_tables: tables do not describe the output")
        .expected(dst.shape().str())
        .found(std::to_string(total) + " elements");
  }
  const auto* in = static_cast<const std::byte*>(src.raw());
  auto* out = static_cast<std::byte*>(dst.raw());
  std::vector<std::size_t> index(tables.size(), 0);
  for (std::int64_t n = 0; n < total; ++n, out += element) {
    std::int64_t offset = 0;
    for (std::size_t k = 0; k < tables.size() && offset != kPadding; ++k) {
      const std::int64_t entry = tables[k][index[k]];
      offset = entry == kPadding ? kPadding : offset + entry;
    }
    std::memcpy(out, offset == kPadding ? fill : in + offset, element);
    // Next output index: the last axis moves fastest.
    for (std::size_t k = tables.size(); k-- > 0;) {
      if (++index[k] < tables[k].size()) break;
      index[k] = 0;
    }
  }
}

// The tables that broadcast `from` to the shape `to` (aligned on the right, NumPy's rule): an
// axis of size 1, or one that `from` lacks, repeats position 0.
inline AxisTables broadcast_tables(const Shape& from, DType dtype, const Shape& to) {
  const std::vector<std::int64_t> strides = byte_strides(from, dtype);
  const int offset = to.rank() - from.rank();
  AxisTables tables;
  for (int k = 0; k < to.rank(); ++k) {
    const int axis = k - offset;
    const bool repeats = axis < 0 || from.dim(axis) == 1;
    const std::int64_t stride = axis < 0 ? 0 : strides[static_cast<std::size_t>(axis)];
    tables.push_back(range_table(0, repeats ? 0 : 1, to.dim(k), stride));
  }
  return tables;
}

// Fills dst from src through the tables that `build` returns, unless dst is empty. An empty
// output may still have huge axes (a [0, 10^15] tensor is legal) whose tables must never be
// built; a non-empty one bounds every table by its element count.
template <class BuildTables>
void copy_through_tables(const Tensor& src, Tensor& dst, BuildTables&& build,
                         const void* fill = nullptr) {
  if (dst.num_elements() == 0) return;
  gather_by_tables(src, build(), dst, fill);
}

// The common case: output axis k reads input axis k through make(k, dim_k, byte_stride_k).
template <class MakeTable>
void copy_per_axis(const Tensor& src, Tensor& dst, MakeTable&& make, const void* fill = nullptr) {
  copy_through_tables(src, dst, [&] {
    const std::vector<std::int64_t> strides = byte_strides(src.shape(), src.dtype());
    AxisTables tables;
    for (std::size_t k = 0; k < strides.size(); ++k) {
      tables.push_back(make(k, src.dim(static_cast<int>(k)), strides[k]));
    }
    return tables;
  }, fill);
}

// Writes `from` broadcast to the shape of `to` into `to`.
inline void broadcast_into(const Tensor& from, Tensor& to) {
  copy_through_tables(from, to, [&] {
    return broadcast_tables(from.shape(), from.dtype(), to.shape());
  });
}

// `t` broadcast to `shape`, as a new tensor.
inline Tensor broadcast_copy(const Tensor& t, const Shape& shape) {
  Tensor out(t.dtype(), shape);
  broadcast_into(t, out);
  return out;
}

}  // namespace kiln::reference::array
