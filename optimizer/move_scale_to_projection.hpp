// move-scale-to-projection: a constant scalar factor after a product of two computed tensors
// moves onto the operand that a constant-weight projection computes, where fold-affine folds it
// into the projection's weights and bias. Keras 3's attention spells its 1/sqrt(key_dim) as
//
//   scores = Mul(Einsum(query, key), 0.125)        query = Reshape(x @ Wq) + bq
//
// which becomes Einsum(Mul(query, 0.125), key), and then the Mul folds into Wq and bq: one
// pass over the [batch, heads, T, S] scores less. Products are linear in each operand, so
// (q . k) * c = (q * c) . k exactly in real arithmetic; in float32 the rounding moves by an ulp
// or so (not at all for a power of two, as 1/sqrt(64) is).
//
// Preconditions; when one fails nothing moves:
//   * the Mul's other operand is a float32 constant with one element, and the Mul's result has
//     the product's type (the scalar broadcasts nothing);
//   * the product (Einsum with two operands, MatMul, BatchMatMul/V2) is float32 and read only
//     by the Mul, and is no graph output;
//   * the chosen operand is read only by the product, and it ends the linear part of a chain
//     fold-affine will fold (`folds_into_weights`): otherwise the Mul would just move.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "const_eval.hpp"
#include "fold_affine.hpp"
#include "pass.hpp"
#include "rewrite.hpp"

namespace kiln::opt {

inline bool is_bilinear_product(const Node& n) {
  return (n.op == "Einsum" && n.inputs.size() == 2) || n.op == "MatMul" || n.op == "BatchMatMul" ||
         n.op == "BatchMatMulV2";
}

// Moves each qualifying scalar Mul onto an operand of its product; returns how many moved.
// `folds_into_weights(v)` says whether value v ends the linear part of a foldable chain.
template <class FoldsIntoWeights>
int move_scales_to_projections(Graph& graph, std::int64_t budget,
                               FoldsIntoWeights&& folds_into_weights) {
  int moved = 0;
  const UseMap uses(graph);
  for (std::size_t i = 0; i < graph.size(); ++i) {
    const NodeId mul = static_cast<NodeId>(i);
    const Node& m = graph.node(mul);
    if (m.op != "Mul" || m.inputs.size() != 2 || m.outputs.size() != 1) continue;
    for (int slot = 0; slot < 2; ++slot) {
      const Value product = m.inputs[static_cast<std::size_t>(slot)];
      const Value factor = m.inputs[static_cast<std::size_t>(1 - slot)];
      const Node& p = graph.node(product.node);
      if (!is_bilinear_product(p) || product.index != 0) continue;
      const TensorType& type = graph.type_of(product);
      if (type.dtype != DType::float32 || !(m.outputs[0] == type)) continue;
      if (!uses.only_used_by(product, mul) || uses.users(product).size() != 1) continue;
      const std::optional<Tensor> c = evaluate_constant(graph, factor, budget);
      if (!c || c->dtype() != DType::float32 || c->num_elements() != 1) continue;
      for (std::size_t operand = 0; operand < 2; ++operand) {
        const Value v = p.inputs[operand];
        if (v == p.inputs[1 - operand] || !uses.only_used_by(v, product.node)) continue;
        if (graph.type_of(v).dtype != DType::float32 || !folds_into_weights(v)) continue;
        // Mul(product, c) -> product(.., Mul(v, c), ..): the Mul's readers read the product.
        const NodeId product_id = product.node;
        const TensorType operand_type = graph.type_of(v);
        graph.replace_uses({mul, 0}, product);
        Node& scaled = graph.node(mul);
        scaled.inputs = {v, factor};
        scaled.outputs = {operand_type};
        graph.node(product_id).inputs[operand] = {mul, 0};
        ++moved;
        break;
      }
      break;
    }
  }
  return moved;
}

inline PassResult move_scale_to_projection(Graph& graph, PassContext& context) {
  PassResult result;
  const std::int64_t budget = context.options.fold_byte_budget;
  const std::map<Value, NodeId> ends = linear_chain_ends(graph, budget);
  const int moved =
      move_scales_to_projections(graph, budget, [&](Value v) { return ends.count(v) > 0; });
  result.count("scales moved to projections", moved);
  result.changed = moved > 0;
  return result;
}

inline Pass move_scale_to_projection_pass() {
  return {"move-scale-to-projection",
          "move a scalar factor after attention's product onto a projection fold-affine folds",
          move_scale_to_projection};
}

}  // namespace kiln::opt
