// plan-memory, the pass: concrete shapes for unknown dimensions, declines, the plan as artifact.
#include "helpers.hpp"

using namespace kiln;
using test::run_pass;

namespace {
const opt::Pass plan_memory = opt::plan_memory_pass();

// x [?,8] -> e = Exp -> n = Neg -> y = Sqrt (output).
Graph small_graph(Shape input_shape) {
  GraphBuilder b;
  Value x = b.input("x", DType::float32, std::move(input_shape));
  Value e = b.op("Exp", {x}, {}, "e");
  b.output("y", b.op("Sqrt", {b.op("Neg", {e}, {}, "n")}, {}, "y"));
  return b.finish();
}
}  // namespace

TEST_CASE("plan-memory plans unknown dimensions as 1 unless told otherwise") {
  // Batch 1: e is 1 * 8 * 4 = 32 bytes (a 64-byte slot); n overwrites it in place.
  Graph g = small_graph({-1, 8});
  opt::PassContext context;
  const opt::PassResult result = plan_memory.run(g, context);
  CHECK(!result.changed);
  REQUIRE(context.memory_plan);
  CHECK(context.memory_plan->arena_bytes == 64);
  CHECK(result.stat("arena") == 64);
  CHECK(result.stat("in place") == 1);
  REQUIRE(result.notes.size() == 1);
  CHECK(result.notes[0] == "input 'x' [?,8] planned as [1,8]");
  // The graph keeps its unknown batch: only the plan is concrete.
  CHECK(g.type_of(g.outputs()[0].value).shape.str() == "[?,8]");

  // Batch 5: 5 * 8 * 4 = 160 bytes -> 192 with alignment.
  context.options.input_shapes["x"] = Shape{5, 8};
  const opt::PassResult five = plan_memory.run(g, context);
  CHECK(five.notes.empty());
  CHECK(context.memory_plan->arena_bytes == 192);
}

TEST_CASE("plan-memory declines, with a note, when shapes cannot be made concrete") {
  SECTION("unknown rank") {
    Graph g = small_graph(Shape::unknown_rank());
    opt::PassContext context;
    const opt::PassResult result = plan_memory.run(g, context);
    CHECK(!context.memory_plan);
    REQUIRE(result.notes.size() == 1);
    CHECK(result.notes[0].rfind("no memory plan: shape mismatch: input shape is not concrete", 0) ==
          0);
  }
  SECTION("a given shape that does not fit") {
    Graph g = small_graph({-1, 8});
    opt::PassContext context;
    context.options.input_shapes["x"] = Shape{2, 9};
    plan_memory.run(g, context);
    CHECK(!context.memory_plan);
  }
  SECTION("a shape for an input that does not exist") {
    Graph g = small_graph({-1, 8});
    opt::PassContext context;
    context.options.input_shapes["z"] = Shape{2, 8};
    const opt::PassResult result = plan_memory.run(g, context);
    CHECK(!context.memory_plan);
    REQUIRE(result.notes.size() == 1);
    CHECK(result.notes[0].find("an input shape names no graph input") != std::string::npos);
  }
}

TEST_CASE("the pass manager hands the plan over in its report") {
  Graph g = small_graph({-1, 8});
  opt::PassManager pm(opt::parse_pipeline("plan-memory"));
  pm.options().input_shapes["x"] = Shape{4, 8};  // 128 bytes
  const opt::PipelineReport report = pm.run(g);
  REQUIRE(report.memory);
  CHECK(report.memory->arena_bytes == 128);
  CHECK(report.memory->lower_bound_bytes == 128);
  CHECK(report.memory->naive_bytes == 256);
  CHECK(report.memory->tensors.size() == 2);
  CHECK(report.memory->count(opt::PlannedTensor::Kind::in_place) == 1);
}

TEST_CASE("plan-memory carries shape arithmetic along to make run-time shapes concrete") {
  // Keras' Tensordot: flat = Reshape(e, Pack(Prod(Shape(x)[0:2]), 3)) with x: [?,4,3]. Plain
  // type inference gives flat the type [?,?] even for a concrete x; with the shape values carried
  // along, x: [2,4,3] makes the target [8, 3] and flat a 96-byte view of e.
  GraphBuilder b;
  Value x = b.input("x", DType::float32, {-1, 4, 3});
  auto ints = [&](const char* name, std::vector<std::int32_t> v) {
    return b.constant(name,
                      Tensor::from_vector<std::int32_t>({static_cast<std::int64_t>(v.size())}, v));
  };
  Value e = b.op("Exp", {x}, {}, "e");
  Value lead =
      b.op("StridedSlice",
           {b.op("Shape", {x}, {}, "shape"), ints("b", {0}), ints("end", {2}), ints("s", {1})}, {},
           "lead");
  Value rows = b.op("Prod", {lead, ints("axis", {0})}, {}, "rows");
  Value target = b.op("Pack", {rows, b.constant("three", Tensor::scalar<std::int32_t>(3))},
                      {{"N", std::int64_t{2}}}, "target");
  Value flat = b.op("Reshape", {e, target}, {}, "flat");
  b.output("y", b.op("Neg", {flat}, {}, "y"));
  Graph g = b.finish();
  CHECK(g.node(g.at("flat")).outputs[0].str() == "float32[?,?]");

  opt::PassContext context;
  context.options.input_shapes["x"] = Shape{2, 4, 3};
  const opt::PassResult result = plan_memory.run(g, context);
  INFO(result.notes.size() << " notes");
  REQUIRE(context.memory_plan);
  const opt::PlannedTensor* view = context.memory_plan->find({g.at("flat"), 0});
  REQUIRE(view != nullptr);
  CHECK(view->bytes == 96);
  CHECK(view->kind == opt::PlannedTensor::Kind::view);
  CHECK(view->buffer == context.memory_plan->find({g.at("e"), 0})->buffer);
}
