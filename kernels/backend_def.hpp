// What a backend is to the rest of Kiln: a name, a kernel table, and how its kernels get threads.
// Each backend describes itself with one BackendDef (kernels/reference/backend.hpp,
// kernels/cpu/backend.hpp) and registers it by name (<kiln/backend_registry.hpp>); the plan and
// the eager interpreter reach every backend through it and know none of them by type.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <kiln/core/precision.hpp>

#include "prepared_kernel.hpp"
#include "thread_control.hpp"

namespace kiln {

// How a compiled plan reaches a backend whose buffers live in device memory (a GPU's): all null
// for a backend that computes in host memory. The plan (<kiln/plan.hpp>) uploads the graph's
// constants once, makes one allocation and one queue per run instance, copies the graph's inputs
// in and its outputs out, and runs a node without a device kernel on the host between explicit
// copies. A queue is the backend's per-instance context (a CUDA stream with its library handles);
// work queued on one runs in order. A null queue means: copy now, synchronously.
struct DeviceHooks {
  // "" when a device can be used, else why not, in the driver's words: "no CUDA device (...)".
  std::string (*unavailable)() = nullptr;
  // Device memory, 256-byte aligned; throws kiln::Error when there is not enough.
  void* (*allocate)(std::size_t bytes) = nullptr;
  void (*release)(void* memory) = nullptr;
  void* (*make_queue)() = nullptr;
  void (*drop_queue)(void* queue) = nullptr;
  // Copies ordered on `queue`; the host bytes must stay valid until wait(queue) returns.
  void (*to_device)(void* device, const void* host, std::size_t bytes, void* queue) = nullptr;
  void (*to_host)(void* host, const void* device, std::size_t bytes, void* queue) = nullptr;
  // Returns when everything queued on `queue` is done; throws if any of it failed.
  void (*wait)(void* queue) = nullptr;

  bool present() const { return allocate != nullptr; }
};

struct BackendDef {
  std::string name;         // what a user selects: "reference", "cpu", "cuda"
  std::string description;  // one line for listings
  // The backend's kernel table. A function, so that the table is built on first use and never
  // during the static initialization that registers the backend.
  const KernelFactoryTable& (*kernels)() = nullptr;
  // Ops without a kernel here, and requests its kernels decline, run on the reference kernels
  // (for a device backend: on the host, between copies the plan adds).
  bool reference_fallback = true;
  // Among the backends a program has, the one with the highest preference is the default.
  int preference = 0;
  ThreadControl threads;  // null hooks: the kernels run on the calling thread
  // Waits until the work the kernels queued from the calling thread is done (oneDNN's stream).
  // Null: run() returns when the work is done.
  void (*finish)() = nullptr;
  DeviceHooks device;  // null hooks: the kernels read and write host memory
  // "" when this backend's kernels can compute in `precision` on this machine, else why not
  // (compile() refuses the model with that reason). Null: float32 only.
  std::string (*lacks_precision)(Precision precision) = nullptr;

  std::string precision_unavailable(Precision precision) const {
    if (precision == Precision::f32) return "";
    if (!lacks_precision) return "backend '" + name + "' computes in float32 only";
    return lacks_precision(precision);
  }
  void require_precision(Precision precision) const {
    const std::string why = precision_unavailable(precision);
    if (!why.empty()) {
      throw Error(Errc::unsupported,
                  "cannot compute in " + std::string(precision_name(precision)) + ": " + why);
    }
  }

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
