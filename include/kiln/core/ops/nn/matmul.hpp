// Matrix products: MatMul (2-D) and the BatchMatMul family, whose leading dimensions are a
// batch. BatchMatMul (V1) needs equal batch dimensions; V2 and V3 broadcast them like NumPy.
// V3 names the input and output types separately (Ta, Tb, Tout). Without complex numbers,
// adj_x / adj_y (adjoint) are plain transposes.
#pragma once

#include "common.hpp"

namespace kiln::ops::nn {

enum class BatchRule { none, equal, broadcast };

// The output shape of a (batched) matrix product, validating ranks and the inner dimension.
inline Shape matmul_output_shape(const InferContext& ctx, bool transpose_a, bool transpose_b,
                                 BatchRule rule) {
  const Shape& a = ctx.shape(0);
  const Shape& b = ctx.shape(1);
  for (int i = 0; i < 2; ++i) {
    const Shape& s = ctx.shape(i);
    if (!s.has_rank()) continue;
    const bool bad = rule == BatchRule::none ? s.rank() != 2 : s.rank() < 2;
    if (bad) {
      throw ctx.error(Errc::shape_mismatch, "input has the wrong rank for a matrix product")
          .input(std::to_string(i))
          .expected(rule == BatchRule::none ? "rank 2" : "rank >= 2")
          .found(s.str());
    }
  }
  auto dim_from_end = [](const Shape& s, int back) {
    return s.has_rank() ? s.dim(s.rank() - back) : kUnknownDim;
  };
  const std::int64_t rows = dim_from_end(a, transpose_a ? 1 : 2);
  const std::int64_t inner_a = dim_from_end(a, transpose_a ? 2 : 1);
  const std::int64_t inner_b = dim_from_end(b, transpose_b ? 1 : 2);
  const std::int64_t cols = dim_from_end(b, transpose_b ? 2 : 1);
  merge_dim(ctx, inner_a, inner_b, "inner dimensions of the matrix product");
  if (rule == BatchRule::none) return Shape{rows, cols};
  if (!a.has_rank() || !b.has_rank()) return Shape::unknown_rank();

  const Shape batch_a(std::vector<std::int64_t>(a.dims().begin(), a.dims().end() - 2));
  const Shape batch_b(std::vector<std::int64_t>(b.dims().begin(), b.dims().end() - 2));
  std::vector<std::int64_t> dims;
  if (rule == BatchRule::broadcast) {
    dims = broadcast_shapes(ctx, batch_a, batch_b).dims();
  } else {
    if (batch_a.rank() != batch_b.rank()) {
      throw ctx.error(Errc::shape_mismatch, "BatchMatMul needs inputs of the same rank")
          .expected(a.str())
          .found(b.str());
    }
    for (int i = 0; i < batch_a.rank(); ++i) {
      dims.push_back(merge_dim(ctx, batch_a.dim(i), batch_b.dim(i), "batch dimensions"));
    }
  }
  dims.push_back(rows);
  dims.push_back(cols);
  return Shape(dims);
}

inline std::vector<TensorType> infer_matmul(const InferContext& ctx) {
  expect_numeric(ctx, 0);
  const Shape out = matmul_output_shape(ctx, ctx.attr<bool>("transpose_a"),
                                        ctx.attr<bool>("transpose_b"), BatchRule::none);
  return {{ctx.dtype(0), out}};
}

inline std::vector<TensorType> infer_batch_matmul_with(const InferContext& ctx, BatchRule rule) {
  expect_numeric(ctx, 0);
  expect_numeric(ctx, 1);
  const Shape out =
      matmul_output_shape(ctx, ctx.attr<bool>("adj_x"), ctx.attr<bool>("adj_y"), rule);
  const DType type = ctx.node().has_attr("Tout") ? ctx.attr<DType>("Tout") : ctx.dtype(0);
  return {{type, out}};
}

inline std::vector<TensorType> infer_batch_matmul(const InferContext& ctx) {
  return infer_batch_matmul_with(ctx, BatchRule::equal);
}
inline std::vector<TensorType> infer_batch_matmul_v2(const InferContext& ctx) {
  return infer_batch_matmul_with(ctx, BatchRule::broadcast);
}

inline void register_matmul_ops(OpCatalogue& c) {
  c.add(op("MatMul")
            .inputs(2)
            .attrs({{"T", {}},
                    {"transpose_a", false},
                    {"transpose_b", false},
                    {"grad_a", false},
                    {"grad_b", false}})
            .input_types({"T", "T"})
            .infer(infer_matmul));
  const std::vector<AttrDef> batch_attrs = {
      {"adj_x", false}, {"adj_y", false}, {"grad_x", false}, {"grad_y", false}};
  c.add(op("BatchMatMul")
            .inputs(2)
            .attrs({{"T", {}}})
            .attrs(batch_attrs)
            .input_types({"T", "T"})
            .infer(infer_batch_matmul));
  c.add(op("BatchMatMulV2")
            .inputs(2)
            .attrs({{"T", {}}})
            .attrs(batch_attrs)
            .input_types({"T", "T"})
            .infer(infer_batch_matmul_v2));
  c.add(op("BatchMatMulV3")
            .inputs(2)
            .attrs({{"Ta", {}}, {"Tb", {}}, {"Tout", {}}})
            .attrs(batch_attrs)
            .input_types({"Ta", "Tb"})
            .infer(infer_batch_matmul_v2));
}

}  // namespace kiln::ops::nn
