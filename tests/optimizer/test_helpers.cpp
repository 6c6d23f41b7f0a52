// The test helpers' own behaviour, where a mistake would hide failures: the IR diff.
#include "helpers.hpp"

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

TEST_CASE("line_diff keeps unchanged lines aligned and marks expected and actual lines") {
  CHECK(kiln::test::line_diff("a\nb\nc\n", "a\nx\nc\n") == "  a\n- b\n+ x\n  c\n");
  CHECK(kiln::test::line_diff("a\nb\n", "a\nb\nc\n") == "  a\n  b\n+ c\n");
  CHECK(kiln::test::line_diff("a\nb\n", "b\n") == "- a\n  b\n");
  CHECK(kiln::test::line_diff("", "") == "");
}

}  // namespace KILN_TEST_FILE
