// Ops that read or write whole slices picked by index tuples: Gather (TensorFlow's first
// gather), GatherNd, ScatterNd and the TensorScatter* family (Update, Add, Sub, Max, Min).
//
// An index tuple of depth D names a slice of a tensor: its first D coordinates pick the slice,
// the remaining axes are the slice. For indices [..., D] the tuples are laid out row-major.
#pragma once

#include "index_inputs.hpp"

namespace kiln::ops::array {

// TensorFlow's CPU kernels take index tuples of at most 7 coordinates.
constexpr std::int64_t kMaxIndexDepth = 7;

// What an out-of-range index does: an Error ("", DEFAULT and ERROR on CPU), or nothing (IGNORE:
// a gather reads zeros, a scatter skips the update).
enum class BadIndices { error, ignore };

inline BadIndices bad_indices_policy(const InferContext& ctx) {
  const std::string& policy = one_of(ctx, "bad_indices_policy", {"", "DEFAULT", "ERROR", "IGNORE"});
  return policy == "IGNORE" ? BadIndices::ignore : BadIndices::error;
}

// Gather(params, indices): rows of params picked by indices, any shape of indices:
// indices.shape + params.shape[1:]. validate_indices is ignored, as on TensorFlow's CPU, which
// always validates.
inline std::vector<TensorType> infer_gather(const InferContext& ctx) {
  expect_index_type_attr(ctx, "Tindices");
  ctx.attr<bool>("validate_indices");
  const Shape& params = ctx.shape(0);
  const Shape& indices = ctx.shape(1);
  const DType dtype = ctx.dtype(0);
  if (params.has_rank() && params.rank() == 0) {
    throw ctx.error(Errc::invalid_argument, "cannot gather from a scalar").input("0");
  }
  if (!params.has_rank() || !indices.has_rank()) return {{dtype, Shape::unknown_rank()}};
  std::vector<std::int64_t> dims(indices.dims());
  dims.insert(dims.end(), params.dims().begin() + 1, params.dims().end());
  return {{dtype, checked_shape(ctx, dims)}};
}

// The depth of the index tuples in `indices` (its last dimension), kUnknownDim if not shown.
inline std::int64_t index_depth(const InferContext& ctx, int i) {
  const Shape& indices = ctx.shape(i);
  if (indices.has_rank() && indices.rank() == 0) {
    throw ctx.error(Errc::invalid_argument, "indices must be at least a vector")
        .input(std::to_string(i));
  }
  if (!indices.has_rank()) return kUnknownDim;
  const std::int64_t depth = indices.dim(-1);
  if (depth > kMaxIndexDepth) {
    throw ctx.error(Errc::unsupported, "index tuples longer than 7 are not supported")
        .input(std::to_string(i))
        .found(indices.str());
  }
  return depth;
}

// GatherNd(params, indices): indices.shape[:-1] + params.shape[depth:].
inline std::vector<TensorType> infer_gather_nd(const InferContext& ctx) {
  expect_index_type_attr(ctx, "Tindices");
  bad_indices_policy(ctx);
  const Shape& params = ctx.shape(0);
  const Shape& indices = ctx.shape(1);
  const DType dtype = ctx.dtype(0);
  if (params.has_rank() && params.rank() == 0) {
    throw ctx.error(Errc::invalid_argument, "params must be at least a vector").input("0");
  }
  const std::int64_t depth = index_depth(ctx, 1);
  if (depth != kUnknownDim && params.has_rank() && depth > params.rank()) {
    throw ctx.error(Errc::invalid_argument, "index tuples are longer than params' rank")
        .expected("at most " + std::to_string(params.rank()))
        .found(std::to_string(depth));
  }
  if (!indices.has_rank() || !params.has_rank() || depth == kUnknownDim) {
    return {{dtype, Shape::unknown_rank()}};
  }
  std::vector<std::int64_t> dims(indices.dims().begin(), indices.dims().end() - 1);
  dims.insert(dims.end(), params.dims().begin() + depth, params.dims().end());
  // TensorFlow refuses to pick anything from an empty params, even an empty slice.
  const std::int64_t tuples = known_product(ctx, indices, 0, indices.rank() - 1);
  const std::int64_t params_size = known_product(ctx, params, 0, params.rank());
  if (tuples > 0 && params_size == 0) {
    throw ctx.error(Errc::invalid_argument, "cannot gather from an empty params")
        .found(params.str());
  }
  return {{dtype, checked_shape(ctx, dims)}};
}

// The checks every scatter shares, for an output of shape `output`: indices of rank >= 2, updates
// of shape indices.shape[:-1] + output.shape[depth:], indices and updates both empty or both not,
// and tuples of 1 to 7 coordinates for a non-empty output.
inline void check_scatter_shapes(const InferContext& ctx, const Shape& output, int indices_input,
                                 int updates_input) {
  bad_indices_policy(ctx);
  const Shape& indices = ctx.shape(indices_input);
  const Shape& updates = ctx.shape(updates_input);
  const std::int64_t depth = index_depth(ctx, indices_input);
  if (indices.has_rank() && indices.rank() == 1) {
    // TensorFlow's kernels read a vector of indices as tuples of one coordinate each, its shape
    // checks as a single tuple; no vector passes both.
    throw ctx.error(Errc::invalid_argument, "scatter indices must be a matrix or more")
        .input(std::to_string(indices_input))
        .found(indices.str());
  }
  if (updates.has_rank() && updates.rank() == 0) {
    throw ctx.error(Errc::invalid_argument, "updates must be at least a vector")
        .input(std::to_string(updates_input));
  }
  if (output.has_rank() && output.rank() == 0) {
    throw ctx.error(Errc::invalid_argument, "cannot scatter into a scalar");
  }
  if (!indices.has_rank() || !updates.has_rank() || !output.has_rank() || depth == kUnknownDim) {
    return;
  }
  const int outer = indices.rank() - 1;
  const std::int64_t inner = output.rank() - depth;
  const auto mismatch = [&] {
    return ctx.error(Errc::shape_mismatch, "updates must be indices.shape[:-1] + shape[depth:]")
        .input(std::to_string(updates_input))
        .found("indices " + indices.str() + ", updates " + updates.str() + ", shape " +
               output.str());
  };
  if (inner < 0 || updates.rank() != outer + inner) throw mismatch();
  for (int d = 0; d < outer; ++d) {
    if (indices.dim(d) != kUnknownDim && updates.dim(d) != kUnknownDim &&
        indices.dim(d) != updates.dim(d)) {
      throw mismatch();
    }
  }
  for (std::int64_t d = 0; d < inner; ++d) {
    const std::int64_t u = updates.dim(static_cast<int>(outer + d));
    const std::int64_t o = output.dim(static_cast<int>(depth + d));
    if (u != kUnknownDim && o != kUnknownDim && u != o) throw mismatch();
  }
  const std::int64_t index_count = known_product(ctx, indices, 0, indices.rank());
  const std::int64_t update_count = known_product(ctx, updates, 0, updates.rank());
  const std::int64_t output_count = known_product(ctx, output, 0, output.rank());
  if (index_count == kUnknownDim || update_count == kUnknownDim || output_count == kUnknownDim) {
    return;
  }
  if ((index_count == 0) != (update_count == 0) || (index_count > 0 && output_count == 0)) {
    throw ctx.error(Errc::invalid_argument, "indices and updates must both be empty or both not, "
                                            "and an empty output takes none")
        .found("indices " + indices.str() + ", updates " + updates.str() + ", shape " +
               output.str());
  }
  if (output_count > 0 && depth < 1) {
    throw ctx.error(Errc::unsupported, "scatter index tuples need at least one coordinate")
        .input(std::to_string(indices_input))
        .found(indices.str());
  }
}

// ScatterNd(indices, updates, shape): zeros of `shape` with the updates added in.
inline std::vector<TensorType> infer_scatter_nd(const InferContext& ctx) {
  expect_index_type_attr(ctx, "Tindices");
  ctx.expect_dtype_attr(2, "Tindices");
  const Shape output = shape_from_shape_input(ctx, 2, "a ScatterNd dimension");
  check_scatter_shapes(ctx, output, 0, 1);
  return {{ctx.dtype(1), output}};
}

// TensorScatterUpdate and friends(tensor, indices, updates): `tensor` with the updates applied.
// Add, Sub, Max and Min do arithmetic, so they refuse bool.
inline std::vector<TensorType> infer_tensor_scatter(const InferContext& ctx) {
  expect_index_type_attr(ctx, "Tindices");
  if (ctx.node().op != "TensorScatterUpdate" && ctx.dtype(0) == DType::boolean) {
    throw ctx.error(Errc::unsupported, "this scatter does arithmetic and does not take bool")
        .attr("T");
  }
  check_scatter_shapes(ctx, ctx.shape(0), 1, 2);
  return {ctx.input(0)};
}

}  // namespace kiln::ops::array
