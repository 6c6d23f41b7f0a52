// Registers the `cpu` backend in every program that links kiln::onednn.
//
// kiln::onednn is a header-only (INTERFACE) target that adds this one file to whatever links it
// (compiled once in Kiln's own build tree, compiled by each user from an installed Kiln), so the
// registration lands in the program or library that asked for the backend and in nothing else. Public headers therefore never ask whether the backend was built: a
// library built without kiln::onednn and one built with it can share a program, and both see the
// same inline functions (the one-definition rule holds), the second merely finds `cpu` in the
// registry. The alternative, a macro such as KILN_HAS_ONEDNN that changes inline bodies, breaks
// that rule silently.
//
// The variable below is initialized before main() runs, or when the shared library holding it is
// loaded. Two libraries that both link kiln::onednn register twice; register_backend() keeps the
// first definition of a name and ignores the second, so that is harmless. A static library should
// link kiln::onednn PUBLIC: the program then compiles its own copy, whereas the library's copy,
// an archive member that nothing references, may be left out by the linker.
//
// Without CMake, compile this file into the program: g++ -I<prefix>/include app.cpp
// <prefix>/include/kiln/kernels/cpu/register_backend.cpp -ldnnl.
#include <kiln/backend_registry.hpp>
#include <kiln/kernels/cpu/backend.hpp>

namespace {

[[maybe_unused]] const bool cpu_backend_registered =
    kiln::register_backend(kiln::cpu_kernels::backend_def());

}  // namespace
