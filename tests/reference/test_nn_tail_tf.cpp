// Replays every case make_nn_tail_cases.py recorded from TensorFlow (data/nn_tail_tf_cases.txt)
// on Kiln's reference kernels: the transposed and 3-D convolutions, the 3-D pools and
// MaxPoolV2, LRN, the Resize ops, CropAndResize, ExtractImagePatches and FakeQuant. The same
// outputs within each case's tolerance (exact unless the case gives one), or a kiln::Error
// where TensorFlow refused the inputs.
#include "tf_cases.hpp"

#include <algorithm>
#include <map>

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;

TEST_CASE("nn and image ops agree with TensorFlow", "[nn][tf]") {
  const std::vector<test::TfCase> cases =
      test::load_tf_cases(test::tf_cases_file("nn_tail_tf_cases.txt"));
  // What make_nn_tail_cases.py reported when it wrote the file, op by op: cases and refusals.
  const std::map<std::string, std::pair<int, int>> expected = {
      {"AvgPool3D", {15, 8}},
      {"Conv2DBackpropInput", {36, 11}},
      {"Conv3D", {18, 7}},
      {"Conv3DBackpropInputV2", {9, 3}},
      {"CropAndResize", {23, 9}},
      {"ExtractImagePatches", {16, 4}},
      {"FakeQuantWithMinMaxArgs", {41, 4}},
      {"FakeQuantWithMinMaxVars", {42, 3}},
      {"LRN", {8, 2}},
      {"MaxPool3D", {15, 8}},
      {"MaxPoolV2", {10, 4}},
      {"ResizeArea", {19, 4}},
      {"ResizeBicubic", {24, 5}},
      {"ResizeBilinear", {24, 5}},
      {"ResizeNearestNeighbor", {24, 5}},
  };
  std::map<std::string, std::pair<int, int>> found;
  for (const test::TfCase& c : cases) {
    found[c.op].first += 1;
    found[c.op].second += c.fails ? 1 : 0;
  }
  CHECK(cases.size() == 324);
  CHECK(found == expected);
  for (const test::TfCase& c : cases) {
    DYNAMIC_SECTION(c.op << ": " << c.name) {
      if (c.fails) {
        CHECK_THROWS_AS(test::run_op(c.op, c.inputs, c.attrs), Error);
        continue;
      }
      const std::vector<Tensor> outputs = test::run_op(c.op, c.inputs, c.attrs);
      REQUIRE(outputs.size() == c.outputs.size());
      for (std::size_t i = 0; i < outputs.size(); ++i) {
        INFO("output " << i);
        test::check_close(outputs[i], c.outputs[i], c.atol, c.rtol);
      }
    }
  }
}

}  // namespace KILN_TEST_FILE
