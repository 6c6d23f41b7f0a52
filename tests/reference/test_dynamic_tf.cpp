// Replays every case make_dynamic_cases.py recorded from TensorFlow
// (data/dynamic_tf_cases.txt) on Kiln's reference kernels: the same outputs, of the same
// data-dependent shapes, or an Error where TensorFlow refused the inputs. Averaged segments and
// Soft-NMS scores carry a tolerance (a sum's order, exp's last bit); everything else is exact.
//
// Each case also runs its shape function without the input values, which must leave the
// data-dependent dimensions unknown rather than guess them, and agree with the exact shapes.
#include "tf_cases.hpp"

#include <algorithm>

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;

namespace {

// The output types a node gets before its inputs' values are known: a shape function may
// not refuse what TensorFlow accepts, and whatever it claims must fit the real outputs.
std::vector<TensorType> types_without_values(const test::TfCase& c) {
  Node node;
  node.name = "test/" + c.op;
  node.op = c.op;
  node.attrs = c.attrs;
  fill_default_attrs(node);
  std::vector<TensorType> types;
  for (const Tensor& t : c.inputs) types.push_back({t.dtype(), t.shape()});
  return infer_node(node, types, std::vector<const Tensor*>(types.size(), nullptr));
}

}  // namespace

TEST_CASE("data-dependent ops agree with TensorFlow") {
  const std::vector<test::TfCase> cases =
      test::load_tf_cases(test::tf_cases_file("dynamic_tf_cases.txt"));
  // What make_dynamic_cases.py reported when it wrote the file: 293 cases, 106 refused.
  CHECK(cases.size() == 293);
  CHECK(std::count_if(cases.begin(), cases.end(), [](const test::TfCase& c) { return c.fails; }) ==
        106);
  for (const test::TfCase& c : cases) {
    DYNAMIC_SECTION(c.op << ": " << c.name) {
      if (c.fails) {
        CHECK_THROWS_AS(test::run_op(c.op, c.inputs, c.attrs), Error);
        continue;
      }
      const std::vector<Tensor> outputs = test::run_op(c.op, c.inputs, c.attrs);
      REQUIRE(outputs.size() == c.outputs.size());
      const std::vector<TensorType> unknown = types_without_values(c);
      REQUIRE(unknown.size() == outputs.size());
      for (std::size_t i = 0; i < outputs.size(); ++i) {
        INFO("output " << i << " inferred without values as " << unknown[i].str());
        CHECK(unknown[i].dtype == outputs[i].dtype());
        CHECK(unknown[i].shape.compatible_with(outputs[i].shape()));
        test::check_close(outputs[i], c.outputs[i], c.atol, c.rtol);
      }
    }
  }
}

TEST_CASE("shape functions leave to the values what only the values decide") {
  auto infer = [](const std::string& op, std::vector<TensorType> inputs, Attrs attrs) {
    Node node;
    node.name = op;
    node.op = op;
    node.attrs = std::move(attrs);
    fill_default_attrs(node);
    return infer_node(node, inputs, std::vector<const Tensor*>(inputs.size(), nullptr));
  };
  const Attrs t_float{{"T", DType::float32}};
  CHECK(infer("Where", {{DType::float32, Shape{3, 4}}}, t_float)[0].str() == "int64[?,2]");
  const auto unique = infer("Unique", {{DType::int32, Shape{7}}}, {{"T", DType::int32}});
  CHECK(unique[0].str() == "int32[?]");
  CHECK(unique[1].str() == "int32[7]");
  const auto nms = infer("NonMaxSuppressionV5",
                         {{DType::float32, Shape{10, 4}}, {DType::float32, Shape{10}},
                          {DType::int32, Shape{}}, {DType::float32, Shape{}},
                          {DType::float32, Shape{}}, {DType::float32, Shape{}}},
                         t_float);
  CHECK(nms[0].str() == "int32[?]");
  CHECK(nms[1].str() == "float32[?]");
  CHECK(nms[2].str() == "int32[]");
  const auto parts = infer("DynamicPartition",
                           {{DType::float32, Shape{5, 3}}, {DType::int32, Shape{5}}},
                           {{"T", DType::float32}, {"num_partitions", std::int64_t{2}}});
  CHECK(parts.size() == 2);
  CHECK(parts[1].str() == "float32[?,3]");
  CHECK(infer("SegmentSum", {{DType::float32, Shape{5, 3}}, {DType::int32, Shape{5}}},
              {{"T", DType::float32}, {"Tindices", DType::int32}})[0]
            .str() == "float32[?,3]");
  const auto rows = infer("SparseFillEmptyRows",
                          {{DType::int64, Shape{6, 2}}, {DType::float32, Shape{6}},
                           {DType::int64, Shape{2}}, {DType::float32, Shape{}}},
                          t_float);
  CHECK(rows[0].str() == "int64[?,2]");
  CHECK(rows[2].str() == "bool[?]");
  CHECK(rows[3].str() == "int64[6]");
}

TEST_CASE("a padded suppression and a known segment count have static shapes") {
  // pad_to_max_output_size with a known max_output_size, and UnsortedSegmentSum with a known
  // num_segments, size their outputs without looking at the data.
  Node nms;
  nms.name = nms.op = "NonMaxSuppressionV4";
  nms.attrs = {{"pad_to_max_output_size", true}};
  fill_default_attrs(nms);
  const Tensor max_output = Tensor::scalar<std::int32_t>(5);
  const auto padded = infer_node(nms,
                                 {{DType::float32, Shape{10, 4}}, {DType::float32, Shape{10}},
                                  {DType::int32, Shape{}}, {DType::float32, Shape{}},
                                  {DType::float32, Shape{}}},
                                 {nullptr, nullptr, &max_output, nullptr, nullptr});
  CHECK(padded[0].str() == "int32[5]");

  Node segments;
  segments.name = segments.op = "UnsortedSegmentSum";
  segments.attrs = {{"T", DType::float32}, {"Tindices", DType::int32}};
  fill_default_attrs(segments);
  const Tensor count = Tensor::scalar<std::int32_t>(4);
  const auto summed = infer_node(
      segments,
      {{DType::float32, Shape{6, 3}}, {DType::int32, Shape{6}}, {DType::int32, Shape{}}},
      {nullptr, nullptr, &count});
  CHECK(summed[0].str() == "float32[4,3]");
}

TEST_CASE("sizes read from values are checked like sizes read from a file") {
  // A constant in a hostile file may ask for absurd outputs: each is a kiln::Error (the 1 TiB
  // tensor limit, or an element count that overflows), never a crash or a huge allocation.
  const auto i32 = [](std::vector<std::int32_t> v) {
    return Tensor::from_vector<std::int32_t>({static_cast<std::int64_t>(v.size())}, v);
  };
  const auto i64 = [](std::vector<std::int64_t> v) {
    return Tensor::from_vector<std::int64_t>({static_cast<std::int64_t>(v.size())}, v);
  };
  const Tensor one = Tensor::from<float>({1}, {1.0f});
  // Row 2^30 of 1024 floats: 4 TiB.
  CHECK_THROWS_AS(test::run_op("DynamicStitch", {i32({1 << 30}), Tensor(DType::float32, {1, 1024})},
                               {{"N", std::int64_t{1}}, {"T", DType::float32}}),
                  Error);
  const std::int64_t big = std::int64_t{1} << 31;
  CHECK_THROWS_AS(test::run_op("SparseToDense",
                               {i64({0, 0}).reshaped(Shape{1, 2}), i64({big, big}), one,
                                Tensor::scalar<float>(0.0f)},
                               {{"T", DType::float32}, {"Tindices", DType::int64}}),
                  Error);
  CHECK_THROWS_AS(test::run_op("UnsortedSegmentSum",
                               {one, i32({0}), Tensor::scalar<std::int64_t>(std::int64_t{1} << 62)},
                               {{"T", DType::float32},
                                {"Tindices", DType::int32},
                                {"Tnumsegments", DType::int64}}),
                  Error);
  CHECK_THROWS_AS(test::run_op("SparseFillEmptyRows",
                               {Tensor(DType::int64, Shape{0, 2}), Tensor(DType::float32, Shape{0}),
                                i64({std::int64_t{1} << 50, 2}), Tensor::scalar<float>(0.0f)},
                               {{"T", DType::float32}}),
                  Error);
  CHECK_THROWS_AS(test::run_op("SparseReshape",
                               {Tensor(DType::int64, Shape{0, 2}),
                                i64({std::int64_t{1} << 40, std::int64_t{1} << 40}), i64({-1})}),
                  Error);
}

}  // namespace KILN_TEST_FILE
