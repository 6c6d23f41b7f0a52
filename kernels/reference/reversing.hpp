// Kernels for ReverseV2, Roll (through the axis tables: each axis is read backwards or from a
// shifted start) and ReverseSequence (how far an axis is reversed depends on the batch entry, so
// it walks the elements itself).
#pragma once

#include "axis_tables.hpp"

namespace kiln::reference::array {

inline void reverse_v2_kernel(const Node& node, const std::vector<Tensor>& in,
                              std::vector<Tensor>& out) {
  const std::vector<bool> reversed = ops::array::reversed_axes(known_context(node, in)).value();
  copy_per_axis(in[0], out[0], [&](std::size_t k, std::int64_t dim, std::int64_t stride) {
    return reversed[k] ? range_table(dim - 1, -1, dim, stride) : range_table(0, 1, dim, stride);
  });
}

// Output position o of an axis shifted by s (in [0, dim)) reads position (o - s) mod dim.
inline void roll_kernel(const Node& node, const std::vector<Tensor>& in,
                        std::vector<Tensor>& out) {
  const Ints shifts = ops::array::roll_shifts(known_context(node, in)).value();
  copy_per_axis(in[0], out[0], [&](std::size_t k, std::int64_t dim, std::int64_t stride) {
    AxisTable table(static_cast<std::size_t>(dim));
    for (std::int64_t o = 0; o < dim; ++o) {
      table[static_cast<std::size_t>(o)] = ((o - shifts[k] + dim) % dim) * stride;
    }
    return table;
  });
}

// Position s < seq_lengths[b] of the sequence axis reads position seq_lengths[b] - 1 - s of the
// same batch entry; positions past the length stay where they are.
inline void reverse_sequence_kernel(const Node& node, const std::vector<Tensor>& in,
                                    std::vector<Tensor>& out) {
  const Tensor& x = in[0];
  if (x.num_elements() == 0) return;
  const ops::array::SequenceAxes axes =
      ops::array::sequence_axes(known_context(node, in)).value();
  const std::vector<std::int64_t> lengths = in[1].to_int64_vector();
  const std::vector<std::int64_t> strides = byte_strides(x.shape(), x.dtype());
  const std::size_t element = dtype_size(x.dtype());
  const auto seq = static_cast<std::size_t>(axes.seq);
  const auto batch = static_cast<std::size_t>(axes.batch);
  const auto* src = static_cast<const std::byte*>(x.raw());
  auto* dst = static_cast<std::byte*>(out[0].raw());
  std::vector<std::int64_t> index(static_cast<std::size_t>(x.rank()), 0);
  for (std::int64_t n = 0; n < x.num_elements(); ++n, dst += element) {
    const std::int64_t length = lengths[static_cast<std::size_t>(index[batch])];
    const std::int64_t s = index[seq];
    std::int64_t offset = (s < length ? length - 1 - s : s) * strides[seq];
    for (std::size_t k = 0; k < index.size(); ++k) {
      if (k != seq) offset += index[k] * strides[k];
    }
    std::memcpy(dst, src + offset, element);
    for (std::size_t k = index.size(); k-- > 0;) {  // next index, the last axis fastest
      if (++index[k] < x.dim(static_cast<int>(k))) break;
      index[k] = 0;
    }
  }
}

inline void register_reversing_kernels(KernelTable& table) {
  table["ReverseV2"] = reverse_v2_kernel;
  table["ReverseSequence"] = reverse_sequence_kernel;
  table["Roll"] = roll_kernel;
}

}  // namespace kiln::reference::array
