// The memory plan of a graph, as an analysis: every intermediate gets an offset in one arena
// (memory_planner.hpp does the work), for concrete input shapes.
//
// It is no pass: it changes nothing and must see the final graph, so whoever runs a pipeline
// asks for it afterwards (compile() through its Plan, `kiln opt --memory-plan`). A graph whose
// shapes are partly unknown (a batch of ?) is planned on a copy whose inputs get the shapes in
// MemoryPlanRequest::input_shapes, or their declared shapes with every unknown dimension taken
// as MemoryPlanRequest::unknown_dim_default; type inference then runs again on that copy,
// carrying the values of shape computations along. If a shape still cannot be made concrete,
// there is no plan, and PlannedMemory::why_none says why.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "const_eval.hpp"
#include "memory_planner.hpp"

namespace kiln::opt {

struct MemoryPlanRequest {
  // The shapes of graph inputs by port name. An input not listed keeps its declared shape,
  // with every unknown dimension taken as `unknown_dim_default` (1: the batch-1 inference most
  // users plan for).
  std::map<std::string, Shape, std::less<>> input_shapes;
  std::int64_t unknown_dim_default = 1;

  // Offsets in the arena are multiples of this (a cache line; what AVX-512 loads like).
  std::int64_t arena_alignment = 64;
};

struct PlannedMemory {
  std::optional<MemoryPlan> plan;
  std::vector<std::string> notes;  // assumptions: "input 'x' [?,8] planned as [1,8]"
  std::string why_none;            // set when there is no plan
};

// The shape input `port` is planned for, or an Error saying why there is none. Appends a note
// when unknown dimensions were filled in.
inline Shape planned_input_shape(const Graph& graph, const Graph::Port& port,
                                 const MemoryPlanRequest& request,
                                 std::vector<std::string>* notes = nullptr) {
  const Shape& declared = graph.type_of(port.value).shape;
  auto given = request.input_shapes.find(port.name);
  if (given != request.input_shapes.end()) {
    if (!given->second.is_fully_known() || !declared.compatible_with(given->second)) {
      throw Error(Errc::shape_mismatch, "the given input shape does not fit the input")
          .input(port.name)
          .expected(declared.str())
          .found(given->second.str());
    }
    return given->second;
  }
  if (declared.is_fully_known()) return declared;
  if (!declared.has_rank() || request.unknown_dim_default <= 0) {
    throw Error(Errc::shape_mismatch, "input shape is not concrete; give it in the input shapes")
        .input(port.name)
        .found(declared.str());
  }
  std::vector<std::int64_t> dims = declared.dims();
  for (std::int64_t& d : dims) {
    if (d == kUnknownDim) d = request.unknown_dim_default;
  }
  Shape shape(dims);
  if (notes) notes->push_back("input '" + port.name + "' " + declared.str() + " planned as " +
                              shape.str());
  return shape;
}

inline PlannedMemory plan_memory(const Graph& graph, const MemoryPlanRequest& request = {}) {
  PlannedMemory result;
  try {
    for (const auto& [name, shape] : request.input_shapes) {
      bool known = false;
      for (const Graph::Port& p : graph.inputs()) known = known || p.name == name;
      if (!known) throw Error(Errc::not_found, "an input shape names no graph input").input(name);
    }
    Graph concrete = graph;  // constants are shared handles: copying is cheap
    for (const Graph::Port& port : graph.inputs()) {
      Shape shape = planned_input_shape(graph, port, request, &result.notes);
      Node& node = concrete.node(port.value.node);
      if (node.has_attr("shape")) node.attrs["shape"] = shape;
    }
    // Plain inference is not enough: shapes computed at run time (Keras' Tensordot reshapes)
    // become concrete only when the shape arithmetic is carried along.
    infer_types_with_values(concrete);
    MemoryPlanOptions planner;
    planner.alignment = request.arena_alignment;
    result.plan = make_memory_plan(concrete, planner);
  } catch (const Error& e) {
    result.plan.reset();
    result.why_none = e.what();
  }
  return result;
}

}  // namespace kiln::opt
