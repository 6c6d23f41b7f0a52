// `kiln show`: what a model offers, printed the way saved_model_cli prints it (so existing greps
// keep working), or as JSON for scripts.
#pragma once

#include <iostream>

#include "json.hpp"
#include "model_files.hpp"
#include "show_ops.hpp"

namespace kiln::cli {

struct ShowFlags {
  ModelFlags model;
  bool all = false, json = false, ops = false;
};

inline CLI::App* add_show_command(CLI::App& kiln, ShowFlags& flags) {
  CLI::App* show = kiln.add_subcommand(
      "show", "list a model's tag sets and signatures (saved_model_cli style, or --json)");
  add_model_flags(*show, flags.model, "print this signature's inputs and outputs");
  show->add_flag("--all", flags.all, "every tag set and signature: dtype, shape, tensor name");
  show->add_flag("--json", flags.json, "what a model offers as JSON, for scripts");
  show->add_flag("--ops", flags.ops,
                 "every TensorFlow op the signature reaches, with its node count and whether each "
                 "backend runs it");
  return show;
}

inline void print_tensor_info(std::ostream& out, const char* kind, const TensorSpec& spec,
                              const std::string& indent) {
  out << indent << kind << "['" << spec.key << "'] tensor_info:\n"
      << indent << "    dtype: " << spec.tf_dtype << "\n"
      << indent << "    shape: " << tf_shape_text(spec.shape) << "\n"
      << indent << "    name: " << spec.tensor_name << "\n";
}

inline void print_signature(std::ostream& out, const Signature& sig, const std::string& indent) {
  out << indent << "The given SavedModel SignatureDef contains the following input(s):\n";
  for (const TensorSpec& s : sig.inputs) print_tensor_info(out, "inputs", s, indent + "  ");
  out << indent << "The given SavedModel SignatureDef contains the following output(s):\n";
  for (const TensorSpec& s : sig.outputs) print_tensor_info(out, "outputs", s, indent + "  ");
  out << indent << "Method name is: " << sig.method_name << "\n";
}

inline std::string tag_set_text(const std::set<std::string>& tags) {
  std::string s;
  for (const std::string& t : tags) s += (s.empty() ? "" : ", ") + t;
  return s;
}

// {"dtype": "float32", "shape": [-1, 28, 28, 1] (null for an unknown rank), "name": "x:0"}
inline Json spec_json(const TensorSpec& spec) {
  return {{"dtype", numpy_dtype_name(spec)},
          {"shape", spec.shape.has_rank() ? Json(spec.shape.dims()) : Json(nullptr)},
          {"name", spec.tensor_name}};
}

// {key: spec_json, ...}
inline Json specs_json(const std::vector<TensorSpec>& specs) {
  Json json = Json::object();
  for (const TensorSpec& s : specs) json[s.key] = spec_json(s);
  return json;
}

inline void show_frozen(const Model& model, bool json) {
  const std::vector<TensorSpec> inputs = model.placeholders();
  const std::vector<std::string> sinks = model.sink_nodes();
  if (json) {
    std::cout << json_text({{"placeholders", specs_json(inputs)}, {"sinks", sinks}});
    return;
  }
  std::cout << "The given GraphDef has no signatures. Its placeholders (inputs):\n";
  for (const TensorSpec& s : inputs) print_tensor_info(std::cout, "inputs", s, "  ");
  std::cout << "Nodes whose outputs nothing consumes (default outputs of `kiln run`):\n";
  for (const std::string& s : sinks) std::cout << "  outputs['" << s << "'] name: " << s << ":0\n";
}

inline int show(const ShowFlags& flags) {
  const std::string& path = flags.model.path;
  const bool json = flags.json;
  if (flags.ops) return show_ops(flags.model, json);
  Model first = open_model(path, flags.model.tag_set);
  if (first.is_frozen_graph()) {
    show_frozen(first, json);
    return 0;
  }
  if (json) {
    Json signatures = Json::object();
    for (const Signature& sig : first.signatures()) {
      signatures[sig.key] = {{"method_name", sig.method_name},
                             {"inputs", specs_json(sig.inputs)},
                             {"outputs", specs_json(sig.outputs)}};
    }
    std::cout << json_text({{"tags", first.tags()}, {"signatures", signatures}});
    return 0;
  }
  if (flags.all) {
    for (const std::set<std::string>& tags : first.all_tag_sets()) {
      Model model = open_model(path, tag_set_text(tags));
      std::cout << "\nMetaGraphDef with tag-set: '" << tag_set_text(tags)
                << "' contains the following SignatureDefs:\n";
      for (const Signature& sig : model.signatures()) {
        std::cout << "\nsignature_def['" << sig.key << "']:\n";
        print_signature(std::cout, sig, "  ");
      }
    }
    return 0;
  }
  if (!flags.model.signature_def.empty()) {
    print_signature(std::cout, first.signature(flags.model.signature_def), "");
    return 0;
  }
  if (!flags.model.tag_set.empty()) {
    std::cout << "The given SavedModel MetaGraphDef contains SignatureDefs with the following keys:\n";
    for (const Signature& sig : first.signatures()) {
      std::cout << "SignatureDef key: \"" << sig.key << "\"\n";
    }
    return 0;
  }
  std::cout << "The given SavedModel contains the following tag-sets:\n";
  for (const std::set<std::string>& tags : first.all_tag_sets()) {
    std::cout << "'" << tag_set_text(tags) << "'\n";
  }
  return 0;
}

}  // namespace kiln::cli
