// hoist-loop-products: the input projection of a recurrent loop runs once, before the loop.
//
// Every step of a Keras LSTM, GRU or SimpleRNN multiplies the step's input row by the same
// kernel: x_t W, with x_t = Gather(x, t) from the sequence x [T, B, D] (after lists-to-tensors).
// Done T times inside the loop, that is T small products of B rows; done once before it, it is
// one product of T*B rows, the shape matrix kernels are fast on, and the body only gathers row t
// of the result:
//
//   before   body:  BiasAdd(Add(MatMul(Gather(x, t), W), h R), b)
//   after    outer: p = Reshape(BiasAdd(MatMul(Reshape(x, [T*B, D]), W), b), [T, B, N])
//            body:  Add(Gather(p, t), h R)
//
// A constant bias added right after the product, or after its sum with another term, moves out
// with it (adding b before or after h R differs only in float rounding). The product and sum may
// already be one _FusedMatMul(x_t, W, h R) with the epilogue ["Add"]: a graph optimized before
// its lists became tensors, as `kiln quantize` saves one, fuses them, and the body then gets
// Add(Gather(p, t), h R) as above. The sequence stops being carried once nothing else in the
// body reads it.
//
// Preconditions: x is a loop invariant of known shape [T, B, D]; the Gather reads axis 0 at a
// scalar index; W (and b) are constants inside the body (loop-invariants moves them there);
// the MatMul does not transpose its first operand.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "loop_variables.hpp"

namespace kiln::opt {

namespace hoist_detail {

struct Candidate {
  std::size_t sequence = 0;      // the loop variable holding x
  NodeId gather = -1, product = -1;
  std::optional<NodeId> sum;     // Add(product, other), when a bias follows the sum
  std::optional<NodeId> bias;    // BiasAdd(product or sum, b)
  bool fused_sum = false;        // the product is _FusedMatMul(x_t, W, other): product and sum
};

// x_t W + other as one node (fuse-epilogue's residual Add).
inline bool is_fused_sum(const Node& n) {
  return n.op == "_FusedMatMul" && n.inputs.size() == 3 &&
         n.attr_or<Strings>("fused_ops", Strings{}) == Strings{"Add"};
}

inline bool is_const(const Graph& g, Value v) { return constant_value(g, v) != nullptr; }

// The only node reading `v`, if exactly one node reads it once and it is no region result.
inline std::optional<NodeId> sole_reader(const UseMap& uses, Value v) {
  if (uses.count(v) != 1 || uses.users(v).size() != 1) return std::nullopt;
  return uses.users(v).front().user;
}

inline bool is_bias(const Graph& g, const Node& n, Value main) {
  return (n.op == "BiasAdd" || n.op == "AddV2" || n.op == "Add") && n.inputs.size() == 2 &&
         n.inputs[0] == main && is_const(g, n.inputs[1]) &&
         g.type_of(n.inputs[1]).shape.rank() == 1 &&
         g.type_of(n.inputs[1]).shape.dim(0) == g.type_of(main).shape.dim(-1);
}

inline std::optional<Candidate> match(const Graph& outer, const Node& loop, const Graph& body,
                                      NodeId product_id, const UseMap& uses) {
  const Node& product = body.node(product_id);
  const bool fused_sum = is_fused_sum(product);
  if (product.op != "MatMul" && !fused_sum) return std::nullopt;
  if (product.attr_or<bool>("transpose_a", false)) return std::nullopt;
  if (!is_const(body, product.inputs.at(1))) return std::nullopt;
  const Node& gather = body.node(product.inputs.at(0).node);
  if (gather.op != "GatherV2" || gather.attr_or<std::int64_t>("batch_dims", 0) != 0) return std::nullopt;
  const Tensor* axis = constant_value(body, gather.inputs.at(2));
  if (!axis || axis->to_int64_vector() != std::vector<std::int64_t>{0}) return std::nullopt;
  if (body.type_of(gather.inputs.at(1)).shape.rank() != 0) return std::nullopt;
  Candidate c;
  c.gather = product.inputs[0].node;
  c.product = product_id;
  c.fused_sum = fused_sum;
  bool found = false;
  for (std::size_t k = 0; k < body.inputs().size(); ++k) {
    if (loops::argument(body, k) != gather.inputs[0]) continue;
    const TensorType& x = outer.type_of(loop.inputs[k]);
    if (!loops::is_invariant(loop, k) || !x.shape.is_fully_known() || x.shape.rank() != 3) {
      return std::nullopt;
    }
    c.sequence = k;
    found = true;
  }
  if (!found) return std::nullopt;
  const Value p{product_id, 0};
  if (std::optional<NodeId> next = sole_reader(uses, p)) {
    const Node& n = body.node(*next);
    if (is_bias(body, n, p)) {
      c.bias = *next;
    } else if (!fused_sum && (n.op == "AddV2" || n.op == "Add") && n.inputs.size() == 2) {
      const Value s{*next, 0};
      std::optional<NodeId> after = sole_reader(uses, s);
      if (after && is_bias(body, body.node(*after), s)) {
        c.sum = *next;
        c.bias = *after;
      }
    }
  }
  return c;
}

// The projection for all rows, computed in `outer` before the loop: [T, B, N].
inline Value project(Graph& outer, const std::string& name, Value x, const Graph& body,
                     const Candidate& c) {
  const Shape& shape = outer.type_of(x).shape;
  const Node& product = body.node(c.product);
  const Tensor weights = *constant_value(body, product.inputs[1]);
  auto add = [&](const std::string& suffix, const std::string& op, std::vector<Value> inputs,
                 Attrs attrs = {}) {
    Node n;
    n.name = unique_name(outer, name + "/" + suffix);
    n.op = op;
    n.inputs = std::move(inputs);
    n.attrs = std::move(attrs);
    return Value{add_inferred(outer, std::move(n)), 0};
  };
  const auto rows = static_cast<std::int32_t>(shape.dim(0) * shape.dim(1));
  const Value flat = add("rows", "Reshape",
                         {x, loops::int_constant(outer, name + "/rows/shape",
                                                 {rows, static_cast<std::int32_t>(shape.dim(2))})});
  const Value w{outer.add(constant_node(unique_name(outer, name + "/weights"), weights)), 0};
  Value p = add("product", "MatMul", {flat, w},
                {{"transpose_b", product.attr_or<bool>("transpose_b", false)}});
  if (c.bias) {
    const Tensor bias = *constant_value(body, body.node(*c.bias).inputs[1]);
    const Value b{outer.add(constant_node(unique_name(outer, name + "/bias"), bias)), 0};
    p = add("bias", "BiasAdd", {p, b});
  }
  const auto n = static_cast<std::int32_t>(outer.type_of(p).shape.dim(1));
  return add("steps", "Reshape",
             {p, loops::int_constant(outer, name + "/steps/shape",
                                     {static_cast<std::int32_t>(shape.dim(0)),
                                      static_cast<std::int32_t>(shape.dim(1)), n})});
}

// Splits a fused product and sum into MatMul and AddV2 (the AddV2 keeps the fused node's id
// and name), so that the candidate reads as the unfused one.
inline Candidate split_fused_sum(Graph& body, Candidate c) {
  const Node fused = body.node(c.product);
  Node product;
  product.name = unique_name(body, fused.name + "/product");
  product.op = "MatMul";
  product.inputs = {fused.inputs[0], fused.inputs[1]};
  product.attrs = {{"T", DType::float32},
                   {"transpose_a", false},
                   {"transpose_b", fused.attr_or<bool>("transpose_b", false)}};
  const NodeId product_id = add_inferred(body, std::move(product));
  loops::replace_node(body, c.product, "AddV2", {{product_id, 0}, fused.inputs[2]},
                      {{"T", DType::float32}});
  if (c.bias) c.sum = c.product;
  c.product = product_id;
  c.fused_sum = false;
  return c;
}

inline void rewrite(Graph& outer, NodeId loop_id, const Candidate& candidate) {
  const Graph& body_before = loops::body_of(outer.node(loop_id));
  const std::string product_name = body_before.node(candidate.product).name;
  const Value index = body_before.node(candidate.gather).inputs.at(1);
  const std::size_t sequence = candidate.sequence;
  const Value projected = project(outer, outer.node(loop_id).name + "/hoisted",
                                  outer.node(loop_id).inputs[sequence], body_before, candidate);
  const std::size_t k = loops::add_loop_variable(outer, loop_id, projected, "hoisted_projection");
  loops::edit_region(outer.node(loop_id), 1, [&](Graph& body) {
    const Candidate c = candidate.fused_sum ? split_fused_sum(body, candidate) : candidate;
    // The gathered row of the projection takes the place of the product, or of the bias after
    // it; after a sum, the sum now adds the biased row and the bias node goes.
    const NodeId target = c.bias && !c.sum ? *c.bias : c.product;
    const Value axis = loops::scalar_int_constant(body, product_name + "/axis", 0);
    loops::replace_node(body, target, "GatherV2", {loops::argument(body, k), index, axis},
                        {{"Tparams", DType::float32}, {"Tindices", body.type_of(index).dtype},
                         {"Taxis", DType::int32}});
    if (c.sum) body.replace_uses({*c.bias, 0}, {*c.sum, 0});
    remove_dead_nodes(body);
    infer_types(body);
  });
  const Node& loop = outer.node(loop_id);
  if (loops::readers_of_argument(loops::cond_of(loop), sequence) == 0 &&
      loops::readers_of_argument(loops::body_of(loop), sequence) == 0) {
    loops::remove_loop_variable(outer, loop_id, sequence);
  }
}

}  // namespace hoist_detail

inline PassResult hoist_loop_products(Graph& graph, PassContext&) {
  PassResult result;
  for (std::size_t id = 0; id < graph.size(); ++id) {
    const auto loop_id = static_cast<NodeId>(id);
    std::set<NodeId> kept;  // body nodes whose product failed to hoist
    for (bool again = true; again;) {
      again = false;
      if (!loops::is_loop(graph.node(loop_id))) break;
      std::optional<hoist_detail::Candidate> found;
      NodeId at = -1;
      {
        const Node& loop = graph.node(loop_id);
        const Graph& body = loops::body_of(loop);
        const UseMap uses(body);
        for (std::size_t n = 0; n < body.size() && !found; ++n) {
          at = static_cast<NodeId>(n);
          if (kept.count(at)) continue;
          const auto c = hoist_detail::match(graph, loop, body, at, uses);
          if (c && graph.type_of(loop.inputs[c->sequence]).dtype == DType::float32) found = c;
        }
      }
      if (!found) break;
      // The rewrite replaces the body and adds nodes: `loop` and `body` above are gone now.
      Graph before = graph;
      try {
        hoist_detail::rewrite(graph, loop_id, *found);
        infer_types(graph);
        result.count("products hoisted out of loops");
      } catch (const Error& e) {
        graph = std::move(before);
        kept.insert(at);
        result.note("kept a product inside '" + graph.node(loop_id).name + "': " + e.what());
      }
      again = true;
    }
  }
  result.changed = !result.stats.empty();
  return result;
}

inline Pass hoist_loop_products_pass() {
  return {"hoist-loop-products",
          "compute a loop's per-step input projection for all steps at once, before the loop",
          hoist_loop_products};
}

}  // namespace kiln::opt
