// Inputs for benchmarks: the user's .npy files, or data made up the same way on every run.
//
// Made-up inputs take the shape the graph declares, with every unknown size set to the batch,
// and values from one generator with a fixed seed, input after input in the graph's order:
// floats uniform in [-1, 1], integers uniform in [0, 100), booleans 0 or 1. The generator's
// output is mapped to values by hand (not through std::uniform_*_distribution, whose results
// differ between standard libraries), so the same command feeds the same numbers everywhere.
// Inputs with a default (PlaceholderWithDefault) keep it unless a file is given for them.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <kiln/core/graph.hpp>
#include <kiln/core/ops.hpp>
#include <kiln/core/tensor.hpp>
#include <kiln/eager.hpp>

namespace kiln::cli {

inline constexpr std::uint64_t kBenchSeed = 42;

// The declared shape with unknown sizes set to `batch`; an input of unknown rank cannot be
// made up and needs a file.
inline Shape bench_shape(const std::string& input, const Shape& declared, std::int64_t batch) {
  if (!declared.has_rank()) {
    throw Error(Errc::invalid_argument, "input has an unknown rank: give it with --inputs")
        .input(input);
  }
  std::vector<std::int64_t> dims = declared.dims();
  for (std::int64_t& d : dims) d = d < 0 ? batch : d;
  return Shape(dims);
}

// A tensor of `shape` filled from `rng` as the header comment says.
inline Tensor made_up_tensor(DType dtype, const Shape& shape, std::mt19937_64& rng) {
  Tensor t(dtype, shape);
  dispatch(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* data = t.data<T>();
    for (std::int64_t i = 0; i < t.num_elements(); ++i) {
      const std::uint64_t bits = rng();
      if (dtype == DType::boolean) {
        data[i] = static_cast<T>(bits >> 63);
      } else if (is_floating(dtype)) {
        const double unit = static_cast<double>(bits >> 11) * 0x1.0p-53;  // [0, 1)
        data[i] = static_cast<T>(static_cast<float>(2.0 * unit - 1.0));
      } else {
        data[i] = static_cast<T>(bits % 100);
      }
    }
  });
  return t;
}

// The feeds for `graph`: `given` (by input name) plus a made-up tensor for every other input
// that has no default. Names in `given` that the graph lacks are an error.
inline NamedTensors bench_feeds(const Graph& graph, const NamedTensors& given, std::int64_t batch) {
  for (const auto& [name, tensor] : given) {
    bool known = false;
    for (const Graph::Port& p : graph.inputs()) known = known || p.name == name;
    if (!known) {
      std::string names;
      for (const Graph::Port& p : graph.inputs()) names += (names.empty() ? "" : ", ") + p.name;
      throw Error(Errc::not_found, "the model has no input of this name")
          .input(name)
          .expected(names);
    }
  }
  std::mt19937_64 rng(kBenchSeed);
  NamedTensors feeds;
  for (const Graph::Port& port : graph.inputs()) {
    auto it = given.find(port.name);
    if (it != given.end()) {
      feeds[port.name] = it->second;
      continue;
    }
    if (graph.node(port.value.node).op == "PlaceholderWithDefault") continue;
    const TensorType& type = graph.type_of(port.value);
    feeds[port.name] = made_up_tensor(type.dtype, bench_shape(port.name, type.shape, batch), rng);
  }
  return feeds;
}

// `feeds` in the order of graph.inputs(), as CompiledPlan::run and EagerInterpreter::run take
// them; an input not fed is an empty tensor (it keeps its default).
inline std::vector<Tensor> inputs_in_order(const Graph& graph, const NamedTensors& feeds) {
  std::vector<Tensor> inputs;
  for (const Graph::Port& port : graph.inputs()) {
    auto it = feeds.find(port.name);
    inputs.push_back(it == feeds.end() ? Tensor() : it->second);
  }
  return inputs;
}

// A copy of `graph` whose fed Placeholders declare exactly the shapes fed, so that compiling it
// makes the one plan the benchmark runs (and not also one for the declared shapes).
inline Graph with_fed_shapes(Graph graph, const NamedTensors& feeds) {
  for (const Graph::Port& port : graph.inputs()) {
    Node& node = graph.node(port.value.node);
    auto it = feeds.find(port.name);
    if (it == feeds.end() || node.op != "Placeholder") continue;
    const TensorType& declared = graph.type_of(port.value);
    const Tensor& fed = it->second;
    if (declared.dtype != fed.dtype() || !declared.shape.compatible_with(fed.shape())) {
      throw Error(Errc::shape_mismatch, "input does not fit the model")
          .input(port.name)
          .expected(std::string(dtype_name(declared.dtype)) + declared.shape.str())
          .found(std::string(dtype_name(fed.dtype())) + fed.shape().str());
    }
    node.attrs["shape"] = fed.shape();
  }
  infer_types(graph);
  return graph;
}

}  // namespace kiln::cli
