// Kernels that repeat elements: Tile, BroadcastTo, Fill (a scalar broadcast to a shape), and the
// two selections, whose condition and branches are broadcast to the output first.
#pragma once

#include "axis_tables.hpp"

namespace kiln::reference::array {

// An axis of `dim` positions read `multiple` times over: 0 1 2 0 1 2 ...
inline AxisTable tile_table(std::int64_t dim, std::int64_t multiple, std::int64_t stride) {
  AxisTable table;
  for (std::int64_t r = 0; r < multiple && dim > 0; ++r) {
    for (std::int64_t i = 0; i < dim; ++i) table.push_back(i * stride);
  }
  return table;
}

inline void tile_kernel(const Node&, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  const std::vector<std::int64_t> multiples = in[1].to_int64_vector();
  copy_per_axis(in[0], out[0], [&](std::size_t k, std::int64_t dim, std::int64_t stride) {
    return tile_table(dim, multiples[k], stride);
  });
}

// BroadcastTo(input, shape) and Fill(dims, value): the output shape is already known.
inline void broadcast_to_kernel(const Node&, const std::vector<Tensor>& in,
                                std::vector<Tensor>& out) {
  broadcast_into(in[0], out[0]);
}

inline void fill_kernel(const Node&, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  broadcast_into(in[1], out[0]);
}

// Element i of the output is then[i] where condition[i] holds, else[i] otherwise; all three are
// broadcast to the output's shape first.
inline void select_elements(const Tensor& condition, const Tensor& then_value,
                            const Tensor& else_value, Tensor& out) {
  const Tensor choose = broadcast_copy(condition, out.shape());
  const Tensor yes = broadcast_copy(then_value, out.shape());
  const Tensor no = broadcast_copy(else_value, out.shape());
  const std::size_t element = dtype_size(out.dtype());
  // Booleans are read as bytes: a byte other than 0 or 1 from a file must not be read as bool.
  const auto* flags = static_cast<const std::uint8_t*>(choose.raw());
  const auto* a = static_cast<const std::byte*>(yes.raw());
  const auto* b = static_cast<const std::byte*>(no.raw());
  auto* dst = static_cast<std::byte*>(out.raw());
  for (std::int64_t i = 0; i < out.num_elements(); ++i) {
    const std::size_t at = static_cast<std::size_t>(i) * element;
    std::memcpy(dst + at, (flags[i] != 0 ? a : b) + at, element);
  }
}

inline void select_v2_kernel(const Node&, const std::vector<Tensor>& in,
                             std::vector<Tensor>& out) {
  select_elements(in[0], in[1], in[2], out[0]);
}

// The older Select: a vector condition picks whole rows, so it is viewed as [n, 1, 1, ...].
inline void select_kernel(const Node&, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  const Tensor& condition = in[0];
  if (condition.rank() == 1 && in[1].rank() > 1) {
    std::vector<std::int64_t> column(static_cast<std::size_t>(in[1].rank()), 1);
    column[0] = condition.dim(0);
    select_elements(condition.reshaped(Shape(column)), in[1], in[2], out[0]);
  } else {
    select_elements(condition, in[1], in[2], out[0]);
  }
}

inline void register_broadcasting_kernels(KernelTable& table) {
  table["Tile"] = tile_kernel;
  table["BroadcastTo"] = broadcast_to_kernel;
  table["Fill"] = fill_kernel;
  table["SelectV2"] = select_v2_kernel;
  table["Select"] = select_kernel;
}

}  // namespace kiln::reference::array
