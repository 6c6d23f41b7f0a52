// Kiln's kernels for the recurrent ops the optimizer makes of Keras LSTM loops.
//
// _FusedLSTMGates (fuse-lstm-gates' form of one LSTM step's gate arithmetic): per batch row,
// the four gate blocks of z are read in place and both new states written in one pass. oneDNN
// has no primitive for gates alone (its LSTM primitive owns the whole loop), and the products
// before the gates already run on oneDNN.
//
// Five sigmoids and tanhs per unit and step make this step the loop's second cost after the
// recurrent product, so it is a plain loop over vector_math's functions, which the compiler
// turns into AVX-512, AVX2 or SSE code, picked at load time.
//
// _FusedLSTMSequence (fuse-lstm-loop's form of the whole loop) runs every step in one kernel.
// The loop it replaces dispatched a dozen steps per time step (counters, the condition, a row
// gather, the product, the gates, the row write), and each product woke and joined oneDNN's
// threads. Here each thread of one team owns a share of the units for the whole sequence: each
// step it reads only its share of the recurrent kernel (on two threads, half of a 256-unit
// LSTM's 1 MiB, so the shares stay in the cores' own caches), computes its units' four gate
// sums and new states, and the team meets at one barrier per step: the next step reads all of h.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>

#include <kiln/core/tensor.hpp>
#include <kiln/kernels/prepared_kernel.hpp>

#include "threads.hpp"
#include "vector_math.hpp"

namespace kiln::cpu_kernels {

KILN_VECTOR_MATH_BEGIN
namespace lstm_math {

using vector_math::sigmoid;
using vector_math::tanh;

// One batch row: gate blocks input, forget, candidate, output of `units` each.
inline void row(const float* __restrict z, const float* __restrict c, float* __restrict h,
                float* __restrict next, std::int64_t units) {
  for (std::int64_t u = 0; u < units; ++u) {
    const float value = sigmoid(z[units + u]) * c[u] + sigmoid(z[u]) * tanh(z[2 * units + u]);
    next[u] = value;
    h[u] = sigmoid(z[3 * units + u]) * tanh(value);
  }
}

KILN_VECTOR_CLONES void gates(
    const float* z, const float* c, float* h_next, float* c_next, std::int64_t batch,
    std::int64_t units) {
  for (std::int64_t b = 0; b < batch; ++b) {
    row(z + b * 4 * units, c + b * units, h_next + b * units, c_next + b * units, units);
  }
}

// Units per block of the sequence kernel: one 256-bit register of float32.
constexpr std::int64_t kBlockUnits = 8;

// One step's gate sums for one block of units and one batch row: z = p + h r over the block's
// four gate columns. `w` is the block's weights, [gate][k][lane] (pack_recurrent_kernel), `p`
// the projection row at the block's first unit; z[q * units + lane] (a row's sums, laid out
// like z of _FusedLSTMGates) receives gate q of the block's first `lanes` units. Two sums per gate (even and odd k) keep eight chains of
// multiply-adds in flight instead of four.
KILN_VECTOR_CLONES void block_sums(const float* __restrict w, const float* __restrict h,
                                   const float* __restrict p, float* __restrict z, std::int64_t units,
                                   std::int64_t lanes) {
  typedef float Lanes __attribute__((vector_size(kBlockUnits * sizeof(float))));
  Lanes even[4] = {}, odd[4] = {};
  std::int64_t k = 0;
  for (; k + 2 <= units; k += 2) {
    const float h0 = h[k], h1 = h[k + 1];
    for (int q = 0; q < 4; ++q) {
      Lanes w0, w1;
      std::memcpy(&w0, w + (q * units + k) * kBlockUnits, sizeof w0);
      std::memcpy(&w1, w + (q * units + k + 1) * kBlockUnits, sizeof w1);
      even[q] += h0 * w0;
      odd[q] += h1 * w1;
    }
  }
  for (; k < units; ++k) {
    for (int q = 0; q < 4; ++q) {
      Lanes w0;
      std::memcpy(&w0, w + (q * units + k) * kBlockUnits, sizeof w0);
      even[q] += h[k] * w0;
    }
  }
  for (int q = 0; q < 4; ++q) {
    float sum[kBlockUnits];
    const Lanes both = even[q] + odd[q];
    std::memcpy(sum, &both, sizeof sum);
    for (std::int64_t l = 0; l < lanes; ++l) z[q * units + l] = sum[l] + p[q * units + l];
  }
}

// The gates of `n` units whose sums are z[q * stride + u]; c is updated in place.
KILN_VECTOR_CLONES void strided_gates(const float* z, std::int64_t stride, float* c, float* h,
                                      std::int64_t n) {
  for (std::int64_t u = 0; u < n; ++u) {
    const float cell = sigmoid(z[stride + u]) * c[u] + sigmoid(z[u]) * tanh(z[2 * stride + u]);
    c[u] = cell;
    h[u] = sigmoid(z[3 * stride + u]) * tanh(cell);
  }
}

}  // namespace lstm_math
KILN_VECTOR_MATH_END

class LSTMGatesKernel final : public PreparedKernel {
 public:
  LSTMGatesKernel(std::int64_t batch, std::int64_t units) : batch_(batch), units_(units) {
    implementation_ = "kiln lstm gates";
  }

  void run(const KernelArgs& args) const override {
    lstm_math::gates(static_cast<const float*>(args.inputs[0]), static_cast<const float*>(args.inputs[1]),
                     static_cast<float*>(args.outputs[0]), static_cast<float*>(args.outputs[1]), batch_,
                     units_);
  }

 private:
  std::int64_t batch_, units_;
};

inline KernelPtr make_lstm_gates_kernel(const KernelRequest& request) {
  if (request.inputs[0].dtype != DType::float32) return request.decline("float32 only");
  const Shape& z = request.inputs[0].shape;
  if (z.num_elements() == 0) return request.decline("empty input");
  return std::make_unique<LSTMGatesKernel>(z.dim(0), z.dim(1) / 4);
}

// r [units, 4 units] regrouped by blocks of kBlockUnits units: block j holds, for each gate q
// and each k, the weights r[k, q units + 8 j + lane] side by side, zeros past the last unit.
// A block's step then reads 4 units * 8 contiguous floats, and a thread's share is contiguous.
inline Tensor pack_recurrent_kernel(const Tensor& r) {
  const std::int64_t units = r.dim(0);
  const std::int64_t blocks = (units + lstm_math::kBlockUnits - 1) / lstm_math::kBlockUnits;
  Tensor packed(DType::float32, Shape{blocks, 4, units, lstm_math::kBlockUnits});  // zeroed
  const float* from = r.data<float>();
  float* to = packed.data<float>();
  for (std::int64_t j = 0; j < blocks; ++j) {
    for (std::int64_t q = 0; q < 4; ++q) {
      for (std::int64_t k = 0; k < units; ++k) {
        for (std::int64_t l = 0; l < lstm_math::kBlockUnits && j * lstm_math::kBlockUnits + l < units; ++l) {
          to[((j * 4 + q) * units + k) * lstm_math::kBlockUnits + l] =
              from[k * 4 * units + q * units + j * lstm_math::kBlockUnits + l];
        }
      }
    }
  }
  return packed;
}

class LSTMSequenceKernel final : public PreparedKernel {
 public:
  LSTMSequenceKernel(std::int64_t steps, std::int64_t batch, const Tensor& r, int threads)
      : steps_(steps), batch_(batch), units_(r.dim(0)), packed_(pack_recurrent_kernel(r)) {
    blocks_ = packed_.dim(0);
    scratch_bytes_ = static_cast<std::size_t>(4 * units_) * sizeof(float);  // one row's z
    // A team meets at a barrier every step, which costs about a microsecond: worth it only
    // when a step has work for more than one thread.
    constexpr std::int64_t kMinMultiplyAddsPerStep = std::int64_t{1} << 16;
    const bool small = batch * units_ * 4 * units_ < kMinMultiplyAddsPerStep;
    threads_ = small ? 1 : static_cast<int>(std::min<std::int64_t>(threads, blocks_));
    implementation_ = "kiln lstm sequence";
    owned_bytes_ = packed_.byte_size();
  }

  void run(const KernelArgs& args) const override {
    const auto* p = static_cast<const float*>(args.inputs[0]);  // input 1, r, was packed at prepare
    const auto* h0 = static_cast<const float*>(args.inputs[2]);
    const auto* c0 = static_cast<const float*>(args.inputs[3]);
    auto* sequence = static_cast<float*>(args.outputs[0]);
    auto* c = static_cast<float*>(args.outputs[2]);  // the cell state lives here while it runs
    const std::int64_t row = batch_ * units_;
    std::memcpy(c, c0, static_cast<std::size_t>(row) * sizeof(float));
    const float* packed = packed_.data<float>();
    auto* z = static_cast<float*>(args.scratch);  // [4, units]; each thread fills its units
    constexpr std::int64_t kBlock = lstm_math::kBlockUnits;
    auto work = [&](int thread, int team, const TeamBarrier& barrier) {
      const std::int64_t first = blocks_ * thread / team, last = blocks_ * (thread + 1) / team;
      const std::int64_t from = first * kBlock, to = std::min(last * kBlock, units_);
      for (std::int64_t t = 0; t < steps_; ++t) {
        const float* h = t == 0 ? h0 : sequence + (t - 1) * row;
        float* next = sequence + t * row;
        for (std::int64_t b = 0; b < batch_; ++b) {
          for (std::int64_t j = first; j < last; ++j) {
            lstm_math::block_sums(packed + j * 4 * units_ * kBlock, h + b * units_,
                                  p + (t * batch_ + b) * 4 * units_ + j * kBlock, z + j * kBlock,
                                  units_, std::min(kBlock, units_ - j * kBlock));
          }
          lstm_math::strided_gates(z + from, units_, c + b * units_ + from, next + b * units_ + from,
                                   to - from);
        }
        barrier.wait();  // step t + 1 reads every unit of step t's h
      }
    };
    run_team(threads_, work);
    std::memcpy(args.outputs[1], sequence + (steps_ - 1) * row, static_cast<std::size_t>(row) * sizeof(float));
  }

 private:
  std::int64_t steps_, batch_, units_, blocks_ = 0;
  Tensor packed_;
  int threads_ = 1;
};

inline KernelPtr make_lstm_sequence_kernel(const KernelRequest& request) {
  if (request.inputs[0].dtype != DType::float32) return request.decline("float32 only");
  const Tensor* r = request.constant(1);
  if (!r) return request.decline("the recurrent kernel is no constant");
  for (std::size_t i = 0; i < request.outputs.size(); ++i) {
    if (request.aliased_input(i) >= 0) return request.decline("an output shares an input's buffer");
  }
  const Shape& p = request.inputs[0].shape;
  if (p.num_elements() == 0 || r->num_elements() == 0) return request.decline("no steps, rows or units");
  const int threads = request.threads > 0 ? request.threads : OpenMP::get().max_threads();
  return std::make_unique<LSTMSequenceKernel>(p.dim(0), p.dim(1), *r, threads);
}

}  // namespace kiln::cpu_kernels
