// What the block, reversal, diagonal, scatter and top-k ops share: size arithmetic on numbers a
// file controls (its Errors name the node), scalar inputs read when known, [M, 2] edge matrices,
// and the string attributes several of them take.
#pragma once

#include <utility>

#include "padding.hpp"

namespace kiln::ops::array {

// checked_mul and checked_add with the node's name on the Error: the operands come from a file.
inline std::int64_t node_mul(const InferContext& ctx, std::int64_t a, std::int64_t b) {
  try {
    return checked_mul(a, b);
  } catch (Error& e) {
    e.node(ctx.node().name).op(ctx.node().op);
    throw;
  }
}
inline std::int64_t node_add(const InferContext& ctx, std::int64_t a, std::int64_t b) {
  try {
    return checked_add(a, b);
  } catch (Error& e) {
    e.node(ctx.node().name).op(ctx.node().op);
    throw;
  }
}

// The product of dims [from, to) of a known shape, kUnknownDim if any of them is unknown.
inline std::int64_t known_product(const InferContext& ctx, const Shape& shape, int from, int to) {
  std::int64_t n = 1;
  for (int k = from; k < to; ++k) {
    if (shape.dim(k) == kUnknownDim) return kUnknownDim;
    n = node_mul(ctx, n, shape.dim(k));
  }
  return n;
}

// The value of input i, which must be a scalar (rank 0, where the rank is known).
inline std::optional<std::int64_t> known_scalar_input(const InferContext& ctx, int i) {
  expect_scalar(ctx, i);
  return known_scalar(ctx, i);
}

// An [M, 2] matrix of non-negative (before, after) pairs: SpaceToBatchND's paddings and
// BatchToSpaceND's crops. `rows` is M when known; the value is read when known.
inline std::optional<std::vector<Padding>> known_edges(const InferContext& ctx, int i,
                                                       std::int64_t rows, const char* what) {
  const std::optional<Ints> values = known_ints(ctx, i);
  if (!values) return std::nullopt;
  const Shape& s = ctx.shape(i);
  if (rows == kUnknownDim || s.rank() != 2 || s.dim(0) != rows || s.dim(1) != 2) {
    throw ctx.error(Errc::invalid_argument, std::string(what) + " must be an [M, 2] matrix")
        .input(std::to_string(i))
        .expected("[" + (rows == kUnknownDim ? std::string("M") : std::to_string(rows)) + ",2]")
        .found(s.str());
  }
  std::vector<Padding> edges;
  for (std::size_t r = 0; r < values->size(); r += 2) {
    const Padding p{(*values)[r], (*values)[r + 1]};
    if (p.before < 0 || p.after < 0) {
      throw ctx.error(Errc::invalid_argument, std::string(what) + " must not be negative")
          .input(std::to_string(i))
          .found(ints_text(*values));
    }
    edges.push_back(p);
  }
  return edges;
}

// The rows of an [M, 2] matrix input that its shape shows (kUnknownDim if it does not), merged
// with `rows`; its second dimension must be 2.
inline std::int64_t edge_rows(const InferContext& ctx, int i, std::int64_t rows,
                              const char* what) {
  ctx.expect_rank(i, 2);
  const Shape& s = ctx.shape(i);
  if (!s.has_rank()) return rows;
  if (s.dim(1) != kUnknownDim && s.dim(1) != 2) {
    throw ctx.error(Errc::invalid_argument, std::string(what) + " must have two columns")
        .input(std::to_string(i))
        .found(s.str());
  }
  return merge_dim(ctx, rows, s.dim(0), std::string("block_shape length and ") + what + " rows");
}

// Throws unless the string attribute `key` is one of `allowed`; returns it.
inline const std::string& one_of(const InferContext& ctx, const char* key,
                                 std::initializer_list<const char*> allowed) {
  const std::string& value = ctx.attr<std::string>(key);
  std::string list;
  for (const char* a : allowed) {
    if (value == a) return value;
    list += (list.empty() ? "" : ", ") + std::string(a);
  }
  throw ctx.error(Errc::invalid_attr, "unknown attribute value")
      .attr(key)
      .expected(list)
      .found(value);
}

}  // namespace kiln::ops::array
