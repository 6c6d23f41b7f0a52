// plan-memory: give every intermediate an offset in one arena (memory_planner.hpp does the
// work), for concrete input shapes.
//
// The graph itself is not changed: the plan is an artifact, left in PassContext::memory_plan
// for the compiler and for `kiln opt --memory-plan plan.svg`. A graph whose shapes are partly
// unknown (a batch of ?) is planned on a copy whose inputs get the shapes in
// PassOptions::input_shapes, or their declared shapes with every unknown dimension taken as
// PassOptions::unknown_dim_default; type inference then runs again on that copy, carrying the
// values of shape computations along. If a shape still cannot be made concrete, the pass
// declines: no plan, and a note says why.
#pragma once

#include <string>

#include "const_eval.hpp"
#include "memory_planner.hpp"
#include "pass.hpp"

namespace kiln::opt {

namespace plan_memory_detail {

// The shape input `port` is planned for, or an Error saying why there is none.
inline Shape concrete_input_shape(const Graph& graph, const Graph::Port& port,
                                  const PassOptions& options, PassResult& result) {
  const Shape& declared = graph.type_of(port.value).shape;
  auto given = options.input_shapes.find(port.name);
  if (given != options.input_shapes.end()) {
    if (!given->second.is_fully_known() || !declared.compatible_with(given->second)) {
      throw Error(Errc::shape_mismatch, "the given input shape does not fit the input")
          .input(port.name)
          .expected(declared.str())
          .found(given->second.str());
    }
    return given->second;
  }
  if (declared.is_fully_known()) return declared;
  if (!declared.has_rank() || options.unknown_dim_default <= 0) {
    throw Error(Errc::shape_mismatch, "input shape is not concrete; give it in the input shapes")
        .input(port.name)
        .found(declared.str());
  }
  std::vector<std::int64_t> dims = declared.dims();
  for (std::int64_t& d : dims) {
    if (d == kUnknownDim) d = options.unknown_dim_default;
  }
  Shape shape(dims);
  result.note("input '" + port.name + "' " + declared.str() + " planned as " + shape.str());
  return shape;
}

}  // namespace plan_memory_detail

inline PassResult plan_memory(Graph& graph, PassContext& context) {
  PassResult result;
  context.memory_plan.reset();
  const PassOptions& options = context.options;
  try {
    for (const auto& [name, shape] : options.input_shapes) {
      bool known = false;
      for (const Graph::Port& p : graph.inputs()) known = known || p.name == name;
      if (!known) throw Error(Errc::not_found, "an input shape names no graph input").input(name);
    }
    Graph concrete = graph;  // constants are shared handles: copying is cheap
    for (const Graph::Port& port : graph.inputs()) {
      Shape shape = plan_memory_detail::concrete_input_shape(graph, port, options, result);
      Node& node = concrete.node(port.value.node);
      if (node.has_attr("shape")) node.attrs["shape"] = shape;
    }
    // Plain inference is not enough: shapes computed at run time (Keras' Tensordot reshapes)
    // become concrete only when the shape arithmetic is carried along.
    infer_types_with_values(concrete);
    MemoryPlanOptions planner;
    planner.alignment = options.arena_alignment;
    MemoryPlan plan = make_memory_plan(concrete, planner);
    result.bytes("arena", plan.arena_bytes);
    result.bytes("lower bound", plan.lower_bound_bytes);
    result.bytes("naive", plan.naive_bytes);
    result.count("tensors", static_cast<std::int64_t>(plan.tensors.size()));
    result.count("in place", plan.count(PlannedTensor::Kind::in_place));
    context.memory_plan = std::move(plan);
  } catch (const Error& e) {
    result.note(std::string("no memory plan: ") + e.what());
  }
  return result;
}

inline Pass plan_memory_pass() {
  return {"plan-memory", "give every intermediate tensor an offset in one arena", plan_memory};
}

}  // namespace kiln::opt
