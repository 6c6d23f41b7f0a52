#include "savedmodel/graph_writer.hpp"

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

tf::GraphDef graph_def_from(const Graph& graph) {
  tf::GraphDef def;
  for (const Node& node : graph.nodes()) {
    if (!node.regions.empty()) {
      throw node.error(Errc::unsupported, "a graph with loops or conditionals cannot be written yet");
    }
    tf::NodeDef& out = *def.add_node();
    out.set_name(node.name);
    out.set_op(node.op);
    for (Value in : node.inputs) out.add_input(graph.value_name(in));
    for (NodeId c : node.control_inputs) out.add_input("^" + graph.node(c).name);
    for (const auto& [key, value] : node.attrs) {
      try {
        attr_to_proto(value, (*out.mutable_attr())[key]);
      } catch (Error& e) {
        e.node(node.name).op(node.op).attr(key);
        throw;
      }
    }
  }
  return def;
}

}  // namespace kiln::importer
