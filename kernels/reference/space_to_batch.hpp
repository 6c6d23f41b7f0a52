// Kernels for SpaceToBatchND, BatchToSpaceND, DepthToSpace and SpaceToDepth. All four only move
// elements, so each reads its input through the axis tables (axis_tables.hpp): splitting an axis
// into (block, offset in block) makes every output position a sum of one entry per table.
#pragma once

#include "padding.hpp"

namespace kiln::reference::array {

using ops::array::BlockPlan;

// SpaceToBatchND. Output batch entry (o_1 .. o_M, b) holds batch entry b of the padded input at
// spatial positions q_k * block_k + o_k. The padding goes first into a copy, because whether a
// position is padding depends on q_k and o_k together, which no single table can say.
inline void space_to_batch_nd_kernel(const Node& node, const std::vector<Tensor>& in,
                                     std::vector<Tensor>& out) {
  if (out[0].num_elements() == 0) return;
  const Tensor& x = in[0];
  const BlockPlan plan = ops::array::plan_space_to_batch(known_context(node, in));
  const Ints& block = plan.block.value();
  const std::vector<Padding>& paddings = plan.edges.value();
  const std::size_t m = block.size();
  std::vector<std::int64_t> padded_dims(x.shape().dims());
  for (std::size_t k = 0; k < m; ++k) {
    padded_dims[k + 1] += paddings[k].before + paddings[k].after;
  }
  // The same element count as the output, which is not empty.
  Tensor padded(x.dtype(), Shape(padded_dims));
  const std::int64_t zero = 0;  // eight zero bytes: a zero of every dtype
  copy_per_axis(x, padded, [&](std::size_t k, std::int64_t dim, std::int64_t stride) {
    return k >= 1 && k <= m ? pad_table(dim, paddings[k - 1], stride)
                            : range_table(0, 1, dim, stride);
  }, &zero);
  const std::vector<std::int64_t> strides = byte_strides(padded.shape(), padded.dtype());
  AxisTables tables;
  for (std::size_t k = 0; k < m; ++k) tables.push_back(range_table(0, 1, block[k], strides[k + 1]));
  tables.push_back(range_table(0, 1, padded_dims[0], strides[0]));
  for (std::size_t k = 0; k < m; ++k) {
    tables.push_back(range_table(0, block[k], padded_dims[k + 1] / block[k], strides[k + 1]));
  }
  for (std::size_t k = m + 1; k < padded_dims.size(); ++k) {
    tables.push_back(range_table(0, 1, padded_dims[k], strides[k]));
  }
  gather_by_tables(padded, tables, out[0]);
}

// BatchToSpaceND. Output position y_k (after the crop) is position p = y_k + crop_k of the full
// axis: spatial index p / block_k of input batch entry (o_1 .. o_M, b) with o_k = p % block_k.
// The batch offset o_k contributes to the input's batch axis, so axis k's table adds both.
inline void batch_to_space_nd_kernel(const Node& node, const std::vector<Tensor>& in,
                                     std::vector<Tensor>& out) {
  const Tensor& x = in[0];
  const BlockPlan plan = ops::array::plan_batch_to_space(known_context(node, in));
  const Ints& block = plan.block.value();
  const std::vector<Padding>& crops = plan.edges.value();
  copy_through_tables(x, out[0], [&] {
    const std::vector<std::int64_t> strides = byte_strides(x.shape(), x.dtype());
    const std::int64_t batch = out[0].dim(0);
    AxisTables tables;
    tables.push_back(range_table(0, 1, batch, strides[0]));
    // Input batch entry o * batch + b, with o the row-major index of (o_1 .. o_M).
    std::int64_t later_blocks = 1;
    for (std::int64_t b : block) later_blocks *= b;
    for (std::size_t k = 0; k < block.size(); ++k) {
      later_blocks /= block[k];
      const std::int64_t size = out[0].dim(static_cast<int>(k + 1));
      AxisTable table(static_cast<std::size_t>(size));
      for (std::int64_t y = 0; y < size; ++y) {
        const std::int64_t p = y + crops[k].before;
        table[static_cast<std::size_t>(y)] = (p / block[k]) * strides[k + 1] +
                                             (p % block[k]) * later_blocks * batch * strides[0];
      }
      tables.push_back(std::move(table));
    }
    for (int k = static_cast<int>(block.size()) + 1; k < x.rank(); ++k) {
      tables.push_back(range_table(0, 1, x.dim(k), strides[static_cast<std::size_t>(k)]));
    }
    return tables;
  });
}

// DepthToSpace. Output pixel (y, x) of channel c reads input pixel (y / b, x / b) of channel
// ((y % b) * b + x % b) * depth + c, where depth is the output's channel count.
inline void depth_to_space_kernel(const Node& node, const std::vector<Tensor>& in,
                                  std::vector<Tensor>& out) {
  const Tensor& x = in[0];
  const ops::array::DepthPlan plan = ops::array::plan_depth_to_space(known_context(node, in));
  const Layout4 l = plan.layout;
  const std::int64_t b = plan.block;
  copy_through_tables(x, out[0], [&] {
    const std::vector<std::int64_t> strides = byte_strides(x.shape(), x.dtype());
    const std::int64_t channel = strides[static_cast<std::size_t>(l.c)];
    const std::int64_t depth = out[0].dim(l.c);
    AxisTables tables(4);
    for (int k = 0; k < 4; ++k) {
      const std::int64_t size = out[0].dim(k);
      const std::int64_t stride = strides[static_cast<std::size_t>(k)];
      AxisTable& table = tables[static_cast<std::size_t>(k)];
      if (k == l.h || k == l.w) {
        // Rows step through whole rows of the block, columns through single entries.
        const std::int64_t step = (k == l.h ? b : 1) * depth * channel;
        for (std::int64_t o = 0; o < size; ++o) table.push_back((o / b) * stride + (o % b) * step);
      } else {
        table = range_table(0, 1, size, stride);
      }
    }
    return tables;
  });
}

// SpaceToDepth. Output channel (dy * b + dx) * depth + c of pixel (i, j) reads input pixel
// (i * b + dy, j * b + dx) of channel c: the channel axis splits into three tables.
inline void space_to_depth_kernel(const Node& node, const std::vector<Tensor>& in,
                                  std::vector<Tensor>& out) {
  const Tensor& x = in[0];
  const ops::array::DepthPlan plan = ops::array::plan_space_to_depth(known_context(node, in));
  const Layout4 l = plan.layout;
  const std::int64_t b = plan.block;
  copy_through_tables(x, out[0], [&] {
    const std::vector<std::int64_t> strides = byte_strides(x.shape(), x.dtype());
    const auto stride = [&](int axis) { return strides[static_cast<std::size_t>(axis)]; };
    AxisTables tables;
    for (int k = 0; k < 4; ++k) {
      if (k == l.c) {
        tables.push_back(range_table(0, 1, b, stride(l.h)));  // dy
        tables.push_back(range_table(0, 1, b, stride(l.w)));  // dx
        tables.push_back(range_table(0, 1, x.dim(l.c), stride(l.c)));
      } else if (k == l.h || k == l.w) {
        tables.push_back(range_table(0, b, out[0].dim(k), stride(k)));
      } else {
        tables.push_back(range_table(0, 1, x.dim(k), stride(k)));
      }
    }
    return tables;
  });
}

inline void register_space_to_batch_kernels(KernelTable& table) {
  table["SpaceToBatchND"] = space_to_batch_nd_kernel;
  table["BatchToSpaceND"] = batch_to_space_nd_kernel;
  table["DepthToSpace"] = depth_to_space_kernel;
  table["SpaceToDepth"] = space_to_depth_kernel;
}

}  // namespace kiln::reference::array
