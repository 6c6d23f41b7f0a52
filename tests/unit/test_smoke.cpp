#include "../support.hpp"

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)
using namespace kiln;
TEST_CASE("identity forwards its input") {
  Tensor x = Tensor::from<float>({2, 2}, {1, 2, 3, 4});
  Tensor y = test::run_op1("Identity", {x}, {{"T", DType::float32}});
  test::check_close(y, x);
  CHECK(y.raw() == x.raw());
}

}  // namespace KILN_TEST_FILE
