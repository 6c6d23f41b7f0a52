// Kernels that keep or pick some elements: Where, Unique, NonMaxSuppressionV2 to V5 and
// CTCGreedyDecoder. Each follows the plan its shape function made from the same values
// (core/ops/dynamic/*.hpp), so the output it fills has exactly the size inference gave it.
#pragma once

#include <algorithm>
#include <cstring>

#include <kiln/core/ops.hpp>

#include "../kernel.hpp"

namespace kiln::reference::dynamic {

// Writes integers into an int32 or int64 output.
inline void write_indices(const std::vector<std::int64_t>& values, Tensor& out) {
  if (out.dtype() == DType::int32) {
    std::copy(values.begin(), values.end(), out.data<std::int32_t>());
  } else {
    std::copy(values.begin(), values.end(), out.data<std::int64_t>());
  }
}

inline void where_kernel(const Node&, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  const Tensor& x = in[0];
  const int rank = x.rank();
  std::int64_t* coordinates = out[0].data<std::int64_t>();
  for (std::int64_t position : ops::dynamic::nonzero_positions(x)) {
    for (int d = rank - 1; d >= 0; --d) {
      coordinates[d] = position % x.dim(d);
      position /= x.dim(d);
    }
    coordinates += rank;
  }
}

inline void unique_kernel(const Node&, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  const Tensor& x = in[0];
  const ops::dynamic::UniquePlan plan = ops::dynamic::plan_unique(x);
  const std::size_t size = dtype_size(x.dtype());
  const auto* src = static_cast<const std::byte*>(x.raw());
  auto* dst = static_cast<std::byte*>(out[0].raw());
  for (std::int64_t first : plan.firsts) {
    std::memcpy(dst, src + static_cast<std::size_t>(first) * size, size);
    dst += size;
  }
  write_indices(plan.index, out[1]);
}

inline void non_max_suppression_kernel(const Node& node, const std::vector<Tensor>& in,
                                       std::vector<Tensor>& out) {
  const InferContext ctx = known_context(node, in);
  const int version = ops::dynamic::nms_version(ctx);
  ops::dynamic::dispatch_nms_type(in[0].dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const ops::dynamic::NmsSelection<T> selection = ops::dynamic::plan_nms<T>(ctx);
    std::copy(selection.indices.begin(), selection.indices.end(), out[0].data<std::int32_t>());
    if (version == 5) std::copy(selection.scores.begin(), selection.scores.end(), out[1].data<T>());
    if (version >= 4) out.back().data<std::int32_t>()[0] = selection.valid;
  });
}

template <class T>
void write_ctc_decoding(const ops::dynamic::CtcDecoding<T>& decoding, std::vector<Tensor>& out) {
  std::int64_t* indices = out[0].data<std::int64_t>();
  std::int64_t* values = out[1].data<std::int64_t>();
  for (std::size_t b = 0; b < decoding.sequences.size(); ++b) {
    const std::vector<std::int64_t>& sequence = decoding.sequences[b];
    for (std::size_t k = 0; k < sequence.size(); ++k) {
      *indices++ = static_cast<std::int64_t>(b);
      *indices++ = static_cast<std::int64_t>(k);
      *values++ = sequence[k];
    }
  }
  out[2].data<std::int64_t>()[0] = static_cast<std::int64_t>(decoding.sequences.size());
  out[2].data<std::int64_t>()[1] = decoding.longest;
  std::copy(decoding.log_probability.begin(), decoding.log_probability.end(), out[3].data<T>());
}

inline void ctc_greedy_decoder_kernel(const Node& node, const std::vector<Tensor>& in,
                                      std::vector<Tensor>& out) {
  const InferContext ctx = known_context(node, in);
  if (in[0].dtype() == DType::float32) {
    write_ctc_decoding(ops::dynamic::ctc_greedy_decode<float>(ctx), out);
  } else {
    write_ctc_decoding(ops::dynamic::ctc_greedy_decode<double>(ctx), out);
  }
}

inline void register_selection_kernels(KernelTable& table) {
  table["Where"] = where_kernel;
  table["Unique"] = unique_kernel;
  for (const char* version : {"V2", "V3", "V4", "V5"}) {
    table[std::string("NonMaxSuppression") + version] = non_max_suppression_kernel;
  }
  table["CTCGreedyDecoder"] = ctc_greedy_decoder_kernel;
}

}  // namespace kiln::reference::dynamic
