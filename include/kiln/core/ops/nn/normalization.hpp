// BiasAdd and the FusedBatchNorm family (V1, V2, V3).
//
// BiasAdd adds a vector along the channel dimension: the last one for NHWC, dimension 1 for
// NCHW (whatever the rank, as TensorFlow does). FusedBatchNorm computes
//   y = (x - mean) * scale / sqrt(variance + epsilon) + offset
// with the given statistics when is_training is false, and with the batch's own statistics
// when it is true (TensorFlow's default, so a training-mode node in an exported graph works).
#pragma once

#include "common.hpp"

namespace kiln::ops::nn {

// Which dimension holds the channels for a BiasAdd data_format, validating the rank.
inline int bias_channel_axis(const InferContext& ctx, int rank) {
  // BiasAddV1, the original op, has no data_format: its channels are always last.
  const std::string format =
      ctx.node().has_attr("data_format") ? ctx.attr<std::string>("data_format") : "NHWC";
  const bool nchw = format == "NCHW";
  if (!nchw && format != "NHWC") {
    throw ctx.error(Errc::invalid_attr, "unsupported data_format")
        .attr("data_format")
        .expected("NHWC or NCHW")
        .found(format);
  }
  const int min_rank = nchw ? 3 : 2;
  if (rank != -1 && rank < min_rank) {
    throw ctx.error(Errc::shape_mismatch, "input rank is too small for BiasAdd")
        .input("0")
        .expected("rank >= " + std::to_string(min_rank))
        .found(ctx.shape(0).str());
  }
  return nchw ? 1 : rank - 1;
}

inline std::vector<TensorType> infer_bias_add(const InferContext& ctx) {
  expect_numeric(ctx, 0);
  ctx.expect_rank(1, 1);
  const Shape& x = ctx.shape(0);
  const int axis = bias_channel_axis(ctx, x.has_rank() ? x.rank() : -1);
  if (!x.has_rank()) return {{ctx.dtype(0), x}};
  const std::int64_t bias = ctx.shape(1).has_rank() ? ctx.shape(1).dim(0) : kUnknownDim;
  std::vector<std::int64_t> dims = x.dims();
  dims[static_cast<std::size_t>(axis)] =
      merge_dim(ctx, dims[static_cast<std::size_t>(axis)], bias, "input channels and bias size");
  return {{ctx.dtype(0), Shape(dims)}};
}

// The channel axis of FusedBatchNorm's x: NHWC and NCHW for 4-D, NDHWC and NCDHW (V3 only,
// as in TensorFlow) for 5-D.
inline int batch_norm_channel_axis(const InferContext& ctx, bool allow_5d) {
  const std::string& format = ctx.attr<std::string>("data_format");
  int rank = 0;
  bool channels_first = false;
  if (format == "NHWC" || format == "NCHW") {
    rank = 4;
    channels_first = format == "NCHW";
  } else if (allow_5d && (format == "NDHWC" || format == "NCDHW")) {
    rank = 5;
    channels_first = format == "NCDHW";
  } else {
    throw ctx.error(Errc::invalid_attr, "unsupported data_format")
        .attr("data_format")
        .expected(allow_5d ? "NHWC, NCHW, NDHWC or NCDHW" : "NHWC or NCHW")
        .found(format);
  }
  ctx.expect_rank(0, rank);
  return channels_first ? 1 : rank - 1;
}

// Whether the node normalizes with the batch's statistics, and whether it then still reads
// the mean and variance inputs (to blend them into the running averages it outputs).
struct BatchNormMode {
  bool training = true;
  bool reads_statistics = true;
};

inline BatchNormMode batch_norm_mode(const InferContext& ctx) {
  BatchNormMode m;
  m.training = ctx.attr<bool>("is_training");
  const float factor = ctx.attr<float>("exponential_avg_factor");
  m.reads_statistics = !m.training || factor != 1.0f;
  const float epsilon = ctx.attr<float>("epsilon");
  if (!(epsilon >= 0.0f)) {  // also catches NaN
    throw ctx.error(Errc::invalid_attr, "epsilon must be non-negative")
        .attr("epsilon")
        .found(kiln::detail::float_text(epsilon));
  }
  return m;
}

// FusedBatchNorm (V1, V2) has 5 outputs; V3 adds reserve_space_3, which TensorFlow's CPU
// kernel (oneDNN) returns empty: shape [0].
inline std::vector<TensorType> infer_fused_batch_norm(const InferContext& ctx, bool v3) {
  expect_floating(ctx, 0);
  for (int i = 1; i < ctx.num_inputs(); ++i) expect_floating(ctx, i);
  const BatchNormMode mode = batch_norm_mode(ctx);
  const int axis = batch_norm_channel_axis(ctx, v3);
  const Shape& x = ctx.shape(0);
  std::int64_t channels = x.has_rank() ? x.dim(axis) : kUnknownDim;
  // scale and offset always; mean and variance only when they are read.
  const int vectors = mode.reads_statistics ? 5 : 3;
  for (int i = 1; i < vectors; ++i) {
    ctx.expect_rank(i, 1);
    if (ctx.shape(i).has_rank()) {
      channels = merge_dim(ctx, channels, ctx.shape(i).dim(0),
                           "channels of x and the length of input " + std::to_string(i));
    }
  }
  Shape y = x;
  if (x.has_rank()) y.set_dim(axis, channels);
  const DType u = ctx.node().has_attr("U") ? ctx.attr<DType>("U") : ctx.dtype(0);
  const TensorType vec{u, Shape{channels}};
  std::vector<TensorType> out = {{ctx.dtype(0), y}, vec, vec, vec, vec};
  if (v3) out.push_back({u, Shape{0}});
  return out;
}

inline std::vector<TensorType> infer_fused_batch_norm_v12(const InferContext& ctx) {
  return infer_fused_batch_norm(ctx, false);
}
inline std::vector<TensorType> infer_fused_batch_norm_v3(const InferContext& ctx) {
  return infer_fused_batch_norm(ctx, true);
}

inline void register_normalization_ops(OpCatalogue& c) {
  // The bias is added element by element along the channels, so the output may take the place
  // of x, or of the bias when both have the output's size.
  c.add(op("BiasAdd")
            .inputs(2)
            .attrs({{"T", {}}, {"data_format", std::string("NHWC")}})
            .input_types({"T", "T"})
            .infer(infer_bias_add)
            .in_place({0, 1}));
  c.add(op("BiasAddV1")
            .inputs(2)
            .attrs({{"T", {}}})
            .input_types({"T", "T"})
            .infer(infer_bias_add)
            .in_place({0, 1}));

  const std::vector<AttrDef> common = {{"epsilon", 0.0001f},
                                       {"exponential_avg_factor", 1.0f},
                                       {"data_format", std::string("NHWC")},
                                       {"is_training", true}};
  c.add(op("FusedBatchNorm")
            .inputs(5)
            .attrs(common)
            .attrs({{"T", {}}})
            .input_types({"T"})
            .infer(infer_fused_batch_norm_v12));
  c.add(op("FusedBatchNormV2")
            .inputs(5)
            .attrs(common)
            .attrs({{"T", {}}, {"U", {}}})
            .input_types({"T", "U"})
            .infer(infer_fused_batch_norm_v12));
  c.add(op("FusedBatchNormV3")
            .inputs(5)
            .attrs(common)
            .attrs({{"T", {}}, {"U", {}}})
            .input_types({"T", "U"})
            .infer(infer_fused_batch_norm_v3));
}

}  // namespace kiln::ops::nn
