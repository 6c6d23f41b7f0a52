// Building blocks that several ops' type inference share: axes, broadcasting, data formats and
// sliding windows. Kernels use the same functions so that inference and execution agree.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "op_def.hpp"

namespace kiln {

// Python-style axis in [-rank, rank) to [0, rank), or an Error naming the node.
inline int normalize_axis(const InferContext& ctx, std::int64_t axis, int rank) {
  if (axis < -rank || axis >= rank) {
    throw ctx.error(Errc::invalid_argument, "axis out of range")
        .expected("an axis in [" + std::to_string(-rank) + ", " + std::to_string(rank) + ")")
        .found(std::to_string(axis));
  }
  return static_cast<int>(axis < 0 ? axis + rank : axis);
}

// Two sizes of one dimension that must be equal; an unknown size yields to a known one.
inline std::int64_t merge_dim(const InferContext& ctx, std::int64_t a, std::int64_t b,
                              const std::string& what) {
  if (a == kUnknownDim) return b;
  if (b == kUnknownDim || a == b) return a;
  throw ctx.error(Errc::shape_mismatch, what + " do not agree")
      .expected(std::to_string(a))
      .found(std::to_string(b));
}

// NumPy broadcasting of two shapes; unknown dims stay unknown unless the other side decides.
inline Shape broadcast_shapes(const InferContext& ctx, const Shape& a, const Shape& b) {
  if (!a.has_rank() || !b.has_rank()) return Shape::unknown_rank();
  const int rank = std::max(a.rank(), b.rank());
  std::vector<std::int64_t> out(static_cast<std::size_t>(rank));
  for (int i = 0; i < rank; ++i) {
    const int ia = i - (rank - a.rank());
    const int ib = i - (rank - b.rank());
    const std::int64_t da = ia >= 0 ? a.dim(ia) : 1;
    const std::int64_t db = ib >= 0 ? b.dim(ib) : 1;
    std::int64_t d;
    if (da == 1) d = db;
    else if (db == 1) d = da;
    else if (da == kUnknownDim) d = db;
    else if (db == kUnknownDim || da == db) d = da;
    else {
      throw ctx.error(Errc::shape_mismatch, "shapes cannot be broadcast together")
          .expected(a.str())
          .found(b.str());
    }
    out[static_cast<std::size_t>(i)] = d;
  }
  return Shape(out);
}

// Where batch, spatial and channel dimensions sit in a 4-D tensor.
struct Layout4 {
  int n, h, w, c;
};

inline Layout4 layout_of(const InferContext& ctx, const std::string& data_format) {
  if (data_format == "NHWC") return {0, 1, 2, 3};
  if (data_format == "NCHW") return {0, 2, 3, 1};
  throw ctx.error(Errc::unsupported, "unsupported data_format")
      .attr("data_format")
      .expected("NHWC or NCHW")
      .found(data_format);
}

// One spatial dimension of a convolution or pooling window.
struct Window {
  std::int64_t out = kUnknownDim;
  std::int64_t pad_before = 0;
  std::int64_t pad_after = 0;
};

// TensorFlow's output size and padding for one spatial dimension.
//   VALID:    out = ceil((in - effective_k + 1) / stride), no padding.
//   SAME:     out = ceil(in / stride); the total padding is split with the odd pixel AFTER.
//   EXPLICIT: the given padding, out = (in + before + after - effective_k) / stride + 1.
// where effective_k = (k - 1) * dilation + 1. An unknown input size gives an unknown output.
inline Window window(const InferContext& ctx, std::int64_t in, std::int64_t k, std::int64_t stride,
                     std::int64_t dilation, const std::string& padding,
                     std::int64_t explicit_before = 0, std::int64_t explicit_after = 0) {
  if (stride <= 0 || dilation <= 0) {
    throw ctx.error(Errc::invalid_attr, "stride and dilation must be positive")
        .found("stride " + std::to_string(stride) + ", dilation " + std::to_string(dilation));
  }
  if (k <= 0) {
    throw ctx.error(Errc::invalid_argument, "window size must be positive").found(std::to_string(k));
  }
  Window w;
  const std::int64_t effective_k = checked_add(checked_mul(k - 1, dilation), 1);
  if (padding == "EXPLICIT") {
    if (explicit_before < 0 || explicit_after < 0) {
      throw ctx.error(Errc::invalid_attr, "explicit padding must be non-negative")
          .attr("explicit_paddings");
    }
    w.pad_before = explicit_before;
    w.pad_after = explicit_after;
  } else if (padding != "SAME" && padding != "VALID") {
    throw ctx.error(Errc::invalid_attr, "unknown padding")
        .attr("padding")
        .expected("SAME, VALID or EXPLICIT")
        .found(padding);
  }
  if (in == kUnknownDim) return w;
  if (padding == "VALID") {
    w.out = in >= effective_k ? (in - effective_k) / stride + 1 : 0;
  } else if (padding == "SAME") {
    w.out = (in + stride - 1) / stride;
    const std::int64_t total = std::max<std::int64_t>((w.out - 1) * stride + effective_k - in, 0);
    w.pad_before = total / 2;
    w.pad_after = total - w.pad_before;
  } else {
    const std::int64_t padded = checked_add(checked_add(in, w.pad_before), w.pad_after);
    w.out = padded >= effective_k ? (padded - effective_k) / stride + 1 : 0;
  }
  if (w.out <= 0) {
    throw ctx.error(Errc::shape_mismatch, "window is larger than its padded input")
        .found("input " + std::to_string(in) + ", window " + std::to_string(effective_k));
  }
  return w;
}

// The common shape of unary elementwise ops: same dtype and shape as input 0.
inline std::vector<TensorType> same_as_input0(const InferContext& ctx) { return {ctx.input(0)}; }

}  // namespace kiln
