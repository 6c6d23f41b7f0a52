#include "savedmodel/graph_writer.hpp"

#include <unordered_map>

#include "savedmodel/dtypes.hpp"

namespace kiln::importer {

namespace {

void shape_to_proto(const Shape& shape, tf::TensorShapeProto& proto) {
  if (!shape.has_rank()) {
    proto.set_unknown_rank(true);
    return;
  }
  for (std::int64_t d : shape.dims()) proto.add_dim()->set_size(d);
}

// One attribute value as an AttrValue; the kinds are the ones attr.hpp holds.
void attr_to_proto(const AttrValue& value, tf::AttrValue& proto) {
  struct Visitor {
    tf::AttrValue& p;
    void operator()(std::int64_t v) const { p.set_i(v); }
    void operator()(float v) const { p.set_f(v); }
    void operator()(bool v) const { p.set_b(v); }
    void operator()(const std::string& v) const { p.set_s(v); }
    void operator()(DType v) const { p.set_type(static_cast<tf::DataType>(tf_dtype_from(v))); }
    void operator()(const Shape& v) const { shape_to_proto(v, *p.mutable_shape()); }
    void operator()(const Tensor& v) const { tensor_to_proto(v, *p.mutable_tensor()); }
    void operator()(const Ints& v) const {
      auto* list = p.mutable_list();
      for (std::int64_t i : v) list->add_i(i);
    }
    void operator()(const Floats& v) const {
      auto* list = p.mutable_list();
      for (float f : v) list->add_f(f);
    }
    void operator()(const Strings& v) const {
      auto* list = p.mutable_list();
      for (const std::string& s : v) list->add_s(s);
    }
    void operator()(const DTypes& v) const {
      auto* list = p.mutable_list();
      for (DType t : v) list->add_type(static_cast<tf::DataType>(tf_dtype_from(t)));
    }
    void operator()(const Shapes& v) const {
      auto* list = p.mutable_list();
      for (const Shape& s : v) shape_to_proto(s, *list->add_shape());
    }
  };
  std::visit(Visitor{proto}, value);
}

}  // namespace

void tensor_to_proto(const Tensor& tensor, tf::TensorProto& proto) {
  if (tensor.dtype() == DType::variant) {
    throw Error(Errc::unsupported, "a tensor list cannot be written as a constant");
  }
  proto.set_dtype(static_cast<tf::DataType>(tf_dtype_from(tensor.dtype())));
  shape_to_proto(tensor.shape(), *proto.mutable_tensor_shape());
  proto.set_tensor_content(static_cast<const char*>(tensor.raw()), tensor.byte_size());
}

namespace {

// Writes a graph's nodes as NodeDefs, and each region of a control-flow node as a FunctionDef
// of `library` that the node's function attributes name, as TensorFlow's While, If and Case
// do. Inside a function a tensor is "node:output:k" (no OpDef is written, so the importer reads
// `k` as the flat output index) and a region's input is its argument's name.
class GraphWriter {
 public:
  explicit GraphWriter(tf::FunctionDefLibrary& library) : library_(library) {}

  void write_graph(const Graph& graph, tf::GraphDef& def) {
    write_nodes(graph, /*args=*/nullptr, *def.mutable_node());
  }

 private:
  using Args = std::unordered_map<NodeId, std::string>;  // an argument's Placeholder -> its name

  static std::string ref(const Graph& graph, const Args* args, Value v) {
    if (!args) return graph.value_name(v);
    if (auto it = args->find(v.node); it != args->end()) return it->second;
    return graph.node(v.node).name + ":output:" + std::to_string(v.index);
  }

  void write_nodes(const Graph& graph, const Args* args,
                   google::protobuf::RepeatedPtrField<tf::NodeDef>& nodes) {
    for (NodeId id = 0; id < static_cast<NodeId>(graph.size()); ++id) {
      if (args && args->count(id)) continue;  // a function argument, not a node
      const Node& node = graph.node(id);
      tf::NodeDef& out = *nodes.Add();
      out.set_name(node.name);
      out.set_op(node.op);
      for (Value in : node.inputs) out.add_input(ref(graph, args, in));
      for (NodeId c : node.control_inputs) {
        if (!args || !args->count(c)) out.add_input("^" + graph.node(c).name);
      }
      for (const auto& [key, value] : node.attrs) {
        try {
          attr_to_proto(value, (*out.mutable_attr())[key]);
        } catch (Error& e) {
          e.node(node.name).op(node.op).attr(key);
          throw;
        }
      }
      write_regions(node, out);
    }
  }

  // The node's function attributes ("cond" and "body"; "then_branch" and "else_branch";
  // "branches") name the functions its regions are written as.
  void write_regions(const Node& node, tf::NodeDef& out) {
    if (node.regions.empty()) return;
    std::vector<std::string> names;
    for (std::size_t i = 0; i < node.regions.size(); ++i) {
      names.push_back(write_function(*node.regions[i], node.name + "/" + region_role(node, i)));
    }
    auto func = [&](const std::string& key) { return (*out.mutable_attr())[key].mutable_func(); };
    if (node.op == "While" || node.op == "If") {
      if (names.size() != 2) throw node.error(Errc::invalid_graph, "expected two regions");
      const bool loop = node.op == "While";
      func(loop ? "cond" : "then_branch")->set_name(names[0]);
      func(loop ? "body" : "else_branch")->set_name(names[1]);
    } else if (node.op == "Case") {
      tf::AttrValue& branches = (*out.mutable_attr())["branches"];
      branches.Clear();
      for (const std::string& name : names) branches.mutable_list()->add_func()->set_name(name);
    } else {
      throw node.error(Errc::unsupported, "regions on an op that is not While, If or Case");
    }
  }

  std::string write_function(const Graph& region, const std::string& what) {
    const std::string name = "kiln_region_" + std::to_string(library_.function_size());
    tf::FunctionDef& f = *library_.add_function();
    f.mutable_signature()->set_name(name);
    Args args;
    for (const Graph::Port& p : region.inputs()) {
      if (region.node(p.value.node).op != "Placeholder") {
        throw Error(Errc::invalid_graph, "a region input is not a Placeholder")
            .node(what)
            .input(p.name);
      }
      args[p.value.node] = p.name;
      tf::OpDef::ArgDef& arg = *f.mutable_signature()->add_input_arg();
      arg.set_name(p.name);
      arg.set_type(static_cast<tf::DataType>(tf_dtype_from(region.type_of(p.value).dtype)));
    }
    for (const Graph::Port& p : region.outputs()) {
      tf::OpDef::ArgDef& arg = *f.mutable_signature()->add_output_arg();
      arg.set_name(p.name);
      arg.set_type(static_cast<tf::DataType>(tf_dtype_from(region.type_of(p.value).dtype)));
      (*f.mutable_ret())[p.name] = ref(region, &args, p.value);
    }
    // Nested regions add functions; the library holds each by pointer, so `f` stays valid.
    write_nodes(region, &args, *f.mutable_node_def());
    return name;
  }

  tf::FunctionDefLibrary& library_;
};

}  // namespace

tf::GraphDef graph_def_from(const Graph& graph) {
  tf::GraphDef def;
  GraphWriter(*def.mutable_library()).write_graph(graph, def);
  return def;
}

}  // namespace kiln::importer
