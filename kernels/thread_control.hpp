// How a backend lets its callers choose the threads its kernels use, and a scope that sets them.
//
// Thread counts belong to the backend's runtime (oneDNN's OpenMP, say), so the backend lends
// hooks and the plan and the eager interpreter call them around compiling and running. A backend
// whose kernels run on the calling thread alone leaves the hooks null, and every count is then 1.
#pragma once

#include "prepared_kernel.hpp"

namespace kiln {

struct ThreadControl {
  // The calling thread's count: what 0 ("the runtime's default") stands for.
  int (*current)() = nullptr;
  // Sets the calling thread's count.
  void (*set)(int threads) = nullptr;
  // The threads one kernel gets out of the `threads` a plan runs with (tiny ops may run alone
  // because waking threads costs more than they take). Null: every kernel gets them all.
  int (*for_kernel)(const KernelRequest& request, int threads) = nullptr;

  bool controllable() const { return current != nullptr && set != nullptr; }

  // `threads`, or the runtime's default for 0; always 1 when threads cannot be controlled.
  int resolve(int threads) const {
    if (!controllable()) return 1;
    return threads > 0 ? threads : current();
  }
  int threads_for(const KernelRequest& request, int threads) const {
    return for_kernel ? for_kernel(request, threads) : threads;
  }
};

// Sets the calling thread's count for a scope (and lets it change within, step by step) and
// restores it after, so that a run leaves the embedding application's own settings as it found
// them.
class ThreadScope {
 public:
  ThreadScope(const ThreadControl& control, int threads) : control_(control) {
    if (threads <= 0 || !control_.controllable()) return;
    previous_ = current_ = control_.current();
    set(threads);
  }
  ~ThreadScope() {
    if (previous_ > 0 && current_ != previous_) control_.set(previous_);
  }
  ThreadScope(const ThreadScope&) = delete;
  ThreadScope& operator=(const ThreadScope&) = delete;

  // A no-op outside a scope that took control, and when the count does not change.
  void set(int threads) {
    if (previous_ <= 0 || threads <= 0 || threads == current_) return;
    control_.set(threads);
    current_ = threads;
  }

 private:
  ThreadControl control_;
  int previous_ = 0;
  int current_ = 0;
};

}  // namespace kiln
