// Kernels that read a rearranged part of their input: Transpose, Slice, StridedSlice (through the
// axis tables) and GatherV2 (whole rows picked by index).
#pragma once

#include "axis_tables.hpp"

namespace kiln::reference::array {

inline void transpose_kernel(const Node& node, const std::vector<Tensor>& in,
                             std::vector<Tensor>& out) {
  const Tensor& x = in[0];
  const InferContext ctx = known_context(node, in);
  const std::vector<int> perm =
      ops::array::checked_permutation(ctx, in[1].to_int64_vector(), x.rank());
  copy_through_tables(x, out[0], [&] {
    // Output axis k walks input axis perm[k].
    const std::vector<std::int64_t> strides = byte_strides(x.shape(), x.dtype());
    AxisTables tables;
    for (int p : perm) {
      tables.push_back(range_table(0, 1, x.dim(p), strides[static_cast<std::size_t>(p)]));
    }
    return tables;
  });
}

// Copies what a slice plan reads (StridedSlice and Slice share it).
inline void copy_slice(const Tensor& x, const ops::array::SlicePlan& plan, Tensor& out) {
  copy_per_axis(x, out, [&](std::size_t k, std::int64_t, std::int64_t stride) {
    const ops::array::AxisRange& r = plan.ranges[k];
    return range_table(r.start, r.step, r.count, stride);
  });
}

inline void strided_slice_kernel(const Node& node, const std::vector<Tensor>& in,
                                 std::vector<Tensor>& out) {
  copy_slice(in[0], ops::array::plan_strided_slice(known_context(node, in)), out[0]);
}

inline void slice_kernel(const Node& node, const std::vector<Tensor>& in,
                         std::vector<Tensor>& out) {
  copy_slice(in[0], ops::array::plan_slice(known_context(node, in)), out[0]);
}

// GatherV2 viewed as loops: params is [batch, outer, limit, inner] and indices [batch, picks];
// the output is [batch, outer, picks, inner], each inner row copied from params row
// (batch, outer, indices[batch, pick]). An index outside [0, limit) is an Error, never a read.
inline void gather_v2_kernel(const Node& node, const std::vector<Tensor>& in,
                             std::vector<Tensor>& out) {
  const Tensor& params = in[0];
  const Tensor& indices = in[1];
  if (out[0].num_elements() == 0) return;
  const InferContext ctx = known_context(node, in);
  const int batch_dims = ops::array::gather_batch_dims(ctx, indices.rank());
  const int axis = ops::array::gather_axis(ctx, in[2].to_int64_vector().at(0), params.rank(),
                                           batch_dims);
  const std::int64_t batches = dims_product(params.shape(), 0, batch_dims);
  const std::int64_t outer = dims_product(params.shape(), batch_dims, axis);
  const std::int64_t limit = params.dim(axis);
  const std::int64_t picks = dims_product(indices.shape(), batch_dims, indices.rank());
  const auto row = static_cast<std::size_t>(dims_product(params.shape(), axis + 1, params.rank())) *
                   dtype_size(params.dtype());
  const std::vector<std::int64_t> index = indices.to_int64_vector();
  const auto* src = static_cast<const std::byte*>(params.raw());
  auto* dst = static_cast<std::byte*>(out[0].raw());
  for (std::int64_t b = 0; b < batches; ++b) {
    for (std::int64_t o = 0; o < outer; ++o) {
      for (std::int64_t p = 0; p < picks; ++p, dst += row) {
        const std::int64_t i = index[static_cast<std::size_t>(b * picks + p)];
        if (i < 0 || i >= limit) {
          throw node.error(Errc::invalid_argument, "gather index out of range")
              .expected("an index in [0, " + std::to_string(limit) + ")")
              .found(std::to_string(i));
        }
        const std::int64_t source_row = (b * outer + o) * limit + i;
        std::memcpy(dst, src + static_cast<std::size_t>(source_row) * row, row);
      }
    }
  }
}

inline void register_slicing_kernels(KernelTable& table) {
  table["Transpose"] = transpose_kernel;
  table["StridedSlice"] = strided_slice_kernel;
  table["Slice"] = slice_kernel;
  table["GatherV2"] = gather_v2_kernel;
}

}  // namespace kiln::reference::array
