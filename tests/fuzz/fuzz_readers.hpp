// One function per model and checkpoint target: what the target does with one input. The targets
// (fuzz_<name>.cpp) call them, and so does the test that replays the committed crash inputs
// (tests/importer/test_fuzz_regressions.cpp). Each throws kiln::Error for bad input, the
// expected outcome, and must do nothing else bad (fuzz_support.hpp).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <kiln/savedmodel.hpp>

#include "fuzz_files.hpp"
#include "fuzz_support.hpp"

namespace kiln::fuzz {

inline LoadOptions load_options() {
  LoadOptions options;
  options.limits.max_file_bytes = kMaxFileBytes;
  options.limits.max_nodes = kMaxNodes;
  options.limits.max_tensor_bytes = kMaxTensorBytes;
  return options;
}

// What `kiln show` and `kiln run` do with a model before running it: each signature (or, for
// a frozen graph, the graph up to its sink nodes) is censused and imported into verified Kiln
// IR. Each step may fail on its own; one failing signature does not hide the next.
inline void exercise_model(const Model& model) {
  run_one([&] { (void)model.all_tag_sets(); });
  if (model.is_frozen_graph()) {
    run_one([&] { (void)model.placeholders(); });
    std::vector<std::string> sinks;
    run_one([&] { sinks = model.sink_nodes(); });
    if (sinks.size() > 16) sinks.resize(16);
    run_one([&] { (void)model.op_census_for_tensors(sinks); });
    run_one([&] { (void)model.graph_for_tensors(sinks); });
    return;
  }
  for (const Signature& signature : model.signatures()) {
    run_one([&] { (void)model.op_census(signature.key); });
    run_one([&] { (void)model.graph(signature.key); });
  }
}

// The scratch folder of this process (fuzz_files.hpp).
inline const ScratchDir& scratch() {
  static const ScratchDir dir;
  return dir;
}

// fuzz_graphdef and fuzz_graphdef_text: a frozen GraphDef file, binary (.pb) or text (.pbtxt).
inline void graphdef(std::string_view bytes, bool text) {
  const std::string file = scratch().write(text ? "graph.pbtxt" : "graph.pb", bytes);
  exercise_model(load_graphdef(file, load_options()));
}

// fuzz_saved_model: an archive unpacked as a SavedModel folder (saved_model.pb or .pbtxt,
// variables/variables.index, variables/variables.data-*).
inline void saved_model(std::string_view archive) {
  scratch().fill(split_archive(archive));
  exercise_model(load_saved_model(scratch().path().string(), load_options()));
}

// fuzz_bundle: an archive unpacked as a checkpoint ("variables.index",
// "variables.data-00000-of-00001", ...), opened by kiln::TensorBundle alone; every tensor it
// lists is read.
inline void bundle(std::string_view archive) {
  scratch().fill(split_archive(archive));
  ImportLimits limits;
  limits.max_file_bytes = kMaxFileBytes;
  limits.max_tensor_bytes = kMaxTensorBytes;
  const TensorBundle checkpoint =
      TensorBundle::open((scratch().path() / "variables").string(), limits);
  for (const std::string& key : checkpoint.keys()) {
    run_one([&] {
      if (checkpoint.entry(key).tf_dtype == 7) {  // DT_STRING
        (void)checkpoint.read_strings(key);
      } else {
        (void)checkpoint.read(key);
      }
    });
  }
}

}  // namespace kiln::fuzz
