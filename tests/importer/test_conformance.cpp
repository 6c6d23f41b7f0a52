// Conformance: every fixture and every corpus model, imported by Kiln and run eagerly on the
// reference kernels, gives TensorFlow's outputs (stored by tests/fixtures/make_fixtures.py).
// Tolerance for float32: |kiln - tf| <= 1e-5 + 1e-5 * |tf|.
#include <catch2/catch.hpp>

#include <kiln/eager.hpp>

#include "../conformance_cases.hpp"
#include "../support.hpp"

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;
using test::kCorpus;

namespace {

void check_case(const test::ConformanceCase& c) {
  const NamedTensors expected = c.expected();
  const NamedTensors actual = run_eager(c.graph(), c.inputs());
  test::check_outputs_close(actual, expected, 1e-5, 1e-5);
}

}  // namespace

TEST_CASE("fixture models match TensorFlow", "[conformance]") {
  for (const test::ConformanceCase& c : test::fixture_cases()) {
    SECTION(c.label) { check_case(c); }
  }
}

TEST_CASE("corpus SavedModels match TensorFlow", "[conformance]") {
  const std::vector<test::ConformanceCase> cases = test::corpus_saved_model_cases();
  REQUIRE_FALSE(cases.empty());  // the corpus must be beside the repository
  for (const test::ConformanceCase& c : cases) {
    SECTION(c.label) { check_case(c); }
  }
}

TEST_CASE("corpus frozen graphs match TensorFlow", "[conformance]") {
  const std::vector<test::ConformanceCase> cases = test::corpus_frozen_cases();
  REQUIRE_FALSE(cases.empty());  // the corpus must be beside the repository
  for (const test::ConformanceCase& c : cases) {
    SECTION(c.label) { check_case(c); }
  }
}

TEST_CASE("half_plus_two computes 0.5 x + 2 exactly", "[conformance]") {
  // Values whose halves are exact in binary, so 0.5x + 2 has one right answer.
  const std::vector<float> xs = {-3.0f, 0.25f, 1024.5f};
  const std::vector<float> ys = {0.5f, 2.125f, 514.25f};

  Graph tf1 = load_saved_model((kCorpus / "half_plus_two_tf1").string()).graph("serving_default");
  NamedTensors out = run_eager(tf1, {{"x", Tensor::from_vector<float>({3, 1}, xs)}});
  test::check_equal(out.at("y"), Tensor::from_vector<float>({3, 1}, ys));

  // The TF2 export declares its input as shape [1] (a PlaceholderWithDefault).
  Graph tf2 = load_saved_model((kCorpus / "half_plus_two_tf2").string()).graph("serving_default");
  for (std::size_t i = 0; i < xs.size(); ++i) {
    NamedTensors y = run_eager(tf2, {{"x", Tensor::from<float>({1}, {xs[i]})}});
    test::check_equal(y.at("y"), Tensor::from<float>({1}, {ys[i]}));
  }
}

}  // namespace KILN_TEST_FILE
