// The memory planner on literal lifetimes and literal mini-graphs, with exact expected offsets
// worked out by hand (TFLite's arena_planner_test.cc style). Alignment 64 throughout.
#include "helpers.hpp"

#include <kiln/optimizer/memory_planner.hpp>

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;
using opt::Lifetime;
using opt::PlannedTensor;

TEST_CASE("buffers go largest first, each above the ones it overlaps") {
  // bytes (aligned), steps:  A 100 (128) [0,1]   B 200 (256) [1,2]
  //                          C  50  (64) [2,3]   D 300 (320) [3,4]
  // D -> 0. B -> 0 (it does not overlap D). A overlaps B (0..256) -> 256.
  // C overlaps B (0..256) and D (0..320) -> 320. Arena: max(256 + 128, 320 + 64) = 384.
  // Live bytes per step: 128, 384, 320, 384, 320 -> the bound is 384: the arena reaches it.
  const std::vector<Lifetime> buffers = {{100, 0, 1}, {200, 1, 2}, {50, 2, 3}, {300, 3, 4}};
  const opt::ArenaLayout layout = opt::place_in_arena(buffers, 64);
  CHECK(layout.offsets == std::vector<std::int64_t>{256, 0, 320, 0});
  CHECK(layout.arena_bytes == 384);
  CHECK(opt::live_bytes_lower_bound(buffers, 64) == 384);
}

TEST_CASE("a buffer takes the smallest gap that holds it") {
  // G1 256 [0,0] -> 0..256;  K1 192 [0,9] -> 256..448 (above G1);
  // G2 128 [0,0] -> 448..576 (above G1 and K1);  K2 128 [0,9] -> 576..704.
  // U 64 [1,5] overlaps only K1 and K2, which leave two gaps: 0..256 (256 bytes) and
  // 448..576 (128 bytes). Best fit takes the smaller: 448. (First fit would take 0.)
  const std::vector<Lifetime> buffers = {
      {256, 0, 0}, {192, 0, 9}, {128, 0, 0}, {128, 0, 9}, {64, 1, 5}};
  const opt::ArenaLayout layout = opt::place_in_arena(buffers, 64);
  CHECK(layout.offsets == std::vector<std::int64_t>{0, 256, 448, 576, 448});
  CHECK(layout.arena_bytes == 704);
  CHECK(opt::live_bytes_lower_bound(buffers, 64) == 704);  // step 0: 256 + 192 + 128 + 128
}

TEST_CASE("offsets are aligned and empty buffers take no room") {
  // Two 1-byte buffers alive together: each takes a 64-byte slot. The empty one sits at 0.
  const std::vector<Lifetime> buffers = {{1, 0, 1}, {0, 0, 1}, {1, 1, 2}};
  const opt::ArenaLayout layout = opt::place_in_arena(buffers, 64);
  CHECK(layout.offsets == std::vector<std::int64_t>{0, 0, 64});
  CHECK(layout.arena_bytes == 128);
  CHECK_THROWS_AS(opt::place_in_arena({{8, 3, 2}}, 64), Error);  // last before first
}

TEST_CASE("ties in size go by first step, so the layout is deterministic") {
  // Three 64-byte buffers all alive at step 1. Equal sizes go by first step (0, 0, 1), and
  // the caller's order breaks the remaining tie: 0 -> 0, 1 -> 64, 2 -> 128.
  const std::vector<Lifetime> buffers = {{64, 0, 1}, {64, 0, 2}, {64, 1, 2}};
  const opt::ArenaLayout layout = opt::place_in_arena(buffers, 64);
  CHECK(layout.offsets == std::vector<std::int64_t>{0, 64, 128});
}

namespace {
// x [1,32] -> a = MatMul -> b = Relu(a) -> c = MatMul [1,64] -> d = Tanh(c) -> y = MatMul [1,16].
Graph mlp_chain() {
  GraphBuilder b;
  Value x = b.input("x", DType::float32, {1, 32});
  Value a = b.op("MatMul", {x, b.constant("w1", Tensor(DType::float32, {32, 32}))}, {}, "a");
  Value r = b.op("Relu", {a}, {}, "b");
  Value c = b.op("MatMul", {r, b.constant("w2", Tensor(DType::float32, {32, 64}))}, {}, "c");
  Value d = b.op("Tanh", {c}, {}, "d");
  b.output("y", b.op("MatMul", {d, b.constant("w3", Tensor(DType::float32, {64, 16}))}, {}, "y"));
  return b.finish();
}
}  // namespace

TEST_CASE("elementwise ops reuse a dying input in place") {
  // Steps: a 0, b 1, c 2, d 3, y 4. a and c are 128 and 256 bytes; b overwrites a (a dies at
  // step 1), d overwrites c. y is a graph output: outside the arena.
  //   buffer {a, b}: 128 bytes, steps 0..2     buffer {c, d}: 256 bytes, steps 2..4
  // {c, d} -> 0; {a, b} overlaps it at step 2 -> 256. Arena 384 = the bound at step 2.
  // Naive: 128 + 128 + 256 + 256 = 768.
  const Graph g = mlp_chain();
  const opt::MemoryPlan plan = opt::make_memory_plan(g);
  auto offset = [&](const char* name) { return plan.offset_of({g.at(name), 0}); };
  CHECK(offset("a") == 256);
  CHECK(offset("b") == 256);
  CHECK(offset("c") == 0);
  CHECK(offset("d") == 0);
  CHECK(offset("y") == -1);
  CHECK(offset("x") == -1);
  CHECK(plan.find({g.at("b"), 0})->kind == PlannedTensor::Kind::in_place);
  CHECK(plan.arena_bytes == 384);
  CHECK(plan.lower_bound_bytes == 384);
  CHECK(plan.naive_bytes == 768);
  CHECK(plan.count(PlannedTensor::Kind::in_place) == 2);
}

TEST_CASE("without in-place reuse every tensor needs its own buffer") {
  // a [0,1] 128, b [1,2] 128, c [2,3] 256, d [3,4] 256.
  // c -> 0; d overlaps c -> 256; a overlaps neither -> 0; b overlaps a (0..128) and c
  // (0..256) -> 256. Arena 512 = the bound at step 3 (c + d).
  const Graph g = mlp_chain();
  opt::MemoryPlanOptions options;
  options.in_place = false;
  const opt::MemoryPlan plan = opt::make_memory_plan(g, options);
  auto offset = [&](const char* name) { return plan.offset_of({g.at(name), 0}); };
  CHECK(offset("a") == 0);
  CHECK(offset("b") == 256);
  CHECK(offset("c") == 0);
  CHECK(offset("d") == 256);
  CHECK(plan.arena_bytes == 512);
  CHECK(plan.lower_bound_bytes == 512);
}

TEST_CASE("a value read later is not overwritten in place") {
  // a is read by the Neg and again by the AddV2, so the Neg may not take its place.
  GraphBuilder b;
  Value x = b.input("x", DType::float32, {16});
  Value a = b.op("Exp", {x}, {}, "a");       // step 0, 64 bytes
  Value n = b.op("Neg", {a}, {}, "n");       // step 1: a is read again at step 2
  Value s = b.op("AddV2", {a, n}, {}, "s");  // step 2: both die here -> in place on a
  b.output("y", b.op("Sqrt", {s}, {}, "y"));
  const Graph g = b.finish();
  const opt::MemoryPlan plan = opt::make_memory_plan(g);
  CHECK(plan.find({g.at("n"), 0})->kind == PlannedTensor::Kind::own);
  CHECK(plan.find({g.at("s"), 0})->kind == PlannedTensor::Kind::in_place);
  // {a, s}: steps 0..3, 64 bytes -> 0 (first of two equal sizes); n: steps 1..2 -> 64.
  CHECK(plan.offset_of({g.at("a"), 0}) == 0);
  CHECK(plan.offset_of({g.at("s"), 0}) == 0);
  CHECK(plan.offset_of({g.at("n"), 0}) == 64);
  CHECK(plan.arena_bytes == 128);
}

TEST_CASE("views share their source's buffer, and views of inputs stay outside") {
  GraphBuilder b;
  Value x = b.input("x", DType::float32, {2, 8});
  Value flat_in =
      b.op("Reshape", {x, b.constant("s16", Tensor::from<std::int32_t>({1}, {16}))}, {}, "flat_in");
  Value e = b.op("Exp", {flat_in}, {}, "e");  // step 1 (flat_in is step 0, a view of x)
  Value v =
      b.op("Reshape", {e, b.constant("s44", Tensor::from<std::int32_t>({2}, {4, 4}))}, {}, "v");
  b.output("y", b.op("MatMul", {v, v}, {}, "y"));
  const Graph g = b.finish();
  const opt::MemoryPlan plan = opt::make_memory_plan(g);
  CHECK(plan.find({g.at("flat_in"), 0}) == nullptr);  // a view of a graph input
  const PlannedTensor* view = plan.find({g.at("v"), 0});
  REQUIRE(view != nullptr);
  CHECK(view->kind == PlannedTensor::Kind::view);
  CHECK(view->buffer == plan.find({g.at("e"), 0})->buffer);
  // One 64-byte buffer, alive from e (step 1) to y (step 3). Views are not counted as naive
  // allocations: naive is 64 too.
  CHECK(plan.buffers.size() == 1);
  CHECK(plan.buffers[0].lifetime.first == 1);
  CHECK(plan.buffers[0].lifetime.last == 3);
  CHECK(plan.arena_bytes == 64);
  CHECK(plan.naive_bytes == 64);
}

TEST_CASE("a fused residual Add accumulates into its dying residual") {
  // ResNet's identity block in miniature: r = Relu(x); a = conv(r); out = conv(a) + r.
  // r dies at the second convolution, which may therefore write its result over r.
  // Steps: r 0, a 1, out 2 (a graph output, outside). r: 128 bytes [0,2]; a: 128 bytes [1,2].
  GraphBuilder b;
  Value x = b.input("x", DType::float32, {1, 4, 4, 2});
  Value r = b.op("Relu", {x}, {}, "r");
  const Attrs conv = {{"strides", Ints{1, 1, 1, 1}}, {"padding", std::string("SAME")}};
  Value a = b.op("Conv2D", {r, b.constant("w1", Tensor(DType::float32, {1, 1, 2, 2}))}, conv, "a");
  Attrs fused = conv;
  fused["fused_ops"] = Strings{"Add", "Relu"};
  fused["num_args"] = std::int64_t{1};
  Value out = b.op("_FusedConv2D", {a, b.constant("w2", Tensor(DType::float32, {1, 1, 2, 2})), r},
                   fused, "out");
  Value tail = b.op("Neg", {out}, {}, "tail");
  b.output("y", tail);
  const Graph g = b.finish();
  const opt::MemoryPlan plan = opt::make_memory_plan(g);
  CHECK(plan.find({g.at("out"), 0})->kind == PlannedTensor::Kind::in_place);
  CHECK(plan.offset_of({g.at("out"), 0}) == plan.offset_of({g.at("r"), 0}));
  // {r, out}: [0,3] -> 0; a: [1,2] -> 128. Arena 256 = bound (steps 1, 2).
  CHECK(plan.arena_bytes == 256);

  // But never over an input the convolution also reads through its window.
  GraphBuilder b2;
  Value x2 = b2.input("x", DType::float32, {1, 4, 4, 2});
  Value r2 = b2.op("Relu", {x2}, {}, "r");
  Value out2 =
      b2.op("_FusedConv2D", {r2, b2.constant("w", Tensor(DType::float32, {1, 1, 2, 2})), r2}, fused,
            "out");
  b2.output("y", b2.op("Neg", {out2}, {}, "tail"));
  const Graph g2 = b2.finish();
  CHECK(opt::make_memory_plan(g2).find({g2.at("out"), 0})->kind == PlannedTensor::Kind::own);
}

TEST_CASE("the planner needs concrete shapes and says which value lacks one") {
  GraphBuilder b;
  Value x = b.input("x", DType::float32, {-1, 4});
  b.output("y", b.op("Neg", {b.op("Exp", {x}, {}, "e")}, {}, "y"));
  try {
    opt::make_memory_plan(b.finish());
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.code() == Errc::shape_mismatch);
    CHECK(e.context().node == "e");
  }
}

TEST_CASE("the SVG chart has one box per buffer and marks the bound") {
  const Graph g = mlp_chain();
  const opt::MemoryPlan plan = opt::make_memory_plan(g);
  const std::string svg = opt::memory_plan_svg(plan, "mlp");
  CHECK(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0) == 0);
  CHECK(svg.find("mlp: arena 384 B, lower bound 384 B, naive 768 B") != std::string::npos);
  std::size_t boxes = 0;
  for (std::size_t at = svg.find("<g><title>"); at != std::string::npos;
       at = svg.find("<g><title>", at + 1))
    ++boxes;
  CHECK(boxes == plan.buffers.size());
  CHECK(svg.find("b (128 B, steps 1-2, in place)") != std::string::npos);
  CHECK(svg.find("lower bound 384 B</text>") != std::string::npos);
  CHECK(svg.substr(svg.size() - 7) == "</svg>\n");
}

TEST_CASE("every elementwise op the catalogue lets run in place is planned in place") {
  // For each op: a = op(x...), y = op(a...), z = op(y...). a dies at y, so y takes a's place;
  // z is a graph output (outside the arena). A binary op is tried with a in either slot.
  // The planner once kept its own list, which named ops Kiln lacks and missed Erfc and Inv.
  const std::vector<std::string> ops = ops_where([](const OpDef& d) {
    return d.elementwise != Elementwise::no && !d.in_place_inputs.empty();
  });
  for (const char* op : {"Erfc", "Inv", "Sigmoid", "LogicalNot", "Sub", "SquaredDifference"}) {
    INFO(op);
    CHECK(std::count(ops.begin(), ops.end(), op) == 1);
  }
  for (const std::string& op : ops) {
    const bool binary = op_catalogue().find(op)->elementwise == Elementwise::binary;
    const DType dtype = test::first_accepted_dtype(op);  // int32 for the bitwise ops
    for (int slot = 0; slot < (binary ? 2 : 1); ++slot) {
      INFO(op << ", intermediate in slot " << slot);
      GraphBuilder b;
      Value x = b.input("x", dtype, {4, 4});
      auto apply = [&](Value v, const char* name) {
        if (!binary) return b.op(op, {v}, {}, name);
        return slot == 0 ? b.op(op, {v, x}, {}, name) : b.op(op, {x, v}, {}, name);
      };
      b.output("z", apply(apply(apply(x, "a"), "y"), "z"));
      const Graph g = b.finish();
      const opt::MemoryPlan plan = opt::make_memory_plan(g);
      CHECK(plan.find({g.at("a"), 0})->kind == PlannedTensor::Kind::own);
      CHECK(plan.find({g.at("y"), 0})->kind == PlannedTensor::Kind::in_place);
      CHECK(plan.offset_of({g.at("y"), 0}) == plan.offset_of({g.at("a"), 0}));
    }
  }
}

TEST_CASE("comparisons and Cast never take an input's place") {
  // Elementwise, but the output has another dtype, although here its bytes would fit: int8 in,
  // uint8 or bool out. a dies at the op under test, which still gets a buffer of its own.
  for (const char* op : {"Cast", "Less"}) {
    INFO(op);
    GraphBuilder b;
    Value x = b.input("x", DType::int8, {8});
    Value a = b.op("Neg", {x}, {}, "a");
    if (std::string(op) == "Cast") {
      Value t = b.op("Cast", {a}, {{"DstT", DType::uint8}}, "t");
      b.output("y", b.op("Cast", {t}, {{"DstT", DType::float32}}, "y"));
    } else {
      b.output("y", b.op("LogicalNot", {b.op("Less", {a, x}, {}, "t")}, {}, "y"));
    }
    const Graph g = b.finish();
    const opt::MemoryPlan plan = opt::make_memory_plan(g);
    CHECK(plan.find({g.at("t"), 0})->kind == PlannedTensor::Kind::own);
  }
}

}  // namespace KILN_TEST_FILE
