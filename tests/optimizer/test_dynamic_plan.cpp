// Compiled plans with data-dependent shapes: graphs with Where and NonMaxSuppressionV3 compiled
// at O2 and run through the session, one plan serving inputs whose outputs differ in size. The
// static part keeps its arena; Where, the suppression and what reads their outputs run as
// dynamic steps, which the summary names. Expected values are worked out by hand in the
// comments (the ops themselves are checked against TensorFlow in test_dynamic_tf.cpp).
#include "helpers.hpp"

#include <kiln/session.hpp>

#include "../dynamic_graphs.hpp"

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;
using test::floats;
using test::kBoxes;
using test::kNmsGraph;
using test::where_graph;

namespace {

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The plan's summary line of step `node`.
std::string summary_line(const std::string& summary, const std::string& node) {
  std::istringstream in(summary);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(node + " ", 0) == 0) return line;
  }
  return "";
}

}  // namespace

TEST_CASE("a compiled plan runs Where and what follows it as dynamic steps") {
  const CompiledModel net = compile(where_graph(), Options().backend(Backend::reference));
  const EagerInterpreter eager(net.graph());

  // h = [[1, 0, 0.25], [0.75, 3, 0], [0, 0, 0.5], [2, 0.625, 0]]: five elements above 0.5.
  const Tensor x1 = floats({4, 3}, {1, -2, 0.25f, 0.75f, 3, -1, 0, 0, 0.5f, 2, 0.625f, -0.5f});
  // h = [[0, 4, 0.5], [0, 0, 0], [0.5, 0, 8], [1, 1, 0]]: four.
  const Tensor x2 = floats({4, 3}, {-1, 4, 0.5f, 0, 0, 0, 0.5f, -3, 8, 1, 1, -1});
  // Nothing above 0.5: empty outputs, a sum of nothing.
  const Tensor x3 = floats({4, 3}, {0.5f, 0, -1, 0, 0, 0, 0.5f, 0.25f, 0, -7, 0, 0});

  const NamedTensors out1 = net.run({{"x", x1}});
  test::check_equal(out1.at("coords"),
                    Tensor::from<std::int64_t>({5, 2}, {0, 0, 1, 0, 1, 1, 3, 0, 3, 1}));
  test::check_equal(out1.at("values"), floats({5}, {2, 1.5f, 6, 4, 1.25f}));
  test::check_equal(out1.at("shifted"), Tensor::scalar<float>(15.75f));

  const NamedTensors out2 = net.run({{"x", x2}});
  test::check_equal(out2.at("coords"), Tensor::from<std::int64_t>({4, 2}, {0, 1, 2, 2, 3, 0, 3, 1}));
  test::check_equal(out2.at("values"), floats({4}, {8, 16, 2, 2}));
  test::check_equal(out2.at("shifted"), Tensor::scalar<float>(29.0f));

  const NamedTensors out3 = net.run({{"x", x3}});
  CHECK(out3.at("coords").shape() == Shape({0, 2}));
  CHECK(out3.at("values").shape() == Shape({0}));
  test::check_equal(out3.at("shifted"), Tensor::scalar<float>(1.0f));

  // One plan (one input shape) served all three.
  CHECK(net.cached_plans() == 1);
  for (const Tensor& x : {x1, x2, x3}) {
    const NamedTensors compiled = net.run({{"x", x}});
    const NamedTensors reference = eager.run({{"x", x}});
    for (const auto& [name, expected] : reference) {
      INFO(name);
      test::check_equal(compiled.at(name), expected);
    }
  }

  // The static part keeps its arena; the summary says which steps are dynamic and why.
  const std::shared_ptr<const CompiledPlan> plan = net.plan();
  const std::string summary = plan->summary();
  INFO(summary);
  CHECK(plan->plan().memory_plan().find({plan->plan().graph().at("mask"), 0}) != nullptr);
  CHECK(has(summary_line(summary, "where"), "dynamic: output int64[?,2] is sized by the values"));
  CHECK(has(summary_line(summary, "rows"), "dynamic: reads where, sized at run time"));
  CHECK(has(summary_line(summary, "total"), "dynamic: reads values, sized at run time"));
  CHECK_FALSE(has(summary_line(summary, "shifted"), "dynamic"));
  CHECK_FALSE(has(summary_line(summary, "mask"), "dynamic"));
  CHECK(has(summary, std::to_string(plan->plan().dynamic_count()) + " dynamic (shapes known at run time"));
  CHECK(plan->plan().dynamic_count() >= 6);  // Where ... Sum
}

TEST_CASE("a compiled plan runs NonMaxSuppressionV3 and GatherV2 on data-sized outputs") {
  const CompiledModel net =
      compile(parse_graph(kNmsGraph), Options().backend(Backend::reference).level(OptLevel::O2));

  // Candidates above 0.4: 3 (0.95), 0 (0.9), 1 (0.75), 2 (0.6), 4 (0.5). 3 and 0 are kept;
  // 1 and 2 overlap 0, 4 overlaps 3.
  const NamedTensors first =
      net.run({{"boxes", kBoxes}, {"scores", floats({6}, {0.9f, 0.75f, 0.6f, 0.95f, 0.5f, 0.3f})}});
  test::check_equal(first.at("selected"), Tensor::from<std::int32_t>({2}, {3, 0}));
  test::check_equal(first.at("boxes"), floats({2, 4}, {0, 10, 1, 11, 0, 0, 1, 1}));
  test::check_equal(first.at("scores"), floats({2}, {0.95f, 0.9f}));
  test::check_close(first.at("projected"), floats({2, 2}, {1, 21, 1, 1}));
  test::check_equal(first.at("count"), Tensor::scalar<std::int32_t>(20));

  // Box 0 drops below the threshold and box 5 rises: 3 (0.95), 5 (0.8), 1 (0.75) are kept, 2
  // overlaps 1 (IoU 0.67), 4 overlaps 3.
  const NamedTensors second =
      net.run({{"boxes", kBoxes}, {"scores", floats({6}, {0.2f, 0.75f, 0.6f, 0.95f, 0.5f, 0.8f})}});
  test::check_equal(second.at("selected"), Tensor::from<std::int32_t>({3}, {3, 5, 1}));
  test::check_equal(second.at("boxes"),
                    floats({3, 4}, {0, 10, 1, 11, 0, 100, 1, 101, 0, 0.1f, 1, 1.1f}));
  test::check_equal(second.at("scores"), floats({3}, {0.95f, 0.8f, 0.75f}));
  test::check_close(second.at("projected"), floats({3, 2}, {1, 21, 1, 201, 1, 1.2f}));
  test::check_equal(second.at("count"), Tensor::scalar<std::int32_t>(30));
  CHECK(net.cached_plans() == 1);

  const std::string summary = net.plan()->summary();
  INFO(summary);
  CHECK(has(summary_line(summary, "nms"), "dynamic: output int32[?] is sized by the values"));
  CHECK(has(summary_line(summary, "picked_boxes"), "dynamic: reads nms, sized at run time"));
  CHECK(has(summary_line(summary, "projected"), "dynamic: reads picked_boxes, sized at run time"));
  CHECK_FALSE(has(summary_line(summary, "count_times_ten"), "dynamic"));
}

TEST_CASE("a dynamic view of arena bytes is copied before the arena reuses them") {
  // Reshape(e, target) with a target computed from data: a dynamic step that would view e's
  // arena bytes, which the plan reuses for `later` once e's last static reader has run.
  GraphBuilder b;
  Value x = b.input("x", DType::float32, {4});
  Value n = b.input("n", DType::int32, {1});
  Value e = b.op("Exp", {x}, {}, "e");
  Value view = b.op("Reshape", {e, n}, {}, "view");
  Value later = b.op("Neg", {b.op("Sqrt", {x}, {}, "root")}, {}, "later");
  b.output("view", view);
  b.output("later", later);
  const CompiledModel net = compile(b.finish(), Options().backend(Backend::reference));
  const Tensor xs = floats({4}, {0, 1, 4, 9});
  const NamedTensors out = net.run({{"x", xs}, {"n", Tensor::from<std::int32_t>({1}, {4})}});
  test::check_close(out.at("view"), floats({4}, {1, 2.7182817f, 54.59815f, 8103.0839f}));
  test::check_equal(out.at("later"), floats({4}, {0, -1, -2, -3}));
  CHECK(has(net.plan()->summary(), "dynamic: output float32[?] is sized by the values"));
}

TEST_CASE("the memory plan lists dynamic steps only when the inputs' shapes are concrete") {
  const Graph g = where_graph();
  const opt::PlannedMemory planned = opt::plan_memory(g);
  REQUIRE(planned.plan);
  const opt::MemoryPlan& plan = *planned.plan;
  REQUIRE(!plan.dynamic.empty());
  CHECK(g.node(plan.dynamic.front().node).name == "where");
  CHECK(plan.find({g.at("where"), 0}) == nullptr);  // outside the arena
  CHECK(plan.find({g.at("h"), 0}) == nullptr);      // a graph output
  CHECK(plan.find({g.at("mask"), 0}) != nullptr);   // in the arena

  // With an input of open shape an unknown shape is no evidence of data at work: the planner
  // asks for concrete shapes, naming the value.
  GraphBuilder b;
  Value x = b.input("x", DType::float32, {-1, 3});
  b.output("c", b.op("Where", {b.op("Relu", {x}, {}, "r")}, {{"T", DType::float32}}, "w"));
  try {
    opt::make_memory_plan(b.finish());
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.code() == Errc::shape_mismatch);
    CHECK(e.context().node == "r");
  }
}

}  // namespace KILN_TEST_FILE
