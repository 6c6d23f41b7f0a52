// The less common array ops beyond what TensorFlow's outputs show (test_array_tail_tf.cpp
// replays those): TensorFlow's attribute defaults, shape inference from constant index inputs
// and from partial knowledge, hostile sizes that must end in a kiln::Error before anything is
// allocated, and inputs on which TensorFlow itself crashes or has no CPU kernel.
#include "../support.hpp"

#include <cmath>
#include <limits>

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;

namespace {

Node make_node(const std::string& op, Attrs attrs) {
  Node node;
  node.name = "test/" + op;
  node.op = op;
  node.attrs = std::move(attrs);
  fill_default_attrs(node);
  return node;
}

// Runs only the op's shape function: `values[i]` null means input i is not known yet.
std::vector<TensorType> infer(const std::string& op, const std::vector<TensorType>& inputs,
                              const std::vector<const Tensor*>& values, Attrs attrs) {
  return infer_node(make_node(op, std::move(attrs)), inputs, values);
}

TensorType f32(Shape shape) { return {DType::float32, std::move(shape)}; }
TensorType i32(Shape shape) { return {DType::int32, std::move(shape)}; }
TensorType i64(Shape shape) { return {DType::int64, std::move(shape)}; }

Tensor ints(std::vector<std::int32_t> values) {
  const auto n = static_cast<std::int64_t>(values.size());
  return Tensor::from_vector<std::int32_t>(Shape{n}, values);
}
Tensor longs(std::vector<std::int64_t> values) {
  const auto n = static_cast<std::int64_t>(values.size());
  return Tensor::from_vector<std::int64_t>(Shape{n}, values);
}
Tensor int_scalar(std::int32_t v) { return Tensor::scalar<std::int32_t>(v); }

constexpr std::int64_t kUnknown = kUnknownDim;
const Shape kUnknownRank = Shape::unknown_rank();

// The Errc of the Error `fn` throws (or fails the test).
template <class Fn> Errc error_code(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.code();
  }
  FAIL("no kiln::Error was thrown");
  return Errc::internal;
}

std::string default_of(const std::string& op, const std::string& attr) {
  return attr_text(make_node(op, {}).attrs.at(attr));
}

}  // namespace

TEST_CASE("the less common array ops carry TensorFlow's defaults") {
  CHECK(default_of("SpaceToBatchND", "Tblock_shape") == "int32");
  CHECK(default_of("SpaceToBatchND", "Tpaddings") == "int32");
  CHECK(default_of("BatchToSpaceND", "Tcrops") == "int32");
  CHECK(default_of("DepthToSpace", "data_format") == "\"NHWC\"");
  CHECK(default_of("SpaceToDepth", "data_format") == "\"NHWC\"");
  CHECK(default_of("ReverseV2", "Tidx") == "int32");
  CHECK(default_of("ReverseSequence", "batch_dim") == "0");
  CHECK(default_of("ReverseSequence", "Tlen") == "int64");
  CHECK(default_of("OneHot", "axis") == "-1");
  CHECK(default_of("OneHot", "TI") == "int64");
  CHECK(default_of("Gather", "validate_indices") == "true");
  for (const char* op : {"GatherNd", "ScatterNd", "TensorScatterUpdate", "TensorScatterAdd",
                         "TensorScatterSub", "TensorScatterMax", "TensorScatterMin"}) {
    INFO(op);
    CHECK(default_of(op, "bad_indices_policy") == "\"\"");
  }
  CHECK(default_of("MatrixBandPart", "Tindex") == "int64");
  for (const char* op : {"MatrixDiagV3", "MatrixSetDiagV3", "MatrixDiagPartV3"}) {
    INFO(op);
    CHECK(default_of(op, "align") == "\"RIGHT_LEFT\"");
  }
  CHECK(default_of("TopKV2", "sorted") == "true");
  CHECK(default_of("TopKV2", "Tk") == "int32");
  CHECK(default_of("TopKV2", "index_type") == "int32");
  // Required attributes have no default: a node without them is refused.
  CHECK(error_code([] {
          infer("DepthToSpace", {f32({1, 1, 1, 4})}, {nullptr}, {{"T", DType::float32}});
        }) == Errc::invalid_attr);
  CHECK(error_code([] {
          infer("ReverseSequence", {f32({2, 3}), i64({2})}, {nullptr, nullptr},
                {{"T", DType::float32}});
        }) == Errc::invalid_attr);
}

TEST_CASE("constant index inputs give exact shapes, unknown ones partial shapes") {
  const Attrs t{{"T", DType::float32}};
  const std::vector<const Tensor*> none(5, nullptr);
  SECTION("SpaceToBatchND and BatchToSpaceND") {
    const Tensor block = ints({2, 2});
    const Tensor pads = Tensor::from<std::int32_t>({2, 2}, {1, 1, 0, 2});
    const std::vector<TensorType> in{f32({kUnknown, 4, 6, 3}), i32({2}), i32({2, 2})};
    CHECK(infer("SpaceToBatchND", in, {nullptr, &block, &pads}, t)[0].shape ==
          Shape({kUnknown, 3, 4, 3}));
    CHECK(infer("SpaceToBatchND", {f32({5, 4, 6, 3}), i32({2}), i32({2, 2})},
                {nullptr, &block, &pads}, t)[0].shape == Shape({20, 3, 4, 3}));
    // Only the block known: the batch, not the padded sizes.
    CHECK(infer("SpaceToBatchND", {f32({5, 4, 6, 3}), i32({2}), i32({2, 2})},
                {nullptr, &block, nullptr}, t)[0].shape == Shape({20, kUnknown, kUnknown, 3}));
    // Nothing known but M = 2 from the block's shape: the trailing axis survives.
    CHECK(infer("SpaceToBatchND", {f32({5, 4, 6, 3}), i32({2}), i32({2, 2})}, none, t)[0].shape ==
          Shape({kUnknown, kUnknown, kUnknown, 3}));
    CHECK(infer("SpaceToBatchND", {f32({5, 4, 6, 3}), i32(kUnknownRank), i32(kUnknownRank)}, none,
                t)[0].shape == Shape::unknown_dims(4));
    const Tensor crops = Tensor::from<std::int32_t>({2, 2}, {0, 1, 2, 0});
    CHECK(infer("BatchToSpaceND", {f32({8, 3, kUnknown, 1}), i32({2}), i32({2, 2})},
                {nullptr, &block, &crops}, t)[0].shape == Shape({2, 5, kUnknown, 1}));
    CHECK(infer("BatchToSpaceND", {f32(kUnknownRank), i32({2}), i32({2, 2})}, none, t)[0].shape ==
          kUnknownRank);
  }
  SECTION("DepthToSpace and SpaceToDepth keep what they know") {
    const Attrs d2s{{"T", DType::float32}, {"block_size", std::int64_t{2}}};
    CHECK(infer("DepthToSpace", {f32({kUnknown, kUnknown, 3, 8})}, none, d2s)[0].shape ==
          Shape({kUnknown, kUnknown, 6, 2}));
    Attrs nchw = d2s;
    nchw["data_format"] = std::string("NCHW");
    CHECK(infer("SpaceToDepth", {f32({1, 3, 4, kUnknown})}, none, nchw)[0].shape ==
          Shape({1, 12, 2, kUnknown}));
  }
  SECTION("ReverseV2, ReverseSequence and Roll keep the input's shape") {
    CHECK(infer("ReverseV2", {f32({kUnknown, 3}), i32({1})}, none, t)[0].shape ==
          Shape({kUnknown, 3}));
    CHECK(infer("ReverseSequence", {f32({2, kUnknown}), i64({kUnknown})}, none,
                {{"T", DType::float32}, {"seq_dim", std::int64_t{1}}})[0]
              .shape == Shape({2, kUnknown}));
    const Tensor axis = int_scalar(1);
    CHECK(infer("Roll", {f32({kUnknown, 3}), i32({}), i32({})}, {nullptr, nullptr, &axis},
                {{"T", DType::float32}, {"Tshift", DType::int32}, {"Taxis", DType::int32}})[0]
              .shape == Shape({kUnknown, 3}));
  }
  SECTION("OneHot: the depth from its value, the axis from the attribute") {
    const Attrs a{{"T", DType::float32}, {"axis", std::int64_t{0}}};
    const std::vector<TensorType> in{i64({2, kUnknown}), i32({}), f32({}), f32({})};
    const Tensor depth = int_scalar(5);
    CHECK(infer("OneHot", in, {nullptr, &depth, nullptr, nullptr}, a)[0].shape ==
          Shape({5, 2, kUnknown}));
    CHECK(infer("OneHot", in, none, a)[0].shape == Shape({kUnknown, 2, kUnknown}));
    CHECK(infer("OneHot", {i64(kUnknownRank), i32({}), f32({}), f32({})}, none, a)[0].shape ==
          kUnknownRank);
  }
  SECTION("DenseBincount: bins from the size's value, a row of them per input row") {
    const Attrs a{{"T", DType::float32}, {"Tidx", DType::int32}};
    const Tensor size = int_scalar(6);
    CHECK(infer("DenseBincount", {i32({kUnknown, 4}), i32({}), f32({0})}, {nullptr, &size, nullptr},
                a)[0].shape == Shape({kUnknown, 6}));
    CHECK(infer("DenseBincount", {i32({3}), i32({}), f32({3})}, none, a)[0].shape ==
          Shape({kUnknown}));
    CHECK(error_code([&] { infer("DenseBincount", {i32({2, 2, 2}), i32({}), f32({0})}, none, a); })
          == Errc::shape_mismatch);
    CHECK(error_code([&] { infer("DenseBincount", {i32({3}), i32({}), f32({2})}, none, a); }) ==
          Errc::shape_mismatch);
  }
  SECTION("gathers and scatters") {
    const Attrs g{{"Tparams", DType::float32}, {"Tindices", DType::int32}};
    CHECK(infer("Gather", {f32({5, kUnknown}), i32({kUnknown, 2})}, none, g)[0].shape ==
          Shape({kUnknown, 2, kUnknown}));
    CHECK(infer("GatherNd", {f32({3, 4, 5}), i32({kUnknown, 2})}, none, g)[0].shape ==
          Shape({kUnknown, 5}));
    CHECK(infer("GatherNd", {f32({3, 4, 5}), i32({4, kUnknown})}, none, g)[0].shape ==
          kUnknownRank);
    const Attrs s{{"T", DType::float32}, {"Tindices", DType::int32}};
    CHECK(infer("ScatterNd", {i32({kUnknown, 1}), f32({kUnknown, 3}), i32({2})}, none, s)[0]
              .shape == Shape({kUnknown, kUnknown}));
    const Tensor shape = ints({7, 3});
    CHECK(infer("ScatterNd", {i32({kUnknown, 1}), f32({kUnknown, 3}), i32({2})},
                {nullptr, nullptr, &shape}, s)[0]
              .shape == Shape({7, 3}));
    CHECK(infer("TensorScatterMax", {f32({kUnknown, 3}), i32({2, 1}), f32({2, 3})}, none, s)[0]
              .shape == Shape({kUnknown, 3}));
    // What the shapes show is checked before any value is known.
    CHECK(error_code([&] {
            infer("TensorScatterAdd", {f32({4, 3}), i32({2, 1}), f32({2, 4})}, none, s);
          }) == Errc::shape_mismatch);
  }
  SECTION("the diagonal ops") {
    const std::vector<TensorType> diag_in{f32({2, 3}), i32({}), i32({}), i32({}), f32({})};
    const Tensor k0 = int_scalar(0);
    const Tensor k1 = int_scalar(1);
    const Tensor minus_one = int_scalar(-1);
    const Tensor five = int_scalar(5);
    // k known, sizes not: [batch, ?, ?].
    CHECK(infer("MatrixDiagV3", diag_in, {nullptr, &k0, nullptr, nullptr, nullptr}, t)[0].shape ==
          Shape({2, kUnknown, kUnknown}));
    // Everything known: the smallest square matrix that holds diagonal 1.
    CHECK(infer("MatrixDiagV3", diag_in, {nullptr, &k1, &minus_one, &minus_one, nullptr}, t)[0]
              .shape == Shape({2, 4, 4}));
    // A given row count is kept even when the diagonal's length is unknown.
    CHECK(infer("MatrixDiagV2", {f32({2, kUnknown}), i32({}), i32({}), i32({}), f32({})},
                {nullptr, &k0, &five, nullptr, nullptr}, t)[0]
              .shape == Shape({2, 5, kUnknown}));
    // k unknown: one diagonal or a band, so the rank is open.
    CHECK(infer("MatrixDiagV3", diag_in, none, t)[0].shape == kUnknownRank);
    CHECK(infer("MatrixDiag", {f32({kUnknown, 3})}, none, t)[0].shape ==
          Shape({kUnknown, 3, 3}));
    const Tensor band = ints({-1, 1});
    CHECK(infer("MatrixDiagPartV3", {f32({kUnknown, 3, 4}), i32({2}), f32({})},
                {nullptr, &band, nullptr}, t)[0]
              .shape == Shape({kUnknown, 3, 3}));
    CHECK(infer("MatrixDiagPartV3", {f32({kUnknown, 3, 4}), i32({2}), f32({})}, none, t)[0]
              .shape == kUnknownRank);
    CHECK(infer("MatrixDiagPart", {f32({kUnknown, 3, kUnknown})}, none, t)[0].shape ==
          Shape({kUnknown, kUnknown}));
    CHECK(infer("MatrixSetDiagV3", {f32({kUnknown, 3, 4}), f32({2, 3, 3}), i32({2})},
                {nullptr, nullptr, &band}, t)[0]
              .shape == Shape({kUnknown, 3, 4}));
    CHECK(error_code([&] {
            infer("MatrixSetDiagV3", {f32({kUnknown, 3, 4}), f32({2, 2, 3}), i32({2})},
                  {nullptr, nullptr, &band}, t);
          }) == Errc::shape_mismatch);
    CHECK(infer("MatrixBandPart", {f32({kUnknown, 3, 3}), i64({}), i64({})}, none, t)[0].shape ==
          Shape({kUnknown, 3, 3}));
  }
  SECTION("TopKV2, Concat and EnsureShape") {
    const Attrs top{{"T", DType::float32}, {"index_type", DType::int64}};
    const auto out = infer("TopKV2", {f32({kUnknown, 9}), i32({})}, none, top);
    REQUIRE(out.size() == 2);
    CHECK(out[0] == TensorType{DType::float32, Shape{kUnknown, kUnknown}});
    CHECK(out[1] == TensorType{DType::int64, Shape{kUnknown, kUnknown}});
    const Tensor k = int_scalar(4);
    CHECK(infer("TopKV2", {f32({kUnknown, 9}), i32({})}, {nullptr, &k}, top)[1].shape ==
          Shape({kUnknown, 4}));
    const Attrs concat{{"T", DType::float32}, {"N", std::int64_t{2}}};
    CHECK(infer("Concat", {i32({}), f32({2, kUnknown}), f32({3, 5})}, none, concat)[0].shape ==
          Shape({kUnknown, kUnknown}));
    const Tensor axis = int_scalar(0);
    CHECK(infer("Concat", {i32({}), f32({2, kUnknown}), f32({3, 5})}, {&axis, nullptr, nullptr},
                concat)[0]
              .shape == Shape({5, 5}));
    const Attrs ensure{{"T", DType::float32}, {"shape", Shape{2, kUnknown}}};
    CHECK(infer("EnsureShape", {f32({kUnknown, 3})}, none, ensure)[0].shape == Shape({2, 3}));
    CHECK(infer("EnsureShape", {f32(kUnknownRank)}, none, ensure)[0].shape ==
          Shape({2, kUnknown}));
    CHECK(error_code([&] { infer("EnsureShape", {f32({3, 3})}, none, ensure); }) ==
          Errc::shape_mismatch);
  }
}

TEST_CASE("constants feed the shape functions through infer_types") {
  Graph g;
  const auto add_const = [&](const std::string& name, Tensor value) {
    Node c;
    c.name = name;
    c.op = "Const";
    c.attrs = {{"dtype", value.dtype()}, {"value", value}};
    return g.add(c);
  };
  Node x;
  x.name = "x";
  x.op = "Placeholder";
  x.attrs = {{"dtype", DType::float32}, {"shape", Shape{kUnknown, 9, 9, 8}}};
  const NodeId xid = g.add(x);
  const NodeId block = add_const("block", ints({2, 2}));
  const NodeId pads = add_const("pads", Tensor::from<std::int32_t>({2, 2}, {2, 3, 2, 3}));
  Node s2b = make_node("SpaceToBatchND", {{"T", DType::float32}});
  s2b.name = "s2b";
  s2b.inputs = {{xid, 0}, {block, 0}, {pads, 0}};
  const NodeId s2b_id = g.add(s2b);
  const NodeId crops = add_const("crops", Tensor::from<std::int32_t>({2, 2}, {2, 1, 2, 1}));
  Node b2s = make_node("BatchToSpaceND", {{"T", DType::float32}});
  b2s.name = "b2s";
  b2s.inputs = {{s2b_id, 0}, {block, 0}, {crops, 0}};
  const NodeId b2s_id = g.add(b2s);
  infer_types(g);
  CHECK(g.node(s2b_id).outputs[0].shape == Shape({kUnknown, 7, 7, 8}));
  CHECK(g.node(b2s_id).outputs[0].shape == Shape({kUnknown, 11, 11, 8}));
}

TEST_CASE("hostile sizes end in an Error, before anything is allocated") {
  const Attrs t{{"T", DType::float32}};
  SECTION("OneHot depth from a file") {
    // depth is int32 in TensorFlow: a 2^40 depth can only come as int64, which is refused.
    const Tensor depth = Tensor::scalar<std::int64_t>(std::int64_t{1} << 40);
    CHECK(error_code([&] {
            test::run_op("OneHot", {longs({0}), depth, Tensor::scalar<float>(1),
                                    Tensor::scalar<float>(0)}, t);
          }) == Errc::type_mismatch);
    // The largest int32 depth times a million indices: a shape, but never an allocation.
    const Tensor indices(DType::int8, Shape{1 << 20});
    CHECK(error_code([&] {
            test::run_op("OneHot", {indices, int_scalar(std::numeric_limits<std::int32_t>::max()),
                                    Tensor::scalar<float>(1), Tensor::scalar<float>(0)},
                         {{"T", DType::float32}, {"TI", DType::int8}});
          }) == Errc::limit_exceeded);
  }
  SECTION("SpaceToBatchND blocks whose product overflows") {
    const Tensor block = longs({std::int64_t{1} << 40, std::int64_t{1} << 40});
    const Tensor pads = Tensor::from<std::int64_t>({2, 2}, {0, 0, 0, 0});
    CHECK(error_code([&] {
            infer("SpaceToBatchND", {f32({1, 4, 4, 1}), i64({2}), i64({2, 2})},
                  {nullptr, &block, &pads},
                  {{"T", DType::float32}, {"Tblock_shape", DType::int64},
                   {"Tpaddings", DType::int64}});
          }) == Errc::limit_exceeded);
    const Tensor one = longs({1});
    const Tensor huge_pads = Tensor::from<std::int64_t>(
        {1, 2}, {std::numeric_limits<std::int64_t>::max(), 1});
    CHECK(error_code([&] {
            infer("SpaceToBatchND", {f32({1, 4, 1}), i64({1}), i64({1, 2})},
                  {nullptr, &one, &huge_pads},
                  {{"T", DType::float32}, {"Tblock_shape", DType::int64},
                   {"Tpaddings", DType::int64}});
          }) == Errc::limit_exceeded);
  }
  SECTION("BatchToSpaceND and DepthToSpace sizes that overflow") {
    const Tensor block = longs({std::int64_t{1} << 62});
    const Tensor crops = Tensor::from<std::int64_t>({1, 2}, {0, 0});
    CHECK(error_code([&] {
            infer("BatchToSpaceND", {f32({std::int64_t{1} << 62, 4, 1}), i64({1}), i64({1, 2})},
                  {nullptr, &block, &crops},
                  {{"T", DType::float32}, {"Tblock_shape", DType::int64},
                   {"Tcrops", DType::int64}});
          }) == Errc::limit_exceeded);
    CHECK(error_code([&] {
            infer("DepthToSpace", {f32({1, 1, 1, 4})}, {nullptr},
                  {{"T", DType::float32}, {"block_size", std::int64_t{1} << 32}});
          }) == Errc::limit_exceeded);
  }
  SECTION("ScatterNd into a shape of 2^62 elements") {
    const Tensor updates(DType::float32, Shape{0, std::int64_t{1} << 31});
    const Tensor shape = longs({std::int64_t{1} << 31, std::int64_t{1} << 31});
    CHECK(error_code([&] {
            test::run_op("ScatterNd", {Tensor(DType::int64, Shape{0, 1}), updates, shape},
                         {{"T", DType::float32}, {"Tindices", DType::int64}});
          }) == Errc::limit_exceeded);
  }
  SECTION("index values far outside their axes are refused, not read") {
    const Tensor params = Tensor::from<float>({2, 2}, {1, 2, 3, 4});
    const std::int64_t far = std::numeric_limits<std::int64_t>::max();
    CHECK(error_code([&] {
            test::run_op("GatherNd", {params, Tensor::from<std::int64_t>({1, 2}, {0, far})},
                         {{"Tparams", DType::float32}, {"Tindices", DType::int64}});
          }) == Errc::invalid_argument);
    CHECK(error_code([&] {
            test::run_op("TensorScatterUpdate",
                         {params, Tensor::from<std::int64_t>({1, 1}, {-far}),
                          Tensor::from<float>({1, 2}, {0, 0})},
                         {{"T", DType::float32}, {"Tindices", DType::int64}});
          }) == Errc::invalid_argument);
    CHECK(error_code([&] {
            test::run_op("TopKV2", {params, int_scalar(std::numeric_limits<std::int32_t>::max())},
                         t);
          }) == Errc::invalid_argument);
    CHECK(error_code([&] {
            test::run_op("MatrixBandPart", {params, Tensor::scalar<std::int64_t>(far),
                                            Tensor::scalar<std::int64_t>(0)},
                         t);
          }) == Errc::invalid_argument);
    // A band of 2^32 diagonals cannot match any diagonal input.
    CHECK(error_code([&] {
            test::run_op("MatrixDiagV3",
                         {Tensor::from<float>({1, 1}, {1}),
                          ints({std::numeric_limits<std::int32_t>::min(),
                                std::numeric_limits<std::int32_t>::max()}),
                          int_scalar(-1), int_scalar(-1), Tensor::scalar<float>(0)},
                         t);
          }) == Errc::shape_mismatch);
  }
  SECTION("empty tensors with huge other axes finish at once") {
    const std::int64_t huge = std::int64_t{1} << 40;
    const Tensor empty(DType::float32, Shape{0, huge});
    CHECK(test::run_op1("ReverseV2", {empty, ints({1})}, t).shape() == Shape({0, huge}));
    CHECK(test::run_op1("Roll", {empty, int_scalar(3), int_scalar(1)},
                        {{"T", DType::float32}, {"Tshift", DType::int32}, {"Taxis", DType::int32}})
              .num_elements() == 0);
    CHECK(test::run_op1("ReverseSequence", {empty, longs({})},
                        {{"T", DType::float32}, {"seq_dim", std::int64_t{1}}})
              .num_elements() == 0);
    CHECK(test::run_op1("MatrixBandPart", {empty, Tensor::scalar<std::int64_t>(0),
                                           Tensor::scalar<std::int64_t>(-1)},
                        t)
              .num_elements() == 0);
    CHECK(test::run_op("TopKV2", {empty, int_scalar(2)}, t)[1].shape() == Shape({0, 2}));
    const Tensor image(DType::float32, Shape{0, huge, huge >> 20, 4});
    CHECK(test::run_op1("DepthToSpace", {image},
                        {{"T", DType::float32}, {"block_size", std::int64_t{2}}})
              .num_elements() == 0);
  }
}

TEST_CASE("inputs TensorFlow crashes on or only takes on a GPU") {
  const Attrs t{{"T", DType::float32}};
  SECTION("a band of diagonals given as a vector (TensorFlow's kernel aborts)") {
    CHECK(error_code([&] {
            test::run_op("MatrixDiagV3", {Tensor::from<float>({2}, {1, 2}), ints({0, 1}),
                                          int_scalar(-1), int_scalar(-1),
                                          Tensor::scalar<float>(0)},
                         t);
          }) == Errc::invalid_argument);
  }
  SECTION("MatrixDiagPart's padding_value must be a scalar, as TensorFlow's graphs demand") {
    // TensorFlow's eager kernel reads the first element; its shape function refuses.
    CHECK(error_code([&] {
            test::run_op("MatrixDiagPartV3", {Tensor::from<float>({2, 2}, {1, 2, 3, 4}),
                                              int_scalar(0), Tensor::from<float>({1}, {0})},
                         t);
          }) == Errc::shape_mismatch);
  }
  SECTION("NCHW_VECT_C is refused clearly; NCHW runs") {
    const Tensor x(DType::int8, Shape{1, 4, 1, 1});
    CHECK(error_code([&] {
            test::run_op("DepthToSpace", {x},
                         {{"T", DType::int8}, {"block_size", std::int64_t{2}},
                          {"data_format", std::string("NCHW_VECT_C")}});
          }) == Errc::unsupported);
    CHECK(test::run_op1("DepthToSpace", {x},
                        {{"T", DType::int8}, {"block_size", std::int64_t{2}},
                         {"data_format", std::string("NCHW")}})
              .shape() == Shape({1, 1, 2, 2}));
  }
}

TEST_CASE("TopKV2 ranks NaN above every number and never loses an element") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const Tensor x = Tensor::from<float>({2, 4}, {1, nan, 3, nan, -1, 5, 5, 2});
  const std::vector<Tensor> out = test::run_op("TopKV2", {x, int_scalar(3)},
                                               {{"T", DType::float32}});
  const float* values = out[0].data<float>();
  const std::int32_t* indices = out[1].data<std::int32_t>();
  CHECK(std::isnan(values[0]));
  CHECK(std::isnan(values[1]));
  CHECK(values[2] == 3);
  CHECK(std::vector<std::int32_t>(indices, indices + 6) ==
        std::vector<std::int32_t>{1, 3, 2, 1, 2, 3});
}

TEST_CASE("EnsureShape hands its input on without a kernel, and checks it at run time") {
  const Tensor x = Tensor::from<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  const Attrs a{{"T", DType::float32}, {"shape", Shape{kUnknown, 3}}};
  const Tensor y = test::run_op1("EnsureShape", {x}, a);
  CHECK(y.raw() == x.raw());
  CHECK(y.shape() == x.shape());
  const Tensor wrong = Tensor::from<float>({3, 2}, {1, 2, 3, 4, 5, 6});
  CHECK(error_code([&] { test::run_op("EnsureShape", {wrong}, a); }) == Errc::shape_mismatch);
}

TEST_CASE("errors from the less common array ops name the node and the op") {
  try {
    test::run_op("OneHot", {longs({0}), int_scalar(-3), Tensor::scalar<float>(1),
                            Tensor::scalar<float>(0)},
                 {{"T", DType::float32}});
    FAIL("no Error");
  } catch (const Error& e) {
    CHECK(e.context().node == "test/OneHot");
    CHECK(e.context().op == "OneHot");
  }
  try {
    test::run_op("GatherNd", {Tensor::from<float>({2}, {1, 2}), ints({5})},
                 {{"Tparams", DType::float32}, {"Tindices", DType::int32}});
    FAIL("no Error");
  } catch (const Error& e) {
    CHECK(e.context().node == "test/GatherNd");
    CHECK(e.context().found == "indices[0] = [5]");
  }
}

}  // namespace KILN_TEST_FILE
