// The op catalogue and the reference kernel table, compiled once for a whole build.
//
// Kiln is header-only: a program that includes kiln.hpp compiles everything it uses, and what it
// uses always includes the op catalogue (type inference) and the reference kernel table (constant
// folding, the fallback of every backend). Those two are thousands of functions, a kernel per op
// per element type, and compiling them is most of the minutes such a file takes at -O3. Once per
// program is fine for a user; once per test file, example and tool is most of Kiln's own build.
//
// So both tables are built by function templates, make_op_catalogue() and make_kernel_table(),
// and this file instantiates them explicitly. A file compiled with KILN_PRECOMPILED_TABLES
// defined sees `extern template` declarations of the two and compiles neither; it calls the
// instances below. Every file still sees the same definitions, so a program may mix files
// compiled either way (the linker keeps one copy of each instance, as it does for any template).
//
// Kiln's own build compiles this file once (CMake target kiln_precompiled_tables) and defines
// KILN_PRECOMPILED_TABLES for every target in the build tree. A user can do the same: compile this
// file into the program and define the macro for the program's other files. Without the macro
// nothing changes, and this file is not needed.
#include <kiln/core/ops.hpp>
#include <kiln/kernels/reference/reference.hpp>

namespace kiln {
template OpCatalogue make_op_catalogue<>();
namespace reference {
template KernelTable make_kernel_table<>();
}  // namespace reference
}  // namespace kiln
