// Kernels for Pad, PadV2 and MirrorPad: each output axis reads the input axis with padding
// positions before and after it, which hold the fill value or mirror the input.
#pragma once

#include "axis_tables.hpp"

namespace kiln::reference::array {

using ops::array::Padding;

// `before` padding positions, the axis itself, `after` padding positions.
inline AxisTable pad_table(std::int64_t dim, Padding p, std::int64_t stride) {
  AxisTable table(static_cast<std::size_t>(p.before), kPadding);
  const AxisTable inside = range_table(0, 1, dim, stride);
  table.insert(table.end(), inside.begin(), inside.end());
  table.insert(table.end(), static_cast<std::size_t>(p.after), kPadding);
  return table;
}

// The axis with mirror images of its ends on both sides. `skip` is 1 for REFLECT (the edge
// element is the mirror: [1 2 3] padded by 2 gives 3 2 | 1 2 3 | 2 1) and 0 for SYMMETRIC
// (the mirror lies beyond the edge: 2 1 | 1 2 3 | 3 2).
inline AxisTable mirror_table(std::int64_t dim, Padding p, std::int64_t skip,
                              std::int64_t stride) {
  AxisTable table;
  for (std::int64_t o = 0; o < p.before + dim + p.after; ++o) {
    std::int64_t i = o - p.before;
    if (i < 0) i = -i - 1 + skip;
    if (i >= dim) i = 2 * dim - 1 - skip - i;
    table.push_back(i * stride);
  }
  return table;
}

// Pad and PadV2: zeros or the constant_values scalar around the input.
inline void pad_kernel(const Node& node, const std::vector<Tensor>& in,
                       std::vector<Tensor>& out) {
  const Tensor& x = in[0];
  const std::int64_t zero = 0;  // eight zero bytes: a zero of every dtype
  const void* fill = in.size() > 2 ? in[2].raw() : &zero;
  const InferContext ctx = known_context(node, in);
  const std::vector<Padding> paddings = ops::array::known_paddings(ctx, x.rank()).value();
  copy_per_axis(x, out[0], [&](std::size_t k, std::int64_t dim, std::int64_t stride) {
    return pad_table(dim, paddings[k], stride);
  }, fill);
}

inline void mirror_pad_kernel(const Node& node, const std::vector<Tensor>& in,
                              std::vector<Tensor>& out) {
  const Tensor& x = in[0];
  const InferContext ctx = known_context(node, in);
  const std::vector<Padding> paddings = ops::array::known_paddings(ctx, x.rank()).value();
  const std::int64_t skip = ops::array::mirror_skip(ctx);
  copy_per_axis(x, out[0], [&](std::size_t k, std::int64_t dim, std::int64_t stride) {
    return mirror_table(dim, paddings[k], skip, stride);
  });
}

inline void register_padding_kernels(KernelTable& table) {
  table["Pad"] = pad_kernel;
  table["PadV2"] = pad_kernel;
  table["MirrorPad"] = mirror_pad_kernel;
}

}  // namespace kiln::reference::array
