// Conv2DBackpropInput and Conv3DBackpropInputV2 on oneDNN's deconvolution against the reference
// kernel (itself checked against TensorFlow in tests/reference/test_nn_tail_tf.cpp), in the
// geometries Keras's Conv2DTranspose and Conv3DTranspose produce and the ones TensorFlow's GPU
// kernels add: dilations, channels first, groups, explicit padding.
#include "cpu_support.hpp"

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;
using test::check_against_reference;
using test::random_tensor;

namespace {

Tensor sizes_tensor(std::vector<std::int32_t> sizes) {
  const auto n = static_cast<std::int64_t>(sizes.size());
  return Tensor::from_vector<std::int32_t>(Shape{n}, sizes);
}

}  // namespace

TEST_CASE("Conv2DBackpropInput on oneDNN matches the reference", "[cpu][conv]") {
  struct Case {
    const char* name;
    std::vector<std::int32_t> sizes;
    Shape filter, grad;
    Attrs attrs;
  };
  const Ints unit{1, 1, 1, 1};
  const std::vector<Case> cases = {
      {"Keras 2x upsampling: SAME stride 2", {2, 8, 8, 6}, {3, 3, 6, 4}, {2, 4, 4, 4},
       {{"strides", Ints{1, 2, 2, 1}}, {"padding", std::string("SAME")}}},
      {"SAME stride 2, odd output (output_padding)", {1, 9, 7, 3}, {3, 3, 3, 5}, {1, 5, 4, 5},
       {{"strides", Ints{1, 2, 2, 1}}, {"padding", std::string("SAME")}}},
      {"VALID stride 2, 4x4 kernel", {1, 10, 10, 2}, {4, 4, 2, 3}, {1, 4, 4, 3},
       {{"strides", Ints{1, 2, 2, 1}}, {"padding", std::string("VALID")}}},
      {"VALID stride 3: rows no window reads", {1, 8, 8, 2}, {2, 2, 2, 3}, {1, 3, 3, 3},
       {{"strides", Ints{1, 3, 3, 1}}, {"padding", std::string("VALID")}}},
      {"dilated", {1, 9, 9, 3}, {3, 3, 3, 4}, {1, 9, 9, 4},
       {{"strides", unit}, {"padding", std::string("SAME")}, {"dilations", Ints{1, 2, 2, 1}}}},
      {"explicit padding", {1, 6, 6, 2}, {3, 3, 2, 4}, {1, 3, 6, 4},
       {{"strides", Ints{1, 2, 1, 1}}, {"padding", std::string("EXPLICIT")},
        {"explicit_paddings", Ints{0, 0, 1, 1, 2, 0, 0, 0}}}},
      {"two groups", {1, 7, 7, 8}, {3, 3, 4, 6}, {1, 4, 4, 6},
       {{"strides", Ints{1, 2, 2, 1}}, {"padding", std::string("SAME")}}},
      {"NCHW", {2, 3, 8, 7}, {3, 3, 3, 5}, {2, 5, 4, 4},
       {{"strides", Ints{1, 1, 2, 2}}, {"padding", std::string("SAME")},
        {"data_format", std::string("NCHW")}}},
  };
  std::uint32_t seed = 1;
  for (const Case& c : cases) {
    SECTION(c.name) {
      const Tensor sizes = sizes_tensor(c.sizes);
      const Tensor w = random_tensor(c.filter, seed++);
      const Tensor dy = random_tensor(c.grad, seed++);
      // A constant filter is reordered; a computed one is read in TensorFlow's layout; a
      // computed input_sizes (Keras stacks it from tf.shape) is read from the output's shape.
      check_against_reference("Conv2DBackpropInput", {sizes, w, dy}, c.attrs, {0, 1});
      check_against_reference("Conv2DBackpropInput", {sizes, w, dy}, c.attrs, {1});
      check_against_reference("Conv2DBackpropInput", {sizes, w, dy}, c.attrs, {});
    }
  }
}

TEST_CASE("Conv3DBackpropInputV2 on oneDNN matches the reference", "[cpu][conv]") {
  const Tensor sizes = sizes_tensor({1, 4, 8, 7, 3});
  const Tensor w = random_tensor({2, 3, 3, 3, 4}, 11);
  const Tensor dy = random_tensor({1, 2, 4, 4, 4}, 12);
  const Attrs attrs{{"strides", Ints{1, 2, 2, 2, 1}}, {"padding", std::string("SAME")}};
  check_against_reference("Conv3DBackpropInputV2", {sizes, w, dy}, attrs, {0, 1});
  check_against_reference("Conv3DBackpropInputV2", {sizes, w, dy}, attrs, {});
}

}  // namespace KILN_TEST_FILE
