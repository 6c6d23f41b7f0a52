// The reader of the generated TensorFlow expectations: a damaged file is an error, not fewer
// tests.
#include "tf_cases.hpp"

#include <cstdio>
#include <filesystem>

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Writes `text` to a scratch file and loads it; the file is removed again.
std::vector<test::TfCase> load_text(const std::string& text) {
  const std::string path = (std::filesystem::temp_directory_path() / "kiln_tf_cases_test.txt").string();
  std::ofstream(path, std::ios::binary) << text;
  struct Remove {
    std::string path;
    ~Remove() { std::remove(path.c_str()); }
  } remove{path};
  return test::load_tf_cases(path);
}

}  // namespace

TEST_CASE("the TensorFlow case reader reads every kind of record") {
  const std::vector<test::TfCase> cases = load_text(
      "# a comment\n"
      "\n"
      "case pad, reflect\n"
      "op MirrorPad\n"
      "attr mode string REFLECT\n"
      "attr squeeze_dims ints [0,-1]\n"
      "attr T type float32\n"
      "attr keep_dims bool 1\n"
      "attr N int 2\n"
      "attr alpha float 0.2\n"
      "in float32 [2] 1.5 -2\n"
      "in int64 [] 9007199254740993\n"
      "out bool [3] 1 0 1\n"
      "out float64 [1] 0.1\n"
      "tolerance 1e-06 2e-06\n"
      "\n"
      "case refused\n"
      "op Reshape\n"
      "in float16 [0,2]\n"
      "fails\n"
      "\n"
      "cases 2\n");
  REQUIRE(cases.size() == 2);
  const test::TfCase& c = cases[0];
  CHECK(c.name == "pad, reflect");
  CHECK(std::get<std::string>(c.attrs.at("mode")) == "REFLECT");
  CHECK(std::get<Ints>(c.attrs.at("squeeze_dims")) == Ints{0, -1});
  CHECK(std::get<DType>(c.attrs.at("T")) == DType::float32);
  CHECK(std::get<bool>(c.attrs.at("keep_dims")));
  CHECK(std::get<std::int64_t>(c.attrs.at("N")) == 2);
  CHECK(std::get<float>(c.attrs.at("alpha")) == 0.2f);
  REQUIRE(c.inputs.size() == 2);
  CHECK(c.inputs[0].data<float>()[1] == -2.0f);
  CHECK(c.inputs[1].data<std::int64_t>()[0] == 9007199254740993);
  REQUIRE(c.outputs.size() == 2);
  CHECK(c.outputs[0].data<bool>()[1] == false);
  CHECK(c.outputs[1].data<double>()[0] == 0.1);
  CHECK(c.atol == 1e-06);
  CHECK(c.rtol == 2e-06);
  CHECK(cases[1].fails);
  CHECK(cases[1].inputs[0].shape() == Shape{0, 2});
}

TEST_CASE("a truncated or damaged TensorFlow case file is an error") {
  const std::string full = read_text(test::tf_cases_file("math_tf_cases.txt"));
  REQUIRE(full.size() > 1000);
  // Cut after a complete case: without the final count the reader cannot tell, so it refuses.
  const std::size_t cut = full.find("\n\ncase ", full.size() / 2);
  REQUIRE(cut != std::string::npos);
  CHECK_THROWS_WITH(load_text(full.substr(0, cut + 1)), Catch::Contains("truncated"));
  // A count that disagrees with the cases there are.
  CHECK_THROWS_WITH(load_text("case a\nop Relu\nfails\n\ncases 2\n"), Catch::Contains("as many cases"));
  // Values that do not fill the shape, with the line they are on.
  CHECK_THROWS_WITH(load_text("case a\nop Relu\nin float32 [3] 1 2\nfails\n\ncases 1\n"),
                    Catch::Contains("too few values for the shape at line 3"));
  CHECK_THROWS_WITH(load_text("case a\nop Relu\nin int32 [1] 1.5\nfails\n\ncases 1\n"),
                    Catch::Contains("expected an integer at line 3"));
  // A case with outputs and 'fails', or with neither.
  CHECK_THROWS_WITH(load_text("case a\nop Relu\n\ncases 1\n"), Catch::Contains("either outputs or 'fails'"));
}

}  // namespace KILN_TEST_FILE
