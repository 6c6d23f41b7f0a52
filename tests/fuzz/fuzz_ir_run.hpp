// What fuzz_ir_run does with one input (also replayed by tests/importer/test_fuzz_regressions.cpp):
// the bytes as Kiln's text IR (include/kiln/core/parse.hpp), then what compile() and run() do
// with a graph: the O2 pipeline with the verifier after every pass, a plan on the reference
// backend, and one run on small inputs. So the parser, type and shape inference, every pass,
// the memory planner and the reference kernels all see mutated shapes and attributes.
#pragma once

#include <string_view>
#include <utility>
#include <vector>

#include <kiln/core/parse.hpp>
#include <kiln/session.hpp>

#include "fuzz_support.hpp"

namespace kiln::fuzz {

// Inputs are small: an unknown dimension becomes 2, and a graph whose declared inputs are large
// is not run (the fuzzer looks for bugs, not for slow inputs).
inline constexpr std::int64_t kMaxInputElements = 1 << 12;

// A fed input of the port's shape whose elements cycle through -1, 0, 1, 2, 3: zeros and
// negatives reach the division and index checks, small positives the common paths. An invalid
// Tensor when the input would be too large.
inline Tensor input_for(const PortSpec& port) {
  std::vector<std::int64_t> dims =
      port.shape.has_rank() ? port.shape.dims() : std::vector<std::int64_t>{2};
  std::int64_t elements = 1;
  for (std::int64_t& d : dims) {
    d = d < 0 ? 2 : d;
    if (d > kMaxInputElements || (elements *= d) > kMaxInputElements) return {};
  }
  Tensor t(port.dtype, Shape(dims));
  dispatch(port.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* p = t.data<T>();
    for (std::int64_t i = 0; i < elements; ++i) {
      p[i] = static_cast<T>(static_cast<float>(i % 5 - 1));
    }
  });
  return t;
}

inline Options ir_run_options() {
  return Options()
      .backend(Backend::reference)
      .threads(1)
      .level(OptLevel::O2)
      .verify_each(true)
      .max_plans(1)
      .max_arena_bytes(kMaxArenaBytes)
      .max_loop_iterations(kMaxLoopIterations);
}

inline void ir_run(std::string_view text) {
  ParseOptions parse;
  parse.max_nesting_depth = 64;
  parse.max_tensor_bytes = kMaxTensorBytes;
  const CompiledModel model = compile(parse_graph(text, parse), ir_run_options());
  NamedTensors feeds;
  for (const PortSpec& port : model.inputs()) {
    if (port.has_default || port.dtype == DType::variant) continue;
    Tensor t = input_for(port);
    if (!t.valid()) return;
    feeds.emplace(port.name, std::move(t));
  }
  (void)model.run(feeds);
}

}  // namespace kiln::fuzz
