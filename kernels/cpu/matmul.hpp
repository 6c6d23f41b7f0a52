// MatMul, _FusedMatMul, the BatchMatMul family and _FusedBatchMatMulV2 as oneDNN matmul.
//
// A transposed operand is described, not moved: its memory descriptor swaps the strides of the
// last two dimensions. Batch dimensions broadcast as NumPy's do (a batch of 1 is repeated),
// which is oneDNN's rule too. When the right-hand side is one matrix for the whole batch (a
// Dense or EinsumDense layer on [batch, T, K]), the batch folds into the rows: one [batch*T, K]
// x [K, N] product, the shape oneDNN's matmul kernels are fastest on. A constant right-hand side
// is reordered once into the layout its kernel reads fastest (constant_weights_matmul).
//
// A product whose T is bfloat16 (the bf16-products pass) reads bfloat16 and writes bfloat16 or,
// where the pass asks for it, float32 (see conv.hpp).
#pragma once

#include <algorithm>

#include "epilogue.hpp"

namespace kiln::cpu_kernels {

// The descriptor of a (batched) matrix operand of `type` stored row-major as `shape`, read
// transposed when `transposed`, with leading ones up to `rank`.
inline memory::desc matrix_md(const Shape& shape, bool transposed, int rank,
                              memory::data_type type) {
  memory::dims dims = padded_dims(shape, rank);
  if (!transposed) return plain_md(dims, type);
  std::swap(dims[dims.size() - 1], dims[dims.size() - 2]);
  return transposed_md(dims, type);
}

// The shapes the product is computed as: the request's own, or [rows, K] x [K, N] -> [rows, N]
// when every batch dimension of the right-hand side is 1 and the left one is not transposed
// (its batch and rows then lie in memory as one [rows, K] matrix, and so do the output's).
struct ProductShapes {
  Shape a, b, out;
};

inline ProductShapes product_shapes(const KernelRequest& request, bool transpose_a) {
  ProductShapes s{request.inputs[0].shape, request.inputs[1].shape, request.outputs[0].shape};
  if (transpose_a || s.out.rank() <= 2) return s;
  for (int d = 0; d + 2 < s.b.rank(); ++d) {
    if (s.b.dim(d) != 1) return s;
  }
  const std::int64_t n = s.out.dim(-1);
  const std::int64_t rows = s.out.num_elements() / n;
  s.a = Shape{rows, s.a.dim(-1)};
  s.b = Shape{s.b.dim(-2), s.b.dim(-1)};
  s.out = Shape{rows, n};
  return s;
}

// A matmul whose weights are constant, so Kiln picks their layout: for bfloat16 the blocked one
// oneDNN asks for; for float32 as follows. When their plain rows are a
// multiple of 512 bytes long, which oneDNN 2.6's gemm:jit reads slowly (padded_rows_md):
// transposed (transposed_md) for a product with one row of input, else padded rows. Otherwise,
// the blocked layout oneDNN asks for when it has one (format_tag::any). Measured on one thread,
// [1, 256] x [256, 1024] (an LSTM step's recurrent product): plain 26-38 us, padded 30, transposed
// 20; [1, 768] x [768, 3072]: 322, 256 and 155 us. With several rows the transposed layout is
// slower than the padded one ([8, 256] x [256, 1024]: 100 against 54 us), and for other N
// (1000: a classifier's head) it ranges from 0.9 to 1.3x the plain layout's speed.
inline dnnl::matmul::primitive_desc constant_weights_matmul(const memory::desc& src,
                                                            const memory::dims& weights,
                                                            const memory::desc& bias,
                                                            const memory::desc& dst,
                                                            const dnnl::primitive_attr& attr) {
  auto product = [&](const memory::desc& layout) {
    return dnnl::matmul::primitive_desc(dnnl::matmul::desc(src, layout, bias, dst), attr,
                                        engine());
  };
  if (src.data_type() != memory::data_type::f32) {
    return product(memory::desc(weights, src.data_type(), tag::any));
  }
  const bool aliasing_rows = weights.back() % 128 == 0;  // 128 floats: 512 bytes
  const auto row_bytes = static_cast<std::size_t>(src.dims().back()) * sizeof(float);
  const bool one_row = src.get_size() == row_bytes;
  if (aliasing_rows && one_row) return product(transposed_md(weights));
  dnnl::matmul::primitive_desc pd =
      product(memory::desc(weights, memory::data_type::f32, tag::any));
  if (!aliasing_rows || pd.weights_desc() != plain_md(weights, memory::data_type::f32)) return pd;
  return product(padded_rows_md(weights));
}

class MatMulKernel final : public PrimitiveKernel {
 public:
  MatMulKernel(const KernelRequest& request, bool transpose_a, bool transpose_b,
               bool constant_weights) {
    const ProductShapes shapes = product_shapes(request, transpose_a);
    const int rank = shapes.out.rank();
    const memory::data_type type = onednn_type(request.inputs[0].dtype);  // f32 or bf16
    const memory::desc a = matrix_md(shapes.a, transpose_a, rank, type);
    const memory::desc b = matrix_md(shapes.b, transpose_b, rank, type);
    const memory::desc dst = plain_md(dims_of(shapes.out), onednn_type(request.outputs[0].dtype));

    const bool float_output = request.outputs[0].dtype == DType::float32;
    const Epilogue epilogue = epilogue_of(request, dst, rank - 1, float_output);
    memory::desc bias;
    if (epilogue.bias_input >= 0) {
      memory::dims bias_dims(static_cast<std::size_t>(rank), 1);
      bias_dims.back() = dst.dims().back();
      bias = plain_md(bias_dims, type);
    }
    dnnl::primitive_attr attr = user_scratchpad_attr();
    attr.set_post_ops(epilogue.post_ops);
    const dnnl::matmul::primitive_desc pd =
        constant_weights ? constant_weights_matmul(a, b.dims(), bias, dst, attr)
                         : dnnl::matmul::primitive_desc(dnnl::matmul::desc(a, b, bias, dst), attr,
                                                        engine());
    set_primitive<dnnl::matmul>(pd);

    add_input(DNNL_ARG_SRC, 0, a);
    add_weights(DNNL_ARG_WEIGHTS, 1, request, b, pd.weights_desc());
    if (epilogue.bias_input >= 0) {
      add_input(DNNL_ARG_BIAS, static_cast<std::size_t>(epilogue.bias_input), bias);
    }
    for (const Epilogue::BinaryArg& arg : epilogue.binaries) {
      add_input(DNNL_ARG_ATTR_MULTIPLE_POST_OP(arg.post_op) | DNNL_ARG_SRC_1, arg.input, arg.md);
    }
    add_output(DNNL_ARG_DST, 0, dst);
    if (epilogue.after) set_output_pass(epilogue.after, dst);
    if (!epilogue.post_ops_text.empty()) implementation_ += " [" + epilogue.post_ops_text + "]";
  }
};

inline KernelPtr make_matmul_kernel(const KernelRequest& request) {
  const Node& node = request.node;
  const DType type = request.inputs[0].dtype;
  for (const TensorType& t : request.inputs) {
    if (t.dtype != type) return request.decline("mixed dtypes");
  }
  if (type != DType::float32 && type != DType::bfloat16) {
    return request.decline("float32 and bfloat16 only");
  }
  const DType out = request.outputs[0].dtype;
  if (out != type && out != DType::float32) return request.decline("mixed dtypes");
  if (request.outputs[0].shape.num_elements() == 0) return request.decline("empty output");
  const bool batched = node.op.find("BatchMatMul") != std::string::npos;
  const bool transpose_a = node.attr<bool>(batched ? "adj_x" : "transpose_a");
  const bool transpose_b = node.attr<bool>(batched ? "adj_y" : "transpose_b");
  const bool constant_b = request.constant(1) != nullptr;
  return try_onednn(request, [&]() -> KernelPtr {
    if (constant_b) {
      try {
        return std::make_unique<MatMulKernel>(request, transpose_a, transpose_b, true);
      } catch (const dnnl::error&) {
        // Some shapes have no implementation with blocked weights: read them as they are.
      }
    }
    return std::make_unique<MatMulKernel>(request, transpose_a, transpose_b, false);
  });
}

}  // namespace kiln::cpu_kernels
