// The memory plan as an analysis of the final graph: concrete shapes for unknown dimensions,
// no plan (and why) when shapes cannot be made concrete, the plan in the pipeline report.
#include "helpers.hpp"

#include <kiln/optimizer/plan_memory.hpp>

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;

namespace {
// x [?,8] -> e = Exp -> n = Neg -> y = Sqrt (output).
Graph small_graph(Shape input_shape) {
  GraphBuilder b;
  Value x = b.input("x", DType::float32, std::move(input_shape));
  Value e = b.op("Exp", {x}, {}, "e");
  b.output("y", b.op("Sqrt", {b.op("Neg", {e}, {}, "n")}, {}, "y"));
  return b.finish();
}
}  // namespace

TEST_CASE("the memory plan takes unknown dimensions as 1 unless told otherwise") {
  // Batch 1: e is 1 * 8 * 4 = 32 bytes (a 64-byte slot); n overwrites it in place.
  const Graph g = small_graph({-1, 8});
  const opt::PlannedMemory one = opt::plan_memory(g);
  REQUIRE(one.plan);
  CHECK(one.plan->arena_bytes == 64);
  CHECK(one.plan->count(opt::PlannedTensor::Kind::in_place) == 1);
  CHECK(one.why_none.empty());
  REQUIRE(one.notes.size() == 1);
  CHECK(one.notes[0] == "input 'x' [?,8] planned as [1,8]");
  // The graph keeps its unknown batch: only the plan is concrete.
  CHECK(g.type_of(g.outputs()[0].value).shape.str() == "[?,8]");

  // Batch 5: 5 * 8 * 4 = 160 bytes -> 192 with alignment.
  opt::MemoryPlanRequest request;
  request.input_shapes["x"] = Shape{5, 8};
  const opt::PlannedMemory five = opt::plan_memory(g, request);
  CHECK(five.notes.empty());
  REQUIRE(five.plan);
  CHECK(five.plan->arena_bytes == 192);
}

TEST_CASE("there is no memory plan, and the reason is given, when shapes cannot be concrete") {
  SECTION("unknown rank") {
    const opt::PlannedMemory planned = opt::plan_memory(small_graph(Shape::unknown_rank()));
    CHECK(!planned.plan);
    CHECK(planned.why_none.rfind("shape mismatch: input shape is not concrete", 0) == 0);
  }
  SECTION("a given shape that does not fit") {
    opt::MemoryPlanRequest request;
    request.input_shapes["x"] = Shape{2, 9};
    const opt::PlannedMemory planned = opt::plan_memory(small_graph({-1, 8}), request);
    CHECK(!planned.plan);
    CHECK(planned.why_none.find("the given input shape does not fit the input") !=
          std::string::npos);
  }
  SECTION("a shape for an input that does not exist") {
    opt::MemoryPlanRequest request;
    request.input_shapes["z"] = Shape{2, 8};
    const opt::PlannedMemory planned = opt::plan_memory(small_graph({-1, 8}), request);
    CHECK(!planned.plan);
    CHECK(planned.why_none.find("an input shape names no graph input") != std::string::npos);
  }
}

TEST_CASE("a pipeline report carries the memory plan it is given") {
  Graph g = small_graph({-1, 8});
  opt::PipelineReport report = opt::PassManager(opt::o1()).run(g);
  CHECK_FALSE(report.memory);
  opt::MemoryPlanRequest request;
  request.input_shapes["x"] = Shape{4, 8};  // 128 bytes
  report.memory = opt::plan_memory(g, request).plan;
  REQUIRE(report.memory);
  CHECK(report.memory->arena_bytes == 128);
  CHECK(report.memory->lower_bound_bytes == 128);
  CHECK(report.memory->naive_bytes == 256);
  CHECK(report.memory->tensors.size() == 2);
  CHECK(report.memory->count(opt::PlannedTensor::Kind::in_place) == 1);
}

TEST_CASE("the memory plan carries shape arithmetic along to make run-time shapes concrete") {
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

  opt::MemoryPlanRequest request;
  request.input_shapes["x"] = Shape{2, 4, 3};
  const opt::PlannedMemory planned = opt::plan_memory(g, request);
  INFO(planned.why_none);
  REQUIRE(planned.plan);
  const opt::PlannedTensor* view = planned.plan->find({g.at("flat"), 0});
  REQUIRE(view != nullptr);
  CHECK(view->bytes == 96);
  CHECK(view->kind == opt::PlannedTensor::Kind::view);
  CHECK(view->buffer == planned.plan->find({g.at("e"), 0})->buffer);
}

}  // namespace KILN_TEST_FILE
