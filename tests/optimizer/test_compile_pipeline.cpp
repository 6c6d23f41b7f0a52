// What compile() does with the optimizer: exactly the level's pipeline, the graph verified
// after every pass, and a loud failure (or, when asked, an undone pass and a diagnostic) when a
// pass throws.
#include "helpers.hpp"

#include <kiln/session.hpp>

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;

namespace {

// x [?,4] -> Relu -> Neg -> y.
Graph small_graph() {
  GraphBuilder b;
  Value x = b.input("x", DType::float32, {-1, 4});
  b.output("y", b.op("Neg", {b.op("Relu", {x}, {}, "r")}, {}, "n"));
  return b.finish();
}

// Renames the Relu to Neg, then throws: an undone pass leaves the Relu.
opt::Pass throwing_pass() {
  return {"explode", "half-rewrites, then throws",
          [](Graph& g, opt::PassContext&) -> opt::PassResult {
            g.node(g.at("r")).op = "Neg";
            throw Error(Errc::unsupported, "cannot go on").node("r");
          }};
}

// Leaves a graph the verifier rejects: the Neg reads an output the Relu does not have.
opt::Pass breaking_pass() {
  return {"break", "leaves a dangling input", [](Graph& g, opt::PassContext&) {
            g.node(g.at("n")).inputs[0].index = 3;
            opt::PassResult result;
            result.changed = true;
            return result;
          }};
}

// The error compiling small_graph() with `options` throws.
Error compile_error(const Options& options) {
  try {
    compile(small_graph(), options);
  } catch (const Error& e) {
    return e;
  }
  FAIL("compile() did not throw");
  return Error(Errc::internal, "unreachable");
}

std::vector<std::string> names(const opt::PipelineReport& report) {
  std::vector<std::string> out;
  for (const opt::PassRecord& r : report.passes) out.push_back(r.name);
  return out;
}

std::vector<std::string> names(const opt::Pipeline& pipeline) {
  std::vector<std::string> out;
  for (const opt::Pass& p : pipeline) out.push_back(p.name);
  return out;
}

}  // namespace

TEST_CASE("compile() runs exactly the pipeline of its level") {
  for (OptLevel level : {OptLevel::O0, OptLevel::O1, OptLevel::O2}) {
    INFO(opt_level_name(level));
    const CompiledModel net =
        compile(small_graph(), Options().backend(Backend::reference).level(level));
    std::vector<std::string> expected = names(opt::pipeline_for_level(opt_level_name(level)));
    // O2's fold-affine folds filters once per model, before the plans: listed first.
    if (level == OptLevel::O2) expected.insert(expected.begin(), "fold-filters");
    CHECK(names(net.plan()->optimization()) == expected);
  }
  CHECK(names(opt::pipeline_for_level("O2")) == names(opt::o2()));
}

TEST_CASE("compile() verifies the graph after every pass when told to") {
  // The tests define KILN_VERIFY_EACH_PASS: verification is on by default here.
  CHECK(Options().verify_each());
  const Options options = Options().backend(Backend::reference).pipeline({breaking_pass()});
  const Error e = compile_error(options);
  CHECK(e.code() == Errc::internal);
  CHECK(e.message().rfind("pass 'break' left an invalid graph", 0) == 0);
}

TEST_CASE("a pass that throws makes compile() fail with an error naming the pass") {
  const Options options =
      Options().backend(Backend::reference).pipeline({opt::simplify_pass(), throwing_pass()});
  const Error e = compile_error(options);
  CHECK(e.code() == Errc::unsupported);  // what the pass threw, with the pass named
  CHECK(e.message() == "optimizer pass 'explode' failed: cannot go on");
  CHECK(e.context().node == "r");
}

TEST_CASE("told to continue, compile() undoes a throwing pass and reports it") {
  const CompiledModel net =
      compile(small_graph(), Options()
                                 .backend(Backend::reference)
                                 .pipeline({throwing_pass(), opt::simplify_pass()})
                                 .on_pass_failure(opt::OnPassFailure::undo_and_continue));
  const std::shared_ptr<const CompiledPlan> plan = net.plan();
  REQUIRE(plan->diagnostics().size() == 1);
  CHECK(plan->diagnostics()[0].rfind("pass 'explode' failed and was undone: ", 0) == 0);
  CHECK(plan->diagnostics()[0].find("cannot go on") != std::string::npos);
  CHECK(plan->summary().find("optimizer: " + plan->diagnostics()[0] + "\n") != std::string::npos);
  // The graph is the one before the pass: the Relu still runs. -1 -> relu 0 -> neg 0.
  CHECK(test::count_ops(plan->plan().graph(), "Relu") == 1);
  const NamedTensors out = net.run({{"x", Tensor::from<float>({1, 4}, {-1, 2, -3, 4})}});
  test::check_close(out.at("y"), Tensor::from<float>({1, 4}, {0, -2, 0, -4}));
}

// x [?,2,2,1] -> Conv2D 1x1 (filter {1, 2}, read through Identity as a variable is) ->
// inference BatchNorm -> y. The BatchNorm scales the channels by
// gamma / sqrt(variance + epsilon) = {4 / sqrt(3 + 1), 3 / sqrt(0 + 1)} = {2, 3}: the folded
// filter is {2, 6}.
Graph conv_batch_norm() {
  GraphBuilder b;
  Value x = b.input("x", DType::float32, {-1, 2, 2, 1});
  Value w = b.op("Identity", {b.constant("w", Tensor::from<float>({1, 1, 1, 2}, {1, 2}))}, {},
                 "w/read");
  Value conv = b.op("Conv2D", {x, w},
                    {{"strides", Ints{1, 1, 1, 1}}, {"padding", std::string("VALID")}}, "conv");
  auto vec = [](std::initializer_list<float> v) { return Tensor::from<float>({2}, v); };
  b.output("y", b.op_outputs("FusedBatchNormV3",
                             {conv, b.constant("gamma", vec({4, 3})),
                              b.constant("beta", vec({0.5f, 0})), b.constant("mean", vec({1, -1})),
                              b.constant("variance", vec({3, 0}))},
                             {{"epsilon", 1.0f}, {"is_training", false}}, "bn")[0]);
  return b.finish();
}

// The folded filter a plan's convolution reads.
const Tensor& folded_filter(const CompiledPlan& plan) {
  const Graph& g = plan.plan().graph();
  for (const Node& n : g.nodes()) {
    if (n.op == "_FusedConv2D") return g.node(n.inputs.at(1).node).attr<Tensor>("value");
  }
  FAIL("no fused convolution");
  throw Error(Errc::internal, "unreachable");
}

TEST_CASE("compile() folds filters once, in place, and every plan shares them") {
  const Options options = Options().backend(Backend::reference);
  const Graph original = conv_batch_norm();
  SECTION("given the graph, compile() scales its filter in place") {
    Graph given = conv_batch_norm();
    const void* imported = given.node(given.at("w")).attr<Tensor>("value").raw();
    const CompiledModel net = compile(std::move(given), options);
    const std::shared_ptr<const CompiledPlan> one = net.plan();
    const std::shared_ptr<const CompiledPlan> three = net.plan({{"x", Shape{3, 2, 2, 1}}});
    const opt::PassRecord& fold = one->optimization().passes.at(0);
    CHECK(fold.name == "fold-filters");
    CHECK(fold.result.stat("BatchNorms folded") == 1);
    CHECK(fold.result.stat("weights scaled in place") == 1);
    test::check_close(folded_filter(*one), Tensor::from<float>({1, 1, 1, 2}, {2, 6}));
    CHECK(folded_filter(*one).raw() == imported);  // the imported filter's own memory
    CHECK(folded_filter(*three).raw() == imported);  // one copy for every plan
    const NamedTensors feeds = test::random_feeds(original, 5, 3);
    test::check_outputs_close(net.run(feeds), run_eager(original, feeds), 1e-6, 1e-6);
  }
  SECTION("a caller's copy of the graph keeps its filter") {
    const Graph kept = conv_batch_norm();
    const CompiledModel net = compile(kept, options);
    CHECK(net.plan()->optimization().passes.at(0).result.stat("weights scaled in place") == 0);
    test::check_close(kept.node(kept.at("w")).attr<Tensor>("value"),
                      Tensor::from<float>({1, 1, 1, 2}, {1, 2}));
    test::check_close(folded_filter(*net.plan()), Tensor::from<float>({1, 1, 1, 2}, {2, 6}));
  }
}

TEST_CASE("a plan whose arena would pass Options::max_arena_bytes is refused before it runs") {
  // x [64,4] -> Relu -> Neg: the Relu's 1 KiB output lives in the arena.
  const NamedTensors feeds = {{"x", Tensor(DType::float32, Shape{64, 4})}};
  const CompiledModel tight =
      compile(small_graph(), Options().backend(Backend::reference).level(OptLevel::O0).max_arena_bytes(512));
  try {
    tight.run(feeds);
    FAIL("a plan larger than its limit was made");
  } catch (const Error& e) {
    CHECK(e.code() == Errc::limit_exceeded);
    CHECK(e.context().expected == "at most 512 bytes (Options::max_arena_bytes)");
    CHECK(e.context().found == "1024 bytes");
  }
  const CompiledModel roomy =
      compile(small_graph(), Options().backend(Backend::reference).level(OptLevel::O0).max_arena_bytes(1024));
  CHECK(roomy.run(feeds).at("y").shape() == Shape{64, 4});
  CHECK_THROWS_AS(Options().max_arena_bytes(-1), Error);
}

}  // namespace KILN_TEST_FILE
