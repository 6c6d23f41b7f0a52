// Choosing a backend, and the (op, backend) -> kernel choice.
//
// A Backend is a backend's name, checked against the registry (<kiln/backend_registry.hpp>) when
// it is used:
//
//   reference  Kiln's plain loops (kernels/reference): the ground truth, always there
//   cpu        oneDNN kernels (kernels/cpu) where they pay, the reference kernels elsewhere;
//              there when the program links kiln::onednn
//
// A backend added later plugs in the same way under its own name ("cuda"); nothing here changes.
//
// make_kernel() picks a node's kernel: the backend's own if it has one for the op and accepts
// the request, else the reference kernel, with the reason kept in the kernel's implementation
// name ("reference (float32 only)") so that every fallback shows in a plan's summary.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "backend_registry.hpp"
#include "core/error.hpp"

namespace kiln {

// A backend's name, held by value. Names are short, which lets the constants below be
// compile-time values: they need no static initialization and are safe to use in any.
class Backend {
 public:
  static constexpr std::size_t max_name = 31;

  constexpr explicit Backend(std::string_view name) {
    if (name.empty() || name.size() > max_name) {
      throw Error(Errc::invalid_argument, "a backend name has 1 to 31 characters")
          .found(std::string(name));
    }
    for (std::size_t i = 0; i < name.size(); ++i) name_[i] = name[i];
    size_ = name.size();
  }

  constexpr std::string_view name() const { return {name_, size_}; }

  friend constexpr bool operator==(const Backend& a, const Backend& b) {
    return a.name() == b.name();
  }
  friend constexpr bool operator!=(const Backend& a, const Backend& b) { return !(a == b); }

  static const Backend reference;
  static const Backend cpu;

 private:
  char name_[max_name + 1] = {};
  std::size_t size_ = 0;
};

inline constexpr Backend Backend::reference{"reference"};
inline constexpr Backend Backend::cpu{"cpu"};

// `kiln::Options().backend(kiln::cpu)`: the name the sketches use. (`reference` has no
// namespace-level constant: kiln::reference is the reference kernels' namespace.)
inline constexpr Backend cpu = Backend::cpu;

inline std::string backend_name(const Backend& b) { return std::string(b.name()); }

namespace detail {

// "cpu, reference": what a program has, for error messages.
inline std::string registered_backend_names() {
  std::string names;
  for (const BackendDef* def : registered_backends()) {
    names += (names.empty() ? "" : ", ") + def->name;
  }
  return names;
}

}  // namespace detail

// The backend of that name. Throws when the program has none of that name (unknown, or not
// linked in).
inline Backend backend_from_name(std::string_view name) {
  if (find_backend(name) == nullptr) {
    throw Error(Errc::invalid_argument,
                "unknown backend '" + std::string(name) + "': not built into this program")
        .expected("one of: " + detail::registered_backend_names())
        .found(std::string(name));
  }
  return Backend(name);
}

// Whether this program has the backend.
inline bool backend_available(const Backend& b) { return find_backend(b.name()) != nullptr; }

// The registered backend, or a kiln::Error saying that the program was built without it.
inline const BackendDef& require_backend(const Backend& b) {
  if (const BackendDef* def = find_backend(b.name())) return *def;
  throw Error(Errc::unsupported,
              "backend '" + backend_name(b) + "' is not built into this program")
      .expected("a program linked to the backend's CMake target (kiln::onednn for 'cpu'); "
                "this one has: " +
                detail::registered_backend_names());
}

// The most preferred backend this program has: `cpu` when it links kiln::onednn, else
// `reference`.
inline Backend default_backend() { return Backend(registered_backends().front()->name); }

// Whether `backend` can run `op` at all: with a kernel of its own or on its reference fallback.
inline bool runs_op(const BackendDef& backend, std::string_view op) {
  return backend.has_kernel(op) ||
         (backend.reference_fallback && reference::kernel_table().count(op) > 0);
}

// The kernel for the request's node on `backend`. Throws "no kernel for op 'X' (node 'Y') on
// backend 'cpu'" when neither the backend nor its fallback has one.
inline KernelPtr make_kernel(const BackendDef& backend, const KernelRequest& request) {
  std::string why;
  const KernelFactoryTable& table = backend.kernels();
  auto it = table.find(request.node.op);
  if (it != table.end()) {
    if (KernelPtr kernel = it->second(request)) return kernel;
    why = request.declined;
  } else {
    why = "no " + backend.name + " kernel";
  }
  if (backend.reference_fallback) {
    if (KernelPtr kernel = reference::make_prepared_kernel(request, why)) return kernel;
  }
  const Node& node = request.node;
  throw Error(Errc::unsupported, "no kernel for op '" + node.op + "' (node '" + node.name +
                                     "') on backend '" + backend.name + "'")
      .node(node.name)
      .op(node.op);
}

inline KernelPtr make_kernel(const Backend& backend, const KernelRequest& request) {
  return make_kernel(require_backend(backend), request);
}

}  // namespace kiln
