// Inputs that crashed Kiln under the fuzzers (tests/fuzz), and hand-made ones of the same kind:
// each now fails with a kiln::Error that says what is wrong and where.
//
// The cases below state each input in the test, for the reader. The last test replays every file
// under tests/fuzz/regressions/<target>/ (the minimized crash inputs, also the fuzzers' seeds)
// through the target's own code, so a fix that regresses shows here without a fuzzing run; in
// the sanitizer pass (tests/sanitizers.sh) it runs under ASan and UBSan as the fuzzers do.
#include <catch2/catch.hpp>

#include <filesystem>
#include <functional>
#include <map>
#include <string>

#include <kiln/core/parse.hpp>
#include <kiln/session.hpp>

#include "../fuzz/fuzz_ir_run.hpp"
#include "../fuzz/fuzz_npy.hpp"
#include "../fuzz/fuzz_readers.hpp"
#include "importer_test_util.hpp"

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;
using test::require_error;

TEST_CASE("fuzz: a Fill to 10^10 elements that leaves the graph is refused at compile time") {
  // Found by fuzz_ir_run: the output of a run is allocated outside the arena, and a shape that
  // came from a constant asked for 40 GB on every run.
  const std::string text = R"(
    graph {
      inputs: x = %x
      %x = Placeholder() {dtype = float32, shape = [2]}
      %dims = Const() {dtype = int64, value = int64[1] {10000000792}}
      %one = Const() {dtype = float32, value = float32[] {1}}
      %ones = Fill(%dims, %one) {T = float32, index_type = int64}
      outputs: y = %ones, x2 = %x
    })";
  require_error([&] { compile(parse_graph(text), Options().backend(Backend::reference)); },
                Errc::limit_exceeded,
                {"outputs are larger than the limit", "node 'ones'", "Options::max_arena_bytes",
                 "40000003168 bytes"});
  // The same with the fuzzers' smaller budget.
  require_error([&] { fuzz::ir_run(text); }, Errc::limit_exceeded, {"Options::max_arena_bytes"});
}

TEST_CASE("fuzz: the outputs' limit counts their bytes exactly") {
  const std::string text = R"(
    graph {
      inputs: x = %x
      %x = Placeholder() {dtype = float32, shape = [2]}
      %y = Neg(%x) {T = float32}
      outputs: y = %y
    })";
  const Options reference = Options().backend(Backend::reference);
  const CompiledModel model = compile(parse_graph(text), Options(reference).max_arena_bytes(8));
  CHECK(model.run({{"x", Tensor::from<float>(Shape{2}, {1, 2})}}).at("y").to_float_vector() ==
        std::vector<float>{-1, -2});
  require_error([&] { compile(parse_graph(text), Options(reference).max_arena_bytes(7)); },
                Errc::limit_exceeded, {"outputs", "at most 7 bytes", "found 8 bytes"});
}

TEST_CASE("a Fill sized by its input is refused before allocating, node by node and in a plan") {
  // The compiled plan's static part is checked at compile time (above); here the size is known
  // only as the node runs: in the eager interpreter (-O0) and in a plan's dynamic step.
  const Graph g = parse_graph(R"(
    graph {
      inputs: dims = %dims
      %dims = Placeholder() {dtype = int64, shape = [1]}
      %one = Const() {dtype = float32, value = float32[] {1}}
      %ones = Fill(%dims, %one) {T = float32, index_type = int64}
      outputs: y = %ones
    })");
  const NamedTensors huge{{"dims", Tensor::from<std::int64_t>(Shape{1}, {10000000792})}};
  const std::vector<std::string> says{"outputs are larger than the limit", "node 'ones'",
                                      "Options::max_arena_bytes", "40000003168 bytes"};
  require_error([&] { EagerInterpreter(g, Backend::reference).run(huge); },
                Errc::limit_exceeded, says);
  const CompiledModel planned = compile(g, Options().backend(Backend::reference));
  require_error([&] { planned.run(huge); }, Errc::limit_exceeded, says);

  // The limit counts bytes exactly: two floats take 8.
  const NamedTensors two{{"dims", Tensor::from<std::int64_t>(Shape{1}, {2})}};
  CHECK(EagerInterpreter(g, Backend::reference, 0, 100, 8).run(two).at("y").to_float_vector() ==
        std::vector<float>{1, 1});
  require_error([&] { EagerInterpreter(g, Backend::reference, 0, 100, 7).run(two); },
                Errc::limit_exceeded, {"at most 7 bytes", "found 8 bytes"});
}

TEST_CASE("fuzz: a Placeholder given a region is an invalid graph, not undefined behaviour") {
  // Found by fuzz_ir_run: type inference read the regions of any node as a control-flow node's,
  // taking the arguments after the (absent) first input.
  require_error([] {
    parse_graph(R"(
      graph {
        inputs: x = %x
        %x = Placeholder() {dtype = float32, shape = [2]} regions {
          body: graph {
            inputs: a = %a
            %a = Placeholder() {dtype = float32, shape = [2]}
            outputs: r = %a
          }
        }
        outputs: y = %x
      })");
  }, Errc::invalid_graph,
     {"node has regions, but its op takes none", "node 'x'", "op 'Placeholder'"});
}

TEST_CASE("fuzz: archives split at the marker, and names that could leave the folder are dropped") {
  const std::string archive = fuzz::make_archive({{"saved_model.pb", "ab"},
                                                  {"../outside", "x"},
                                                  {"/absolute", "y"},
                                                  {"variables/variables.index", "\x01\n"}});
  const std::string input = "ignored" + archive;  // the members' bytes are views into it
  const std::vector<fuzz::Member> members = fuzz::split_archive(input);
  REQUIRE(members.size() == 2);
  CHECK(members[0].name == "saved_model.pb");
  CHECK(members[0].bytes == "ab");
  CHECK(members[1].name == "variables/variables.index");
  CHECK(members[1].bytes == "\x01\n");
}

TEST_CASE("fuzz: hand-made inputs through the targets' code end in errors naming the culprit") {
  require_error([] { fuzz::saved_model(""); }, Errc::not_found,
                {"no saved_model.pb or saved_model.pbtxt"});
  require_error([] { fuzz::bundle(fuzz::make_archive({{"variables.index", ""}})); },
                Errc::parse_error, {"too small to be a TensorBundle index", "variables.index"});
  // Shape (10^9,) of float32 with 8 bytes of data.
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000,), }";
  header += std::string(64 - (10 + header.size() + 1) % 64, ' ') + "\n";
  const std::string npy = std::string("\x93NUMPY\x01\x00", 8) +
                          static_cast<char>(header.size()) + '\0' + header + std::string(8, '\0');
  require_error([&] { fuzz::npy(npy); }, Errc::parse_error,
                {"data size does not match", "expected 4000000000 bytes, found 8 bytes"});
  require_error([] { fuzz::graphdef("\x0a\x7f\x0a\x01x", false); }, Errc::parse_error,
                {"not a valid GraphDef", "node[0]", "graph.pb"});
}

// Every committed crash input, through the code of the target that found it: it may load, or
// fail with a kiln::Error, but not with Errc::internal (a broken invariant) nor anything else.
TEST_CASE("fuzz: every committed crash input ends in a kiln::Error or a result") {
  const std::map<std::string, std::function<void(std::string_view)>> targets = {
      {"graphdef", [](std::string_view b) { fuzz::graphdef(b, false); }},
      {"graphdef_text", [](std::string_view b) { fuzz::graphdef(b, true); }},
      {"saved_model", fuzz::saved_model},
      {"bundle", fuzz::bundle},
      {"npy", fuzz::npy},
      {"ir_run", fuzz::ir_run},
  };
  const std::filesystem::path root =
      std::filesystem::path(KILN_SOURCE_DIR) / "tests/fuzz/regressions";
  int replayed = 0;
  for (const auto& folder : std::filesystem::directory_iterator(root)) {
    const std::string target = folder.path().filename().string();
    INFO("target " << target);
    REQUIRE(targets.count(target) == 1);
    for (const auto& file : std::filesystem::directory_iterator(folder.path())) {
      INFO("input " << file.path().string());
      const std::string bytes = test::read_bytes(file.path().string());
      try {
        targets.at(target)(bytes);
      } catch (const Error& e) {
        INFO("kiln::Error: " << e.what());
        CHECK(e.code() != Errc::internal);
      }
      ++replayed;
    }
  }
  CHECK(replayed > 0);
}

}  // namespace KILN_TEST_FILE
