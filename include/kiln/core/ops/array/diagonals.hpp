// Ops on the diagonals of the innermost matrices of a tensor: MatrixBandPart (keep a band, zero
// the rest), MatrixDiag (build matrices from diagonals), MatrixSetDiag (replace diagonals) and
// MatrixDiagPart (read them), each in TensorFlow's three versions.
//
// Diagonal d of a rows x cols matrix holds the elements (i, j) with j - i = d; k = [lower, upper]
// names a band of them. A band is stored as a [upper - lower + 1, max_len] matrix, diagonal
// `upper` first, each row padded to the longest diagonal's length. V1 has only diagonal 0; V2
// aligns every shorter diagonal to the left; V3's `align` picks a side for the superdiagonals
// (d > 0) and one for the subdiagonals (d < 0).
#pragma once

#include <algorithm>

#include "index_inputs.hpp"

namespace kiln::ops::array {

// MatrixBandPart(input, num_lower, num_upper): a negative count keeps every diagonal on that side.
struct Band {
  std::int64_t lower = 0;
  std::int64_t upper = 0;
};

inline std::optional<Band> band_part_counts(const InferContext& ctx) {
  expect_index_type_attr(ctx, "Tindex");
  const Shape& input = ctx.shape(0);
  if (input.has_rank() && input.rank() < 2) {
    throw ctx.error(Errc::invalid_argument, "input must be at least a matrix").found(input.str());
  }
  const std::optional<std::int64_t> lower = known_scalar_input(ctx, 1);
  const std::optional<std::int64_t> upper = known_scalar_input(ctx, 2);
  const std::int64_t rows = input.has_rank() ? input.dim(-2) : kUnknownDim;
  const std::int64_t cols = input.has_rank() ? input.dim(-1) : kUnknownDim;
  // TensorFlow refuses a count beyond the matrix, although it would keep everything.
  if (lower && rows != kUnknownDim && *lower > rows) {
    throw ctx.error(Errc::invalid_argument, "num_lower exceeds the number of rows")
        .input("1")
        .expected("negative, or at most " + std::to_string(rows))
        .found(std::to_string(*lower));
  }
  if (upper && cols != kUnknownDim && *upper > cols) {
    throw ctx.error(Errc::invalid_argument, "num_upper exceeds the number of columns")
        .input("2")
        .expected("negative, or at most " + std::to_string(cols))
        .found(std::to_string(*upper));
  }
  if (!lower || !upper) return std::nullopt;
  return Band{*lower, *upper};
}

inline std::vector<TensorType> infer_matrix_band_part(const InferContext& ctx) {
  band_part_counts(ctx);
  return {ctx.input(0)};
}

// ---- The diagonal ops ----------------------------------------------------------------------

// Which side the shorter diagonals of a band are pushed to.
struct Alignment {
  bool left_super = true;
  bool left_sub = true;
};

inline bool is_v3(const InferContext& ctx) {
  const std::string& op = ctx.node().op;
  return op.size() > 2 && op.compare(op.size() - 2, 2, "V3") == 0;
}
inline bool is_v1(const InferContext& ctx) {
  const std::string& op = ctx.node().op;
  return op == "MatrixDiag" || op == "MatrixSetDiag" || op == "MatrixDiagPart";
}

inline Alignment diagonal_alignment(const InferContext& ctx) {
  if (!is_v3(ctx)) return {};  // V2 aligns left; V1 has one full-length diagonal
  const std::string& align =
      one_of(ctx, "align", {"RIGHT_LEFT", "LEFT_RIGHT", "LEFT_LEFT", "RIGHT_RIGHT"});
  // "SUPER_SUB": the side of the superdiagonals, then that of the subdiagonals.
  return {align.rfind("LEFT_", 0) == 0, align == "LEFT_LEFT" || align == "RIGHT_LEFT"};
}

// The band k = [lower, upper] from the int32 input k (a scalar or one or two values).
inline std::optional<Band> diagonal_band(const InferContext& ctx, int i) {
  expect_dtype(ctx, i, DType::int32);
  const Shape& s = ctx.shape(i);
  if (s.has_rank() && s.rank() > 1) {
    throw ctx.error(Errc::invalid_argument, "k must be a scalar or a vector")
        .input(std::to_string(i))
        .found(s.str());
  }
  const std::optional<Ints> k = known_ints(ctx, i);
  if (!k) return std::nullopt;
  if (k->empty() || k->size() > 2) {
    throw ctx.error(Errc::invalid_argument, "k needs one or two diagonal indices")
        .input(std::to_string(i))
        .found(ints_text(*k));
  }
  const Band band{k->front(), k->back()};
  if (band.lower > band.upper) {
    throw ctx.error(Errc::invalid_argument, "k's lower diagonal is above its upper one")
        .input(std::to_string(i))
        .found(ints_text(*k));
  }
  return band;
}

inline std::int64_t band_size(const Band& band) { return band.upper - band.lower + 1; }

// The length of diagonal d of a rows x cols matrix.
inline std::int64_t diagonal_length(std::int64_t d, std::int64_t rows, std::int64_t cols) {
  return std::min(rows + std::min<std::int64_t>(d, 0), cols - std::max<std::int64_t>(d, 0));
}

// Where diagonal d starts in its padded row of length max_len.
inline std::int64_t diagonal_offset(std::int64_t d, std::int64_t rows, std::int64_t cols,
                                    std::int64_t max_len, Alignment align) {
  const bool left = (d >= 0 && align.left_super) || (d <= 0 && align.left_sub);
  return left ? 0 : max_len - diagonal_length(d, rows, cols);
}

// A diagonal op's geometry once everything is known: the band, the matrix size, the padded
// diagonal length and the alignment. Kernels rebuild it from the inputs.
struct DiagonalPlan {
  Band band;
  std::int64_t rows = 0;
  std::int64_t cols = 0;
  std::int64_t max_len = 0;
  Alignment align;
};

// Throws unless both ends of the band are diagonals of a rows x cols matrix (diagonal 0 always
// counts, so that empty matrices have one).
inline void expect_band_inside(const InferContext& ctx, const Band& band, std::int64_t rows,
                               std::int64_t cols) {
  for (std::int64_t d : {band.lower, band.upper}) {
    if (d != 0 && (d <= -rows || d >= cols)) {
      throw ctx.error(Errc::invalid_argument, "k names a diagonal outside the matrix")
          .expected("a diagonal in (" + std::to_string(-rows) + ", " + std::to_string(cols) + ")")
          .found(std::to_string(d));
    }
  }
}

// The batch dims of a matrix-valued input (all but its last two), or nothing if the rank is
// unknown; the input must be at least a matrix.
inline std::optional<std::vector<std::int64_t>> matrix_batch_dims(const InferContext& ctx, int i) {
  const Shape& s = ctx.shape(i);
  if (!s.has_rank()) return std::nullopt;
  if (s.rank() < 2) {
    throw ctx.error(Errc::invalid_argument, "input must be at least a matrix")
        .input(std::to_string(i))
        .found(s.str());
  }
  return std::vector<std::int64_t>(s.dims().begin(), s.dims().end() - 2);
}

// MatrixDiag's band and matrix size from its inputs (V1: diagonal 0 of a square matrix; V2 and
// V3: k, num_rows and num_cols, where -1 lets the diagonals decide). The output is diagonal's
// batch dims + [rows, cols]. TensorFlow's rule when a size is not given: the smallest matrix
// that holds the band, square if neither is given; and one of the two must be that smallest.
struct DiagMatrixShape {
  std::optional<DiagonalPlan> plan;
  Shape output = Shape::unknown_rank();
};

inline DiagMatrixShape plan_matrix_diag(const InferContext& ctx) {
  const Shape& diagonal = ctx.shape(0);
  if (diagonal.has_rank() && diagonal.rank() == 0) {
    throw ctx.error(Errc::invalid_argument, "diagonal must be at least a vector").input("0");
  }
  std::optional<Band> band = Band{};
  std::optional<std::int64_t> num_rows = -1;
  std::optional<std::int64_t> num_cols = -1;
  const Alignment align = diagonal_alignment(ctx);
  if (!is_v1(ctx)) {
    band = diagonal_band(ctx, 1);
    expect_dtype(ctx, 2, DType::int32);
    expect_dtype(ctx, 3, DType::int32);
    num_rows = known_scalar_input(ctx, 2);
    num_cols = known_scalar_input(ctx, 3);
    expect_scalar(ctx, 4);
    for (const std::optional<std::int64_t>& n : {num_rows, num_cols}) {
      if (n && *n < -1) {
        throw ctx.error(Errc::invalid_argument, "num_rows and num_cols must be -1 or sizes")
            .found(std::to_string(*n));
      }
    }
  }
  DiagMatrixShape result;
  if (!band || !diagonal.has_rank()) return result;
  const bool several = band->lower != band->upper;
  const int kept = diagonal.rank() - (several ? 2 : 1);  // diagonal's batch dims
  if (kept < 0) {
    throw ctx.error(Errc::invalid_argument, "a band of diagonals needs a diagonal of rank >= 2")
        .input("0")
        .found(diagonal.str());
  }
  if (several) {
    merge_dim(ctx, diagonal.dim(-2), band_size(*band), "diagonal count and k's band");
  }
  std::vector<std::int64_t> dims(diagonal.dims().begin(), diagonal.dims().begin() + kept);
  const std::int64_t max_len = diagonal.dim(-1);
  std::int64_t rows = num_rows && *num_rows != -1 ? *num_rows : kUnknownDim;
  std::int64_t cols = num_cols && *num_cols != -1 ? *num_cols : kUnknownDim;
  if (max_len != kUnknownDim && num_rows && num_cols) {
    const std::int64_t min_rows = max_len - std::min<std::int64_t>(band->upper, 0);
    const std::int64_t min_cols = max_len + std::max<std::int64_t>(band->lower, 0);
    if (rows != kUnknownDim && rows < min_rows) {
      throw ctx.error(Errc::invalid_argument, "num_rows is too small for the diagonals")
          .expected("at least " + std::to_string(min_rows))
          .found(std::to_string(rows));
    }
    if (cols != kUnknownDim && cols < min_cols) {
      throw ctx.error(Errc::invalid_argument, "num_cols is too small for the diagonals")
          .expected("at least " + std::to_string(min_cols))
          .found(std::to_string(cols));
    }
    if (rows == kUnknownDim && cols == kUnknownDim) {
      rows = cols = std::max(min_rows, min_cols);
    } else if (rows == kUnknownDim) {
      rows = min_rows;
    } else if (cols == kUnknownDim) {
      cols = min_cols;
    }
    if (rows != min_rows && cols != min_cols) {
      throw ctx.error(Errc::invalid_argument, "num_rows or num_cols must be the smallest that "
                                              "holds the diagonals")
          .expected(std::to_string(min_rows) + " rows or " + std::to_string(min_cols) + " cols")
          .found(std::to_string(rows) + " x " + std::to_string(cols));
    }
    result.plan = DiagonalPlan{*band, rows, cols, max_len, align};
  }
  dims.push_back(rows);
  dims.push_back(cols);
  result.output = checked_shape(ctx, dims);
  return result;
}

inline std::vector<TensorType> infer_matrix_diag(const InferContext& ctx) {
  return {{ctx.dtype(0), plan_matrix_diag(ctx).output}};
}

// The band a diagonal-reading op (MatrixSetDiag, MatrixDiagPart) uses, and its geometry on
// `input`'s matrices where their size is known: the band must lie inside them.
struct DiagonalsOfInput {
  std::optional<Band> band;
  std::optional<DiagonalPlan> plan;
  std::int64_t max_len = kUnknownDim;
};

inline DiagonalsOfInput diagonals_of_input(const InferContext& ctx, int k_input) {
  DiagonalsOfInput result;
  result.band = k_input < 0 ? std::optional<Band>(Band{}) : diagonal_band(ctx, k_input);
  const Alignment align = diagonal_alignment(ctx);
  const Shape& input = ctx.shape(0);
  if (!result.band || !input.has_rank()) return result;
  const std::int64_t rows = input.dim(-2);
  const std::int64_t cols = input.dim(-1);
  if (rows == kUnknownDim || cols == kUnknownDim) return result;
  expect_band_inside(ctx, *result.band, rows, cols);
  result.max_len = std::min(rows + std::min<std::int64_t>(result.band->upper, 0),
                            cols - std::max<std::int64_t>(result.band->lower, 0));
  result.plan = DiagonalPlan{*result.band, rows, cols, result.max_len, align};
  return result;
}

// The shape a band of diagonals of `input` has: batch dims + [band size, if more than one] +
// [max_len]; the rank is unknown while k is.
inline Shape diagonals_shape(const InferContext& ctx, const DiagonalsOfInput& d) {
  const std::optional<std::vector<std::int64_t>> batch = matrix_batch_dims(ctx, 0);
  if (!batch || !d.band) return Shape::unknown_rank();
  std::vector<std::int64_t> dims(*batch);
  if (d.band->lower != d.band->upper) dims.push_back(band_size(*d.band));
  dims.push_back(d.max_len);
  return checked_shape(ctx, dims);
}

// MatrixDiagPart(input[, k, padding_value]): the band's diagonals, padded.
inline DiagonalsOfInput plan_matrix_diag_part(const InferContext& ctx) {
  matrix_batch_dims(ctx, 0);
  if (!is_v1(ctx)) expect_scalar(ctx, 2);
  return diagonals_of_input(ctx, is_v1(ctx) ? -1 : 1);
}

inline std::vector<TensorType> infer_matrix_diag_part(const InferContext& ctx) {
  return {{ctx.dtype(0), diagonals_shape(ctx, plan_matrix_diag_part(ctx))}};
}

// MatrixSetDiag(input, diagonal[, k]): input with the band replaced; the diagonal input must have
// exactly the shape MatrixDiagPart would give.
inline DiagonalsOfInput plan_matrix_set_diag(const InferContext& ctx) {
  matrix_batch_dims(ctx, 0);
  const Shape& diagonal = ctx.shape(1);
  if (diagonal.has_rank() && diagonal.rank() == 0) {
    throw ctx.error(Errc::invalid_argument, "diagonal must be at least a vector").input("1");
  }
  const DiagonalsOfInput d = diagonals_of_input(ctx, is_v1(ctx) ? -1 : 2);
  merge_shapes(ctx, diagonals_shape(ctx, d), diagonal, "the diagonals the band names and input 1");
  return d;
}

inline std::vector<TensorType> infer_matrix_set_diag(const InferContext& ctx) {
  plan_matrix_set_diag(ctx);
  return {ctx.input(0)};
}

}  // namespace kiln::ops::array
