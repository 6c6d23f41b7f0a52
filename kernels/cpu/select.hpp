// SelectV2 (and Select where the condition has the output's shape): out = cond ? then : else,
// each operand broadcast to the output. Kiln's own loop: masked attention selects over
// [batch, heads, tokens, tokens] in every layer (keras-hub's BERT: two per layer), and the
// reference kernel's general index arithmetic took about 10 ms per call there, more than a third
// of the model's time.
//
// Each operand reads along the flat output through a cursor over broadcast_read()'s
// (hold, period): a counter, not a division per element. In the common case (an attention mask
// [.., 1, T, T] over scores [.., H, T, T], a scalar fill value) every operand either reads along
// the output (hold 1) or is one value (period 1); the output then splits into blocks of the
// shortest period, within which each operand moves by one element or not at all: a loop the
// compiler vectorizes (keras-hub's BERT-base: 26 selects, 5.9 ms per run with the cursors, AMX
// machine, 2 threads). Elements of 4 bytes only (float32, int32): the type does not matter to a
// select, only the width.
#pragma once

#include <algorithm>
#include <cstdint>

#include "broadcast.hpp"
#include "onednn.hpp"

namespace kiln::cpu_kernels {

class SelectKernel final : public PreparedKernel {
 public:
  SelectKernel(BroadcastRead cond, BroadcastRead then, BroadcastRead otherwise,
               std::int64_t elements)
      : reads_{cond, then, otherwise}, n_(elements) {
    implementation_ = "kiln select";
    bool blocks = true;
    block_ = n_;
    for (const BroadcastRead& r : reads_) {
      blocks = blocks && (r.hold == 1 || r.period == 1);
      if (r.period > 1) block_ = std::min(block_, r.period);
    }
    if (blocks) {
      const auto moves = [](const BroadcastRead& r) { return r.period > 1 ? 1 : 0; };
      block_loop_ = kBlockLoops[moves(cond) << 2 | moves(then) << 1 | moves(otherwise)];
    }
  }

  void run(const KernelArgs& args) const override {
    const auto* cond = static_cast<const std::uint8_t*>(args.inputs[0]);
    const auto* then = static_cast<const std::uint32_t*>(args.inputs[1]);
    const auto* otherwise = static_cast<const std::uint32_t*>(args.inputs[2]);
    auto* out = static_cast<std::uint32_t*>(args.outputs[0]);
    if (block_loop_) {
      // A period is a product of the output's trailing sizes: the shortest divides the others.
      const auto at = [this](int k, std::int64_t start) {
        const std::int64_t period = reads_[k].period;
        return period > 1 ? start % period : 0;
      };
      for (std::int64_t start = 0; start < n_; start += block_) {
        block_loop_(cond + at(0, start), then + at(1, start), otherwise + at(2, start), out + start,
                    block_);
      }
      return;
    }
    Cursor c(reads_[0]), t(reads_[1]), e(reads_[2]);
    // Element i is read before it is written, so the output may share a full operand's bytes.
    for (std::int64_t i = 0; i < n_; ++i) {
      out[i] = cond[c.index] != 0 ? then[t.index] : otherwise[e.index];
      c.next();
      t.next();
      e.next();
    }
  }

 private:
  // Where an operand reads for the current output element: index (i / hold) % period.
  struct Cursor {
    explicit Cursor(const BroadcastRead& r) : hold(r.hold), period(r.period) {}
    void next() {
      if (++held == hold) {
        held = 0;
        if (++index == period) index = 0;
      }
    }
    std::int64_t hold, period, held = 0, index = 0;
  };

  // One block: operand k moves along with the output when its flag is set, else stays on its
  // one value.
  using BlockLoop = void (*)(const std::uint8_t*, const std::uint32_t*, const std::uint32_t*,
                             std::uint32_t*, std::int64_t);
  template <bool C, bool T, bool E>
  static void block_loop(const std::uint8_t* cond, const std::uint32_t* then,
                         const std::uint32_t* otherwise, std::uint32_t* out, std::int64_t n) {
    for (std::int64_t j = 0; j < n; ++j) {
      out[j] = cond[C ? j : 0] != 0 ? then[T ? j : 0] : otherwise[E ? j : 0];
    }
  }
  static constexpr BlockLoop kBlockLoops[8] = {
      block_loop<false, false, false>, block_loop<false, false, true>,
      block_loop<false, true, false>,  block_loop<false, true, true>,
      block_loop<true, false, false>,  block_loop<true, false, true>,
      block_loop<true, true, false>,   block_loop<true, true, true>};

  BroadcastRead reads_[3];
  std::int64_t n_;
  std::int64_t block_ = 0;
  BlockLoop block_loop_ = nullptr;  // null: the cursors' general loop
};

inline KernelPtr make_select_kernel(const KernelRequest& request) {
  const Shape& out = request.outputs[0].shape;
  if (request.inputs[0].dtype != DType::boolean) return request.decline("boolean condition only");
  if (dtype_size(request.outputs[0].dtype) != 4) return request.decline("4-byte elements only");
  if (out.num_elements() == 0) return request.decline("empty output");
  // Select (v1) with a vector condition picks whole rows, which is not broadcasting.
  if (request.node.op == "Select" && request.inputs[0].shape != out) {
    return request.decline("Select with a condition of another shape");
  }
  const int rank = std::max(out.rank(), 1);
  const memory::dims full = dims_of(out.rank() == 0 ? Shape{1} : out);
  std::optional<BroadcastRead> reads[3];
  for (std::size_t i = 0; i < 3; ++i) {
    reads[i] = broadcast_read(padded_dims(request.inputs[i].shape, rank), full);
    if (!reads[i]) return request.decline("a broadcast Kiln's loops do not cover");
  }
  const int aliased = request.aliased_input(0);
  const auto full_operand = [&](int i) {
    const BroadcastRead& r = *reads[static_cast<std::size_t>(i)];
    return r.hold == 1 && r.period == out.num_elements();
  };
  if (aliased >= 0 && !(aliased > 0 && full_operand(aliased))) {
    return request.decline("output shares a broadcast operand's bytes");
  }
  return std::make_unique<SelectKernel>(*reads[0], *reads[1], *reads[2], out.num_elements());
}

}  // namespace kiln::cpu_kernels
