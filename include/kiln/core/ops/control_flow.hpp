// Structured control flow: While, If and Case. Each node owns its bodies as regions (graph.hpp):
// a region is a Graph whose input ports are its arguments and whose output ports its results.
//
//   While(v...)        cond(v...) -> bool, body(v...) -> v'...: runs body while cond holds
//   If(c, a...)        then_branch(a...) or else_branch(a...), by c
//   Case(i, a...)      branches[i](a...), the last branch for an i out of range
//
// Type inference looks into the regions: a loop variable's shape is the widest shape that both
// its initial value and every iteration's result fit (a dimension that changes becomes
// unknown, as TensorFlow's shape invariants relax it), and a branch's result is what all branches
// agree on. When the branch selector is known, only the chosen branch counts.
#pragma once

#include <string>
#include <vector>

#include "array/common.hpp"

namespace kiln {
inline void infer_types(Graph& graph);  // ops.hpp: regions are inferred like any graph
}  // namespace kiln

namespace kiln::ops {

namespace control_flow {

// The most specific shape that both a and b fit: equal dimensions stay, others become unknown.
inline Shape widen(const Shape& a, const Shape& b) {
  if (!a.has_rank() || !b.has_rank() || a.rank() != b.rank()) return Shape::unknown_rank();
  std::vector<std::int64_t> dims(a.dims());
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] != b.dims()[i]) dims[i] = kUnknownDim;
  }
  return Shape(dims);
}

using kiln::region_role;  // graph.hpp

inline const Graph& region_of(const InferContext& ctx, std::size_t index) {
  const Node& node = ctx.node();
  if (index >= node.regions.size() || !node.regions[index]) {
    throw ctx.error(Errc::invalid_graph, "control-flow node lacks a region")
        .expected(std::to_string(index + 1) + " regions")
        .found(std::to_string(node.regions.size()));
  }
  return *node.regions[index];
}

// The types region `index` computes from arguments of the given types: a copy of the region
// with each argument placeholder given its argument's type, inferred.
inline std::vector<TensorType> infer_region(const InferContext& ctx, std::size_t index,
                                            const std::vector<TensorType>& args) {
  const Graph& region = region_of(ctx, index);
  const std::string which = "region " + region_role(ctx.node(), index);
  if (region.inputs().size() != args.size()) {
    throw ctx.error(Errc::invalid_graph, which + " takes another number of arguments")
        .expected(std::to_string(args.size()))
        .found(std::to_string(region.inputs().size()));
  }
  Graph copy = region;
  for (std::size_t i = 0; i < args.size(); ++i) {
    Node& arg = copy.node(copy.inputs()[i].value.node);
    if (arg.op != "Placeholder" || arg.attr<DType>("dtype") != args[i].dtype) {
      throw ctx.error(Errc::type_mismatch, which + ": argument is not a placeholder of its dtype")
          .input(copy.inputs()[i].name)
          .expected("Placeholder of " + std::string(dtype_name(args[i].dtype)))
          .found(arg.op + " of " + (arg.has_attr("dtype") ? dtype_name(arg.attr<DType>("dtype")) : "?"));
    }
    arg.attrs["shape"] = args[i].shape;
  }
  try {
    infer_types(copy);
  } catch (Error& e) {
    e.within(ctx.node().name, region_role(ctx.node(), index));
    throw;
  }
  std::vector<TensorType> results;
  for (const Graph::Port& port : copy.outputs()) results.push_back(copy.type_of(port.value));
  return results;
}

inline void expect_results(const InferContext& ctx, const std::string& which,
                           const std::vector<TensorType>& have, std::size_t count) {
  if (have.size() != count) {
    throw ctx.error(Errc::invalid_graph, which + " returns another number of results")
        .expected(std::to_string(count))
        .found(std::to_string(have.size()));
  }
}

// Widens `into` by `more`, result by result; dtypes must agree.
inline void widen_into(const InferContext& ctx, const std::string& which,
                       std::vector<TensorType>& into, const std::vector<TensorType>& more) {
  expect_results(ctx, which, more, into.size());
  for (std::size_t i = 0; i < into.size(); ++i) {
    if (into[i].dtype != more[i].dtype) {
      throw ctx.error(Errc::type_mismatch, which + ": result " + std::to_string(i) + " changes dtype")
          .expected(dtype_name(into[i].dtype))
          .found(dtype_name(more[i].dtype));
    }
    into[i].shape = widen(into[i].shape, more[i].shape);
  }
}

// Loop variables start as the inputs and widen until one more trip through the body changes
// nothing. Widening only ever loses information, so this ends (at worst with unknown ranks).
inline std::vector<TensorType> infer_while(const InferContext& ctx) {
  std::vector<TensorType> vars;
  for (int i = 0; i < ctx.num_inputs(); ++i) vars.push_back(ctx.input(i));
  while (true) {
    const std::vector<TensorType> before = vars;
    widen_into(ctx, "the loop body", vars, infer_region(ctx, 1, vars));
    if (vars == before) break;
  }
  const std::vector<TensorType> cond = infer_region(ctx, 0, vars);
  expect_results(ctx, "the loop condition", cond, 1);
  if (cond[0].shape.has_rank() && cond[0].shape.rank() != 0) {
    throw ctx.error(Errc::shape_mismatch, "the loop condition must return a scalar")
        .found(cond[0].str());
  }
  return vars;
}

// The branch a known selector picks: If's condition (a nonzero scalar, or a non-empty tensor,
// is true) or Case's index (out of range: the last branch, TensorFlow's default).
inline std::size_t chosen_branch(const Node& node, const Tensor& selector) {
  if (node.op == "If") {
    if (selector.rank() != 0) return selector.num_elements() > 0 ? 0 : 1;
    return selector.element_as_double(0) != 0 ? 0 : 1;
  }
  const std::int64_t index = selector.to_int64_vector().at(0);
  const std::size_t n = node.regions.size();
  return index >= 0 && static_cast<std::size_t>(index) < n ? static_cast<std::size_t>(index) : n - 1;
}

// If and Case: input 0 selects, the rest are the branches' arguments.
inline std::vector<TensorType> infer_branches(const InferContext& ctx) {
  std::vector<TensorType> args;
  for (int i = 1; i < ctx.num_inputs(); ++i) args.push_back(ctx.input(i));
  if (ctx.node().op == "Case") {
    array::expect_dtype(ctx, 0, DType::int32);
    array::expect_scalar(ctx, 0);
    if (ctx.node().regions.empty()) throw ctx.error(Errc::invalid_graph, "Case without branches");
  }
  if (const Tensor* selector = ctx.value(0)) {
    return infer_region(ctx, chosen_branch(ctx.node(), *selector), args);
  }
  std::vector<TensorType> results = infer_region(ctx, 0, args);
  for (std::size_t b = 1; b < ctx.node().regions.size(); ++b) {
    widen_into(ctx, "branch " + std::to_string(b), results, infer_region(ctx, b, args));
  }
  return results;
}

}  // namespace control_flow

inline void register_control_flow_ops(OpCatalogue& c) {
  const std::vector<AttrDef> shared = {{"output_shapes", Shapes{}}};
  c.add(op("While")
            .variadic_inputs(0)
            .attrs(shared)
            .attrs({{"T", {}}, {"parallel_iterations", std::int64_t{10}},
                    {"cond", std::string()}, {"body", std::string()}})
            .infer(control_flow::infer_while)
            .regions({"cond", "body"}));
  c.add(op("If")
            .variadic_inputs(1)
            .attrs(shared)
            .attrs({{"Tcond", {}}, {"Tin", DTypes{}}, {"Tout", DTypes{}},
                    {"then_branch", std::string()}, {"else_branch", std::string()}})
            .input_types({"Tcond", ""})
            .infer(control_flow::infer_branches)
            .regions({"then_branch", "else_branch"}));
  c.add(op("Case")
            .variadic_inputs(1)
            .attrs(shared)
            .attrs({{"Tin", DTypes{}}, {"Tout", DTypes{}}, {"branches", Strings{}}})
            .infer(control_flow::infer_branches)
            .regions({"branches"}, /*variadic=*/true));
}

}  // namespace kiln::ops
