#include <kiln/saved_model_writer.hpp>

#include <filesystem>
#include <fstream>

#include "savedmodel/dtypes.hpp"
#include "savedmodel/graph_writer.hpp"
#include "savedmodel/proto/saved_model.pb.h"

namespace kiln {

namespace {

void tensor_info(const Graph& graph, Value v, tf::TensorInfo& info) {
  const TensorType& type = graph.type_of(v);
  info.set_name(graph.node(v.node).name + ":" + std::to_string(v.index));
  info.set_dtype(static_cast<tf::DataType>(importer::tf_dtype_from(type.dtype)));
  tf::TensorShapeProto& shape = *info.mutable_tensor_shape();
  if (!type.shape.has_rank()) {
    shape.set_unknown_rank(true);
  } else {
    for (std::int64_t d : type.shape.dims()) shape.add_dim()->set_size(d);
  }
}

}  // namespace

void save_saved_model(const std::string& dir, const Graph& graph, const std::string& signature_key) {
  tf::SavedModel saved;
  saved.set_saved_model_schema_version(1);
  tf::MetaGraphDef& meta = *saved.add_meta_graphs();
  meta.mutable_meta_info_def()->add_tags("serve");
  *meta.mutable_graph_def() = importer::graph_def_from(graph);
  tf::SignatureDef& signature = (*meta.mutable_signature_def())[signature_key];
  signature.set_method_name("tensorflow/serving/predict");
  for (const Graph::Port& p : graph.inputs()) tensor_info(graph, p.value, (*signature.mutable_inputs())[p.name]);
  for (const Graph::Port& p : graph.outputs()) tensor_info(graph, p.value, (*signature.mutable_outputs())[p.name]);

  std::error_code error;
  std::filesystem::create_directories(dir, error);
  const std::string file = (std::filesystem::path(dir) / "saved_model.pb").string();
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  if (error || !out || !saved.SerializeToOstream(&out) || !out.flush()) {
    throw Error(Errc::io_error, "could not write the SavedModel").file(file);
  }
}

}  // namespace kiln
