// The IR text on real graphs: every fixture and corpus model, imported, printed losslessly and
// parsed back, prints the same again. These graphs carry what hand-built ones rarely do: names
// full of '/' and ':', large constants, TensorFlow's own attributes.
#include <catch2/catch.hpp>

#include <kiln/core/parse.hpp>
#include <kiln/core/print.hpp>

#include "../conformance_cases.hpp"

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;

namespace {

void check_round_trip(const std::vector<test::ConformanceCase>& cases) {
  REQUIRE(!cases.empty());
  PrintOptions lossless;
  lossless.lossless = true;
  for (const test::ConformanceCase& c : cases) {
    SECTION(c.label) {
      const Graph g = c.graph();
      const std::string text = print_graph(g, lossless);
      const Graph back = parse_graph(text);
      CHECK(back.size() == g.size());
      CHECK(print_graph(back, lossless) == text);
      CHECK(print_graph(back) == print_graph(g));
    }
  }
}

}  // namespace

TEST_CASE("fixture models print, parse back and print the same") {
  check_round_trip(test::fixture_cases());
}

TEST_CASE("corpus models print, parse back and print the same") {
  check_round_trip(test::corpus_saved_model_cases());
  check_round_trip(test::corpus_frozen_cases());
}

}  // namespace KILN_TEST_FILE
