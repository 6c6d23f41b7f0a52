// The array ops beyond what TensorFlow's outputs show (test_array_tf.cpp replays those): shape
// inference when values or dimensions are unknown, TensorFlow's attribute defaults, forwarding
// without a kernel, and hostile inputs that must end in a kiln::Error.
#include "../support.hpp"

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

Tensor ints(std::vector<std::int32_t> values) {
  const auto n = static_cast<std::int64_t>(values.size());
  return Tensor::from_vector<std::int32_t>(Shape{n}, values);
}

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

}  // namespace

TEST_CASE("array ops carry TensorFlow's defaults") {
  CHECK(attr_text(make_node("Reshape", {}).attrs.at("Tshape")) == "int32");
  CHECK(attr_text(make_node("Shape", {}).attrs.at("out_type")) == "int32");
  CHECK(attr_text(make_node("Size", {}).attrs.at("out_type")) == "int32");
  CHECK(attr_text(make_node("SplitV", {}).attrs.at("Tlen")) == "int64");
  CHECK(attr_text(make_node("Squeeze", {}).attrs.at("squeeze_dims")) == "[]");
  CHECK(attr_text(make_node("Pack", {}).attrs.at("axis")) == "0");
  CHECK(attr_text(make_node("Unpack", {}).attrs.at("axis")) == "0");
  CHECK(attr_text(make_node("GatherV2", {}).attrs.at("batch_dims")) == "0");
  CHECK(attr_text(make_node("Fill", {}).attrs.at("index_type")) == "int32");
  CHECK(attr_text(make_node("Range", {}).attrs.at("Tidx")) == "int32");
  CHECK(attr_text(make_node("MirrorPad", {}).attrs.at("Tpaddings")) == "int32");
  const Node slice = make_node("StridedSlice", {});
  for (const char* mask : {"begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask",
                           "shrink_axis_mask"}) {
    CHECK(attr_text(slice.attrs.at(mask)) == "0");
  }
  // Attributes without a TensorFlow default stay required.
  CHECK_FALSE(slice.has_attr("Index"));
  CHECK_FALSE(make_node("MirrorPad", {}).has_attr("mode"));
  CHECK_FALSE(make_node("ConcatV2", {}).has_attr("N"));
}

TEST_CASE("Reshape, Squeeze and ExpandDims forward bytes without a kernel") {
  const Tensor x = Tensor::from<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  const Tensor reshaped =
      test::run_op1("Reshape", {x, ints({3, -1})}, {{"T", DType::float32}});
  CHECK(reshaped.shape() == Shape({3, 2}));
  CHECK(reshaped.raw() == x.raw());
  const Tensor expanded =
      test::run_op1("ExpandDims", {x, Tensor::scalar<std::int32_t>(1)}, {{"T", DType::float32}});
  CHECK(expanded.shape() == Shape({2, 1, 3}));
  CHECK(expanded.raw() == x.raw());
  const Tensor squeezed = test::run_op1("Squeeze", {expanded}, {{"T", DType::float32}});
  CHECK(squeezed.shape() == Shape({2, 3}));
  CHECK(squeezed.raw() == x.raw());
  for (const char* op : {"Reshape", "Squeeze", "ExpandDims"}) {
    CHECK(op_catalogue().find(op)->forwards_inputs);
    CHECK(reference::kernel_table().count(op) == 0);
  }
}

TEST_CASE("every array op has a catalogue entry and, unless it forwards, a kernel") {
  // The array family as registered, not a list kept by hand: a new array op is walked too.
  OpCatalogue array_ops;
  ops::register_array_ops(array_ops);
  CHECK(array_ops.all().size() >= 26);
  for (const auto& [op, def] : array_ops.all()) {
    INFO(op);
    REQUIRE(op_catalogue().find(op) != nullptr);
    CHECK((def.forwards_inputs || reference::kernel_table().count(op) == 1));
  }
}

TEST_CASE("Reshape infers what it can") {
  const Attrs t{{"T", DType::float32}};
  const Tensor shape = ints({-1, 2});
  SECTION("unknown shape value: the shape input's length gives the rank") {
    const auto out = infer("Reshape", {f32({4, 4}), i32({3})}, {nullptr, nullptr}, t);
    CHECK(out[0].shape == Shape({kUnknown, kUnknown, kUnknown}));
    CHECK(infer("Reshape", {f32({4}), i32(kUnknownRank)}, {nullptr, nullptr}, t)[0].shape ==
          kUnknownRank);
  }
  SECTION("a partly known input leaves the -1 unknown") {
    const auto out = infer("Reshape", {f32({kUnknown, 4}), i32({2})}, {nullptr, &shape}, t);
    CHECK(out[0].shape == Shape({kUnknown, 2}));
  }
  SECTION("a fully known input resolves the -1") {
    const auto out = infer("Reshape", {f32({3, 4}), i32({2})}, {nullptr, &shape}, t);
    CHECK(out[0].shape == Shape({6, 2}));  // 12 elements / 2 = 6
  }
  SECTION("a partly known input that no count could satisfy") {
    // [?, 3] holds a multiple of 3 elements; [4, 5] asks for 20.
    const Tensor bad = ints({4, 5});
    CHECK(error_code([&] {
            infer("Reshape", {f32({kUnknown, 3}), i32({2})}, {nullptr, &bad}, t);
          }) == Errc::shape_mismatch);
  }
}

TEST_CASE("shape functions keep the rank when values are unknown") {
  const Attrs t{{"T", DType::float32}};
  const std::vector<const Tensor*> none(4, nullptr);
  SECTION("Squeeze") {
    CHECK(infer("Squeeze", {f32({kUnknown, 1})}, none, t)[0].shape == kUnknownRank);
    CHECK(infer("Squeeze", {f32({kUnknown, 1, 3})}, none,
                {{"T", DType::float32}, {"squeeze_dims", Ints{1}}})[0]
              .shape == Shape({kUnknown, 3}));
    // A listed unknown axis is assumed to be 1.
    CHECK(infer("Squeeze", {f32({kUnknown, 2})}, none,
                {{"T", DType::float32}, {"squeeze_dims", Ints{0}}})[0]
              .shape == Shape({2}));
  }
  SECTION("ExpandDims and Transpose") {
    CHECK(infer("ExpandDims", {f32({2, 3}), i32({})}, none, t)[0].shape ==
          Shape({kUnknown, kUnknown, kUnknown}));
    CHECK(infer("Transpose", {f32({2, 3}), i32({2})}, none, t)[0].shape ==
          Shape({kUnknown, kUnknown}));
    const Tensor perm = ints({1, 0});
    CHECK(infer("Transpose", {f32({kUnknown, 3}), i32({2})}, {nullptr, &perm}, t)[0].shape ==
          Shape({3, kUnknown}));
  }
  SECTION("ConcatV2 merges what it knows") {
    const Attrs concat{{"T", DType::float32}, {"N", std::int64_t{2}}};
    CHECK(infer("ConcatV2", {f32({2, kUnknown}), f32({3, 5}), i32({})}, none, concat)[0].shape ==
          Shape({kUnknown, kUnknown}));
    const Tensor axis = Tensor::scalar<std::int32_t>(0);
    CHECK(infer("ConcatV2", {f32({2, kUnknown}), f32({3, 5}), i32({})},
                {nullptr, nullptr, &axis}, concat)[0]
              .shape == Shape({5, 5}));
    CHECK(infer("ConcatV2", {f32({kUnknown, 5}), f32({3, 5}), i32({})},
                {nullptr, nullptr, &axis}, concat)[0]
              .shape == Shape({kUnknown, 5}));
  }
  SECTION("Pack merges its inputs' shapes") {
    CHECK(infer("Pack", {f32({kUnknown, 3}), f32({2, kUnknown})}, none,
                {{"T", DType::float32}, {"N", std::int64_t{2}}, {"axis", std::int64_t{-1}}})[0]
              .shape == Shape({2, 3, 2}));
  }
  SECTION("Unpack of an unknown rank still has num outputs") {
    const auto out = infer("Unpack", {f32(kUnknownRank)}, none,
                           {{"T", DType::float32}, {"num", std::int64_t{3}}});
    CHECK(out.size() == 3);
  }
  SECTION("Split and SplitV") {
    const Attrs split{{"T", DType::float32}, {"num_split", std::int64_t{2}}};
    const auto parts = infer("Split", {i32({}), f32({4, 6})}, none, split);
    CHECK(parts.size() == 2);
    CHECK(parts[1].shape == Shape({kUnknown, kUnknown}));
    const Tensor axis = Tensor::scalar<std::int32_t>(1);
    const auto sized = infer("SplitV", {f32({4, 6}), {DType::int64, Shape{2}}, i32({})},
                             {nullptr, nullptr, &axis}, split);
    CHECK(sized[0].shape == Shape({4, kUnknown}));
  }
  SECTION("GatherV2 with an unknown axis: rank(params) + rank(indices) - 1") {
    const auto out = infer("GatherV2", {f32({4, 5, 6}), i32({2, 3}), i32({})}, none,
                           {{"Tparams", DType::float32}, {"Tindices", DType::int32},
                            {"Taxis", DType::int32}});
    CHECK(out[0].shape.rank() == 4);
  }
  SECTION("Fill, Range, Tile, Pad, BroadcastTo") {
    CHECK(infer("Fill", {i32({3}), f32({})}, none, t)[0].shape ==
          Shape({kUnknown, kUnknown, kUnknown}));
    CHECK(infer("Range", {i32({}), i32({}), i32({})}, none, {})[0].shape == Shape({kUnknown}));
    CHECK(infer("Tile", {f32({2, 3}), i32({2})}, none, t)[0].shape == Shape({kUnknown, kUnknown}));
    const Tensor multiples = ints({3, 0});
    CHECK(infer("Tile", {f32({kUnknown, 2}), i32({2})}, {nullptr, &multiples}, t)[0].shape ==
          Shape({kUnknown, 0}));
    CHECK(infer("Pad", {f32({2, 3}), i32({2, 2})}, none, t)[0].shape ==
          Shape({kUnknown, kUnknown}));
    const Tensor paddings = Tensor::from<std::int32_t>({2, 2}, {1, 1, 0, 2});
    CHECK(infer("Pad", {f32({kUnknown, 3}), i32({2, 2})}, {nullptr, &paddings}, t)[0].shape ==
          Shape({kUnknown, 5}));
    // Broadcasting from the right: [1, 5] into three unknown dims fixes the last one.
    CHECK(infer("BroadcastTo", {f32({1, 5}), i32({3})}, none, t)[0].shape ==
          Shape({kUnknown, kUnknown, 5}));
  }
  SECTION("Shape, Size, Rank, SelectV2") {
    CHECK(infer("Shape", {f32(kUnknownRank)}, none, t)[0].shape == Shape({kUnknown}));
    CHECK(infer("Shape", {f32({kUnknown, 3})}, none, t)[0] == TensorType{DType::int32, {2}});
    CHECK(infer("Size", {f32(kUnknownRank)}, none, {{"T", DType::float32},
                                                    {"out_type", DType::int64}})[0] ==
          TensorType{DType::int64, {}});
    CHECK(infer("Rank", {f32(kUnknownRank)}, none, t)[0] == TensorType{DType::int32, {}});
    CHECK(infer("SelectV2", {{DType::boolean, Shape{kUnknown, 1}}, f32({4}), f32({})}, none, t)[0]
              .shape == Shape({kUnknown, 4}));
  }
}

TEST_CASE("StridedSlice shapes from partial knowledge") {
  const Attrs t{{"T", DType::float32}, {"Index", DType::int32}};
  const std::vector<TensorType> three_items{f32({kUnknown, 4, 5}), i32({3}), i32({3}), i32({3})};
  SECTION("nothing but the masks known: the rank") {
    Attrs a = t;
    a["shrink_axis_mask"] = std::int64_t{1};
    a["new_axis_mask"] = std::int64_t{4};
    // item 0 shrinks axis 0, item 1 slices axis 1, item 2 adds an axis, the ellipsis keeps 2.
    const auto out = infer("StridedSlice", three_items, {nullptr, nullptr, nullptr, nullptr}, a);
    CHECK(out[0].shape.rank() == 3);
    CHECK(out[0].shape.dim(1) == 1);
  }
  SECTION("strides known and both ends masked: whole axes, even an unknown one") {
    Attrs a = t;
    a["begin_mask"] = std::int64_t{7};
    a["end_mask"] = std::int64_t{7};
    const Tensor strides = ints({1, -1, 2});
    const auto out = infer("StridedSlice", three_items, {nullptr, nullptr, nullptr, &strides}, a);
    CHECK(out[0].shape == Shape({kUnknown, 4, 3}));  // ceil(5 / 2) = 3
  }
  SECTION("the Keras Flatten pattern: shape(x)[0] of an unknown batch is a scalar") {
    Graph g;
    Node x;
    x.name = "x";
    x.op = "Placeholder";
    x.attrs = {{"dtype", DType::float32}, {"shape", Shape{kUnknown, 7, 7, 32}}};
    const NodeId xid = g.add(x);
    Node shape = make_node("Shape", {{"T", DType::float32}});
    shape.name = "shape";
    shape.inputs = {{xid, 0}};
    const NodeId sid = g.add(shape);
    NodeId ids[3];
    const char* names[3] = {"begin", "end", "strides"};
    const std::int32_t values[3] = {0, 1, 1};
    for (int i = 0; i < 3; ++i) {
      Node c;
      c.name = names[i];
      c.op = "Const";
      c.attrs = {{"dtype", DType::int32}, {"value", ints({values[i]})}};
      ids[i] = g.add(c);
    }
    Node slice = make_node("StridedSlice", {{"T", DType::int32}, {"Index", DType::int32},
                                            {"shrink_axis_mask", std::int64_t{1}}});
    slice.name = "batch";
    slice.inputs = {{sid, 0}, {ids[0], 0}, {ids[1], 0}, {ids[2], 0}};
    const NodeId batch = g.add(slice);
    infer_types(g);
    CHECK(g.node(sid).outputs[0] == TensorType{DType::int32, {4}});
    CHECK(g.node(batch).outputs[0] == TensorType{DType::int32, {}});
  }
}

TEST_CASE("array ops refuse hostile sizes with an Error, before allocating") {
  const Attrs t{{"T", DType::float32}};
  SECTION("Fill whose element count overflows") {
    const Tensor dims = Tensor::from<std::int64_t>({3}, {1LL << 31, 1LL << 31, 1LL << 31});
    CHECK(error_code([&] {
            test::run_op("Fill", {dims, Tensor::scalar<float>(1)},
                         {{"T", DType::float32}, {"index_type", DType::int64}});
          }) == Errc::limit_exceeded);
  }
  SECTION("Tile whose output overflows") {
    const Tensor x = Tensor::from<float>({2}, {1, 2});
    const Tensor multiples = Tensor::from<std::int64_t>({1}, {1LL << 62});
    CHECK(error_code([&] {
            infer("Tile", {f32({2}), {DType::int64, Shape{1}}}, {nullptr, &multiples},
                  {{"T", DType::float32}, {"Tmultiples", DType::int64}});
          }) == Errc::limit_exceeded);
  }
  SECTION("Range spanning all of int64") {
    const auto lo = Tensor::scalar<std::int64_t>(std::numeric_limits<std::int64_t>::min());
    const auto hi = Tensor::scalar<std::int64_t>(std::numeric_limits<std::int64_t>::max());
    const auto one = Tensor::scalar<std::int64_t>(1);
    const TensorType scalar{DType::int64, {}};
    CHECK(error_code([&] {
            infer("Range", {scalar, scalar, scalar}, {&lo, &hi, &one}, {{"Tidx", DType::int64}});
          }) == Errc::limit_exceeded);
  }
  SECTION("a shape input claiming a billion dims") {
    CHECK(error_code([&] {
            infer("Reshape", {f32({4}), i32({1000000000})}, {nullptr, nullptr}, t);
          }) == Errc::limit_exceeded);
  }
  SECTION("an absurd output count") {
    CHECK(error_code([&] {
            infer("Unpack", {f32(kUnknownRank)}, {nullptr},
                  {{"T", DType::float32}, {"num", std::int64_t{1} << 40}});
          }) == Errc::invalid_attr);
  }
  SECTION("empty tensors with huge other axes finish at once") {
    const Tensor empty(DType::float32, Shape{0, std::int64_t{1} << 40});
    CHECK(test::run_op1("Transpose", {empty, ints({1, 0})}, t).shape() ==
          Shape({std::int64_t{1} << 40, 0}));
    CHECK(test::run_op1("ConcatV2", {empty, empty, Tensor::scalar<std::int32_t>(0)},
                        {{"T", DType::float32}, {"N", std::int64_t{2}}})
              .num_elements() == 0);
    CHECK(test::run_op1("Tile", {empty, ints({1, 1 << 20})}, t).num_elements() == 0);
  }
}

TEST_CASE("array ops check dtypes and attributes") {
  const Tensor x = Tensor::from<float>({2}, {1, 2});
  SECTION("T contradicting the input") {
    CHECK(error_code([&] {
            test::run_op("Reshape", {x, ints({2})}, {{"T", DType::int32}});
          }) == Errc::type_mismatch);
  }
  SECTION("an index type attribute that is not int32 or int64") {
    CHECK(error_code([&] {
            test::run_op("ExpandDims", {x, Tensor::scalar<float>(0)},
                         {{"T", DType::float32}, {"Tdim", DType::float32}});
          }) == Errc::invalid_attr);
  }
  SECTION("ConcatV2's N disagreeing with its inputs") {
    CHECK(error_code([&] {
            test::run_op("ConcatV2", {x, x, Tensor::scalar<std::int32_t>(0)},
                         {{"T", DType::float32}, {"N", std::int64_t{3}}});
          }) == Errc::invalid_attr);
  }
  SECTION("ConcatV2 values of different dtypes") {
    const Tensor y = Tensor::from<std::int32_t>({2}, {1, 2});
    CHECK(error_code([&] {
            test::run_op("ConcatV2", {x, y, Tensor::scalar<std::int32_t>(0)},
                         {{"T", DType::float32}, {"N", std::int64_t{2}}});
          }) == Errc::type_mismatch);
  }
  SECTION("Split's axis must be int32") {
    CHECK(error_code([&] {
            test::run_op("Split", {Tensor::scalar<std::int64_t>(0), x},
                         {{"T", DType::float32}, {"num_split", std::int64_t{2}}});
          }) == Errc::type_mismatch);
  }
  SECTION("Select's condition must be bool") {
    CHECK(error_code([&] {
            test::run_op("SelectV2", {x, x, x}, {{"T", DType::float32}});
          }) == Errc::type_mismatch);
  }
  SECTION("MirrorPad's mode") {
    const Tensor paddings = Tensor::from<std::int32_t>({1, 2}, {1, 1});
    CHECK(error_code([&] {
            test::run_op("MirrorPad", {x, paddings},
                         {{"T", DType::float32}, {"mode", std::string("WRAP")}});
          }) == Errc::invalid_attr);
  }
  SECTION("a missing required attribute") {
    CHECK(error_code([&] { test::run_op("Transpose", {x, ints({0})}, {}); }) ==
          Errc::invalid_attr);
  }
}

TEST_CASE("errors name the node, the op and what was wrong") {
  const Tensor params = Tensor::from<float>({3}, {10, 20, 30});
  try {
    test::run_op("GatherV2", {params, ints({1, 3}), Tensor::scalar<std::int32_t>(0)},
                 {{"Tparams", DType::float32}, {"Tindices", DType::int32},
                  {"Taxis", DType::int32}});
    FAIL("an index of 3 into 3 rows must be refused");
  } catch (const Error& e) {
    CHECK(e.code() == Errc::invalid_argument);
    CHECK(e.context().node == "test/GatherV2");
    CHECK(e.context().op == "GatherV2");
    CHECK(e.context().found == "3");
  }
}

TEST_CASE("Shape's int32 output refuses a dimension it cannot hold") {
  CHECK(error_code([&] {
          infer("Shape", {f32({std::int64_t{1} << 33})}, {nullptr}, {{"T", DType::float32}});
        }) == Errc::limit_exceeded);
  CHECK(infer("Shape", {f32({std::int64_t{1} << 33})}, {nullptr},
              {{"T", DType::float32}, {"out_type", DType::int64}})[0] ==
        TensorType{DType::int64, {1}});
}

TEST_CASE("slices read every dtype's bytes") {
  // x[::-1] of 1, 2, 3 is 3, 2, 1 whatever the element size.
  const Attrs masks{{"Index", DType::int32}, {"begin_mask", std::int64_t{1}},
                    {"end_mask", std::int64_t{1}}};
  const Tensor zero = ints({0});
  const Tensor back = ints({-1});
  for (DType dtype : {DType::float32, DType::float16, DType::bfloat16, DType::float64,
                      DType::int8, DType::uint8, DType::int32, DType::int64}) {
    INFO(dtype_name(dtype));
    const Tensor x = dispatch(dtype, [](auto tag) {
      using T = typename decltype(tag)::type;
      return Tensor::from_vector<T>(Shape{3}, {T(1.0f), T(2.0f), T(3.0f)});
    });
    Attrs attrs = masks;
    attrs["T"] = dtype;
    const Tensor y = test::run_op1("StridedSlice", {x, zero, zero, back}, attrs);
    CHECK(y.to_float_vector() == std::vector<float>{3, 2, 1});
  }
}

}  // namespace KILN_TEST_FILE
