// What `kiln opt` and `kiln report` share: the pipeline they run (-O0/-O1/-O2 or --passes), the
// batch they optimize and plan for (--batch), and how the model is named in pictures.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <kiln/optimizer/optimizer.hpp>

#include "flags.hpp"
#include "levels.hpp"

namespace kiln::cli {

struct PipelineFlags {
  std::string passes;               // empty: the level's pipeline
  std::vector<std::string> levels;  // the values of -O
  std::int64_t batch = 0;           // 0: the declared shapes; unknown dimensions planned as 1
};

// -O, --passes and --batch.
inline void add_pipeline_flags(CLI::App& command, PipelineFlags& flags) {
  add_level_flag(command, flags.levels);
  command
      .add_option("--passes", flags.passes,
                  "the pipeline as pass names, e.g. fold-constants,simplify,fuse\n"
                  "(fuse: the group of O2's fusion passes)")
      ->type_name("LIST");
  command
      .add_option("--batch", flags.batch,
                  "optimize and plan for a batch of N (default: the declared shapes)")
      ->type_name("N")
      ->check(in_range(1, 999999999));
}

inline opt::Pipeline chosen_pipeline(const PipelineFlags& flags) {
  if (flags.passes.empty()) return opt::pipeline_for_level(chosen_level(flags.levels));
  if (!flags.levels.empty()) {
    throw UsageError(
        Error(Errc::invalid_argument, "give --passes or a level (-O0, -O1, -O2), not both"));
  }
  return from_command_line([&] { return opt::parse_pipeline(flags.passes); });
}

// --batch N: every input whose first dimension is unknown is planned with N there (its other
// unknown dimensions stay at MemoryPlanRequest::unknown_dim_default).
inline void plan_for_batch(const Graph& graph, std::int64_t batch,
                           opt::MemoryPlanRequest& options) {
  for (const Graph::Port& port : graph.inputs()) {
    const Shape& declared = graph.type_of(port.value).shape;
    if (!declared.has_rank() || declared.rank() == 0 || declared.dim(0) != kUnknownDim) continue;
    std::vector<std::int64_t> dims = declared.dims();
    for (std::int64_t& d : dims) d = d == kUnknownDim ? options.unknown_dim_default : d;
    dims[0] = batch;
    options.input_shapes[port.name] = Shape(dims);
  }
  if (options.input_shapes.empty()) {
    throw Error(Errc::invalid_argument, "--batch: no input has an unknown batch dimension");
  }
}

// The memory plan's request for `flags`; with --batch, the graph's inputs are given that batch
// too, before the first pass, as compile() gives them the shapes of the inputs it runs on:
// shape computations then fold, and an RNN's loop sees the shapes it runs with.
inline opt::MemoryPlanRequest apply_batch(Graph& graph, const PipelineFlags& flags) {
  opt::MemoryPlanRequest request;
  if (flags.batch <= 0) return request;
  plan_for_batch(graph, flags.batch, request);
  for (const Graph::Port& port : graph.inputs()) {
    auto it = request.input_shapes.find(port.name);
    if (it != request.input_shapes.end()) graph.node(port.value.node).attrs["shape"] = it->second;
  }
  opt::infer_types_with_values(graph);
  return request;
}

// "image [1,8,8,1]": what each input was planned for.
inline std::string planned_inputs(const Graph& graph, const opt::MemoryPlanRequest& options) {
  std::string text;
  for (const Graph::Port& port : graph.inputs()) {
    text += (text.empty() ? "" : ", ") + port.name + " " +
            opt::planned_input_shape(graph, port, options).str();
  }
  return text;
}

// What pictures are titled: the model's name, not where it sits on this disk ("digits_cnn"
// for models/digits_cnn/saved_model, "model" for frozen/model.pb).
inline std::string model_title(const std::string& path) {
  std::filesystem::path p = std::filesystem::path(path).lexically_normal();
  if (!p.has_filename()) p = p.parent_path();
  if (p.filename() == "saved_model" && p.has_parent_path()) p = p.parent_path();
  return std::filesystem::is_directory(path) ? p.filename().string() : p.stem().string();
}

}  // namespace kiln::cli
