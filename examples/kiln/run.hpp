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

inline const char* const kRunUsage =
    "usage: kiln run DIR|GRAPH.pb [--signature_def S] [--tag_set T] "
    "--inputs name=file.npy[,...]\n"
    "                [--outputs node[:k],...] --outdir O [-O0 | -O1 | -O2] "
    "[--backend cpu|reference] [--threads N]";

// Parses `kiln run`'s command line (argv[first] onwards).
inline Args run_args(int argc, char** argv, int first) {
  return args_with_levels(
      argc, argv, first,
      {"tag_set", "signature_def", "inputs", "outputs", "outdir", "backend", "threads"}, {});
}

namespace run_detail {

inline int thread_count(const std::string& text) {
  const bool digits = !text.empty() && text.size() <= 4 &&
                      text.find_first_not_of("0123456789") == std::string::npos;
  if (!digits) throw Error(Errc::invalid_argument, "--threads takes a number >= 0").found(text);
  return std::stoi(text);
}

}  // namespace run_detail

inline int run(const Args& args) {
  if (args.positional().size() != 1 || !args.has("outdir")) {
    throw Error(Errc::invalid_argument, kRunUsage);
  }
  const std::string level = chosen_level(args);
  const Backend backend =
      args.has("backend") ? backend_from_name(args.get("backend")) : default_backend();
  require_backend(backend);
  const int threads = args.has("threads") ? run_detail::thread_count(args.get("threads")) : 0;
  Graph graph = graph_from_args(args);
  const NamedTensors feeds = read_inputs(args.get("inputs"));
  NamedTensors results;
  if (level == "O0" && backend == Backend::reference) {
    results = run_eager(graph, feeds);
  } else {
    const CompiledModel net =
        compile(std::move(graph), Options().backend(backend).level(level).threads(threads));
    results = net.run(feeds);
  }

  const std::filesystem::path outdir = args.get("outdir");
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
