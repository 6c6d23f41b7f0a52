// A loaded TensorFlow model: its signatures, and Kiln graphs made from them on demand.
//
//   kiln::Model model = kiln::load_saved_model("mobilenet_v2/");
//   for (const kiln::Signature& s : model.signatures()) std::cout << s.key << '\n';
//   kiln::Graph graph = model.graph("serving_default");   // ordinary Kiln IR, nothing optimized
//
// Loading reads and checks the files (protobuf, checkpoint index); graph() translates what one
// signature reaches into Kiln IR: function calls inlined, variables replaced by their checkpoint
// values, TensorFlow's stripped default attributes restored. Every op Kiln lacks is reported at
// once, with counts and locations, before anything runs.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/graph.hpp"
#include "import_limits.hpp"

namespace kiln {

// One input or output of a signature, as the SignatureDef describes it.
struct TensorSpec {
  std::string key;          // the signature's name for it, e.g. "input_1" or "dense_1"
  std::string tensor_name;  // the main-graph tensor, e.g. "serving_default_input_1:0"
  std::string tf_dtype;     // TensorFlow's name, e.g. "DT_FLOAT" (also for dtypes Kiln lacks)
  std::optional<DType> dtype;  // absent when Kiln cannot hold the dtype (DT_STRING, ...)
  Shape shape = Shape::unknown_rank();
};

struct Signature {
  std::string key;          // e.g. "serving_default"
  std::string method_name;  // e.g. "tensorflow/serving/predict"
  std::vector<TensorSpec> inputs;   // sorted by key, as TensorFlow's maps are
  std::vector<TensorSpec> outputs;
};

// One TensorFlow op that a signature reaches: how many nodes use it, and what the importer makes
// of it when that is not a Kiln op of the same name (what `kiln show --ops` lists).
struct OpUse {
  std::string op;
  std::size_t nodes = 0;
  // "" (imported as itself, if Kiln has the op), or "Const" (a variable: its checkpoint value),
  // "Identity" (a variable read), "GatherV2" (a gather on a variable), "inlined" (a call).
  std::string becomes;
};

struct LoadOptions {
  // The MetaGraphDef to use, by its exact tag set. Empty: the one tagged {"serve"}, or the only
  // one if there is just one.
  std::set<std::string> tags;
  ImportLimits limits;
};

class Model {
 public:
  struct Impl;
  explicit Model(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

  const std::string& path() const;
  bool is_frozen_graph() const;
  std::set<std::string> tags() const;  // of the MetaGraphDef in use; empty for a GraphDef
  // Every tag set the file holds (saved_model_cli's `show --dir D`).
  std::vector<std::set<std::string>> all_tag_sets() const;

  // Signatures sorted by key, without TensorFlow's internal `__saved_model_init_op`.
  const std::vector<Signature>& signatures() const;
  const Signature& signature(std::string_view key) const;  // not_found names the keys there are

  // The graph of one signature: input ports named by the signature's input keys, output ports
  // by its output keys.
  Graph graph(std::string_view signature_key = "serving_default") const;

  // For graphs without signatures (frozen GraphDefs, or any graph by tensor names): the graph
  // that computes `outputs` ("node" or "node:k") from the Placeholders it reaches, which become
  // its inputs. Ports are named after the tensors.
  Graph graph_for_tensors(const std::vector<std::string>& outputs) const;

  // Every TensorFlow op that graph(signature_key) (or graph_for_tensors(outputs)) would import,
  // by name, with its node count, whether or not Kiln supports it: the walk of import without the
  // translation, so a model with missing ops still gets its full list.
  std::vector<OpUse> op_census(std::string_view signature_key = "serving_default") const;
  std::vector<OpUse> op_census_for_tensors(const std::vector<std::string>& outputs) const;

  // A frozen GraphDef's entry and exit points: its Placeholders, and the nodes whose outputs
  // nothing consumes (what `kiln show` lists and `kiln run` fetches by default).
  std::vector<TensorSpec> placeholders() const;
  std::vector<std::string> sink_nodes() const;

 private:
  std::shared_ptr<const Impl> impl_;
};

Model load_saved_model(const std::string& dir, const LoadOptions& options = {});
Model load_graphdef(const std::string& file, const LoadOptions& options = {});

}  // namespace kiln
