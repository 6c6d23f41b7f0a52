// The pass manager and its instruments: pipelines by name and level, statistics lines, IR
// dumps, verify-each, DOT files, timing, JSON, and what happens when a pass misbehaves.
#include "helpers.hpp"

#include <kiln/optimizer/plan_memory.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;

namespace {
// x -> Identity -> Relu -> y, plus a constant subgraph to fold.
Graph small_graph() {
  GraphBuilder b;
  Value x = b.input("x", DType::float32, {2});
  Value k =
      b.op("AddV2", {b.constant("a", Tensor::scalar(1.0f)), b.constant("b", Tensor::scalar(2.0f))},
           {}, "k");
  Value r = b.op("Relu", {b.op("Identity", {x}, {}, "id")}, {}, "r");
  b.output("y", b.op("Mul", {r, k}, {}, "y"));
  return b.finish();
}

opt::Pass does_nothing() {
  return {"nothing", "changes nothing",
          [](Graph&, opt::PassContext&) { return opt::PassResult{}; }};
}

std::vector<std::string> names(const opt::Pipeline& p) {
  std::vector<std::string> out;
  for (const opt::Pass& pass : p) out.push_back(pass.name);
  return out;
}
}  // namespace

TEST_CASE("pipelines by name list and by level") {
  CHECK(names(opt::parse_pipeline("fold-constants, simplify,fuse")) ==
        std::vector<std::string>{"fold-constants", "simplify", "fuse"});
  CHECK(names(opt::pipeline_for_level("O0")).empty());
  CHECK(names(opt::pipeline_for_level("O1")) ==
        std::vector<std::string>{"fold-constants", "simplify"});
  CHECK(names(opt::pipeline_for_level("-O2")) ==
        std::vector<std::string>{"fold-constants", "simplify", "loop-invariants",
                                 "lists-to-tensors", "hoist-loop-products", "fold-constants",
                                 "fuse-lstm-gates", "fuse-layer-norm", "einsum-to-matmul",
                                 "space-to-batch-to-dilation", "move-scale-to-projection",
                                 "fold-affine", "fuse-epilogue", "absorb-pool-pad", "fuse-lstm-loop",
                                 "simplify"});
  CHECK(opt::pipeline_text(opt::o1()) == "fold-constants,simplify");
  // The text reads back as the same pipeline.
  CHECK(names(opt::parse_pipeline(opt::pipeline_text(opt::o2()))) == names(opt::o2()));
  try {
    opt::parse_pipeline("simplify,inline");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.code() == Errc::not_found);
    CHECK(e.context().found == "inline");
    CHECK(e.context().expected ==
          "fold-constants, simplify, loop-invariants, lists-to-tensors, hoist-loop-products, "
          "fuse-lstm-gates, fuse-layer-norm, einsum-to-matmul, "
          "space-to-batch-to-dilation, move-scale-to-projection, fold-affine, fuse-epilogue, "
          "absorb-pool-pad, fuse-lstm-loop, fuse, drop-checks, bf16-products");
  }
  CHECK_THROWS_AS(opt::parse_pipeline("simplify,,fuse"), Error);
  CHECK_THROWS_AS(opt::pipeline_for_level("O3"), Error);
}

TEST_CASE("a statistics line reads like the compiler's log") {
  opt::PassRecord record;
  record.name = "fold-constants";
  record.nodes_before = 427;
  record.nodes_after = 165;
  record.ms = 0.8;
  record.result.count("folded subgraphs", 3);
  record.result.count("declined over budget", 0);  // zero counts are left out of the line
  CHECK(opt::stats_line(record) ==
        "fold-constants: 427 -> 165 nodes (-262), 3 folded subgraphs, 0.8 ms");
  record.name = "measure";
  record.nodes_after = 427;
  record.result = {};
  record.result.bytes("arena", 6018867);
  record.result.bytes("lower bound", 6018867);
  record.ms = 0.04;
  CHECK(opt::stats_line(record) ==
        "measure: 427 -> 427 nodes (+0), arena 5.74 MiB, lower bound 5.74 MiB, 0.04 ms");
}

TEST_CASE("PrintIR dumps after every pass, or only after those that changed something") {
  Graph g = small_graph();
  std::ostringstream all, changed;
  opt::PassManager pm({does_nothing(), opt::simplify_pass()});
  pm.add_instrument(opt::PrintIR::after_all(all));
  pm.add_instrument(opt::PrintIR::after_change(changed));
  pm.run(g);
  const std::string simplified = print_graph(g);
  CHECK(all.str() == "// -----// IR Dump After nothing //----- //\n" + print_graph(small_graph()) +
                         "\n// -----// IR Dump After simplify //----- //\n" + simplified + "\n");
  CHECK(changed.str() == "// -----// IR Dump After simplify //----- //\n" + simplified + "\n");

  std::ostringstream before;
  Graph h = small_graph();
  opt::PassManager pm2({opt::simplify_pass()});
  pm2.add_instrument(opt::PrintIR::before_all(before));
  pm2.run(h);
  CHECK(before.str() ==
        "// -----// IR Dump Before simplify //----- //\n" + print_graph(small_graph()) + "\n");
}

TEST_CASE("PassStatistics prints a line per pass, and notes on request") {
  Graph g = small_graph();
  std::ostringstream out;
  opt::PassManager pm(opt::o1());
  pm.options().fold_byte_budget = 2;  // the folded scalar (4 bytes) is over it
  pm.add_instrument(std::make_shared<opt::PassStatistics>(out, /*with_notes=*/true));
  pm.run(g);
  std::istringstream lines(out.str());
  std::string first, note, second;
  std::getline(lines, first);
  std::getline(lines, note);
  std::getline(lines, second);
  CHECK(first.rfind("fold-constants: 7 -> 7 nodes (+0), 1 declined over budget, ", 0) == 0);
  CHECK(note == "  note: declined 'k' (AddV2): 4 B is over the 2 B folding budget");
  CHECK(second.rfind("simplify: 7 -> 6 nodes (-1), 1 pass-throughs removed, ", 0) == 0);
}

TEST_CASE("VerifyEach names the pass that broke the graph") {
  const opt::Pass breaks{"break-types", "records a wrong type", [](Graph& g, opt::PassContext&) {
                           g.node(g.at("r")).outputs[0].dtype = DType::int32;
                           opt::PassResult r;
                           r.changed = true;
                           return r;
                         }};
  Graph g = small_graph();
  opt::PassManager pm({opt::simplify_pass(), breaks});
  pm.add_instrument(std::make_shared<opt::VerifyEach>());
  try {
    pm.run(g);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.code() == Errc::internal);
    CHECK(e.message().rfind("pass 'break-types' left an invalid graph: ", 0) == 0);
    CHECK(e.context().node == "r");
  }
}

TEST_CASE("a pass that throws is undone and the pipeline goes on") {
  const opt::Pass throws{"throws", "half-rewrites, then fails",
                         [](Graph& g, opt::PassContext&) -> opt::PassResult {
                           g.node(g.at("r")).op = "Neg";
                           throw Error(Errc::internal, "something went wrong");
                         }};
  Graph g = small_graph();
  const std::string text = print_graph(g);
  opt::PassManager pm({throws, does_nothing()});
  std::ostringstream stats;
  pm.add_instrument(std::make_shared<opt::PassStatistics>(stats));
  const opt::PipelineReport report = pm.run(g);
  CHECK(print_graph(g) == text);
  REQUIRE(report.passes.size() == 2);
  CHECK(report.passes[0].failure == "internal error: something went wrong");
  CHECK(stats.str().find("FAILED and undone: internal error: something went wrong") !=
        std::string::npos);
  CHECK(report.passes[1].failure.empty());
  CHECK(report.failures() == std::vector<std::string>{
                                 "pass 'throws' failed and was undone: internal error: "
                                 "something went wrong"});
}

TEST_CASE("a pass manager told to fail stops with an error that names the pass") {
  const opt::Pass throws{"throws", "half-rewrites, then fails",
                         [](Graph& g, opt::PassContext&) -> opt::PassResult {
                           g.node(g.at("r")).op = "Neg";
                           throw Error(Errc::shape_mismatch, "something went wrong").node("r");
                         }};
  Graph g = small_graph();
  const std::string text = print_graph(g);
  opt::PassManager pm({does_nothing(), throws});
  pm.on_failure(opt::OnPassFailure::fail);
  try {
    pm.run(g);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.code() == Errc::shape_mismatch);  // what the pass threw, named
    CHECK(e.message() == "optimizer pass 'throws' failed: something went wrong");
    CHECK(e.context().node == "r");
  }
  CHECK(print_graph(g) == text);  // undone all the same
}

TEST_CASE("DotDump writes the input and one file per pass") {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    ("kiln-dot-test-" + std::to_string(std::random_device{}()));
  Graph g = small_graph();
  opt::PassManager pm(opt::o1());
  pm.add_instrument(std::make_shared<opt::DotDump>(dir));
  pm.run(g);
  for (const char* file : {"00-input.dot", "01-fold-constants.dot", "02-simplify.dot"}) {
    INFO(file);
    std::ifstream in(dir / file);
    REQUIRE(in);
    std::string first;
    std::getline(in, first);
    CHECK(first.rfind("digraph ", 0) == 0);
  }
  std::ifstream last(dir / "02-simplify.dot");
  const std::string text((std::istreambuf_iterator<char>(last)), std::istreambuf_iterator<char>());
  CHECK(text.find("digraph \"after simplify\"") == 0);
  CHECK(text.find("Identity") == std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("PassTiming reports every pass and the total") {
  Graph g = small_graph();
  std::ostringstream out;
  opt::PassManager pm(opt::o1());
  pm.add_instrument(std::make_shared<opt::PassTiming>(out));
  pm.run(g);
  test::check_ir(out.str(), {"// -----// Pass execution timing //----- //", "ms   share  pass",
                             "%  fold-constants\n", "%  simplify\n", "100.0%  total\n"});
}

TEST_CASE("the report holds what every pass did, as data") {
  Graph g = small_graph();
  opt::PipelineReport report = opt::PassManager(opt::o2()).run(g);
  REQUIRE(report.passes.size() == opt::o2().size());
  const opt::PassRecord& fold = report.passes[0];
  CHECK(fold.name == "fold-constants");
  CHECK(fold.nodes_before == 7);
  CHECK(fold.nodes_after == 5);
  CHECK(fold.result.changed);
  REQUIRE_FALSE(fold.result.stats.empty());
  CHECK(fold.result.stats[0].name == "folded nodes");
  CHECK(fold.result.stats[0].value == 1);
  for (std::size_t i = 0; i < report.passes.size(); ++i) {
    CHECK(report.passes[i].name == opt::o2()[i].name);  // the pipeline listed is the one run
  }
  CHECK_FALSE(report.memory);  // an analysis made on request, not by the pipeline
  const std::optional<opt::MemoryPlan> memory = opt::plan_memory(g).plan;
  REQUIRE(memory);
  CHECK(memory->arena_bytes == 64);
}

TEST_CASE("pipelines are deterministic") {
  Graph a = small_graph(), b = small_graph();
  opt::PassManager(opt::o2()).run(a);
  opt::PassManager(opt::o2()).run(b);
  CHECK(print_graph(a) == print_graph(b));
}

}  // namespace KILN_TEST_FILE
