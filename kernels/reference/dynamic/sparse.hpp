// Kernels of the sparse-tensor ops: SparseToDense, SparseFillEmptyRows, SparseReshape. Their
// shape functions (core/ops/dynamic/sparse.hpp) checked the indices; the kernels place values.
#pragma once

#include <algorithm>
#include <cstring>
#include <numeric>

#include <kiln/core/ops.hpp>

#include "../kernel.hpp"

namespace kiln::reference::dynamic {

// Copies element `from` of `src` to element `to` of `dst` (same dtype).
inline void copy_element(const Tensor& src, std::int64_t from, Tensor& dst, std::int64_t to) {
  const std::size_t size = dtype_size(src.dtype());
  std::memcpy(static_cast<std::byte*>(dst.raw()) + static_cast<std::size_t>(to) * size,
              static_cast<const std::byte*>(src.raw()) + static_cast<std::size_t>(from) * size,
              size);
}

// The default everywhere, then each point's value (a scalar value goes to every point); without
// validate_indices a repeated point keeps the last value.
inline void sparse_to_dense_kernel(const Node& node, const std::vector<Tensor>& in,
                                   std::vector<Tensor>& out) {
  const std::vector<std::int64_t> offsets =
      ops::dynamic::sparse_to_dense_offsets(known_context(node, in));
  Tensor& dense = out[0];
  for (std::int64_t i = 0; i < dense.num_elements(); ++i) copy_element(in[3], 0, dense, i);
  const bool one_value = in[2].rank() == 0;
  for (std::size_t p = 0; p < offsets.size(); ++p) {
    copy_element(in[2], one_value ? 0 : static_cast<std::int64_t>(p), dense, offsets[p]);
  }
}

// Points in row order (in their given order within a row), a default point [row, 0, ...] for
// each empty row; reverse_index_map says where each given point went.
inline void sparse_fill_empty_rows_kernel(const Node& node, const std::vector<Tensor>& in,
                                          std::vector<Tensor>& out) {
  const InferContext ctx = known_context(node, in);
  const std::int64_t dense_rows = ops::dynamic::checked_dense_rows(ctx);
  const std::vector<std::int64_t> rows = ops::dynamic::sparse_rows(ctx, dense_rows);
  const std::int64_t rank = in[0].dim(1);
  const std::int64_t* indices = in[0].data<std::int64_t>();
  std::vector<std::size_t> order(rows.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return rows[a] < rows[b]; });
  std::int64_t* out_indices = out[0].data<std::int64_t>();
  bool* empty = out[2].data<bool>();
  std::int64_t* reverse = out[3].data<std::int64_t>();
  std::int64_t written = 0;
  std::int64_t next_row = 0;  // rows before this one are done
  const auto fill_empty_rows_up_to = [&](std::int64_t row) {
    for (; next_row < row; ++next_row, ++written) {
      empty[next_row] = true;
      out_indices[written * rank] = next_row;  // the other coordinates stay 0
      copy_element(in[3], 0, out[1], written);
    }
  };
  for (std::size_t p : order) {
    fill_empty_rows_up_to(rows[p]);
    next_row = rows[p] + 1;
    std::copy_n(indices + static_cast<std::int64_t>(p) * rank, rank, out_indices + written * rank);
    copy_element(in[1], static_cast<std::int64_t>(p), out[1], written);
    reverse[p] = written++;
  }
  fill_empty_rows_up_to(dense_rows);
}

// Each point's row-major position in the old dense shape, spelled out in the new one. Like
// TensorFlow, points are not checked against the shapes.
inline void sparse_reshape_kernel(const Node& node, const std::vector<Tensor>& in,
                                  std::vector<Tensor>& out) {
  const std::vector<std::int64_t> new_shape =
      ops::dynamic::resolved_sparse_shape(known_context(node, in));
  std::copy(new_shape.begin(), new_shape.end(), out[1].data<std::int64_t>());
  const std::vector<std::int64_t> old_shape = in[1].to_int64_vector();
  const std::int64_t points = in[0].dim(0);
  if (points == 0 || new_shape.empty()) return;
  const auto strides = [](const std::vector<std::int64_t>& shape) {
    std::vector<std::int64_t> s(shape.size(), 1);
    for (std::size_t d = shape.size() - 1; d > 0; --d) s[d - 1] = s[d] * shape[d];
    return s;
  };
  const std::vector<std::int64_t> old_strides = old_shape.empty() ? old_shape : strides(old_shape);
  const std::vector<std::int64_t> new_strides = strides(new_shape);
  if (std::find(new_strides.begin(), new_strides.end(), 0) != new_strides.end()) {
    throw node.error(Errc::invalid_argument, "points in a sparse tensor with no elements")
        .found(std::to_string(points) + " points");
  }
  const std::int64_t* from = in[0].data<std::int64_t>();
  std::int64_t* to = out[0].data<std::int64_t>();
  for (std::int64_t p = 0; p < points; ++p) {
    std::uint64_t position = 0;  // wraps like TensorFlow's for absurd points, without overflow
    for (std::size_t d = 0; d < old_shape.size(); ++d) {
      position += static_cast<std::uint64_t>(*from++) * static_cast<std::uint64_t>(old_strides[d]);
    }
    auto rest = static_cast<std::int64_t>(position);
    for (std::size_t d = 0; d < new_shape.size(); ++d) {
      *to++ = rest / new_strides[d];
      rest %= new_strides[d];
    }
  }
}

inline void register_sparse_kernels(KernelTable& table) {
  table["SparseToDense"] = sparse_to_dense_kernel;
  table["SparseFillEmptyRows"] = sparse_fill_empty_rows_kernel;
  table["SparseReshape"] = sparse_reshape_kernel;
}

}  // namespace kiln::reference::dynamic
