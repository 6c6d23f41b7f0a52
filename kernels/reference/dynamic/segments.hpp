// Segment reductions, sorted, unsorted and sparse (core/ops/dynamic/segments.hpp), through one
// loop: each family lists which row of data goes to which segment, and reduce_segments() folds
// the rows in. Sums accumulate wide (double for floats, 64 bits wrapping for integers) and
// round once at the end.
#pragma once

#include <cmath>
#include <type_traits>
#include <utility>

#include <kiln/core/ops.hpp>

#include "../kernel.hpp"

namespace kiln::reference::dynamic {

enum class SegmentOp { sum, mean, sqrt_n, max, min, prod };

// What an empty segment holds. The sorted and sparse reductions give 0 (1 for a product); the
// unsorted ones start Max and Min from T's extremes, which is what an empty segment keeps.
enum class EmptySegment { zero, extreme };

template <class T> using wide_t = std::conditional_t<std::is_integral_v<T>, std::int64_t, double>;

template <class T> wide_t<T> widen(T v) {
  if constexpr (std::is_integral_v<T>) return static_cast<std::int64_t>(v);
  else return to_double(v);
}

template <class T> T narrow(wide_t<T> v) {
  if constexpr (std::is_same_v<T, half> || std::is_same_v<T, bfloat16>) {
    return T(static_cast<float>(v));
  } else {
    return static_cast<T>(v);  // integers wrap, as TensorFlow's do
  }
}

// Integers add and multiply modulo 2^64, which is what wrapping in T gives after narrowing.
template <class W> W wide_add(W a, W b) {
  if constexpr (std::is_integral_v<W>) {
    return static_cast<W>(static_cast<std::uint64_t>(a) + static_cast<std::uint64_t>(b));
  } else {
    return a + b;
  }
}
template <class W> W wide_mul(W a, W b) {
  if constexpr (std::is_integral_v<W>) {
    return static_cast<W>(static_cast<std::uint64_t>(a) * static_cast<std::uint64_t>(b));
  } else {
    return a * b;
  }
}

// Folds row `pairs[k].first` of data (rows of `row_elements`) into segment `pairs[k].second` of
// out, then finishes each segment: the mean divides by its row count, SqrtN by its square root.
template <class T>
void reduce_segments(const Tensor& data, std::int64_t row_elements,
                     const std::vector<std::pair<std::int64_t, std::int64_t>>& pairs, SegmentOp op,
                     EmptySegment empty, Tensor& out) {
  using W = wide_t<T>;
  const std::int64_t segments = out.dim(0);
  std::vector<W> acc(static_cast<std::size_t>(out.num_elements()),
                     op == SegmentOp::prod ? W(1) : W(0));
  std::vector<std::int64_t> rows(static_cast<std::size_t>(segments), 0);
  const T* src = data.data<T>();
  for (const auto& [row, segment] : pairs) {
    const bool first = rows[static_cast<std::size_t>(segment)]++ == 0;
    W* into = acc.data() + segment * row_elements;
    const T* from = src + row * row_elements;
    for (std::int64_t e = 0; e < row_elements; ++e) {
      const W v = widen(from[e]);
      switch (op) {
        case SegmentOp::max: into[e] = first || v > into[e] ? v : into[e]; break;
        case SegmentOp::min: into[e] = first || v < into[e] ? v : into[e]; break;
        case SegmentOp::prod: into[e] = wide_mul(into[e], v); break;
        default: into[e] = wide_add(into[e], v);
      }
    }
  }
  T* dst = out.data<T>();
  for (std::int64_t s = 0; s < segments; ++s) {
    const std::int64_t count = rows[static_cast<std::size_t>(s)];
    for (std::int64_t e = 0; e < row_elements; ++e) {
      const std::size_t at = static_cast<std::size_t>(s * row_elements + e);
      W v = acc[at];
      if (count == 0 && empty == EmptySegment::extreme && op == SegmentOp::max) {
        dst[at] = ops::dynamic::lowest_value<T>();
        continue;
      }
      if (count == 0 && empty == EmptySegment::extreme && op == SegmentOp::min) {
        dst[at] = ops::dynamic::highest_value<T>();
        continue;
      }
      if (count > 0 && op == SegmentOp::mean) v = v / static_cast<W>(count);
      if (count > 0 && op == SegmentOp::sqrt_n) {
        v = v / static_cast<W>(std::sqrt(static_cast<double>(count)));
      }
      dst[at] = narrow<T>(v);
    }
  }
}

inline std::int64_t elements_from(const Tensor& t, int first_dim) {
  std::int64_t n = 1;
  for (int d = first_dim; d < t.rank(); ++d) n *= t.dim(d);
  return n;
}

template <class T>
void reduce_rows(const Tensor& data, int index_rank,
                 const std::vector<std::pair<std::int64_t, std::int64_t>>& pairs, SegmentOp op,
                 EmptySegment empty, Tensor& out) {
  reduce_segments<T>(data, elements_from(data, index_rank), pairs, op, empty, out);
}

// Calls reduce_rows with T the data's type (numeric types only).
inline void reduce_rows_of(const Tensor& data, int index_rank,
                           const std::vector<std::pair<std::int64_t, std::int64_t>>& pairs,
                           SegmentOp op, EmptySegment empty, Tensor& out) {
  dispatch(data.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (!std::is_same_v<T, bool>) reduce_rows<T>(data, index_rank, pairs, op, empty, out);
  });
}

// Segment*(data, segment_ids): row r goes to segment ids[r].
template <SegmentOp kOp>
void segment_kernel(const Node&, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  std::vector<std::pair<std::int64_t, std::int64_t>> pairs;
  const std::vector<std::int64_t> ids = in[1].to_int64_vector();
  for (std::size_t r = 0; r < ids.size(); ++r) pairs.emplace_back(r, ids[r]);
  reduce_rows_of(in[0], 1, pairs, kOp, EmptySegment::zero, out[0]);
}

// UnsortedSegment*(data, segment_ids, num_segments): rows with a negative id are dropped.
template <SegmentOp kOp>
void unsorted_segment_kernel(const Node&, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  std::vector<std::pair<std::int64_t, std::int64_t>> pairs;
  const std::vector<std::int64_t> ids = in[1].to_int64_vector();
  for (std::size_t r = 0; r < ids.size(); ++r) {
    if (ids[r] >= 0) pairs.emplace_back(r, ids[r]);
  }
  reduce_rows_of(in[0], in[1].rank(), pairs, kOp, EmptySegment::extreme, out[0]);
}

// SparseSegment*(data, indices, segment_ids): row indices[k] goes to segment segment_ids[k].
template <SegmentOp kOp>
void sparse_segment_kernel(const Node&, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  std::vector<std::pair<std::int64_t, std::int64_t>> pairs;
  const std::vector<std::int64_t> rows = in[1].to_int64_vector();
  const std::vector<std::int64_t> ids = in[2].to_int64_vector();
  for (std::size_t k = 0; k < ids.size(); ++k) pairs.emplace_back(rows[k], ids[k]);
  reduce_rows_of(in[0], 1, pairs, kOp, EmptySegment::zero, out[0]);
}

inline void register_segment_kernels(KernelTable& table) {
  table["SegmentSum"] = segment_kernel<SegmentOp::sum>;
  table["SegmentMean"] = segment_kernel<SegmentOp::mean>;
  table["SegmentMax"] = segment_kernel<SegmentOp::max>;
  table["SegmentMin"] = segment_kernel<SegmentOp::min>;
  table["SegmentProd"] = segment_kernel<SegmentOp::prod>;
  table["UnsortedSegmentSum"] = unsorted_segment_kernel<SegmentOp::sum>;
  table["UnsortedSegmentMax"] = unsorted_segment_kernel<SegmentOp::max>;
  table["UnsortedSegmentMin"] = unsorted_segment_kernel<SegmentOp::min>;
  table["UnsortedSegmentProd"] = unsorted_segment_kernel<SegmentOp::prod>;
  table["SparseSegmentSum"] = sparse_segment_kernel<SegmentOp::sum>;
  table["SparseSegmentMean"] = sparse_segment_kernel<SegmentOp::mean>;
  table["SparseSegmentSqrtN"] = sparse_segment_kernel<SegmentOp::sqrt_n>;
}

}  // namespace kiln::reference::dynamic
