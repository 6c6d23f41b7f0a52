// The data-dependent graphs of tests/dynamic_graphs.hpp compiled for the cpu backend. Where and
// NonMaxSuppressionV3 have no oneDNN kernel and run on the reference kernels; the MatMul after
// the suppression, a dynamic step too, gets a oneDNN kernel prepared for each row count it
// meets. One plan serves inputs whose outputs differ in size, and every output equals the
// reference backend's (whose values test_dynamic_plan.cpp checks by hand).
#include <kiln/core/parse.hpp>
#include <kiln/session.hpp>

#include "../dynamic_graphs.hpp"
#include "cpu_support.hpp"

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;
using test::floats;

namespace {

void check_same_outputs(const NamedTensors& actual, const NamedTensors& expected) {
  REQUIRE(actual.size() == expected.size());
  for (const auto& [name, tensor] : expected) {
    INFO(name);
    test::check_close(actual.at(name), tensor);
  }
}

}  // namespace

TEST_CASE("the cpu backend runs Where and what follows it as dynamic steps") {
  const CompiledModel cpu = compile(test::where_graph(), Options().backend(Backend::cpu).threads(2));
  const CompiledModel reference =
      compile(test::where_graph(), Options().backend(Backend::reference));
  const std::vector<Tensor> inputs = {
      floats({4, 3}, {1, -2, 0.25f, 0.75f, 3, -1, 0, 0, 0.5f, 2, 0.625f, -0.5f}),  // 5 picked
      floats({4, 3}, {-1, 4, 0.5f, 0, 0, 0, 0.5f, -3, 8, 1, 1, -1}),              // 4 picked
      floats({4, 3}, {0.5f, 0, -1, 0, 0, 0, 0.5f, 0.25f, 0, -7, 0, 0}),           // none
  };
  // The eager interpreter on the cpu backend prepares kernels per shape the same way.
  const EagerInterpreter eager(test::where_graph(), Backend::cpu, 2);
  for (const Tensor& x : inputs) {
    const NamedTensors expected = reference.run({{"x", x}});
    check_same_outputs(cpu.run({{"x", x}}), expected);
    check_same_outputs(eager.run({{"x", x}}), expected);
  }
  CHECK(cpu.cached_plans() == 1);
  CHECK(cpu.plan()->plan().dynamic_count() == reference.plan()->plan().dynamic_count());
}

TEST_CASE("the cpu backend runs NonMaxSuppressionV3, GatherV2 and MatMul on data-sized rows") {
  const CompiledModel cpu =
      compile(parse_graph(test::kNmsGraph), Options().backend(Backend::cpu).threads(2));
  const CompiledModel reference =
      compile(parse_graph(test::kNmsGraph), Options().backend(Backend::reference));
  const std::vector<Tensor> scores = {
      floats({6}, {0.9f, 0.75f, 0.6f, 0.95f, 0.5f, 0.3f}),  // keeps boxes 3, 0
      floats({6}, {0.2f, 0.75f, 0.6f, 0.95f, 0.5f, 0.8f}),  // keeps boxes 3, 5, 1
      floats({6}, {0.2f, 0.75f, 0.6f, 0.95f, 0.5f, 0.8f}),  // again: the kernel prepared before
      floats({6}, {0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f}),    // keeps nothing
  };
  for (const Tensor& s : scores) {
    const NamedTensors feeds{{"boxes", test::kBoxes}, {"scores", s}};
    check_same_outputs(cpu.run(feeds), reference.run(feeds));
  }
  const NamedTensors out = cpu.run({{"boxes", test::kBoxes}, {"scores", scores[1]}});
  test::check_close(out.at("projected"), floats({3, 2}, {1, 21, 1, 201, 1, 1.2f}));
  CHECK(cpu.cached_plans() == 1);
  const std::string summary = cpu.plan()->summary();
  INFO(summary);
  CHECK(summary.find("dynamic: reads picked_boxes, sized at run time") != std::string::npos);
}

}  // namespace KILN_TEST_FILE
