// Backends and the (op, backend) -> kernel table.
//
//   reference  Kiln's plain loops (kernels/reference): the ground truth, always there
//   cpu        oneDNN kernels (kernels/cpu) where they pay, the reference kernels elsewhere;
//              present when the program links kiln::onednn (which defines KILN_HAS_ONEDNN)
//
// make_kernel() picks a node's kernel: the backend's own if it has one for the op and accepts
// the request, else the reference kernel, with the reason kept in the kernel's implementation
// name ("reference (float32 only)") so that every fallback shows in a plan's summary.
#pragma once

#include <string>
#include <string_view>

#include "core/error.hpp"
#include "kernels/cpu/fallback.hpp"
#include "kernels/cpu/kernel.hpp"

#if defined(KILN_HAS_ONEDNN)
#include "kernels/cpu/backend.hpp"
#include "kernels/cpu/threads.hpp"
#endif

namespace kiln {

enum class Backend { reference, cpu };

// `kiln::Options().backend(kiln::cpu)`: the name the sketches use.
inline constexpr Backend cpu = Backend::cpu;

inline const char* backend_name(Backend b) { return b == Backend::cpu ? "cpu" : "reference"; }

inline Backend backend_from_name(std::string_view name) {
  if (name == "cpu") return Backend::cpu;
  if (name == "reference") return Backend::reference;
  throw Error(Errc::invalid_argument, "unknown backend")
      .expected("cpu or reference")
      .found(std::string(name));
}

// Whether this program was built with the backend.
inline bool backend_available(Backend b) {
#if defined(KILN_HAS_ONEDNN)
  (void)b;
  return true;
#else
  return b == Backend::reference;
#endif
}

inline void require_backend(Backend b) {
  if (!backend_available(b)) {
    throw Error(Errc::unsupported, "backend 'cpu' is not built into this program")
        .expected("a program linked to kiln::onednn");
  }
}

// The kernel for the request's node on `backend`. Throws "no kernel for op 'X' (node 'Y') on
// backend 'cpu'" when neither the backend nor the reference kernels have one.
inline KernelPtr make_kernel(Backend backend, const KernelRequest& request) {
  std::string why;
#if defined(KILN_HAS_ONEDNN)
  if (backend == Backend::cpu) {
    const auto& table = cpu_kernels::kernel_table();
    auto it = table.find(request.node.op);
    if (it != table.end()) {
      if (KernelPtr kernel = it->second(request)) return kernel;
      why = request.declined;
    } else {
      why = "no cpu kernel";
    }
  }
#endif
  if (KernelPtr kernel = cpu_kernels::make_reference_kernel(request, why)) return kernel;
  const Node& node = request.node;
  throw Error(Errc::unsupported, "no kernel for op '" + node.op + "' (node '" + node.name +
                                     "') on backend '" + backend_name(backend) + "'")
      .node(node.name)
      .op(node.op);
}

}  // namespace kiln
