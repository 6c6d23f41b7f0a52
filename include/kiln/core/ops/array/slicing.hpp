// Ops that read a regular part of a tensor (StridedSlice, Slice) or pick entries by index
// (GatherV2). The slice plans computed here serve both the shape functions and the kernels, so
// inference and execution cannot disagree about what a slice reads.
#pragma once

#include <algorithm>

#include "common.hpp"

namespace kiln::ops::array {

// What a slice reads along one input axis: `count` positions from `start`, `step` apart.
struct AxisRange {
  std::int64_t start = 0;
  std::int64_t step = 1;
  std::int64_t count = kUnknownDim;
};

// A slice: one range per input axis, and the output shape. StridedSlice's output may add size-1
// axes and drop shrunk ones, which changes the shape but not the order of the elements read.
struct SlicePlan {
  std::vector<AxisRange> ranges;
  Shape output = Shape::unknown_rank();
};

inline bool mask_bit(std::int64_t mask, int i) { return ((mask >> i) & 1) != 0; }

constexpr int kNewAxis = -1;

// A strided slice's spec (begin[i], end[i], strides[i], one "item" each) laid over the input's
// axes once the ellipsis is expanded: the item that slices each input axis (-1 where the ellipsis
// covers it), and the output's axes in order (an input axis, or kNewAxis; shrunk axes are gone).
struct StridedSliceLayout {
  std::vector<int> item_of_axis;
  std::vector<int> output_axes;
};

inline StridedSliceLayout strided_slice_layout(const InferContext& ctx, int rank, int items) {
  const std::int64_t ellipsis_mask = ctx.attr<std::int64_t>("ellipsis_mask");
  const std::int64_t new_axis_mask = ctx.attr<std::int64_t>("new_axis_mask");
  const std::int64_t shrink_axis_mask = ctx.attr<std::int64_t>("shrink_axis_mask");
  // Without an ellipsis in the spec, one is implied after the last item.
  int ellipsis_at = items;
  for (int i = 0; i < items && ellipsis_at == items; ++i) {
    if (mask_bit(ellipsis_mask, i)) ellipsis_at = i;
  }
  int named_after_ellipsis = 0;  // items after the ellipsis that name an input axis
  for (int i = ellipsis_at + 1; i < items; ++i) {
    if (!mask_bit(new_axis_mask, i)) ++named_after_ellipsis;
  }
  StridedSliceLayout layout;
  layout.item_of_axis.assign(static_cast<std::size_t>(rank), -1);
  int axis = 0;
  for (int i = 0; i <= items; ++i) {
    if (i == ellipsis_at) {
      // The ellipsis covers every axis that the items after it leave unnamed.
      for (; axis < rank - named_after_ellipsis; ++axis) layout.output_axes.push_back(axis);
    } else if (i == items) {
      break;
    } else if (mask_bit(new_axis_mask, i)) {
      layout.output_axes.push_back(kNewAxis);
    } else {
      if (axis == rank) {
        throw ctx.error(Errc::invalid_argument, "the slice names more axes than the input has")
            .found("rank " + std::to_string(rank));
      }
      layout.item_of_axis[static_cast<std::size_t>(axis)] = i;
      if (!mask_bit(shrink_axis_mask, i)) layout.output_axes.push_back(axis);
      ++axis;
    }
  }
  return layout;
}

// One input axis of a strided slice, with TensorFlow's clamping: a negative index counts from the
// end, and begin and end are clamped into [0, dim] going forward or [-1, dim - 1] going backward,
// except on a shrunk axis, whose index must lie inside the axis.
inline AxisRange strided_axis_range(const InferContext& ctx, std::int64_t dim, int item,
                                    const std::optional<Ints>& begin,
                                    const std::optional<Ints>& end,
                                    const std::optional<Ints>& strides) {
  if (item < 0) return {0, 1, dim};  // covered by the ellipsis: the whole axis
  const std::size_t at = static_cast<std::size_t>(item);
  const bool shrink = mask_bit(ctx.attr<std::int64_t>("shrink_axis_mask"), item);
  const bool begin_masked = mask_bit(ctx.attr<std::int64_t>("begin_mask"), item);
  const bool end_masked = mask_bit(ctx.attr<std::int64_t>("end_mask"), item);
  if (!strides) return {0, 1, shrink ? 1 : kUnknownDim};
  const std::int64_t step = (*strides)[at];
  if (step == 0) throw ctx.error(Errc::invalid_argument, "strides must be non-zero");
  if (shrink && step < 0) {
    throw ctx.error(Errc::invalid_argument, "a shrunk axis needs a positive stride")
        .found(std::to_string(step));
  }
  if (dim == kUnknownDim) return {0, step, shrink ? 1 : kUnknownDim};
  if (shrink) {
    if (!begin) return {0, 1, 1};
    const std::int64_t index = (*begin)[at] < 0 ? (*begin)[at] + dim : (*begin)[at];
    if (index < 0 || index >= dim) {
      throw ctx.error(Errc::invalid_argument, "slice index out of range")
          .expected("an index in [" + std::to_string(-dim) + ", " + std::to_string(dim) + ")")
          .found(std::to_string((*begin)[at]));
    }
    return {index, 1, 1};
  }
  if ((!begin && !begin_masked) || (!end && !end_masked)) return {0, step, kUnknownDim};
  const std::int64_t lowest = step > 0 ? 0 : -1;
  const std::int64_t highest = step > 0 ? dim : dim - 1;
  const auto clamped = [&](bool masked, const std::optional<Ints>& values, bool is_begin) {
    if (masked) return (step > 0) == is_begin ? lowest : highest;
    const std::int64_t x = (*values)[at];
    return std::clamp(x < 0 ? x + dim : x, lowest, highest);
  };
  const std::int64_t first = clamped(begin_masked, begin, true);
  const std::int64_t span = clamped(end_masked, end, false) - first;
  std::int64_t count = 0;  // an empty range when the span runs against the step
  if (span != 0 && (span < 0) == (step < 0)) count = span / step + (span % step != 0 ? 1 : 0);
  return {first, step, count};
}

// Throws unless a known index vector has one entry per spec item.
inline void expect_length(const InferContext& ctx, int i, const std::optional<Ints>& values,
                          std::int64_t length) {
  if (values && static_cast<std::int64_t>(values->size()) != length) {
    throw ctx.error(Errc::invalid_argument, "index vectors must have the same length")
        .input(std::to_string(i))
        .expected(std::to_string(length))
        .found(std::to_string(values->size()));
  }
}

// StridedSlice(input, begin, end, strides) with its five masks, as TensorFlow defines it.
inline SlicePlan plan_strided_slice(const InferContext& ctx) {
  expect_index_type_attr(ctx, "Index");
  std::int64_t items = kUnknownDim;
  for (int i = 1; i <= 3; ++i) {
    items = merge_dim(ctx, items, vector_length(ctx, i), "begin, end and strides lengths");
  }
  if (items >= 32) {
    throw ctx.error(Errc::invalid_argument, "a strided slice has at most 31 items (32-bit masks)")
        .found(std::to_string(items));
  }
  const auto ellipsis_mask = static_cast<std::uint32_t>(ctx.attr<std::int64_t>("ellipsis_mask"));
  if ((ellipsis_mask & (ellipsis_mask - 1)) != 0) {
    throw ctx.error(Errc::invalid_attr, "a slice may have one ellipsis only").attr("ellipsis_mask");
  }
  const Shape& input = ctx.shape(0);
  if (!input.has_rank() || items == kUnknownDim) return {};
  const std::optional<Ints> begin = known_ints(ctx, 1);
  const std::optional<Ints> end = known_ints(ctx, 2);
  const std::optional<Ints> strides = known_ints(ctx, 3);
  expect_length(ctx, 1, begin, items);
  expect_length(ctx, 2, end, items);
  expect_length(ctx, 3, strides, items);
  const StridedSliceLayout layout =
      strided_slice_layout(ctx, input.rank(), static_cast<int>(items));
  SlicePlan plan;
  for (int axis = 0; axis < input.rank(); ++axis) {
    const int item = layout.item_of_axis[static_cast<std::size_t>(axis)];
    plan.ranges.push_back(strided_axis_range(ctx, input.dim(axis), item, begin, end, strides));
  }
  std::vector<std::int64_t> dims;
  for (int axis : layout.output_axes) {
    dims.push_back(axis == kNewAxis ? 1 : plan.ranges[static_cast<std::size_t>(axis)].count);
  }
  plan.output = checked_shape(ctx, dims);
  return plan;
}

// Slice(input, begin, size): size[i] elements from begin[i]; a size of -1 reads to the end.
inline SlicePlan plan_slice(const InferContext& ctx) {
  expect_index_type_attr(ctx, "Index");
  const Shape& input = ctx.shape(0);
  std::int64_t rank = merge_dim(ctx, vector_length(ctx, 1), vector_length(ctx, 2),
                                "begin and size lengths");
  if (input.has_rank()) {
    if (rank != kUnknownDim && rank != input.rank()) {
      throw ctx.error(Errc::invalid_argument, "begin and size need one entry per input axis")
          .expected(std::to_string(input.rank()))
          .found(std::to_string(rank));
    }
    rank = input.rank();
  }
  if (rank == kUnknownDim) return {};
  const std::optional<Ints> begin = known_ints(ctx, 1);
  const std::optional<Ints> size = known_ints(ctx, 2);
  expect_length(ctx, 1, begin, rank);
  expect_length(ctx, 2, size, rank);
  SlicePlan plan;
  std::vector<std::int64_t> dims;
  for (std::size_t axis = 0; axis < static_cast<std::size_t>(rank); ++axis) {
    const std::int64_t dim = input.has_rank() ? input.dims()[axis] : kUnknownDim;
    AxisRange range;
    if (begin) {
      range.start = (*begin)[axis];
      if (range.start < 0 || (dim != kUnknownDim && range.start > dim)) {
        throw ctx.error(Errc::invalid_argument, "slice begin out of range")
            .expected("[0, " + std::to_string(dim) + "]")
            .found(std::to_string(range.start));
      }
    }
    if (size) {
      const std::int64_t s = (*size)[axis];
      const bool bounded = begin && dim != kUnknownDim;
      if (s < -1 || (bounded && s > dim - range.start)) {
        const std::string most = bounded ? std::to_string(dim - range.start) : "any";
        throw ctx.error(Errc::invalid_argument, "slice size out of range")
            .expected("-1, or 0 to " + most)
            .found(std::to_string(s));
      }
      range.count = s != -1 ? s : bounded ? dim - range.start : kUnknownDim;
    }
    plan.ranges.push_back(range);
    dims.push_back(range.count);
  }
  plan.output = checked_shape(ctx, dims);
  return plan;
}

inline std::vector<TensorType> infer_strided_slice(const InferContext& ctx) {
  return {{ctx.dtype(0), plan_strided_slice(ctx).output}};
}

inline std::vector<TensorType> infer_slice(const InferContext& ctx) {
  return {{ctx.dtype(0), plan_slice(ctx).output}};
}

// GatherV2's batch_dims in [-rank(indices), rank(indices)], made non-negative.
inline int gather_batch_dims(const InferContext& ctx, int indices_rank) {
  const std::int64_t batch_dims = ctx.attr<std::int64_t>("batch_dims");
  if (batch_dims < -indices_rank || batch_dims > indices_rank) {
    throw ctx.error(Errc::invalid_attr, "batch_dims out of range")
        .attr("batch_dims")
        .expected("[" + std::to_string(-indices_rank) + ", " + std::to_string(indices_rank) + "]")
        .found(std::to_string(batch_dims));
  }
  return static_cast<int>(batch_dims < 0 ? batch_dims + indices_rank : batch_dims);
}

// GatherV2's axis, normalized; the leading batch_dims axes are shared and cannot be gathered.
inline int gather_axis(const InferContext& ctx, std::int64_t axis, int params_rank,
                       int batch_dims) {
  const int normalized = normalize_axis(ctx, axis, params_rank);
  if (normalized < batch_dims) {
    throw ctx.error(Errc::invalid_argument, "batch_dims must not exceed the gather axis")
        .expected("batch_dims <= " + std::to_string(normalized))
        .found(std::to_string(batch_dims));
  }
  return normalized;
}

// GatherV2(params, indices, axis): params[:axis] + indices[batch_dims:] + params[axis + 1:].
inline std::vector<TensorType> infer_gather_v2(const InferContext& ctx) {
  expect_index_type_attr(ctx, "Tindices");
  expect_index_type_attr(ctx, "Taxis");
  expect_scalar(ctx, 2);
  const Shape& params = ctx.shape(0);
  const Shape& indices = ctx.shape(1);
  if (params.has_rank() && params.rank() == 0) {
    throw ctx.error(Errc::invalid_argument, "cannot gather from a scalar").input("0");
  }
  const std::optional<std::int64_t> axis_value = known_scalar(ctx, 2);
  const DType dtype = ctx.dtype(0);
  if (!params.has_rank() || !indices.has_rank()) return {{dtype, Shape::unknown_rank()}};
  const int batch_dims = gather_batch_dims(ctx, indices.rank());
  if (batch_dims >= params.rank()) {
    throw ctx.error(Errc::invalid_argument, "batch_dims must be less than the rank of params")
        .found(std::to_string(batch_dims));
  }
  if (!axis_value) {
    return {{dtype, unknown_shape_of_rank(ctx, params.rank() + indices.rank() - batch_dims - 1)}};
  }
  const int axis = gather_axis(ctx, *axis_value, params.rank(), batch_dims);
  std::vector<std::int64_t> dims;
  for (int d = 0; d < batch_dims; ++d) {
    dims.push_back(merge_dim(ctx, params.dim(d), indices.dim(d), "batch dimensions"));
  }
  for (int d = batch_dims; d < axis; ++d) dims.push_back(params.dim(d));
  for (int d = batch_dims; d < indices.rank(); ++d) dims.push_back(indices.dim(d));
  for (int d = axis + 1; d < params.rank(); ++d) dims.push_back(params.dim(d));
  return {{dtype, checked_shape(ctx, dims)}};
}

}  // namespace kiln::ops::array
