// What a backend is to the rest of Kiln: a name, a kernel table, and how its kernels get threads.
// Each backend describes itself with one BackendDef (kernels/reference/backend.hpp,
// kernels/cpu/backend.hpp) and registers it by name (<kiln/backend_registry.hpp>); the plan and
// the eager interpreter reach every backend through it and know none of them by type.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "prepared_kernel.hpp"
#include "thread_control.hpp"

namespace kiln {

struct BackendDef {
  std::string name;         // what a user selects: "reference", "cpu", "cuda"
  std::string description;  // one line for listings
  // The backend's kernel table. A function, so that the table is built on first use and never
  // during the static initialization that registers the backend.
  const KernelFactoryTable& (*kernels)() = nullptr;
  // Ops without a kernel here, and requests its kernels decline, run on the reference kernels.
  // Only a backend whose buffers are host memory may say so.
  bool reference_fallback = true;
  // Among the backends a program has, the one with the highest preference is the default.
  int preference = 0;
  ThreadControl threads;  // null hooks: the kernels run on the calling thread
  // Waits until the work the kernels queued from the calling thread is done (oneDNN's stream).
  // Null: run() returns when the work is done.
  void (*finish)() = nullptr;

  // Whether the backend has a kernel of its own for `op` (a fallback does not count).
  bool has_kernel(std::string_view op) const { return kernels().count(op) > 0; }
  // The ops the backend has kernels of its own for, sorted.
  std::vector<std::string> ops() const {
    std::vector<std::string> names;
    for (const auto& entry : kernels()) names.push_back(entry.first);
    return names;
  }
};

}  // namespace kiln
