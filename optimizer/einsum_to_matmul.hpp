// einsum-to-matmul: an Einsum of a computed tensor with constant weights that is a plain matrix
// product (Keras 2's EinsumDense, as TensorFlow's BERT exports use it for every projection)
// becomes BatchMatMulV2 with [K, N] weights between two Reshapes (views), so that fold-affine and
// fuse-epilogue fold its bias, scale, activation and residual like any Dense layer's:
//
//   Einsum("abc,cde->abde", x, W[c, d, e])  ->  Reshape(BatchMatMulV2(x, W'[c, d*e]), [a, b, d, e])
//   Einsum("abcd,cde->abe", x, W[c, d, e])  ->  BatchMatMulV2(Reshape(x, [a, b, c*d]), W'[c*d, e])
//
// The equation must read x as P + K and the weights as K + N, with the output P + N: the free
// labels of x first, then the contracted ones in the weights' order, and the weights' free
// labels last (no label repeated, no ellipsis). The weights' bytes are then already the
// [prod K, prod N] matrix; x's and the output's bytes are already [prod P, prod K] and
// [prod P, prod N]. Preconditions; when one fails the Einsum stays (the cpu backend runs it as
// one strided matmul anyway):
//   * float32; input 1 is a constant, input 0 is not, and x has at least one free label;
//   * x's free dimensions include at most one unknown size (a Reshape can name one with -1).
// The products' roundings are the Einsum's: both sum over K in one matrix product.
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include <kiln/core/ops/nn/einsum.hpp>

#include "const_eval.hpp"
#include "pass.hpp"
#include "rewrite.hpp"

namespace kiln::opt {

namespace einsum_detail {

// The labels in `all` from position `from` on.
inline std::vector<int> tail(const std::vector<int>& all, std::size_t from) {
  return std::vector<int>(all.begin() + static_cast<std::ptrdiff_t>(from), all.end());
}

inline Value shape_constant(Graph& graph, const std::string& name,
                            const std::vector<std::int64_t>& dims) {
  Tensor t(DType::int32, Shape{static_cast<std::int64_t>(dims.size())});
  for (std::size_t i = 0; i < dims.size(); ++i) {
    t.data<std::int32_t>()[i] = static_cast<std::int32_t>(dims[i] < 0 ? -1 : dims[i]);
  }
  return {graph.add(constant_node(unique_name(graph, name), std::move(t))), 0};
}

inline Node reshape_node(std::string name, Value x, Value shape, const TensorType& type) {
  Node n;
  n.name = std::move(name);
  n.op = "Reshape";
  n.inputs = {x, shape};
  n.attrs = {{"T", type.dtype}, {"Tshape", DType::int32}};
  n.outputs = {type};
  fill_default_attrs(n, *op_catalogue().find("Reshape"));
  return n;
}

}  // namespace einsum_detail

// Rewrites every qualifying Einsum; returns how many.
inline int einsums_as_products(Graph& graph, std::int64_t budget) {
  using namespace einsum_detail;
  int rewritten = 0;
  const std::size_t count = graph.size();  // the nodes added below need no visit
  for (std::size_t i = 0; i < count; ++i) {
    const NodeId id = static_cast<NodeId>(i);
    const Node einsum = graph.node(id);  // a copy: the graph grows below
    if (einsum.op != "Einsum" || einsum.inputs.size() != 2 || einsum.outputs.size() != 1) continue;
    const TensorType x_type = graph.type_of(einsum.inputs[0]);
    const TensorType out_type = einsum.outputs[0];
    if (x_type.dtype != DType::float32 || !x_type.shape.has_rank() || !out_type.shape.has_rank() ||
        constant_value(graph, einsum.inputs[0])) {
      continue;
    }
    const std::optional<Tensor> w = evaluate_constant(graph, einsum.inputs[1], budget);
    if (!w || w->dtype() != DType::float32) continue;
    ops::nn::EinsumPlan plan;
    try {
      const InferContext ctx(einsum, {x_type, {w->dtype(), w->shape()}}, {nullptr, &*w});
      plan = ops::nn::einsum_plan(ctx);
    } catch (const Error&) {
      continue;
    }
    const std::vector<int>& xl = plan.operand_labels[0];
    const std::vector<int>& wl = plan.operand_labels[1];
    const std::vector<int>& ol = plan.output_labels;
    if (static_cast<int>(plan.label_size.size()) != plan.num_named) continue;  // an ellipsis
    // K: the weights' labels that x has; they lead the weights and end x, in the same order.
    std::size_t k = 0;
    while (k < wl.size() && std::find(xl.begin(), xl.end(), wl[k]) != xl.end()) ++k;
    if (k == 0 || k > xl.size()) continue;
    const std::size_t p = xl.size() - k;
    if (p == 0 || !std::equal(wl.begin(), wl.begin() + static_cast<std::ptrdiff_t>(k),
                              xl.begin() + static_cast<std::ptrdiff_t>(p))) {
      continue;
    }
    std::vector<int> expected_out(xl.begin(), xl.begin() + static_cast<std::ptrdiff_t>(p));
    const std::vector<int> n_labels = tail(wl, k);
    expected_out.insert(expected_out.end(), n_labels.begin(), n_labels.end());
    std::vector<int> all = xl;
    all.insert(all.end(), n_labels.begin(), n_labels.end());
    std::sort(all.begin(), all.end());
    if (ol != expected_out || std::adjacent_find(all.begin(), all.end()) != all.end()) continue;

    std::vector<std::int64_t> free_dims;  // P's sizes, as x has them
    for (std::size_t a = 0; a < p; ++a) free_dims.push_back(x_type.shape.dim(static_cast<int>(a)));
    if (std::count(free_dims.begin(), free_dims.end(), kUnknownDim) > 1) continue;
    std::int64_t inner = 1, cols = 1;
    for (std::size_t a = 0; a < k; ++a) inner *= w->dim(static_cast<int>(a));
    for (std::size_t a = k; a < wl.size(); ++a) cols *= w->dim(static_cast<int>(a));

    const std::string& name = einsum.name;
    Value x = einsum.inputs[0];
    if (k > 1) {  // [P..., K...] -> [P..., prod K]
      std::vector<std::int64_t> dims = free_dims;
      dims.push_back(inner);
      const Value shape = shape_constant(graph, name + "/flat_shape", dims);
      x = {graph.add(reshape_node(unique_name(graph, name + "/flat"), x, shape,
                                  {DType::float32, Shape(dims)})),
           0};
    }
    const Value weights{graph.add(constant_node(unique_name(graph, name + "/kernel"),
                                                w->reshaped(Shape{inner, cols}))),
                        0};
    std::vector<std::int64_t> product_dims = free_dims;
    product_dims.push_back(cols);
    Node product;
    product.op = "BatchMatMulV2";
    product.inputs = {x, weights};
    product.attrs = {{"T", DType::float32}};
    fill_default_attrs(product, *op_catalogue().find("BatchMatMulV2"));
    product.outputs = {{DType::float32, Shape(product_dims)}};
    product.control_inputs = einsum.control_inputs;
    if (wl.size() - k == 1) {
      // One free label in the weights: the product is the output itself and keeps the name.
      product.name = name;
      product.outputs = {out_type};
      graph.node(id) = std::move(product);
    } else {  // [P..., prod N] -> [P..., N...]; the Reshape keeps the name
      product.name = unique_name(graph, name + "/MatMul");
      const Value mm{graph.add(std::move(product)), 0};
      const Value shape = shape_constant(graph, name + "/shape", out_type.shape.dims());
      graph.node(id) = reshape_node(name, mm, shape, out_type);
    }
    ++rewritten;
  }
  return rewritten;
}

inline PassResult einsum_to_matmul(Graph& graph, PassContext& context) {
  PassResult result;
  const int rewritten = einsums_as_products(graph, context.options.fold_byte_budget);
  result.count("einsums as products", rewritten);
  result.changed = rewritten > 0;
  return result;
}

inline Pass einsum_to_matmul_pass() {
  return {"einsum-to-matmul",
          "turn an Einsum with constant weights that is a matrix product into BatchMatMulV2",
          einsum_to_matmul};
}

}  // namespace kiln::opt
