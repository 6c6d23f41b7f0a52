// How many threads oneDNN uses on the calling thread: the `cpu` backend's ThreadControl.
//
// Debian's oneDNN runs on OpenMP (libgomp), and reads the calling thread's OpenMP thread count
// both when it creates a primitive (some implementations size their work split then) and when
// it runs one. So a plan sets the count around compiling and around every run.
//
// The OpenMP functions are looked up in the process at run time instead of being linked: Kiln
// then never brings an OpenMP runtime of its own (linking -fopenmp with clang would add libomp
// beside oneDNN's libgomp, two runtimes fighting over the cores). Without OpenMP in the process
// the count simply stays the runtime's default.
//
// Kiln's own kernels that need several threads (one per share of the work, meeting at a barrier
// between steps) borrow the same runtime's team through run_team(): libgomp's entry points for
// `#pragma omp parallel` and `#pragma omp barrier`, looked up the same way.
#pragma once

#include <dlfcn.h>

#include <cstdint>
#include <set>
#include <string>

#include <kiln/kernels/prepared_kernel.hpp>
#include <kiln/kernels/thread_control.hpp>

namespace kiln::cpu_kernels {

class OpenMP {
 public:
  static const OpenMP& get() {
    static const OpenMP instance;
    return instance;
  }
  bool available() const { return set_ && get_; }
  int max_threads() const { return get_ ? get_() : 1; }
  void set_threads(int n) const {
    if (set_ && n > 0) set_(n);
  }

  // Teams: fn(data) on each thread of a team of at most `threads` (the caller among them).
  bool has_teams() const { return parallel_ && barrier_ && thread_num_ && num_threads_; }
  void parallel(void (*fn)(void*), void* data, int threads) const {
    parallel_(fn, data, static_cast<unsigned>(threads), 0);
  }
  void barrier() const { barrier_(); }
  int thread_num() const { return thread_num_(); }
  int num_threads() const { return num_threads_(); }

 private:
  OpenMP() {
    set_ = reinterpret_cast<void (*)(int)>(dlsym(RTLD_DEFAULT, "omp_set_num_threads"));
    get_ = reinterpret_cast<int (*)()>(dlsym(RTLD_DEFAULT, "omp_get_max_threads"));
    parallel_ = reinterpret_cast<void (*)(void (*)(void*), void*, unsigned, unsigned)>(
        dlsym(RTLD_DEFAULT, "GOMP_parallel"));
    barrier_ = reinterpret_cast<void (*)()>(dlsym(RTLD_DEFAULT, "GOMP_barrier"));
    thread_num_ = reinterpret_cast<int (*)()>(dlsym(RTLD_DEFAULT, "omp_get_thread_num"));
    num_threads_ = reinterpret_cast<int (*)()>(dlsym(RTLD_DEFAULT, "omp_get_num_threads"));
  }
  void (*set_)(int) = nullptr;
  int (*get_)() = nullptr;
  void (*parallel_)(void (*)(void*), void*, unsigned, unsigned) = nullptr;
  void (*barrier_)() = nullptr;
  int (*thread_num_)() = nullptr;
  int (*num_threads_)() = nullptr;
};

// Where a team's threads wait for each other; a team of one never waits.
class TeamBarrier {
 public:
  explicit TeamBarrier(const OpenMP* runtime) : runtime_(runtime) {}
  void wait() const {
    if (runtime_) runtime_->barrier();
  }

 private:
  const OpenMP* runtime_;
};

// work(thread, team_size, barrier) on each thread of a team of at most `threads`; the runtime
// may give fewer, so `work` splits by team_size. Without OpenMP in the process, or for one
// thread, the caller runs work(0, 1, ...) alone.
template <class Work> void run_team(int threads, Work& work) {
  const OpenMP& runtime = OpenMP::get();
  if (threads <= 1 || !runtime.has_teams()) {
    work(0, 1, TeamBarrier(nullptr));
    return;
  }
  struct Call {
    Work* work;
    const OpenMP* runtime;
  } call{&work, &runtime};
  runtime.parallel(
      [](void* data) {
        const Call& c = *static_cast<const Call*>(data);
        (*c.work)(c.runtime->thread_num(), c.runtime->num_threads(), TeamBarrier(c.runtime));
      },
      &call, threads);
}

// The threads one step gets out of the plan's `threads`. Waking a second thread and joining it
// costs a few microseconds, more than a tiny op takes on one core, so those run alone; the
// rest use every thread. Work is counted in multiply-adds for convolutions and matrix products
// (output elements times the reduction length) and in elements for the rest.
// An element-wise op on two inputs where one is broadcast (a squeeze-excite block's x * scale,
// the scale [N, 1, 1, C]). oneDNN 2.6's binary primitive splits such a product badly: on
// EfficientNetB0 its 17 squeeze-excite multiplications took 0.47 ms per run on one thread and
// 0.89 ms on two (AVX-512 machine, batch 1), so they run on one.
inline bool broadcast_binary(const KernelRequest& request) {
  static const std::set<std::string, std::less<>> arithmetic = {
      "Add", "AddV2", "Sub", "Mul", "RealDiv", "Maximum", "Minimum", "SquaredDifference"};
  if (request.inputs.size() != 2 || arithmetic.count(request.node.op) == 0) return false;
  return !(request.inputs[0].shape == request.inputs[1].shape);
}

inline int threads_for(const KernelRequest& request, int threads) {
  constexpr std::int64_t kMinMultiplyAdds = std::int64_t{1} << 17;  // ~2 us on one core
  constexpr std::int64_t kMinElements = std::int64_t{1} << 14;      // 64 KiB of float32
  if (threads == 1 || request.outputs.empty() || !request.outputs[0].shape.is_fully_known()) {
    return threads;
  }
  const std::int64_t elements = request.outputs[0].shape.num_elements();
  const std::string& op = request.node.op;
  std::int64_t reduction = 0;
  if (request.inputs.size() >= 2 && request.inputs[1].shape.is_fully_known()) {
    const Shape& w = request.inputs[1].shape;
    if (op.find("Conv2D") != std::string::npos && w.rank() == 4 && w.dim(3) > 0) {
      reduction = w.num_elements() / w.dim(3);  // kh * kw * in / groups
    } else if (op.find("Depthwise") != std::string::npos && w.rank() == 4) {
      reduction = w.dim(0) * w.dim(1);
    } else if (op.find("MatMul") != std::string::npos && request.inputs[0].shape.rank() >= 2) {
      const bool transposed = request.node.attr_or<bool>("transpose_a", false) ||
                              request.node.attr_or<bool>("adj_x", false);
      reduction = request.inputs[0].shape.dim(transposed ? -2 : -1);
    }
  }
  const bool tiny =
      reduction > 0 ? elements < kMinMultiplyAdds / reduction : elements < kMinElements;
  if (tiny || broadcast_binary(request)) return 1;
  return threads;
}

// The hooks the `cpu` backend lends to plans and the eager interpreter (kernels/backend_def.hpp).
inline ThreadControl openmp_threads() {
  ThreadControl control;
  control.current = [] { return OpenMP::get().max_threads(); };
  control.set = [](int threads) { OpenMP::get().set_threads(threads); };
  control.for_kernel = threads_for;
  return control;
}

}  // namespace kiln::cpu_kernels
