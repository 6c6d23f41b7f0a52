// Reference kernels for BiasAdd and FusedBatchNorm (V1, V2, V3).
//
// Both see their input as [outer, channels, inner]: outer = the dimensions before the channel
// axis, inner = those after it (1 for channels-last layouts).
#pragma once

#include <cmath>
#include <limits>
#include <vector>

#include <kiln/core/ops/nn/normalization.hpp>

#include "nn_support.hpp"

namespace kiln::reference::nn {

struct ChannelView {
  std::int64_t outer = 1, channels = 1, inner = 1;
};

inline ChannelView channel_view(const Shape& shape, int axis) {
  ChannelView v;
  for (int i = 0; i < shape.rank(); ++i) {
    if (i < axis) v.outer *= shape.dim(i);
    if (i > axis) v.inner *= shape.dim(i);
  }
  v.channels = shape.dim(axis);
  return v;
}

inline void bias_add_kernel(const Node& node, const std::vector<Tensor>& inputs,
                            std::vector<Tensor>& outputs) {
  const int axis = ops::nn::bias_channel_axis(known_context(node, inputs), inputs[0].rank());
  const ChannelView v = channel_view(inputs[0].shape(), axis);
  dispatch_float_or_wide_int(node, inputs[0].dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    using A = acc_t<T>;
    const T* x = inputs[0].data<T>();
    const T* bias = inputs[1].data<T>();
    T* y = outputs[0].data<T>();
    for (std::int64_t o = 0; o < v.outer; ++o) {
      for (std::int64_t c = 0; c < v.channels; ++c) {
        const A b = to_acc<A>(bias[c]);
        const std::int64_t base = (o * v.channels + c) * v.inner;
        for (std::int64_t i = 0; i < v.inner; ++i) {
          y[base + i] = from_acc<T>(to_acc<A>(x[base + i]) + b);
        }
      }
    }
  });
}

// The statistics are computed in double whatever T and U are: a reference kernel should not
// add rounding of its own, and batch sums are where float loses most.
template <class T, class U>
void fused_batch_norm(const Node& node, const std::vector<Tensor>& inputs,
                      std::vector<Tensor>& outputs, const ops::nn::BatchNormMode& mode,
                      const ChannelView& v) {
  const T* x = inputs[0].data<T>();
  const U* scale = inputs[1].data<U>();
  const U* offset = inputs[2].data<U>();
  T* y = outputs[0].data<T>();
  std::vector<U*> vec(5, nullptr);
  for (std::size_t i = 1; i <= 4; ++i) vec[i] = outputs[i].data<U>();
  auto u_at = [](const U* p, std::int64_t c) { return to_double(p[c]); };
  auto store = [](U* p, std::int64_t c, double value) { p[c] = from_acc<U>(value); };
  const auto channels = static_cast<std::size_t>(v.channels);

  if (inputs[0].num_elements() == 0) {  // TensorFlow reports NaN statistics for an empty batch
    for (std::int64_t c = 0; c < v.channels; ++c) {
      store(vec[1], c, std::numeric_limits<double>::quiet_NaN());
      store(vec[2], c, std::numeric_limits<double>::quiet_NaN());
    }
    return;
  }

  std::vector<double> mean(channels), variance(channels);
  const std::int64_t count = v.outer * v.inner;
  if (mode.training) {
    for (std::int64_t o = 0; o < v.outer; ++o) {
      for (std::int64_t c = 0; c < v.channels; ++c) {
        const T* row = x + (o * v.channels + c) * v.inner;
        for (std::int64_t i = 0; i < v.inner; ++i) {
          mean[static_cast<std::size_t>(c)] += to_double(row[i]);
        }
      }
    }
    for (double& m : mean) m /= static_cast<double>(count);
    for (std::int64_t o = 0; o < v.outer; ++o) {
      for (std::int64_t c = 0; c < v.channels; ++c) {
        const T* row = x + (o * v.channels + c) * v.inner;
        const double m = mean[static_cast<std::size_t>(c)];
        for (std::int64_t i = 0; i < v.inner; ++i) {
          const double d = to_double(row[i]) - m;
          variance[static_cast<std::size_t>(c)] += d * d;
        }
      }
    }
    for (double& s : variance) s /= static_cast<double>(count);  // biased: what y uses
  } else {
    const U* in_mean = inputs[3].data<U>();
    const U* in_variance = inputs[4].data<U>();
    for (std::int64_t c = 0; c < v.channels; ++c) {
      mean[static_cast<std::size_t>(c)] = u_at(in_mean, c);
      variance[static_cast<std::size_t>(c)] = u_at(in_variance, c);
    }
  }

  const double epsilon = static_cast<double>(node.attr<float>("epsilon"));
  for (std::int64_t o = 0; o < v.outer; ++o) {
    for (std::int64_t c = 0; c < v.channels; ++c) {
      const auto k = static_cast<std::size_t>(c);
      const double factor = u_at(scale, c) / std::sqrt(variance[k] + epsilon);
      const double shift = u_at(offset, c);
      const std::int64_t base = (o * v.channels + c) * v.inner;
      for (std::int64_t i = 0; i < v.inner; ++i) {
        y[base + i] = from_acc<T>((to_double(x[base + i]) - mean[k]) * factor + shift);
      }
    }
  }

  // Outputs 1 and 2: the running statistics. In training they are the batch's (variance with
  // Bessel's correction), blended into the given ones unless exponential_avg_factor is 1.
  // Outputs 3 and 4 (reserve spaces; TensorFlow leaves them unwritten in inference) hold the
  // mean and the biased variance that y was normalized with.
  const double avg_factor = static_cast<double>(node.attr<float>("exponential_avg_factor"));
  const double bessel =
      static_cast<double>(count) / static_cast<double>(std::max<std::int64_t>(count - 1, 1));
  for (std::int64_t c = 0; c < v.channels; ++c) {
    const auto k = static_cast<std::size_t>(c);
    double running_mean = mean[k], running_variance = variance[k];
    if (mode.training) {
      running_variance = variance[k] * bessel;
      if (mode.reads_statistics) {
        running_mean = (1 - avg_factor) * u_at(inputs[3].data<U>(), c) + avg_factor * mean[k];
        running_variance =
            (1 - avg_factor) * u_at(inputs[4].data<U>(), c) + avg_factor * running_variance;
      }
    }
    store(vec[1], c, running_mean);
    store(vec[2], c, running_variance);
    store(vec[3], c, mean[k]);
    store(vec[4], c, variance[k]);
  }
}

inline void fused_batch_norm_kernel(const Node& node, const std::vector<Tensor>& inputs,
                                    std::vector<Tensor>& outputs) {
  const InferContext ctx = known_context(node, inputs);
  const ops::nn::BatchNormMode mode = ops::nn::batch_norm_mode(ctx);
  const int axis = ops::nn::batch_norm_channel_axis(ctx, /*allow_5d=*/outputs.size() == 6);
  const ChannelView v = channel_view(inputs[0].shape(), axis);
  dispatch_floating(node, inputs[0].dtype(), [&](auto t_tag) {
    dispatch_floating(node, inputs[1].dtype(), [&](auto u_tag) {
      using T = typename decltype(t_tag)::type;
      using U = typename decltype(u_tag)::type;
      fused_batch_norm<T, U>(node, inputs, outputs, mode, v);  // V3's output 5 is empty
    });
  });
}

}  // namespace kiln::reference::nn
