// `kiln report`: the page's data against facts found without the report's code (the optimizer
// run directly, the IR printer, the model), its layout's geometry, its IR diffs, and the parts
// of the report on their own (the line diff, the node changes, the layered layout).
// tests/browser/check_report.py checks the same pages in a real browser.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <kiln/core/builder.hpp>
#include <kiln/model.hpp>
#include <kiln/optimizer/optimizer.hpp>

#include "cli_capture.hpp"

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

namespace fs = std::filesystem;
using namespace kiln;

namespace {

std::string model_dir(const std::string& name) {
  return (fs::path(KILN_SOURCE_DIR) / "tests" / "fixtures" / "models" / name / "saved_model").string();
}

// Writes the report of `model` with `flags` and returns the data the page embeds.
nlohmann::json report_data(const std::string& model, std::vector<std::string> flags = {}) {
  const fs::path page = fs::temp_directory_path() / ("kiln_report_test_" + fs::path(model).parent_path().filename().string() + ".html");
  std::vector<std::string> words = {model, "-o", page.string()};
  words.insert(words.end(), flags.begin(), flags.end());
  test::capture_cli("report", words);
  std::ifstream in(page);
  std::stringstream text;
  text << in.rdbuf();
  const std::string html = text.str();
  const std::string open = "<script type=\"application/json\" id=\"kiln-data\">";
  const std::size_t start = html.find(open);
  REQUIRE(start != std::string::npos);
  const std::size_t end = html.find("</script>", start);
  REQUIRE(end != std::string::npos);
  // Nothing outside the file: no script, style or image is fetched.
  CHECK(html.find("<script src") == std::string::npos);
  CHECK(html.find("<link") == std::string::npos);
  return nlohmann::json::parse(html.substr(start + open.size(), end - start - open.size()));
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The graph a stage shows (a stage a pass left unchanged points to an earlier one).
const nlohmann::json& graph_of(const nlohmann::json& data, std::size_t k) {
  const nlohmann::json& stage = data["stages"][k];
  return stage["same_as"].is_null() ? stage["graph"] : data["stages"][stage["same_as"].get<std::size_t>()]["graph"];
}

}  // namespace

TEST_CASE("kiln report: every stage is the graph the optimizer makes, drawn without overlaps") {
  const std::string model = model_dir("digits_cnn");
  const nlohmann::json data = report_data(model);

  // The same pipeline run directly, with the IR printed after every pass.
  Graph graph = load_saved_model(model).graph("serving_default");
  std::vector<std::string> expected = {print_graph(graph)};
  opt::PassManager manager(opt::o2());
  std::ostringstream ignored;
  struct Keep : opt::Instrument {
    std::vector<std::string>* texts;
    void after_pass(const opt::Pass&, const Graph& g, const opt::PassRecord&) override {
      texts->push_back(print_graph(g));
    }
  };
  auto keep = std::make_shared<Keep>();
  keep->texts = &expected;
  manager.add_instrument(keep);
  manager.run(graph);

  const nlohmann::json& stages = data["stages"];
  REQUIRE(stages.size() == expected.size());
  REQUIRE(data["passes"].size() == expected.size() - 1);
  for (std::size_t k = 0; k < stages.size(); ++k) {
    INFO("stage " << k << " " << stages[k]["title"]);
    // The IR text, line for line.
    std::vector<std::string> ir;
    for (int id : stages[k]["ir"]) ir.push_back(data["lines"][static_cast<std::size_t>(id)]);
    CHECK(ir == lines_of(expected[k]));
    // Every node of the printed graph is drawn once, and only those (plus the output ports).
    std::multiset<std::string> drawn, printed;
    int outputs = 0;
    const nlohmann::json& g = graph_of(data, k);
    for (const nlohmann::json& n : g["nodes"]) {
      if (n["kind"] == "output") ++outputs;
      else drawn.insert(n["name"].get<std::string>());
    }
    for (const std::string& line : lines_of(expected[k])) {
      if (line.rfind("  %", 0) == 0) printed.insert(line.substr(3, line.find(" = ") - 3));
    }
    CHECK(drawn == printed);
    CHECK(outputs == 1);
    // Layout: edges run downward, nodes of one layer do not overlap.
    for (const nlohmann::json& e : g["edges"]) {
      const nlohmann::json& from = g["nodes"][e["from"].get<std::size_t>()];
      const nlohmann::json& to = g["nodes"][e["to"].get<std::size_t>()];
      CHECK(from["layer"].get<int>() < to["layer"].get<int>());
      CHECK(from["y"].get<int>() < to["y"].get<int>());
    }
    std::map<int, std::vector<std::pair<long, long>>> rows;
    for (const nlohmann::json& n : g["nodes"]) {
      const long x = n["x"], w = n["w"];
      rows[n["layer"]].push_back({x - w / 2, x + w / 2});
    }
    for (auto& [layer, spans] : rows) {
      std::sort(spans.begin(), spans.end());
      for (std::size_t i = 1; i < spans.size(); ++i) CHECK(spans[i - 1].second <= spans[i].first);
    }
  }
}

TEST_CASE("kiln report: each pass's diff turns the stage before into the stage after") {
  const nlohmann::json data = report_data(model_dir("transformer_block"));
  const nlohmann::json& lines = data["lines"];
  for (std::size_t k = 1; k < data["stages"].size(); ++k) {
    INFO("pass " << data["passes"][k - 1]["name"]);
    const nlohmann::json& before = data["stages"][k - 1]["ir"];
    const nlohmann::json& after = data["stages"][k]["ir"];
    std::vector<std::string> rebuilt, old_side;
    for (const nlohmann::json& op : data["passes"][k - 1]["diff"]) {
      if (op[0] == 0) {
        for (std::size_t j = 0; j < op[2].get<std::size_t>(); ++j) {
          const std::string line = lines[before[op[1].get<std::size_t>() + j].get<std::size_t>()];
          rebuilt.push_back(line);
          old_side.push_back(line);
        }
      } else if (op[0] == 1) {
        old_side.push_back(lines[before[op[1].get<std::size_t>()].get<std::size_t>()]);
      } else {
        rebuilt.push_back(lines[after[op[1].get<std::size_t>()].get<std::size_t>()]);
      }
    }
    std::vector<std::string> want_after, want_before;
    for (int id : after) want_after.push_back(lines[static_cast<std::size_t>(id)]);
    for (int id : before) want_before.push_back(lines[static_cast<std::size_t>(id)]);
    CHECK(rebuilt == want_after);
    CHECK(old_side == want_before);
  }
}

TEST_CASE("kiln report: what fusion did is marked on both sides, with the names it replaced") {
  const nlohmann::json data = report_data(model_dir("digits_cnn"), {"--passes", "fold-constants,simplify,fold-affine,fuse-epilogue,simplify"});
  // fuse-epilogue (pass 4): stage 3 is before it, stage 4 after.
  const nlohmann::json& before = data["stages"][3];
  const nlohmann::json& after = data["stages"][4];
  const nlohmann::json& graph = graph_of(data, 4);
  std::set<std::string> names_before;
  for (const nlohmann::json& n : graph_of(data, 3)["nodes"]) names_before.insert(n["name"]);
  int fused = 0;
  for (const nlohmann::json& n : graph["nodes"]) {
    const std::string name = n["name"];
    if (!after["origin"].contains(name) || after["origin"][name] != "fused") continue;
    ++fused;
    for (const nlohmann::json& r : n["replaced"]) {
      const std::string original = r;
      INFO(name << " replaces " << original);
      // Each name it absorbed in this pass is marked, before the pass, as fused into it.
      if (names_before.count(original) && original != name) {
        CHECK(before["fate"].value(original, "") == "fused");
        CHECK(before["fused_into"].value(original, "") == name);
      }
    }
  }
  // The pass's own statistic, from the optimizer.
  CHECK(fused == data["passes"][3]["stats"]["activations fused"].get<int>());
}

TEST_CASE("kiln report refuses command lines that make no sense, saying why") {
  const std::string model = model_dir("digits_cnn");
  // Nothing may be written; if a check fails, what was written goes to the temporary folder.
  const std::string page = (fs::temp_directory_path() / "kiln_report_refused.html").string();
  test::require_usage_error({"report", model}, {"--output", "required"});
  test::require_usage_error({"report", model, "-o", page, "--passes", "nope"}, {"nope"});
  test::require_usage_error({"report", model, "-o", page, "-O1", "--passes", "simplify"},
                            {"--passes", "not both"});
  test::require_usage_error({"report", model, "-o", page, "--page-nodes", "0"}, {"--page-nodes"});
  test::require_usage_error({"report", model, "-o", page, "--backend", "gpu9"}, {"gpu9"});
}

TEST_CASE("kiln report's line diff is a shortest edit script") {
  using cli::DiffLine;
  auto edits = [](const std::vector<int>& a, const std::vector<int>& b) {
    int n = 0;
    for (const DiffLine& d : cli::diff_lines(a, b)) n += d.kind != DiffLine::Kind::kept;
    return n;
  };
  CHECK(edits({}, {}) == 0);
  CHECK(edits({1, 2, 3}, {1, 2, 3}) == 0);
  CHECK(edits({1, 2, 3}, {}) == 3);
  CHECK(edits({}, {4, 5}) == 2);
  // abcabba -> cbabac: 5 edits (the example of Myers' paper).
  CHECK(edits({1, 2, 3, 1, 2, 2, 1}, {3, 2, 1, 2, 1, 3}) == 5);
  CHECK(edits({1, 2, 3, 4}, {1, 9, 3, 4}) == 2);
}

TEST_CASE("kiln report's layout puts constants next to their reader and keeps a chain straight") {
  // x -> a -> b -> c -> d, and a constant read only by d.
  cli::LayoutInput in;
  in.widths = {60, 60, 60, 60, 60, 40};
  in.heights = {30, 30, 30, 30, 30, 20};
  in.edges = {{0, 1}, {1, 2}, {2, 3}, {3, 4}, {5, 4}};
  const cli::Layout layout = cli::layered_layout(in);
  CHECK(layout.layers == std::vector<int>{0, 1, 2, 3, 4, 3});
  for (int v = 1; v <= 3; ++v) CHECK(layout.centres[static_cast<std::size_t>(v)].x == Approx(layout.centres[0].x));
  // The edge from x to a runs from x's bottom to a's top.
  CHECK(layout.routes[0].front().y == Approx(layout.centres[0].y + 15));
  CHECK(layout.routes[0].back().y == Approx(layout.centres[1].y - 15));
}

}  // namespace KILN_TEST_FILE
