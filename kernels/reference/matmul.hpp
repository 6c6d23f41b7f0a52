// Reference kernels for MatMul and the BatchMatMul family.
//
// One routine serves all of them: a batch of [M, K] x [K, N] products, where either operand
// may be transposed and the batch dimensions broadcast (MatMul is a batch of one). Element
// (i, k) of an operand lives at i * row_stride + k * col_stride, so a transpose only swaps
// strides; the loop order then keeps the innermost loop on contiguous memory.
#pragma once

#include <algorithm>
#include <vector>

#include <kiln/core/ops/nn/matmul.hpp>

#include "nn_support.hpp"

namespace kiln::reference::nn {

struct MatrixView {
  std::int64_t rows = 0, cols = 0;  // after the transpose
  std::int64_t row_stride = 0, col_stride = 0;
};

inline MatrixView matrix_view(const Shape& shape, bool transpose) {
  const std::int64_t r = shape.dim(-2), c = shape.dim(-1);
  if (transpose) return {c, r, 1, c};
  return {r, c, c, 1};
}

// For each output batch index, the element offset of the matching matrix in one operand:
// broadcast dimensions (size 1 in the operand) contribute nothing.
inline std::vector<std::int64_t> batch_offsets(const Shape& operand, const Shape& output) {
  const int out_batch_rank = output.rank() - 2;
  const int op_batch_rank = operand.rank() - 2;
  const std::int64_t matrix = operand.dim(-2) * operand.dim(-1);
  std::vector<std::int64_t> stride(static_cast<std::size_t>(out_batch_rank), 0);
  std::int64_t s = matrix;
  for (int i = op_batch_rank - 1; i >= 0; --i) {
    const int o = i + out_batch_rank - op_batch_rank;
    if (operand.dim(i) != 1) stride[static_cast<std::size_t>(o)] = s;
    s *= operand.dim(i);
  }
  std::int64_t batches = 1;
  for (int i = 0; i < out_batch_rank; ++i) batches *= output.dim(i);
  std::vector<std::int64_t> offsets(static_cast<std::size_t>(batches));
  std::vector<std::int64_t> index(static_cast<std::size_t>(out_batch_rank), 0);
  std::int64_t offset = 0;
  for (std::int64_t b = 0; b < batches; ++b) {
    offsets[static_cast<std::size_t>(b)] = offset;
    for (int i = out_batch_rank - 1; i >= 0; --i) {  // odometer step with incremental offset
      const auto u = static_cast<std::size_t>(i);
      offset += stride[u];
      if (++index[u] < output.dim(i)) break;
      offset -= stride[u] * index[u];
      index[u] = 0;
    }
  }
  return offsets;
}

template <class T>
void batched_matmul(const Tensor& a_tensor, const Tensor& b_tensor, Tensor& out_tensor,
                    bool transpose_a, bool transpose_b) {
  using A = acc_t<T>;
  const MatrixView a = matrix_view(a_tensor.shape(), transpose_a);
  const MatrixView b = matrix_view(b_tensor.shape(), transpose_b);
  const std::int64_t m = a.rows, k_size = a.cols, n = b.cols;
  const std::vector<std::int64_t> a_offsets = batch_offsets(a_tensor.shape(), out_tensor.shape());
  const std::vector<std::int64_t> b_offsets = batch_offsets(b_tensor.shape(), out_tensor.shape());
  std::vector<A> row(static_cast<std::size_t>(n));
  for (std::size_t batch = 0; batch < a_offsets.size(); ++batch) {
    const T* pa = a_tensor.data<T>() + a_offsets[batch];
    const T* pb = b_tensor.data<T>() + b_offsets[batch];
    T* pc = out_tensor.data<T>() + static_cast<std::int64_t>(batch) * m * n;
    for (std::int64_t i = 0; i < m; ++i) {
      if (b.col_stride == 1) {
        // c[i, :] += a[i, k] * b[k, :], with b's rows contiguous.
        std::fill(row.begin(), row.end(), A(0));
        for (std::int64_t k = 0; k < k_size; ++k) {
          const A av = to_acc<A>(pa[i * a.row_stride + k * a.col_stride]);
          const T* b_row = pb + k * b.row_stride;
          for (std::int64_t j = 0; j < n; ++j) {
            row[static_cast<std::size_t>(j)] += av * to_acc<A>(b_row[j]);
          }
        }
        for (std::int64_t j = 0; j < n; ++j) {
          pc[i * n + j] = from_acc<T>(row[static_cast<std::size_t>(j)]);
        }
      } else {
        // b is transposed: c[i, j] is a dot product along k, contiguous in b.
        for (std::int64_t j = 0; j < n; ++j) {
          A sum(0);
          for (std::int64_t k = 0; k < k_size; ++k) {
            sum += to_acc<A>(pa[i * a.row_stride + k * a.col_stride]) *
                   to_acc<A>(pb[k * b.row_stride + j * b.col_stride]);
          }
          pc[i * n + j] = from_acc<T>(sum);
        }
      }
    }
  }
}

inline void matmul_kernel(const Node& node, const std::vector<Tensor>& inputs,
                          std::vector<Tensor>& outputs) {
  const bool ta = node.attr<bool>("transpose_a"), tb = node.attr<bool>("transpose_b");
  dispatch_float_or_wide_int(node, inputs[0].dtype(), [&](auto tag) {
    batched_matmul<typename decltype(tag)::type>(inputs[0], inputs[1], outputs[0], ta, tb);
  });
}

// BatchMatMul, V2 and V3. V3 may name three different types; the reference kernel computes
// only when they are one type.
inline void batch_matmul_kernel(const Node& node, const std::vector<Tensor>& inputs,
                                std::vector<Tensor>& outputs) {
  const DType type = inputs[0].dtype();
  if (inputs[1].dtype() != type || outputs[0].dtype() != type) {
    throw node.error(Errc::unsupported, "mixed input and output types in a matrix product")
        .expected(std::string("Ta = Tb = Tout = ") + dtype_name(type))
        .found(std::string(dtype_name(inputs[1].dtype())) + ", " + dtype_name(outputs[0].dtype()));
  }
  const bool adj_x = node.attr<bool>("adj_x"), adj_y = node.attr<bool>("adj_y");
  dispatch_float_or_wide_int(node, type, [&](auto tag) {
    batched_matmul<typename decltype(tag)::type>(inputs[0], inputs[1], outputs[0], adj_x, adj_y);
  });
}

}  // namespace kiln::reference::nn
