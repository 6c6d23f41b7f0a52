// Ops that move blocks of positions between space and batch or depth: SpaceToBatchND and
// BatchToSpaceND (any number of spatial axes, padded or cropped), SpaceToDepth and DepthToSpace
// (square blocks of a 4-D image). The plans computed here serve the shape functions and the
// kernels, so the two agree on every size.
#pragma once

#include "index_inputs.hpp"

namespace kiln::ops::array {

// SpaceToBatchND(input, block_shape, paddings) and BatchToSpaceND(input, block_shape, crops) see
// the input as [batch, spatial_1 .. spatial_M, rest...], M being block_shape's length. `block`
// and `edges` are known once block_shape and paddings (or crops) are.
struct BlockPlan {
  std::int64_t spatial_axes = kUnknownDim;  // M
  std::optional<Ints> block;
  std::optional<std::vector<Padding>> edges;  // paddings, or crops
  Shape output = Shape::unknown_rank();
};

// Reads and checks block_shape and the edges: block sizes are at least 1, edges not negative,
// and the input has a batch axis before the M spatial ones.
inline BlockPlan block_inputs(const InferContext& ctx, const char* edges_attr,
                              const char* edges_name) {
  expect_index_type_attr(ctx, "Tblock_shape");
  expect_index_type_attr(ctx, edges_attr);
  if (ctx.dtype(0) == DType::boolean) {
    // TensorFlow has kernels for numbers only: no graph it runs holds a bool one.
    throw ctx.error(Errc::unsupported, "TensorFlow runs this op on numbers only").attr("T");
  }
  BlockPlan plan;
  plan.spatial_axes = edge_rows(ctx, 2, vector_length(ctx, 1), edges_name);
  plan.block = known_ints(ctx, 1);
  if (plan.block) {
    plan.spatial_axes = merge_dim(ctx, plan.spatial_axes,
                                  static_cast<std::int64_t>(plan.block->size()),
                                  "block_shape length and M");
    for (std::int64_t b : *plan.block) {
      if (b < 1) {
        throw ctx.error(Errc::invalid_argument, "block sizes must be positive")
            .input("1")
            .found(ints_text(*plan.block));
      }
    }
  }
  plan.edges = known_edges(ctx, 2, plan.spatial_axes, edges_name);
  const Shape& input = ctx.shape(0);
  if (input.has_rank() && plan.spatial_axes != kUnknownDim &&
      input.rank() < plan.spatial_axes + 1) {
    throw ctx.error(Errc::shape_mismatch, "input needs a batch axis and M spatial axes")
        .input("0")
        .expected("rank >= " + std::to_string(plan.spatial_axes + 1))
        .found(input.str());
  }
  return plan;
}

// The output shape while block_shape is unknown: the batch and the M spatial sizes are open, the
// trailing axes are the input's (all of them open while M is unknown too).
inline Shape shape_without_block(const InferContext& ctx, std::int64_t spatial_axes) {
  const Shape& input = ctx.shape(0);
  if (spatial_axes == kUnknownDim) return unknown_shape_of_rank(ctx, input.rank());
  std::vector<std::int64_t> dims(input.dims());
  for (std::int64_t k = 0; k <= spatial_axes; ++k) dims[static_cast<std::size_t>(k)] = kUnknownDim;
  return checked_shape(ctx, dims);
}

// The product of the block sizes: how many batch entries one spatial block spreads over.
inline std::int64_t block_count(const InferContext& ctx, const Ints& block) {
  std::int64_t n = 1;
  for (std::int64_t b : block) n = node_mul(ctx, n, b);
  return n;
}

// SpaceToBatchND: the padded spatial axes are cut into blocks, and each position within a block
// becomes a batch of its own: [batch * prod(block), padded_k / block_k ..., rest...].
inline BlockPlan plan_space_to_batch(const InferContext& ctx) {
  BlockPlan plan = block_inputs(ctx, "Tpaddings", "paddings");
  const Shape& input = ctx.shape(0);
  if (!input.has_rank()) return plan;
  if (!plan.block) {
    plan.output = shape_without_block(ctx, plan.spatial_axes);
    return plan;
  }
  std::vector<std::int64_t> dims(input.dims());
  const Ints& block = *plan.block;
  if (dims[0] != kUnknownDim) dims[0] = node_mul(ctx, dims[0], block_count(ctx, block));
  for (std::size_t k = 0; k < block.size(); ++k) {
    std::int64_t& d = dims[k + 1];
    if (d == kUnknownDim || !plan.edges) {
      d = kUnknownDim;
      continue;
    }
    const Padding p = (*plan.edges)[k];
    const std::int64_t padded = node_add(ctx, node_add(ctx, d, p.before), p.after);
    if (padded % block[k] != 0) {
      throw ctx.error(Errc::shape_mismatch, "padded spatial size is not a multiple of the block")
          .expected("a multiple of " + std::to_string(block[k]))
          .found("spatial axis " + std::to_string(k) + " padded to " + std::to_string(padded));
    }
    d = padded / block[k];
  }
  plan.output = checked_shape(ctx, dims);
  return plan;
}

// BatchToSpaceND undoes SpaceToBatchND: [batch / prod(block), spatial_k * block_k - crops ...,
// rest...]. The batch must split evenly and the crops must leave a size of at least zero.
inline BlockPlan plan_batch_to_space(const InferContext& ctx) {
  BlockPlan plan = block_inputs(ctx, "Tcrops", "crops");
  const Shape& input = ctx.shape(0);
  if (!input.has_rank()) return plan;
  if (!plan.block) {
    plan.output = shape_without_block(ctx, plan.spatial_axes);
    return plan;
  }
  std::vector<std::int64_t> dims(input.dims());
  const Ints& block = *plan.block;
  const std::int64_t blocks = block_count(ctx, block);
  if (dims[0] != kUnknownDim) {
    if (dims[0] % blocks != 0) {
      throw ctx.error(Errc::shape_mismatch, "batch is not a multiple of the block count")
          .expected("a multiple of " + std::to_string(blocks))
          .found(std::to_string(dims[0]));
    }
    dims[0] /= blocks;
  }
  for (std::size_t k = 0; k < block.size(); ++k) {
    std::int64_t& d = dims[k + 1];
    if (d == kUnknownDim || !plan.edges) {
      d = kUnknownDim;
      continue;
    }
    const Padding crop = (*plan.edges)[k];
    const std::int64_t full = node_mul(ctx, d, block[k]);
    if (crop.before > full || crop.after > full - crop.before) {
      throw ctx.error(Errc::shape_mismatch, "crops are larger than the spatial axis")
          .expected("at most " + std::to_string(full) + " in all")
          .found(std::to_string(crop.before) + " and " + std::to_string(crop.after));
    }
    d = full - crop.before - crop.after;
  }
  plan.output = checked_shape(ctx, dims);
  return plan;
}

inline std::vector<TensorType> infer_space_to_batch_nd(const InferContext& ctx) {
  return {{ctx.dtype(0), plan_space_to_batch(ctx).output}};
}

inline std::vector<TensorType> infer_batch_to_space_nd(const InferContext& ctx) {
  return {{ctx.dtype(0), plan_batch_to_space(ctx).output}};
}

// SpaceToDepth and DepthToSpace: a block_size x block_size square of pixels is one pixel of
// block_size^2 times the depth. NHWC and NCHW are both run (TensorFlow's CPU kernels know NHWC
// only, its GPU kernels NCHW too); NCHW_VECT_C is an int8 layout Kiln does not have.
struct DepthPlan {
  Layout4 layout{0, 1, 2, 3};
  std::int64_t block = 0;
  Shape output = Shape::unknown_rank();
};

inline DepthPlan depth_plan_inputs(const InferContext& ctx) {
  DepthPlan plan;
  const std::string& format = ctx.attr<std::string>("data_format");
  if (format == "NCHW_VECT_C") {
    throw ctx.error(Errc::unsupported, "data_format NCHW_VECT_C is not supported")
        .attr("data_format")
        .expected("NHWC or NCHW");
  }
  plan.layout = layout_of(ctx, format);
  plan.block = ctx.attr<std::int64_t>("block_size");
  if (plan.block < 2) {
    throw ctx.error(Errc::invalid_attr, "block_size must be at least 2")
        .attr("block_size")
        .found(std::to_string(plan.block));
  }
  ctx.expect_rank(0, 4);
  return plan;
}

// DepthToSpace: [n, h, w, c] -> [n, h * block, w * block, c / block^2] (in NHWC terms).
inline DepthPlan plan_depth_to_space(const InferContext& ctx) {
  DepthPlan plan = depth_plan_inputs(ctx);
  const Shape& input = ctx.shape(0);
  if (!input.has_rank()) return plan;
  const std::int64_t square = node_mul(ctx, plan.block, plan.block);
  std::vector<std::int64_t> dims(input.dims());
  std::int64_t& c = dims[static_cast<std::size_t>(plan.layout.c)];
  if (c != kUnknownDim) {
    if (c % square != 0) {
      throw ctx.error(Errc::shape_mismatch, "depth is not a multiple of block_size^2")
          .expected("a multiple of " + std::to_string(square))
          .found(std::to_string(c));
    }
    c /= square;
  }
  for (int axis : {plan.layout.h, plan.layout.w}) {
    std::int64_t& d = dims[static_cast<std::size_t>(axis)];
    if (d != kUnknownDim) d = node_mul(ctx, d, plan.block);
  }
  plan.output = checked_shape(ctx, dims);
  return plan;
}

// SpaceToDepth: [n, h, w, c] -> [n, h / block, w / block, c * block^2] (in NHWC terms).
inline DepthPlan plan_space_to_depth(const InferContext& ctx) {
  DepthPlan plan = depth_plan_inputs(ctx);
  const Shape& input = ctx.shape(0);
  if (!input.has_rank()) return plan;
  std::vector<std::int64_t> dims(input.dims());
  for (int axis : {plan.layout.h, plan.layout.w}) {
    std::int64_t& d = dims[static_cast<std::size_t>(axis)];
    if (d == kUnknownDim) continue;
    if (d % plan.block != 0) {
      throw ctx.error(Errc::shape_mismatch, "height and width must be multiples of block_size")
          .expected("a multiple of " + std::to_string(plan.block))
          .found(input.str());
    }
    d /= plan.block;
  }
  std::int64_t& c = dims[static_cast<std::size_t>(plan.layout.c)];
  if (c != kUnknownDim) c = node_mul(ctx, c, node_mul(ctx, plan.block, plan.block));
  plan.output = checked_shape(ctx, dims);
  return plan;
}

inline std::vector<TensorType> infer_depth_to_space(const InferContext& ctx) {
  return {{ctx.dtype(0), plan_depth_to_space(ctx).output}};
}

inline std::vector<TensorType> infer_space_to_depth(const InferContext& ctx) {
  return {{ctx.dtype(0), plan_space_to_depth(ctx).output}};
}

}  // namespace kiln::ops::array
