// Kernels that join tensors along an axis or cut one apart: ConcatV2, Concat, Pack, Unpack, Split,
// SplitV.
//
// All five move whole blocks of bytes. Viewed around the axis, the whole tensor is [outer, rest]
// and each piece is [outer, width]: row o of the whole is row o of every piece, side by side.
#pragma once

#include "axis_tables.hpp"

namespace kiln::reference::array {

// Bytes of one block of `t`: the product of its dims from `axis` on, times the element size.
inline std::size_t block_bytes(const Tensor& t, int axis) {
  std::size_t bytes = dtype_size(t.dtype());
  for (int k = axis; k < t.rank(); ++k) bytes *= static_cast<std::size_t>(t.dim(k));
  return bytes;
}

// Calls move(piece, offset_in_piece, offset_in_whole, bytes) for every block of a whole tensor
// cut along `axis` into pieces `widths` bytes wide. Empty pieces are skipped, so the work stays
// bounded by the whole's size even when a file asks for a million empty parts.
template <class Move>
void for_each_block(const Tensor& whole, int axis, const std::vector<std::size_t>& widths,
                    Move&& move) {
  if (whole.num_elements() == 0) return;
  std::vector<std::size_t> start_in_row;  // where each piece's block starts in a row of the whole
  std::size_t row_bytes = 0;
  for (std::size_t width : widths) {
    start_in_row.push_back(row_bytes);
    row_bytes += width;
  }
  const auto rows = static_cast<std::size_t>(dims_product(whole.shape(), 0, axis));
  for (std::size_t row = 0; row < rows; ++row) {
    for (std::size_t p = 0; p < widths.size(); ++p) {
      if (widths[p] > 0) move(p, row * widths[p], row * row_bytes + start_in_row[p], widths[p]);
    }
  }
}

// Writes `pieces`, joined along `axis` (of the pieces' shapes), into `whole`.
inline void join_blocks(const std::vector<const Tensor*>& pieces, int axis, Tensor& whole) {
  std::vector<std::size_t> widths;
  for (const Tensor* piece : pieces) widths.push_back(block_bytes(*piece, axis));
  auto* dst = static_cast<std::byte*>(whole.raw());
  for_each_block(whole, axis, widths, [&](std::size_t p, std::size_t at_piece,
                                          std::size_t at_whole, std::size_t n) {
    std::memcpy(dst + at_whole, static_cast<const std::byte*>(pieces[p]->raw()) + at_piece, n);
  });
}

// Cuts `whole` along `axis` (of the pieces' shapes) into `pieces`, already shaped.
inline void cut_blocks(const Tensor& whole, int axis, std::vector<Tensor>& pieces) {
  std::vector<std::size_t> widths;
  for (const Tensor& piece : pieces) widths.push_back(block_bytes(piece, axis));
  const auto* src = static_cast<const std::byte*>(whole.raw());
  for_each_block(whole, axis, widths, [&](std::size_t p, std::size_t at_piece,
                                          std::size_t at_whole, std::size_t n) {
    std::memcpy(static_cast<std::byte*>(pieces[p].raw()) + at_piece, src + at_whole, n);
  });
}

inline void concat_v2_kernel(const Node& node, const std::vector<Tensor>& in,
                             std::vector<Tensor>& out) {
  const InferContext ctx = known_context(node, in);
  std::vector<const Tensor*> pieces;
  for (std::size_t i = 0; i + 1 < in.size(); ++i) pieces.push_back(&in[i]);
  const int axis = ops::array::concat_axis(ctx, in.back().to_int64_vector().at(0), in[0].rank());
  join_blocks(pieces, axis, out[0]);
}

// Concat(concat_dim, values...): the axis comes first.
inline void concat_kernel(const Node& node, const std::vector<Tensor>& in,
                          std::vector<Tensor>& out) {
  const InferContext ctx = known_context(node, in);
  std::vector<const Tensor*> pieces;
  for (std::size_t i = 1; i < in.size(); ++i) pieces.push_back(&in[i]);
  const int axis = ops::array::concat_axis(ctx, in[0].to_int64_vector().at(0), in[1].rank());
  join_blocks(pieces, axis, out[0]);
}

inline void pack_kernel(const Node& node, const std::vector<Tensor>& in,
                        std::vector<Tensor>& out) {
  const InferContext ctx = known_context(node, in);
  std::vector<const Tensor*> pieces;
  for (const Tensor& t : in) pieces.push_back(&t);
  const int axis =
      ops::array::normalize_new_axis(ctx, node.attr<std::int64_t>("axis"), in[0].rank());
  join_blocks(pieces, axis, out[0]);
}

inline void unpack_kernel(const Node& node, const std::vector<Tensor>& in,
                          std::vector<Tensor>& out) {
  const InferContext ctx = known_context(node, in);
  const int axis = normalize_axis(ctx, node.attr<std::int64_t>("axis"), in[0].rank());
  cut_blocks(in[0], axis, out);
}

inline void split_kernel(const Node& node, const std::vector<Tensor>& in,
                         std::vector<Tensor>& out) {
  const InferContext ctx = known_context(node, in);
  cut_blocks(in[1], ops::array::split_axis(ctx, 0, in[1].shape()).value(), out);
}

inline void split_v_kernel(const Node& node, const std::vector<Tensor>& in,
                           std::vector<Tensor>& out) {
  const InferContext ctx = known_context(node, in);
  cut_blocks(in[0], ops::array::split_axis(ctx, 2, in[0].shape()).value(), out);
}

inline void register_joining_kernels(KernelTable& table) {
  table["ConcatV2"] = concat_v2_kernel;
  table["Concat"] = concat_kernel;
  table["Pack"] = pack_kernel;
  table["Unpack"] = unpack_kernel;
  table["Split"] = split_kernel;
  table["SplitV"] = split_v_kernel;
}

}  // namespace kiln::reference::array
