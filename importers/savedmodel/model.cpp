// kiln::Model: a SavedModel or frozen GraphDef, loaded and checked, with graphs made on demand.
#include <kiln/savedmodel.hpp>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <sstream>

#include "savedmodel/checkpoint_keys.hpp"
#include "savedmodel/dtypes.hpp"
#include "savedmodel/files.hpp"
#include "savedmodel/graph_importer.hpp"
#include "savedmodel/proto_io.hpp"
#include "savedmodel/tensor_names.hpp"
#include "savedmodel/tensor_proto.hpp"

namespace kiln {

struct Model::Impl {
  std::string path;
  ImportLimits limits;
  tf::SavedModel saved_model;             // empty for a frozen GraphDef
  tf::GraphDef frozen;                    // only for a frozen GraphDef
  const tf::MetaGraphDef* meta = nullptr; // the MetaGraphDef in use (SavedModels)
  std::optional<TensorBundle> bundle;
  std::map<std::string, std::string> checkpoint_keys;  // variable node -> bundle key
  std::vector<Signature> signatures;

  const tf::GraphDef& graph_def() const { return meta ? meta->graph_def() : frozen; }

  importer::GraphImportOptions import_options() const {
    importer::GraphImportOptions options;
    options.limits = limits;
    options.file = path;
    if (meta && meta->meta_info_def().has_stripped_op_list()) {
      options.op_list = &meta->meta_info_def().stripped_op_list();
    }
    if (bundle) {
      options.read_variable = [this](const tf::NodeDef& variable) {
        auto key = checkpoint_keys.find(variable.name());
        if (key == checkpoint_keys.end()) {
          throw Error(Errc::not_found,
                      "neither a restore operation nor the object graph binds this variable")
              .file(path)
              .node(variable.name());
        }
        return bundle->read(key->second);
      };
    }
    return options;
  }
};

namespace {

std::string tag_set_text(const std::set<std::string>& tags) {
  std::string s;
  for (const std::string& t : tags) s += (s.empty() ? "" : ",") + t;
  return s.empty() ? "<no tags>" : s;
}

std::set<std::string> tags_of(const tf::MetaGraphDef& meta) {
  const auto& tags = meta.meta_info_def().tags();
  return {tags.begin(), tags.end()};
}

// The MetaGraphDef with exactly the asked tags; with none asked, the {"serve"} one or the only one.
const tf::MetaGraphDef& choose_meta_graph(const tf::SavedModel& model,
                                          const std::set<std::string>& wanted,
                                          const std::string& path) {
  const std::set<std::string> serve{"serve"};
  for (const tf::MetaGraphDef& meta : model.meta_graphs()) {
    if (tags_of(meta) == (wanted.empty() ? serve : wanted)) return meta;
  }
  if (wanted.empty() && model.meta_graphs_size() == 1) return model.meta_graphs(0);
  std::string available;
  for (const tf::MetaGraphDef& meta : model.meta_graphs()) {
    available += (available.empty() ? "" : "; ") + tag_set_text(tags_of(meta));
  }
  throw Error(Errc::not_found, "no MetaGraphDef has the requested tag set")
      .file(path)
      .expected(tag_set_text(wanted.empty() ? serve : wanted))
      .found(available);
}

TensorSpec spec_of(const std::string& key, const tf::TensorInfo& info, const std::string& path) {
  TensorSpec spec;
  spec.key = key;
  spec.tensor_name = info.name();
  spec.tf_dtype = importer::tf_dtype_name(info.dtype());
  try {
    spec.dtype = importer::dtype_from_tf(info.dtype());
  } catch (const Error&) {
    spec.dtype.reset();  // listed by its TensorFlow name; importing it will say why it fails
  }
  if (info.has_tensor_shape()) {
    try {
      spec.shape = importer::shape_from_proto(info.tensor_shape());
    } catch (Error& e) {
      e.file(path).input(key);
      throw;
    }
  }
  return spec;
}

std::vector<Signature> signatures_of(const tf::MetaGraphDef& meta, const std::string& path) {
  std::vector<Signature> list;
  for (const auto& [key, def] : meta.signature_def()) {
    if (key == "__saved_model_init_op") continue;  // TensorFlow's own initializer, not a model
    Signature sig;
    sig.key = key;
    sig.method_name = def.method_name();
    for (const auto& [name, info] : def.inputs()) sig.inputs.push_back(spec_of(name, info, path));
    for (const auto& [name, info] : def.outputs()) sig.outputs.push_back(spec_of(name, info, path));
    auto by_key = [](const TensorSpec& a, const TensorSpec& b) { return a.key < b.key; };
    std::sort(sig.inputs.begin(), sig.inputs.end(), by_key);
    std::sort(sig.outputs.begin(), sig.outputs.end(), by_key);
    list.push_back(std::move(sig));
  }
  std::sort(list.begin(), list.end(),
            [](const Signature& a, const Signature& b) { return a.key < b.key; });
  return list;
}

// Refuses a file of the model that resolves (through symlinks or "..") outside the model's folder.
void check_inside(const std::filesystem::path& root, const std::string& file) {
  std::error_code error;
  const std::filesystem::path real = std::filesystem::weakly_canonical(file, error);
  const std::string prefix = root.string() + "/";
  if (error || real.string().compare(0, prefix.size(), prefix) != 0) {
    throw Error(Errc::invalid_argument, "a model file resolves outside the model folder")
        .file(file)
        .expected("a path inside " + root.string())
        .found(real.string());
  }
}

}  // namespace

Model load_saved_model(const std::string& dir, const LoadOptions& options) {
  auto impl = std::make_shared<Model::Impl>();
  impl->path = dir;
  impl->limits = options.limits;
  impl->saved_model = importer::read_saved_model(dir, options.limits);
  impl->meta = &choose_meta_graph(impl->saved_model, options.tags, dir);
  impl->signatures = signatures_of(*impl->meta, dir);
  impl->checkpoint_keys = importer::checkpoint_keys(*impl->meta, dir);
  if (!impl->checkpoint_keys.empty() || importer::has_bound_captures(*impl->meta)) {
    const std::filesystem::path root = std::filesystem::weakly_canonical(dir);
    const std::string prefix = dir + "/variables/variables";
    check_inside(root, prefix + ".index");
    impl->bundle = TensorBundle::open(prefix, options.limits);
    for (int shard = 0; shard < impl->bundle->num_shards(); ++shard) {
      check_inside(root, impl->bundle->shard_path(shard));
    }
    // The restore op's binding first; the object graphs bind what it leaves out.
    impl->checkpoint_keys.merge(
        importer::object_graph_checkpoint_keys(*impl->meta, *impl->bundle, dir));
  }
  return Model(impl);
}

Model load_graphdef(const std::string& file, const LoadOptions& options) {
  auto impl = std::make_shared<Model::Impl>();
  impl->path = file;
  impl->limits = options.limits;
  impl->frozen = importer::read_graph_def(file, options.limits);
  return Model(impl);
}

const std::string& Model::path() const { return impl_->path; }
bool Model::is_frozen_graph() const { return impl_->meta == nullptr; }

std::set<std::string> Model::tags() const {
  return impl_->meta ? tags_of(*impl_->meta) : std::set<std::string>{};
}

std::vector<std::set<std::string>> Model::all_tag_sets() const {
  std::vector<std::set<std::string>> sets;
  for (const tf::MetaGraphDef& meta : impl_->saved_model.meta_graphs()) sets.push_back(tags_of(meta));
  return sets;
}

const std::vector<Signature>& Model::signatures() const { return impl_->signatures; }

const Signature& Model::signature(std::string_view key) const {
  for (const Signature& s : impl_->signatures) {
    if (s.key == key) return s;
  }
  std::string keys;
  for (const Signature& s : impl_->signatures) keys += (keys.empty() ? "" : ", ") + s.key;
  throw Error(Errc::not_found, "no signature with this key")
      .file(impl_->path)
      .expected(keys.empty() ? "<the model has no signatures>" : keys)
      .found(std::string(key));
}

namespace {

// What import and census ask for: a signature's inputs and outputs, or tensors by name.
struct PortRequests {
  std::vector<importer::PortRequest> inputs, outputs;
};

PortRequests signature_ports(const Signature& sig) {
  PortRequests ports;
  for (const TensorSpec& s : sig.inputs) ports.inputs.push_back({s.key, s.tensor_name, s.dtype, s.shape});
  for (const TensorSpec& s : sig.outputs) ports.outputs.push_back({s.key, s.tensor_name});
  return ports;
}

std::vector<importer::PortRequest> tensor_ports(const std::vector<std::string>& tensors) {
  std::vector<importer::PortRequest> outputs;
  for (const std::string& t : tensors) outputs.push_back({t, t});
  return outputs;
}

}  // namespace

Graph Model::graph(std::string_view signature_key) const {
  const PortRequests ports = signature_ports(signature(signature_key));
  return importer::import_graph(impl_->graph_def(), ports.inputs, ports.outputs,
                                impl_->import_options());
}

Graph Model::graph_for_tensors(const std::vector<std::string>& tensors) const {
  return importer::import_graph(impl_->graph_def(), {}, tensor_ports(tensors),
                                impl_->import_options(), /*placeholders_as_inputs=*/true);
}

std::vector<OpUse> Model::op_census(std::string_view signature_key) const {
  const PortRequests ports = signature_ports(signature(signature_key));
  return importer::census_ops(impl_->graph_def(), ports.inputs, ports.outputs,
                              impl_->import_options());
}

std::vector<OpUse> Model::op_census_for_tensors(const std::vector<std::string>& tensors) const {
  return importer::census_ops(impl_->graph_def(), {}, tensor_ports(tensors),
                              impl_->import_options());
}

std::vector<TensorSpec> Model::placeholders() const {
  std::vector<TensorSpec> specs;
  for (const tf::NodeDef& node : impl_->graph_def().node()) {
    if (node.op() != "Placeholder") continue;
    tf::TensorInfo info;
    info.set_name(node.name() + ":0");
    if (auto it = node.attr().find("dtype"); it != node.attr().end()) info.set_dtype(it->second.type());
    if (auto it = node.attr().find("shape"); it != node.attr().end() && it->second.has_shape()) {
      *info.mutable_tensor_shape() = it->second.shape();
    }
    specs.push_back(spec_of(node.name(), info, impl_->path));
  }
  return specs;
}

std::vector<std::string> Model::sink_nodes() const {
  std::set<std::string> consumed;
  for (const tf::NodeDef& node : impl_->graph_def().node()) {
    for (const std::string& input : node.input()) {
      consumed.insert(importer::parse_tensor_ref(input, false).node);
    }
  }
  std::vector<std::string> sinks;
  for (const tf::NodeDef& node : impl_->graph_def().node()) {
    const bool has_outputs = node.op() != "NoOp" && node.op() != "Assign" &&
                             node.op() != "AssignVariableOp" && node.op() != "SaveV2";
    if (has_outputs && !consumed.count(node.name())) sinks.push_back(node.name());
  }
  return sinks;
}

}  // namespace kiln
