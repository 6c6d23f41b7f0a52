// `kiln run`: feed .npy files to a signature (or to a frozen graph's placeholders) and write
// one .npy file per output. Inputs are data files only: nothing is ever evaluated.
//
// The model is compiled as kiln::compile compiles it: optimized at -O2 (or -O0, -O1) and run on
// the `cpu` backend when the program has it (--backend cpu|reference). `-O0 --backend
// reference` runs the imported graph node by node on the reference kernels (the eager
// interpreter), the ground truth to compare the others with.
#pragma once

#include <filesystem>
#include <iostream>

#include <kiln/eager.hpp>
#include <kiln/npy.hpp>
#include <kiln/session.hpp>

#include "accuracy_table.hpp"
#include "levels.hpp"
#include "model_graph.hpp"

namespace kiln::cli {

// "x=a.npy,y=b.npy" -> {x: tensor, y: tensor}
inline NamedTensors read_inputs(const std::string& list) {
  NamedTensors feeds;
  for (const std::string& item : split(list, ',')) {
    const std::size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == item.size()) {
      throw Error(Errc::invalid_argument, "--inputs takes name=file.npy pairs").found(item);
    }
    const std::string file = item.substr(eq + 1);
    if (std::filesystem::path(file).extension() != ".npy") {
      throw Error(Errc::invalid_argument, "inputs must be .npy files").input(item.substr(0, eq)).found(file);
    }
    feeds[item.substr(0, eq)] = load_npy(file);
  }
  return feeds;
}

struct RunFlags {
  ModelFlags model;
  std::string inputs;               // name=file.npy,...
  std::string outdir;
  std::vector<std::string> levels;  // the values of -O
  std::string backend = backend_name(default_backend());
  int threads = 0;                  // 0: every core
  std::string precision = "f32";
};

inline CLI::App* add_run_command(CLI::App& kiln, RunFlags& flags) {
  CLI::App* run = kiln.add_subcommand(
      "run", "run a signature on .npy inputs and write one .npy per output");
  add_model_flags(*run, flags.model, "signature to run (default serving_default)");
  run->add_option("--inputs", flags.inputs, "the inputs as .npy files, name=file.npy,...")
      ->type_name("LIST");
  add_outputs_flag(*run, flags.model);
  run->add_option("--outdir", flags.outdir, "where to write the outputs, one .npy file each")
      ->type_name("O")
      ->required();
  add_level_flag(*run, flags.levels);
  add_backend_flag(*run, flags.backend);
  add_threads_flag(*run, flags.threads);
  add_precision_flag(*run, flags.precision);
  run->footer("-O0 --backend reference runs the imported graph node by node on the reference\n"
              "kernels: the ground truth to compare the others with.");
  return run;
}

inline int run(const RunFlags& flags) {
  const std::string level = chosen_level(flags.levels);
  const Backend backend = chosen_backend(flags.backend);
  Graph graph = graph_from_flags(flags.model);
  const NamedTensors feeds = read_inputs(flags.inputs);
  NamedTensors results;
  const Precision precision = precision_from_name(flags.precision);
  if (level == "O0" && backend == Backend::reference && precision == Precision::f32) {
    results = run_eager(graph, feeds);
  } else {
    const Options options =
        Options().backend(backend).level(level).threads(flags.threads).precision(precision);
    const Graph original = precision == Precision::f32 ? Graph() : graph;  // to compare with
    results = compile(std::move(graph), options).run(feeds);
    if (precision != Precision::f32) {
      print_accuracy(accuracy_against_f32(original, feeds, results, options), "on these inputs");
    }
  }

  const std::filesystem::path outdir = flags.outdir;
  std::filesystem::create_directories(outdir);
  for (const auto& [name, tensor] : results) {
    const std::filesystem::path file = outdir / (file_stem_for(name) + ".npy");
    save_npy(file.string(), tensor);
    std::cout << "wrote " << file.string() << "  " << dtype_name(tensor.dtype())
              << tensor.shape().str() << "\n";
  }
  return 0;
}

}  // namespace kiln::cli
