// CTCGreedyDecoder(inputs [max_time, batch, classes], sequence_length [batch]): for each batch
// entry, the most likely class at each of its first sequence_length steps (the first one on a
// tie), without blanks and, with merge_repeated, without a class that repeats the step before it
// (a blank in between separates repeats). The decoded sequences come out as a sparse tensor:
//
//   decoded_indices int64 [total, 2]   (batch entry, position) of each decoded class
//   decoded_values  int64 [total]      the classes
//   decoded_shape   int64 [2]          [batch, the longest sequence]
//   log_probability T [batch, 1]       minus the sum of the chosen logits, summed in T
//
// blank_index counts from the end when negative (-1, the default, is the last class).
#pragma once

#include "common.hpp"

namespace kiln::ops::dynamic {

template <class T> struct CtcDecoding {
  std::vector<std::vector<std::int64_t>> sequences;  // one per batch entry
  std::vector<T> log_probability;
  std::int64_t total = 0;    // decoded classes over the batch
  std::int64_t longest = 0;  // the longest sequence
};

// The blank class, from blank_index and the number of classes (which must be known).
inline std::int64_t ctc_blank(const InferContext& ctx, std::int64_t classes) {
  const std::int64_t blank = ctx.attr<std::int64_t>("blank_index");
  if (blank < -classes || blank >= classes) {
    throw ctx.error(Errc::invalid_attr, "blank_index out of range")
        .attr("blank_index")
        .expected("[" + std::to_string(-classes) + ", " + std::to_string(classes) + ")")
        .found(std::to_string(blank));
  }
  return blank < 0 ? blank + classes : blank;
}

// The decoding of known inputs.
template <class T> CtcDecoding<T> ctc_greedy_decode(const InferContext& ctx) {
  const Tensor& inputs = *ctx.value(0);
  const std::int64_t steps = inputs.dim(0), batch = inputs.dim(1), classes = inputs.dim(2);
  if (inputs.num_elements() == 0) {
    throw ctx.error(Errc::invalid_argument, "inputs must not be empty").found(inputs.shape().str());
  }
  const std::int64_t blank = ctc_blank(ctx, classes);
  const bool merge_repeated = ctx.attr<bool>("merge_repeated");
  const std::vector<std::int64_t> lengths = ctx.value(1)->to_int64_vector();
  const T* logits = inputs.data<T>();
  CtcDecoding<T> result;
  for (std::int64_t b = 0; b < batch; ++b) {
    const std::int64_t length = lengths[static_cast<std::size_t>(b)];
    if (length > steps) {
      throw ctx.error(Errc::invalid_argument, "a sequence is longer than the input")
          .expected("at most " + std::to_string(steps))
          .found(std::to_string(length));
    }
    std::vector<std::int64_t> sequence;
    T log_probability = 0;
    std::int64_t previous = -1;
    for (std::int64_t t = 0; t < length; ++t) {  // a negative length decodes nothing
      const T* row = logits + (t * batch + b) * classes;
      std::int64_t best = 0;
      for (std::int64_t c = 1; c < classes; ++c) best = row[c] > row[best] ? c : best;
      log_probability += -row[best];
      if (best != blank && !(merge_repeated && best == previous)) sequence.push_back(best);
      previous = best;
    }
    result.total += static_cast<std::int64_t>(sequence.size());
    result.longest = std::max(result.longest, static_cast<std::int64_t>(sequence.size()));
    result.sequences.push_back(std::move(sequence));
    result.log_probability.push_back(log_probability);
  }
  return result;
}

inline std::vector<TensorType> infer_ctc_greedy_decoder(const InferContext& ctx) {
  const DType type = ctx.dtype(0);
  if (type != DType::float32 && type != DType::float64) {
    throw ctx.error(Errc::type_mismatch, "CTC inputs are float32 or float64")
        .attr("T")
        .found(dtype_name(type));
  }
  expect_dtype(ctx, 1, DType::int32);
  ctx.expect_rank(0, 3);
  ctx.expect_rank(1, 1);
  const std::int64_t batch = merge_dim(ctx, dim_or_unknown(ctx, 0, 1), dim_or_unknown(ctx, 1, 0),
                                       "the batch of the inputs and of sequence_length");
  const std::int64_t classes = dim_or_unknown(ctx, 0, 2);
  if (classes > 0) ctc_blank(ctx, classes);
  std::int64_t total = kUnknownDim;
  if (values_known(ctx)) {
    total = type == DType::float32 ? ctc_greedy_decode<float>(ctx).total
                                   : ctc_greedy_decode<double>(ctx).total;
  }
  return {{DType::int64, Shape({total, 2})},
          {DType::int64, Shape({total})},
          {DType::int64, Shape({2})},
          {type, Shape({batch, 1})}};
}

}  // namespace kiln::ops::dynamic
