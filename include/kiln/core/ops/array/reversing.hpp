// Ops that reorder positions along axes without changing the shape: ReverseV2 (whole axes
// backwards), ReverseSequence (the first seq_lengths[b] positions of each batch entry backwards)
// and Roll (a cyclic shift). The axis lists computed here serve the shape functions and kernels.
#pragma once

#include <algorithm>

#include "index_inputs.hpp"

namespace kiln::ops::array {

// ReverseV2's axis input, once known: a vector of distinct axes in [-rank, rank), as a flag per
// axis of the input.
inline std::optional<std::vector<bool>> reversed_axes(const InferContext& ctx) {
  expect_index_type_attr(ctx, "Tidx");
  ctx.expect_rank(1, 1);
  const std::optional<Ints> axes = known_ints(ctx, 1);
  const Shape& input = ctx.shape(0);
  if (!axes || !input.has_rank()) return std::nullopt;
  std::vector<bool> reversed(static_cast<std::size_t>(input.rank()), false);
  for (std::int64_t axis : *axes) {
    const auto k = static_cast<std::size_t>(normalize_axis(ctx, axis, input.rank()));
    if (reversed[k]) {
      throw ctx.error(Errc::invalid_argument, "an axis is reversed twice")
          .input("1")
          .found(ints_text(*axes));
    }
    reversed[k] = true;
  }
  return reversed;
}

inline std::vector<TensorType> infer_reverse_v2(const InferContext& ctx) {
  reversed_axes(ctx);
  return {ctx.input(0)};
}

// ReverseSequence's two axes: seq_dim (reversed) and batch_dim (indexes seq_lengths). TensorFlow
// takes neither negative nor equal ones.
struct SequenceAxes {
  int seq = 0;
  int batch = 0;
};

inline std::optional<SequenceAxes> sequence_axes(const InferContext& ctx) {
  expect_index_type_attr(ctx, "Tlen");
  const std::int64_t seq = ctx.attr<std::int64_t>("seq_dim");
  const std::int64_t batch = ctx.attr<std::int64_t>("batch_dim");
  if (seq < 0 || batch < 0 || seq == batch) {
    throw ctx.error(Errc::invalid_attr, "seq_dim and batch_dim must be distinct axes >= 0")
        .attr("seq_dim")
        .found("seq_dim " + std::to_string(seq) + ", batch_dim " + std::to_string(batch));
  }
  const Shape& input = ctx.shape(0);
  if (!input.has_rank()) return std::nullopt;
  if (seq >= input.rank() || batch >= input.rank()) {
    throw ctx.error(Errc::invalid_attr, "seq_dim and batch_dim must be axes of the input")
        .attr(seq >= input.rank() ? "seq_dim" : "batch_dim")
        .expected("less than " + std::to_string(input.rank()))
        .found(std::to_string(std::max(seq, batch)));
  }
  return SequenceAxes{static_cast<int>(seq), static_cast<int>(batch)};
}

// ReverseSequence(input, seq_lengths): one length per batch entry, each in [0, input.dim(seq_dim)].
inline std::vector<TensorType> infer_reverse_sequence(const InferContext& ctx) {
  const std::optional<SequenceAxes> axes = sequence_axes(ctx);
  const std::int64_t count = vector_length(ctx, 1);
  if (axes) {
    const Shape& input = ctx.shape(0);
    merge_dim(ctx, input.dim(axes->batch), count, "batch size and seq_lengths length");
    if (const std::optional<Ints> lengths = known_ints(ctx, 1)) {
      const std::int64_t limit = input.dim(axes->seq);
      for (std::int64_t length : *lengths) {
        if (length < 0 || (limit != kUnknownDim && length > limit)) {
          throw ctx.error(Errc::invalid_argument, "sequence length out of range")
              .input("1")
              .expected("[0, " + std::to_string(limit) + "]")
              .found(std::to_string(length));
        }
      }
    }
  }
  return {ctx.input(0)};
}

// Roll's shifts, summed per axis and reduced into [0, dim), once shift, axis and the input's
// shape are known. Shift and axis are scalars or vectors of one length; an axis may repeat.
inline std::optional<Ints> roll_shifts(const InferContext& ctx) {
  for (int i : {1, 2}) {
    const Shape& s = ctx.shape(i);
    if (s.has_rank() && s.rank() > 1) {
      throw ctx.error(Errc::invalid_argument, "shift and axis must be scalars or vectors")
          .input(std::to_string(i))
          .found(s.str());
    }
  }
  const Shape& input = ctx.shape(0);
  if (input.has_rank() && input.rank() == 0) {
    throw ctx.error(Errc::invalid_argument, "cannot roll a scalar").input("0");
  }
  const std::optional<Ints> shift = known_ints(ctx, 1);
  const std::optional<Ints> axis = known_ints(ctx, 2);
  if (shift && axis && shift->size() != axis->size()) {
    throw ctx.error(Errc::invalid_argument, "shift and axis must have the same length")
        .found(ints_text(*shift) + " and " + ints_text(*axis));
  }
  if (!shift || !axis || !input.is_fully_known()) return std::nullopt;
  Ints total(static_cast<std::size_t>(input.rank()), 0);
  for (std::size_t i = 0; i < axis->size(); ++i) {
    const auto k = static_cast<std::size_t>(normalize_axis(ctx, (*axis)[i], input.rank()));
    const std::int64_t dim = std::max<std::int64_t>(input.dims()[k], 1);
    // TensorFlow keeps the low 32 bits of each shift and adds them to the running sum in 32
    // bits (wrapping): an int64 shift of 2^32 moves nothing.
    const auto sum = static_cast<std::int32_t>(static_cast<std::uint32_t>(total[k]) +
                                               static_cast<std::uint32_t>((*shift)[i]));
    total[k] = (sum % dim + dim) % dim;
  }
  return total;
}

inline std::vector<TensorType> infer_roll(const InferContext& ctx) {
  expect_index_type_attr(ctx, "Tshift");
  expect_index_type_attr(ctx, "Taxis");
  roll_shifts(ctx);
  // The axes are checked when the shape is only partly known, too.
  const Shape& input = ctx.shape(0);
  if (const std::optional<Ints> axis = known_ints(ctx, 2); axis && input.has_rank()) {
    for (std::int64_t a : *axis) normalize_axis(ctx, a, input.rank());
  }
  return {ctx.input(0)};
}

}  // namespace kiln::ops::array
