// lists-to-tensors: the TensorLists of a recurrent loop become plain tensors.
//
// TensorFlow 2 writes every Keras RNN (and every tf.TensorArray loop) the same way: the
// sequence is cut into a list before the loop, the body reads item t of it, and the body writes
// its output into item t of a second list, stacked into one tensor after the loop:
//
//   xs  = TensorListFromTensor(x)             [T, ...] -> list of T items
//   out = TensorListReserve(shape, T)
//   While(..., out, xs):  x_t  = TensorListGetItem(xs, t)
//                         out' = TensorListSetItem(out, t, y_t)
//   y = TensorListStack(out)                  [T, ...]
//
// A list is a run-time object of items allocated one by one; a tensor has a fixed shape and can
// live in a plan's arena. So, when the shapes are known:
//   * the input list becomes x itself, and each read a Gather of row t;
//   * the output list becomes a tensor of T zero rows (unwritten items of a list stack as
//     zeros), each write a TensorScatterUpdate of row t, and the stack the loop's result;
// after which no list is left to run (a compiled loop then updates the output rows in place).
//
// Preconditions (otherwise the list stays, with a note): the input list is invariant and only
// read by TensorListGetItem in the body; the output list is written by exactly one
// TensorListSetItem whose result is the body's next list, is not read by the condition, and
// after the loop is only stacked; the item type and the item count are known.
#pragma once

#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "loop_variables.hpp"

namespace kiln::opt {

namespace lists_detail {

// The sequence list: TensorListFromTensor(x) read only by TensorListGetItem. Returns x.
inline std::optional<Value> input_list(const Graph& graph, const Node& loop, std::size_t k) {
  const Node& producer = graph.node(loop.inputs[k].node);
  if (producer.op != "TensorListFromTensor" || !loops::is_invariant(loop, k)) return std::nullopt;
  const Value x = producer.inputs.at(0);
  if (!graph.type_of(x).shape.is_fully_known() || graph.type_of(x).shape.rank() == 0) return std::nullopt;
  if (loops::readers_of_argument(loops::cond_of(loop), k) != 0) return std::nullopt;
  const Graph& body = loops::body_of(loop);
  if (loops::readers_of_argument(body, k) != loops::readers(body, k).size()) return std::nullopt;
  for (NodeId r : loops::readers(body, k)) {
    const Node& n = body.node(r);
    if (n.op != "TensorListGetItem" || n.inputs.at(0) != loops::argument(body, k)) return std::nullopt;
  }
  return x;
}

inline void rewrite_input_list(Graph& graph, NodeId loop_id, std::size_t k, Value x) {
  const TensorType type = graph.type_of(x);
  Node& loop = graph.node(loop_id);
  loop.inputs[k] = x;
  loops::retype_loop_variable(loop, k, type);
  loops::edit_region(loop, 1, [&](Graph& body) {
    const Value arg = loops::argument(body, k);
    for (NodeId r : loops::readers(body, k)) {
      const Node& get = body.node(r);
      const Value index = get.inputs.at(1);
      const Value axis = loops::scalar_int_constant(body, get.name + "/axis", 0);
      loops::replace_node(body, r, "GatherV2", {arg, index, axis},
                   {{"Tparams", type.dtype}, {"Tindices", body.type_of(index).dtype},
                    {"Taxis", DType::int32}});
    }
    infer_types(body);
  });
}

// The output list: TensorListReserve written by one TensorListSetItem per trip and stacked
// after the loop. Returns the SetItem node of the body.
struct OutputList {
  NodeId set_item = -1;
  TensorType item;
  std::int64_t count = 0;
  std::vector<NodeId> stacks;  // of the outer graph
};

inline std::optional<OutputList> output_list(const Graph& graph, const Node& loop, NodeId loop_id,
                                             std::size_t k) {
  const Node& producer = graph.node(loop.inputs[k].node);
  if (producer.op != "TensorListReserve") return std::nullopt;
  const Tensor* count = constant_value(graph, producer.inputs.at(1));
  if (!count || count->num_elements() != 1) return std::nullopt;
  OutputList list;
  list.count = count->to_int64_vector().at(0);
  if (list.count < 0) return std::nullopt;
  if (loops::readers_of_argument(loops::cond_of(loop), k) != 0) return std::nullopt;
  const Graph& body = loops::body_of(loop);
  const std::vector<NodeId> in_body = loops::readers(body, k);
  if (in_body.size() != 1 || loops::readers_of_argument(body, k) != 1) return std::nullopt;
  const Node& set = body.node(in_body[0]);
  if (set.op != "TensorListSetItem" || set.inputs.at(0) != loops::argument(body, k) ||
      set.attr_or<bool>("resize_if_index_out_of_bounds", false)) {
    return std::nullopt;
  }
  const Value result = loops::through_identities(body, body.outputs().at(k).value);
  if (result != Value{in_body[0], 0}) return std::nullopt;
  if (UseMap(body).count(result) != 1) return std::nullopt;  // read inside the body too
  list.set_item = in_body[0];
  list.item = body.type_of(set.inputs.at(2));
  if (!list.item.shape.is_fully_known()) return std::nullopt;
  UseMap uses(graph);
  const Value out{loop_id, static_cast<int>(k)};
  if (uses.is_graph_output(out)) return std::nullopt;
  for (const Use& u : uses.users(out)) {
    if (graph.node(u.user).op != "TensorListStack" || u.slot != 0) return std::nullopt;
    list.stacks.push_back(u.user);
  }
  return list;
}

inline void rewrite_output_list(Graph& graph, NodeId loop_id, std::size_t k, const OutputList& list) {
  std::vector<std::int64_t> dims = {list.count};
  for (std::int64_t d : list.item.shape.dims()) dims.push_back(d);
  const TensorType type{list.item.dtype, Shape(dims)};
  Tensor zeros(type.dtype, type.shape);
  if (zeros.byte_size() > 0) std::memset(zeros.raw(), 0, zeros.byte_size());
  const std::string base = graph.node(loop_id).name + "/rows";
  const Value initial{graph.add(constant_node(unique_name(graph, base), std::move(zeros))), 0};
  Node& loop = graph.node(loop_id);
  loop.inputs[k] = initial;
  loops::retype_loop_variable(loop, k, type);
  for (NodeId stack : list.stacks) {  // now the rows themselves: an Identity simplify removes
    loops::replace_node(graph, stack, "Identity", {{loop_id, static_cast<int>(k)}}, {});
  }
  loops::edit_region(loop, 1, [&](Graph& body) {
    const Node& set = body.node(list.set_item);
    const Value index = set.inputs.at(1), item = set.inputs.at(2);
    std::vector<std::int32_t> row = {1};
    for (std::int64_t d : list.item.shape.dims()) row.push_back(static_cast<std::int32_t>(d));
    const std::string name = set.name;
    Node where;
    where.name = unique_name(body, name + "/where");
    where.op = "Reshape";
    where.inputs = {index, loops::int_constant(body, name + "/where/shape", {1, 1})};
    const Value at{add_inferred(body, std::move(where)), 0};
    Node rows;
    rows.name = unique_name(body, name + "/row");
    rows.op = "Reshape";
    rows.inputs = {item, loops::int_constant(body, name + "/row/shape", row)};
    const Value update{add_inferred(body, std::move(rows)), 0};
    loops::replace_node(body, list.set_item, "TensorScatterUpdate",
                 {loops::argument(body, k), at, update},
                 {{"T", type.dtype}, {"Tindices", body.type_of(index).dtype}});
    infer_types(body);
  });
}

// Rewrites list variable k of the loop if it fits either pattern; returns the statistic to
// count, or "" (the graph is then as it was). `why` gets an error that stopped a rewrite.
inline std::string rewrite_list(Graph& graph, NodeId loop_id, std::size_t k, std::string& why) {
  const Node& loop = graph.node(loop_id);
  Graph before = graph;
  try {
    std::string done;
    if (std::optional<Value> x = input_list(graph, loop, k)) {
      rewrite_input_list(graph, loop_id, k, *x);
      done = "input lists read as tensors";
    } else if (auto out = output_list(graph, loop, loop_id, k)) {
      rewrite_output_list(graph, loop_id, k, *out);
      done = "output lists written as tensors";
    } else {
      return "";
    }
    infer_types(graph);
    return done;
  } catch (const Error& e) {
    graph = std::move(before);
    why = e.what();
    return "";
  }
}

}  // namespace lists_detail

inline PassResult lists_to_tensors(Graph& graph, PassContext&) {
  PassResult result;
  for (std::size_t id = 0; id < graph.size(); ++id) {
    const auto loop_id = static_cast<NodeId>(id);
    if (!loops::is_loop(graph.node(loop_id))) continue;
    auto is_list = [&](std::size_t k) {
      return graph.type_of(graph.node(loop_id).inputs[k]).dtype == DType::variant;
    };
    // Until nothing changes: the item shapes of the output list are known only once the
    // input list is a tensor (the body then computes rows of a known shape).
    std::map<std::size_t, std::string> why;
    for (bool progress = true; progress;) {
      progress = false;
      for (std::size_t k = 0; k < graph.node(loop_id).inputs.size(); ++k) {
        if (!is_list(k)) continue;
        const std::string done = lists_detail::rewrite_list(graph, loop_id, k, why[k]);
        if (done.empty()) continue;
        result.count(done);
        progress = true;
      }
    }
    for (std::size_t k = 0; k < graph.node(loop_id).inputs.size(); ++k) {
      if (!is_list(k)) continue;
      result.note("kept the list of loop variable " + std::to_string(k) + " of '" +
                  graph.node(loop_id).name + "': " +
                  (why[k].empty() ? "not the read-row / write-row pattern of an RNN, or its "
                                    "shapes are unknown"
                                  : why[k]));
    }
  }
  result.changed = !result.stats.empty();
  return result;
}

inline Pass lists_to_tensors_pass() {
  return {"lists-to-tensors",
          "turn a recurrent loop's TensorLists (read row t, write row t) into plain tensors",
          lists_to_tensors};
}

}  // namespace kiln::opt
