// `kiln run`: feed .npy files to a signature (or to a frozen graph's placeholders) and write
// one .npy file per output. Inputs are data files only: nothing is ever evaluated.
#pragma once

#include <filesystem>
#include <iostream>

#include <kiln/eager.hpp>
#include <kiln/npy.hpp>

#include "model_files.hpp"

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

inline int run(const Args& args) {
  if (args.positional().size() != 1 || !args.has("outdir")) {
    throw Error(Errc::invalid_argument,
                "usage: kiln run DIR|GRAPH.pb [--signature_def S] [--tag_set T] "
                "--inputs name=file.npy[,...] [--outputs node[:k],...] --outdir O");
  }
  Model model = open_model(args.positional()[0], args.get("tag_set"));
  Graph graph;
  if (model.is_frozen_graph()) {
    std::vector<std::string> outputs = split(args.get("outputs"), ',');
    if (outputs.empty()) outputs = model.sink_nodes();
    graph = model.graph_for_tensors(outputs);
  } else {
    if (args.has("outputs")) {
      throw Error(Errc::invalid_argument, "--outputs is for frozen graphs; a SavedModel's "
                                          "outputs are its signature's");
    }
    graph = model.graph(args.get("signature_def", "serving_default"));
  }
  const NamedTensors results = run_eager(graph, read_inputs(args.get("inputs")));

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
