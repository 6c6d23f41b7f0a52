// Ops that move bytes: ConcatV2 (oneDNN concat), Transpose (a oneDNN reorder from a permuted
// view), Pad / PadV2 (the border filled here, the interior copied by a oneDNN reorder into a
// window of the output, so the bulk of the copy runs on every thread) and GatherV2 (whole rows
// copied by index: an embedding lookup).
#pragma once

#include <algorithm>
#include <cstring>

#include "onednn.hpp"

namespace kiln::cpu_kernels {

// ---- ConcatV2 ---------------------------------------------------------------------------------

class ConcatKernel final : public PrimitiveKernel {
 public:
  ConcatKernel(const KernelRequest& request, int axis, std::size_t count) {
    std::vector<memory::desc> sources;
    for (std::size_t i = 0; i < count; ++i) sources.push_back(plain_md(request.inputs[i]));
    const memory::desc dst = plain_md(request.outputs[0]);
    const dnnl::concat::primitive_desc pd(dst, axis, sources, engine(), user_scratchpad_attr());
    set_primitive<dnnl::concat>(pd);
    for (std::size_t i = 0; i < count; ++i) {
      add_input(DNNL_ARG_MULTIPLE_SRC + static_cast<int>(i), i, sources[i]);
    }
    add_output(DNNL_ARG_DST, 0, dst);
  }
};

inline KernelPtr make_concat_kernel(const KernelRequest& request) {
  const std::size_t count = request.inputs.size() - 1;  // the last input is the axis
  const TensorType& out = request.outputs[0];
  if (onednn_type(out.dtype) == memory::data_type::undef) return request.decline("dtype");
  const Tensor* axis_value = request.constant(count);
  if (!axis_value) return request.decline("axis is not constant");
  const int rank = out.shape.rank();
  std::int64_t axis = axis_value->to_int64_vector().at(0);
  if (axis < 0) axis += rank;
  if (rank == 0 || axis < 0 || axis >= rank) return request.decline("axis out of range");
  for (std::size_t i = 0; i < count; ++i) {
    if (request.inputs[i].shape.num_elements() == 0) return request.decline("an empty input");
  }
  return try_onednn(request, [&] {
    return std::make_unique<ConcatKernel>(request, static_cast<int>(axis), count);
  });
}

// ---- Transpose --------------------------------------------------------------------------------

class ReorderKernel final : public PrimitiveKernel {
 public:
  ReorderKernel(const memory::desc& from, const memory::desc& to) {
    const dnnl::reorder::primitive_desc pd(engine(), from, engine(), to, user_scratchpad_attr());
    set_primitive<dnnl::reorder>(pd);
    add_input(DNNL_ARG_FROM, 0, from);
    add_output(DNNL_ARG_TO, 0, to);
  }
};

inline KernelPtr make_transpose_kernel(const KernelRequest& request) {
  const TensorType& x = request.inputs[0];
  const memory::data_type type = onednn_type(x.dtype);
  if (type == memory::data_type::undef) return request.decline("dtype");
  const Tensor* perm_value = request.constant(1);
  if (!perm_value) return request.decline("permutation is not constant");
  const std::vector<std::int64_t> perm = perm_value->to_int64_vector();
  const int rank = x.shape.rank();
  if (rank == 0 || x.shape.num_elements() == 0) return request.decline("empty or scalar input");
  if (static_cast<int>(perm.size()) != rank) return request.decline("permutation size");
  // The input read in the output's order: output dimension i walks input dimension perm[i].
  const memory::desc plain_in = plain_md(x);
  const memory::dims in_strides(plain_in.data.format_desc.blocking.strides,
                                plain_in.data.format_desc.blocking.strides + rank);
  memory::dims dims, strides;
  for (std::int64_t p : perm) {
    if (p < 0 || p >= rank) return request.decline("permutation out of range");
    dims.push_back(x.shape.dim(static_cast<int>(p)));
    strides.push_back(in_strides[static_cast<std::size_t>(p)]);
  }
  const memory::desc from(dims, type, strides);
  const memory::desc to = plain_md(dims, type);
  return try_onednn(request, [&] { return std::make_unique<ReorderKernel>(from, to); });
}

// ---- Pad, PadV2 -------------------------------------------------------------------------------

class PadKernel final : public PrimitiveKernel {
 public:
  PadKernel(const KernelRequest& request, std::vector<std::int64_t> before) {
    const TensorType& x = request.inputs[0];
    const TensorType& y = request.outputs[0];
    const memory::desc to = plain_md(y).submemory_desc(dims_of(x.shape), before);
    const memory::desc from = plain_md(x);
    const dnnl::reorder::primitive_desc pd(engine(), from, engine(), to, user_scratchpad_attr());
    set_primitive<dnnl::reorder>(pd);
    add_input(DNNL_ARG_FROM, 0, from);
    add_output(DNNL_ARG_TO, 0, to);

    element_ = dtype_size(x.dtype);
    out_dims_ = y.shape.dims();
    in_dims_ = x.shape.dims();
    before_ = std::move(before);
    fill_.assign(element_, 0);
    if (const Tensor* value = request.inputs.size() > 2 ? request.constant(2) : nullptr) {
      std::memcpy(fill_.data(), value->raw(), element_);
    }
    zero_fill_ = std::all_of(fill_.begin(), fill_.end(), [](unsigned char b) { return b == 0; });
  }

  void run(const KernelArgs& args) const override {
    fill_border(static_cast<unsigned char*>(args.outputs[0]));
    execute(args);
  }

 private:
  // Writes the constant into every output element outside the input's window: whole rows
  // where an outer index lies in the padding, and the two ends of every other row.
  void fill_border(unsigned char* out) const {
    const std::size_t rank = out_dims_.size();
    const std::int64_t row = out_dims_[rank - 1];
    std::int64_t rows = 1;
    for (std::size_t d = 0; d + 1 < rank; ++d) rows *= out_dims_[d];
    const std::int64_t lead = before_[rank - 1];
    const std::int64_t tail = row - lead - in_dims_[rank - 1];
    for (std::int64_t r = 0; r < rows; ++r) {
      bool inside = true;
      std::int64_t rest = r;
      for (std::size_t d = rank - 1; d-- > 0;) {
        const std::int64_t i = rest % out_dims_[d];
        rest /= out_dims_[d];
        inside = inside && i >= before_[d] && i < before_[d] + in_dims_[d];
      }
      unsigned char* p = out + static_cast<std::size_t>(r * row) * element_;
      if (!inside) {
        fill(p, row);
      } else {
        fill(p, lead);
        fill(p + static_cast<std::size_t>(row - tail) * element_, tail);
      }
    }
  }

  void fill(unsigned char* p, std::int64_t count) const {
    if (count <= 0) return;
    if (zero_fill_) {
      std::memset(p, 0, static_cast<std::size_t>(count) * element_);
      return;
    }
    for (std::int64_t i = 0; i < count; ++i) {
      std::memcpy(p + static_cast<std::size_t>(i) * element_, fill_.data(), element_);
    }
  }

  std::size_t element_ = 0;
  std::vector<std::int64_t> out_dims_, in_dims_, before_;
  std::vector<unsigned char> fill_;
  bool zero_fill_ = true;
};

inline KernelPtr make_pad_kernel(const KernelRequest& request) {
  const TensorType& x = request.inputs[0];
  if (onednn_type(x.dtype) == memory::data_type::undef) return request.decline("dtype");
  const Tensor* paddings = request.constant(1);
  if (!paddings) return request.decline("paddings are not constant");
  if (request.node.op == "PadV2" && !request.constant(2)) {
    return request.decline("value is not constant");
  }
  const int rank = x.shape.rank();
  if (rank == 0 || x.shape.num_elements() == 0) return request.decline("empty or scalar input");
  if (request.aliased_input(0) >= 0) return request.decline("in place");
  const std::vector<std::int64_t> p = paddings->to_int64_vector();
  if (p.size() != 2 * static_cast<std::size_t>(rank)) return request.decline("paddings shape");
  std::vector<std::int64_t> before;
  for (int d = 0; d < rank; ++d) before.push_back(p[2 * static_cast<std::size_t>(d)]);
  return try_onednn(request, [&] { return std::make_unique<PadKernel>(request, before); });
}

// ---- GatherV2 ----------------------------------------------------------------------------------

// GatherV2 with batch_dims 0: params seen as [outer, limit, inner], the output as [outer, picks,
// inner], each inner row copied from params row (outer, indices[pick]). The indices are data, so
// run() checks each one: an index outside [0, limit) throws, as TensorFlow's CPU kernel fails,
// and is never read.
class GatherKernel final : public PreparedKernel {
 public:
  GatherKernel(const KernelRequest& request, int axis)
      : name_(request.node.name), op_(request.node.op) {
    const Shape& params = request.inputs[0].shape;
    outer_ = 1;
    for (int d = 0; d < axis; ++d) outer_ *= params.dim(d);
    limit_ = params.dim(axis);
    std::int64_t inner = 1;
    for (int d = axis + 1; d < params.rank(); ++d) inner *= params.dim(d);
    row_bytes_ = static_cast<std::size_t>(inner) * dtype_size(request.inputs[0].dtype);
    picks_ = request.inputs[1].shape.num_elements();
    wide_indices_ = request.inputs[1].dtype == DType::int64;
    implementation_ = "kiln gather";
  }

  void run(const KernelArgs& args) const override {
    if (wide_indices_) return copy(static_cast<const std::int64_t*>(args.inputs[1]), args);
    copy(static_cast<const std::int32_t*>(args.inputs[1]), args);
  }

 private:
  template <class Index>
  void copy(const Index* indices, const KernelArgs& args) const {
    const auto* params = static_cast<const unsigned char*>(args.inputs[0]);
    auto* out = static_cast<unsigned char*>(args.outputs[0]);
    for (std::int64_t o = 0; o < outer_; ++o) {
      const unsigned char* block = params + static_cast<std::size_t>(o * limit_) * row_bytes_;
      for (std::int64_t p = 0; p < picks_; ++p, out += row_bytes_) {
        const std::int64_t i = indices[p];
        if (i < 0 || i >= limit_) {
          throw Error(Errc::invalid_argument, "gather index out of range")
              .node(name_)
              .op(op_)
              .expected("an index in [0, " + std::to_string(limit_) + ")")
              .found(std::to_string(i));
        }
        std::memcpy(out, block + static_cast<std::size_t>(i) * row_bytes_, row_bytes_);
      }
    }
  }

  std::string name_, op_;
  std::int64_t outer_ = 1, limit_ = 0, picks_ = 0;
  std::size_t row_bytes_ = 0;
  bool wide_indices_ = false;
};

inline KernelPtr make_gather_kernel(const KernelRequest& request) {
  const TensorType& params = request.inputs[0];
  const TensorType& indices = request.inputs[1];
  if (indices.dtype != DType::int32 && indices.dtype != DType::int64) {
    return request.decline("int32 or int64 indices only");
  }
  if (request.node.attr_or<std::int64_t>("batch_dims", 0) != 0) {
    return request.decline("batch_dims other than 0");
  }
  const Tensor* axis_value = request.constant(2);
  if (!axis_value || axis_value->num_elements() != 1) {
    return request.decline("axis is not constant");
  }
  const int rank = params.shape.rank();
  std::int64_t axis = axis_value->to_int64_vector().at(0);
  if (axis < 0) axis += rank;
  if (rank == 0 || axis < 0 || axis >= rank) return request.decline("axis out of range");
  if (request.outputs[0].shape.num_elements() == 0) return request.decline("empty output");
  if (request.aliased_input(0) >= 0) return request.decline("in place");
  return std::make_unique<GatherKernel>(request, static_cast<int>(axis));
}

// TensorScatterUpdate with one index per row ([M, 1] indices): a copy of the tensor with M rows
// replaced. The copy is skipped when the output is the tensor's own buffer, which is how a
// compiled loop writes an RNN's output rows in place (compiled_regions.hpp).
class ScatterRowsKernel final : public PreparedKernel {
 public:
  explicit ScatterRowsKernel(const KernelRequest& request)
      : name_(request.node.name), op_(request.node.op) {
    const Shape& tensor = request.inputs[0].shape;
    rows_ = tensor.dim(0);
    const std::size_t element = dtype_size(request.inputs[0].dtype);
    bytes_ = static_cast<std::size_t>(tensor.num_elements()) * element;
    row_bytes_ = rows_ == 0 ? 0 : bytes_ / static_cast<std::size_t>(rows_);
    updates_ = request.inputs[1].shape.dim(0);
    wide_indices_ = request.inputs[1].dtype == DType::int64;
    implementation_ = "kiln scatter rows";
  }

  void run(const KernelArgs& args) const override {
    if (args.outputs[0] != args.inputs[0]) std::memcpy(args.outputs[0], args.inputs[0], bytes_);
    auto* out = static_cast<unsigned char*>(args.outputs[0]);
    const auto* rows = static_cast<const unsigned char*>(args.inputs[2]);
    for (std::int64_t u = 0; u < updates_; ++u) {
      const std::int64_t i = wide_indices_ ? static_cast<const std::int64_t*>(args.inputs[1])[u]
                                           : static_cast<const std::int32_t*>(args.inputs[1])[u];
      if (i < 0 || i >= rows_) {
        throw Error(Errc::invalid_argument, "scatter index out of range")
            .node(name_)
            .op(op_)
            .expected("an index in [0, " + std::to_string(rows_) + ")")
            .found(std::to_string(i));
      }
      std::memcpy(out + static_cast<std::size_t>(i) * row_bytes_,
                  rows + static_cast<std::size_t>(u) * row_bytes_, row_bytes_);
    }
  }

 private:
  std::string name_, op_;
  std::int64_t rows_ = 0, updates_ = 0;
  std::size_t bytes_ = 0, row_bytes_ = 0;
  bool wide_indices_ = false;
};

inline KernelPtr make_scatter_rows_kernel(const KernelRequest& request) {
  const Shape& tensor = request.inputs[0].shape;
  const Shape& indices = request.inputs[1].shape;
  if (request.inputs[1].dtype != DType::int32 && request.inputs[1].dtype != DType::int64) {
    return request.decline("int32 or int64 indices only");
  }
  if (tensor.rank() < 1 || indices.rank() != 2 || indices.dim(1) != 1) {
    return request.decline("one index per row only");
  }
  if (request.node.attr_or<std::string>("bad_indices_policy", "") == "IGNORE") {
    return request.decline("bad indices ignored");
  }
  return std::make_unique<ScatterRowsKernel>(request);
}

}  // namespace kiln::cpu_kernels
