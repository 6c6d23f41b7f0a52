// Kernels for MatrixBandPart and the MatrixDiag, MatrixSetDiag and MatrixDiagPart families. Each
// walks the innermost matrices ([batch, rows, cols] once the leading axes are flattened) and
// copies elements as bytes; the geometry (band, matrix size, padded diagonal length, alignment)
// comes from the same plan the shape function made.
#pragma once

#include "axis_tables.hpp"

namespace kiln::reference::array {

using ops::array::DiagonalPlan;

// Element (i, j) of a band: where diagonal d = j - i sits in the stored band (row upper - d of
// max_len entries, shifted by the diagonal's alignment offset).
inline std::int64_t band_position(const DiagonalPlan& p, std::int64_t i, std::int64_t j) {
  const std::int64_t d = j - i;
  const std::int64_t along = std::min(i, j);  // how far along its diagonal (i, j) lies
  return (p.band.upper - d) * p.max_len + along +
         ops::array::diagonal_offset(d, p.rows, p.cols, p.max_len, p.align);
}

// Calls visit(batch, i, j, d) for every element of every innermost matrix of `shape`.
template <class Visit> void for_each_matrix_element(const Shape& shape, Visit&& visit) {
  const std::int64_t rows = shape.dim(-2);
  const std::int64_t cols = shape.dim(-1);
  if (shape.num_elements() == 0) return;
  const std::int64_t batches = dims_product(shape, 0, shape.rank() - 2);
  for (std::int64_t b = 0; b < batches; ++b) {
    for (std::int64_t i = 0; i < rows; ++i) {
      for (std::int64_t j = 0; j < cols; ++j) visit(b, i, j, j - i);
    }
  }
}

inline void matrix_band_part_kernel(const Node& node, const std::vector<Tensor>& in,
                                    std::vector<Tensor>& out) {
  const ops::array::Band keep = ops::array::band_part_counts(known_context(node, in)).value();
  const std::size_t element = dtype_size(in[0].dtype());
  const auto* src = static_cast<const std::byte*>(in[0].raw());
  auto* dst = static_cast<std::byte*>(out[0].raw());
  std::int64_t n = 0;
  for_each_matrix_element(in[0].shape(), [&](std::int64_t, std::int64_t, std::int64_t,
                                             std::int64_t d) {
    const bool kept = (keep.lower < 0 || -d <= keep.lower) && (keep.upper < 0 || d <= keep.upper);
    const std::size_t at = static_cast<std::size_t>(n++) * element;
    if (kept) {
      std::memcpy(dst + at, src + at, element);
    } else {
      std::memset(dst + at, 0, element);
    }
  });
}

// MatrixDiag: every element of the band comes from the diagonals, the rest is padding_value
// (zero for V1, which has no such input).
inline void matrix_diag_kernel(const Node& node, const std::vector<Tensor>& in,
                               std::vector<Tensor>& out) {
  const DiagonalPlan plan = ops::array::plan_matrix_diag(known_context(node, in)).plan.value();
  const std::size_t element = dtype_size(in[0].dtype());
  const std::int64_t zero = 0;
  const void* padding = in.size() > 4 ? in[4].raw() : &zero;
  const std::int64_t per_batch = ops::array::band_size(plan.band) * plan.max_len;
  const auto* src = static_cast<const std::byte*>(in[0].raw());
  auto* dst = static_cast<std::byte*>(out[0].raw());
  for_each_matrix_element(out[0].shape(), [&](std::int64_t b, std::int64_t i, std::int64_t j,
                                              std::int64_t d) {
    if (d >= plan.band.lower && d <= plan.band.upper) {
      const std::int64_t from = b * per_batch + band_position(plan, i, j);
      std::memcpy(dst, src + static_cast<std::size_t>(from) * element, element);
    } else {
      std::memcpy(dst, padding, element);
    }
    dst += element;
  });
}

// MatrixSetDiag: the input, with every element of the band taken from the diagonals.
inline void matrix_set_diag_kernel(const Node& node, const std::vector<Tensor>& in,
                                   std::vector<Tensor>& out) {
  const DiagonalPlan plan = ops::array::plan_matrix_set_diag(known_context(node, in)).plan.value();
  const std::size_t element = dtype_size(in[0].dtype());
  const std::int64_t per_batch = ops::array::band_size(plan.band) * plan.max_len;
  const auto* input = static_cast<const std::byte*>(in[0].raw());
  const auto* diagonals = static_cast<const std::byte*>(in[1].raw());
  auto* dst = static_cast<std::byte*>(out[0].raw());
  for_each_matrix_element(out[0].shape(), [&](std::int64_t b, std::int64_t i, std::int64_t j,
                                              std::int64_t d) {
    if (d >= plan.band.lower && d <= plan.band.upper) {
      const std::int64_t from = b * per_batch + band_position(plan, i, j);
      std::memcpy(dst, diagonals + static_cast<std::size_t>(from) * element, element);
    } else if (dst != input) {
      std::memcpy(dst, input, element);
    }
    dst += element;
    input += element;
  });
}

// MatrixDiagPart: each diagonal of the band, shifted by its alignment offset, padded with
// padding_value (V1 has a single full-length diagonal and needs none).
inline void matrix_diag_part_kernel(const Node& node, const std::vector<Tensor>& in,
                                    std::vector<Tensor>& out) {
  if (out[0].num_elements() == 0) return;
  const DiagonalPlan plan = ops::array::plan_matrix_diag_part(known_context(node, in)).plan.value();
  const Tensor& x = in[0];
  const std::size_t element = dtype_size(x.dtype());
  const std::int64_t zero = 0;
  const void* padding = in.size() > 2 ? in[2].raw() : &zero;
  const std::int64_t batches = dims_product(x.shape(), 0, x.rank() - 2);
  const auto* src = static_cast<const std::byte*>(x.raw());
  auto* dst = static_cast<std::byte*>(out[0].raw());
  for (std::int64_t b = 0; b < batches; ++b) {
    for (std::int64_t d = plan.band.upper; d >= plan.band.lower; --d) {
      const std::int64_t length = ops::array::diagonal_length(d, plan.rows, plan.cols);
      const std::int64_t offset =
          ops::array::diagonal_offset(d, plan.rows, plan.cols, plan.max_len, plan.align);
      for (std::int64_t n = 0; n < plan.max_len; ++n, dst += element) {
        const std::int64_t along = n - offset;
        if (along < 0 || along >= length) {
          std::memcpy(dst, padding, element);
          continue;
        }
        const std::int64_t i = along + std::max<std::int64_t>(-d, 0);
        const std::int64_t j = along + std::max<std::int64_t>(d, 0);
        const std::int64_t from = (b * plan.rows + i) * plan.cols + j;
        std::memcpy(dst, src + static_cast<std::size_t>(from) * element, element);
      }
    }
  }
}

inline void register_diagonal_kernels(KernelTable& table) {
  table["MatrixBandPart"] = matrix_band_part_kernel;
  for (const char* op : {"MatrixDiag", "MatrixDiagV2", "MatrixDiagV3"}) {
    table[op] = matrix_diag_kernel;
  }
  for (const char* op : {"MatrixSetDiag", "MatrixSetDiagV2", "MatrixSetDiagV3"}) {
    table[op] = matrix_set_diag_kernel;
  }
  for (const char* op : {"MatrixDiagPart", "MatrixDiagPartV2", "MatrixDiagPartV3"}) {
    table[op] = matrix_diag_part_kernel;
  }
}

}  // namespace kiln::reference::array
