// Kiln's own loops for broadcasting binary ops, where oneDNN's binary primitive does not fit or
// does poorly: an operand that repeats with a short period (an image normalization's
// per-channel [1,1,1,3], a scalar), a broadcast operand that comes first in Sub or RealDiv,
// both operands broadcast (LayerNorm's rsqrt [.., R, 1] times gamma [C]), and
// SquaredDifference, which oneDNN does not have.
//
// Each operand reads along the flat output as operand[(i / hold) % period]: a full operand is
// (1, n), a scalar (n, 1), a per-channel vector over NHWC (1, C), per-row statistics over
// [.., R, C] are (C, R). The loops are chosen so the compiler vectorizes them: a short period is
// unrolled to a multiple of 16 floats in scratch; a held value is a scalar across its block.
// They run on one thread: these ops are small next to the convolutions and products around
// them.
#pragma once

#include <optional>

#include <kiln/kernels/prepared_kernel.hpp>

namespace kiln::cpu_kernels {

struct BroadcastRead {
  std::int64_t hold = 1, period = 1;
};

// How an operand of dims `operand` (already padded to the output's rank) reads along the flat
// output of dims `out`: possible when it is ones, then a run of the output's own sizes, then
// ones (dimensions of size 1 in the output fit either way).
inline std::optional<BroadcastRead> broadcast_read(const std::vector<std::int64_t>& operand,
                                                   const std::vector<std::int64_t>& out) {
  BroadcastRead r;
  enum { trailing_ones, run, leading_ones } state = trailing_ones;
  for (std::size_t k = out.size(); k-- > 0;) {
    if (out[k] == 1) continue;
    const bool full = operand[k] == out[k];
    if (!full && operand[k] != 1) return std::nullopt;
    if (state == trailing_ones) {
      if (full) {
        state = run;
        r.period *= out[k];
      } else {
        r.hold *= out[k];
      }
    } else if (state == run) {
      if (full) {
        r.period *= out[k];
      } else {
        state = leading_ones;
      }
    } else if (full) {
      return std::nullopt;  // a second run: no single (hold, period) describes it
    }
  }
  return r;
}

class BroadcastBinaryKernel final : public PreparedKernel {
 public:
  enum class Fn { add, sub, mul, div, max, min, squared_difference };

  BroadcastBinaryKernel(Fn fn, BroadcastRead a, BroadcastRead b, std::int64_t elements)
      : fn_(fn), a_(a), b_(b), n_(elements) {
    implementation_ = "kiln broadcast";
    const bool a_full = a_.hold == 1 && a_.period == n_;
    const bool b_full = b_.hold == 1 && b_.period == n_;
    if (a_full && b_full) {
      mode_ = Mode::same;
    } else if (a_full || b_full) {
      mode_ = Mode::one_full;
      const BroadcastRead& r = a_full ? b_ : a_;
      if (r.hold == 1 && r.period < 64) {
        unrolled_ = r.period;
        while (unrolled_ % 16 != 0) unrolled_ += r.period;
        scratch_bytes_ = static_cast<std::size_t>(unrolled_) * sizeof(float);
      }
    } else {
      mode_ = Mode::generic;
    }
  }

  void run(const KernelArgs& args) const override {
    switch (fn_) {
      case Fn::add:
        return apply(args, [](float u, float v) { return u + v; });
      case Fn::sub:
        return apply(args, [](float u, float v) { return u - v; });
      case Fn::mul:
        return apply(args, [](float u, float v) { return u * v; });
      case Fn::div:
        return apply(args, [](float u, float v) { return u / v; });
      case Fn::max:
        return apply(args, [](float u, float v) { return u > v ? u : v; });
      case Fn::min:
        return apply(args, [](float u, float v) { return u < v ? u : v; });
      case Fn::squared_difference:
        return apply(args, [](float u, float v) { return (u - v) * (u - v); });
    }
  }

 private:
  enum class Mode { same, one_full, generic };

  template <class F>
  void apply(const KernelArgs& args, F f) const {
    const float* a = static_cast<const float*>(args.inputs[0]);
    const float* b = static_cast<const float*>(args.inputs[1]);
    float* y = static_cast<float*>(args.outputs[0]);
    if (mode_ == Mode::same) {
      for (std::int64_t i = 0; i < n_; ++i) y[i] = f(a[i], b[i]);
    } else if (mode_ == Mode::one_full) {
      if (a_.hold == 1 && a_.period == n_) {
        one_full(a, b, b_, y, f, static_cast<float*>(args.scratch));
      } else {
        one_full(
            b, a, a_, y, [&f](float u, float v) { return f(v, u); },
            static_cast<float*>(args.scratch));
      }
    } else {
      generic(a, b, y, f);
    }
  }

  // y[i] = f(full[i], part[(i / r.hold) % r.period]).
  template <class F>
  void one_full(const float* full, const float* part, const BroadcastRead& r, float* y, F f,
                float* scratch) const {
    if (r.hold == 1) {
      // A repeating vector: unrolled to `unrolled_` floats when short, read in place when not.
      const float* pattern = part;
      std::int64_t block = r.period;
      if (unrolled_ > 0) {
        for (std::int64_t i = 0; i < unrolled_; ++i) scratch[i] = part[i % r.period];
        pattern = scratch;
        block = unrolled_;
      }
      std::int64_t i = 0;
      for (; i + block <= n_; i += block) {
        const float* x = full + i;
        float* out = y + i;
        for (std::int64_t j = 0; j < block; ++j) out[j] = f(x[j], pattern[j]);
      }
      for (std::int64_t j = 0; i < n_; ++i, ++j) y[i] = f(full[i], pattern[j]);
      return;
    }
    // A value held across each block of r.hold elements.
    for (std::int64_t start = 0, k = 0; start < n_; start += r.hold, ++k) {
      const float v = part[k % r.period];
      const float* x = full + start;
      float* out = y + start;
      for (std::int64_t j = 0; j < r.hold; ++j) out[j] = f(x[j], v);
    }
  }

  // Both operands broadcast: two counters walk them along the output.
  template <class F>
  void generic(const float* a, const float* b, float* y, F f) const {
    std::int64_t ia = 0, ca = 0, ib = 0, cb = 0;
    for (std::int64_t i = 0; i < n_; ++i) {
      y[i] = f(a[ia], b[ib]);
      if (++ca == a_.hold) {
        ca = 0;
        if (++ia == a_.period) ia = 0;
      }
      if (++cb == b_.hold) {
        cb = 0;
        if (++ib == b_.period) ib = 0;
      }
    }
  }

  Fn fn_;
  BroadcastRead a_, b_;
  std::int64_t n_;
  Mode mode_ = Mode::generic;
  std::int64_t unrolled_ = 0;
};

}  // namespace kiln::cpu_kernels
