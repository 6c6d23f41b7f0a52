// What Kiln's Google Benchmark programs share: which models to run, with what settings, on
// which inputs.
//
// Models: every fixture in tests/fixtures/models (KILN_FIXTURE_MODELS, set by CMake) that has a
// SavedModel or a frozen graph with float inputs only, plus, when the environment variable
// KILN_BENCH_MODELS names a folder, each of its subfolders that holds a SavedModel
// (saved_model.pb in it, or in its saved_model/ child), named after the subfolder.
//
// Settings come from the environment, so that compare.py can pass benchmark flags untouched:
//   KILN_BENCH_THREADS  threads per run (default 2)
//   KILN_BENCH_BATCH    size for unknown input dimensions (default 1)
//   KILN_BENCH_BACKEND  cpu or reference (default cpu when the program has it)
// Inputs are generated as `kiln bench` generates them (examples/kiln/bench_inputs.hpp).
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <kiln/model.hpp>
#include <kiln/savedmodel.hpp>
#include <kiln/session.hpp>

#include "../examples/kiln/bench_inputs.hpp"

namespace kiln::bench {

namespace fs = std::filesystem;

struct BenchModel {
  std::string name;       // what benchmark names call it: "mlp", "resnet50_keras2"
  std::string path;       // SavedModel folder or frozen .pb
  std::string signature;  // empty for a frozen graph
};

// A whole number from the environment, or `fallback` when unset; nonsense is an error, not a
// silent default, so that a typo does not produce numbers for the wrong setting.
inline std::int64_t env_count(const char* name, std::int64_t fallback, std::int64_t low) {
  const char* text = std::getenv(name);
  if (!text || !*text) return fallback;
  char* end = nullptr;
  const long long value = std::strtoll(text, &end, 10);
  if (*end != '\0' || value < low) {
    throw Error(Errc::invalid_argument, std::string("bad value of the environment variable ") +
                                            name)
        .expected("a whole number >= " + std::to_string(low))
        .found(text);
  }
  return value;
}

struct Settings {
  int threads = 2;
  std::int64_t batch = 1;
  Backend backend = default_backend();
};

inline Settings settings_from_env() {
  Settings s;
  s.threads = static_cast<int>(env_count("KILN_BENCH_THREADS", 2, 0));
  s.batch = env_count("KILN_BENCH_BATCH", 1, 1);
  if (const char* backend = std::getenv("KILN_BENCH_BACKEND"); backend && *backend) {
    s.backend = backend_from_name(backend);
  }
  require_backend(s.backend);
  return s;
}

// Records the settings in the benchmark's context (console header and JSON "context").
inline void describe(const Settings& s) {
  benchmark::AddCustomContext("kiln_backend", backend_name(s.backend));
  benchmark::AddCustomContext("kiln_threads", std::to_string(s.threads));
  benchmark::AddCustomContext("kiln_batch", std::to_string(s.batch));
}

inline Model open(const BenchModel& m) {
  return m.signature.empty() ? load_graphdef(m.path) : load_saved_model(m.path);
}

inline Graph graph_of(const BenchModel& m) {
  const Model model = open(m);
  return m.signature.empty() ? model.graph_for_tensors(model.sink_nodes())
                             : model.graph(m.signature);
}

// Whether every input the model declares is a float tensor (what the benchmarks generate).
inline bool has_float_inputs(const BenchModel& m) {
  const Model model = open(m);
  const std::vector<TensorSpec> inputs =
      m.signature.empty() ? model.placeholders() : model.signature(m.signature).inputs;
  if (inputs.empty()) return false;
  for (const TensorSpec& spec : inputs) {
    if (!spec.dtype || !is_floating(*spec.dtype)) return false;
  }
  return true;
}

// "serving_default" when the model has it, else its first signature.
inline std::string default_signature(const std::string& dir) {
  const Model model = load_saved_model(dir);
  if (model.signatures().empty()) return "";
  std::string key = model.signatures().front().key;
  for (const Signature& s : model.signatures()) key = s.key == "serving_default" ? s.key : key;
  return key;
}

inline std::vector<BenchModel> fixture_models(const fs::path& fixtures) {
  std::vector<BenchModel> models;
  std::vector<fs::path> dirs;
  for (const fs::directory_entry& e : fs::directory_iterator(fixtures)) {
    if (e.is_directory()) dirs.push_back(e.path());
  }
  std::sort(dirs.begin(), dirs.end());
  for (const fs::path& dir : dirs) {
    BenchModel m;
    m.name = dir.filename().string();
    if (fs::exists(dir / "saved_model" / "saved_model.pb")) {
      m.path = (dir / "saved_model").string();
      m.signature = "serving_default";
      std::ifstream key_file(dir / "signature_def.txt");
      std::string key;
      if (std::getline(key_file, key) && !key.empty()) m.signature = key;
    } else if (fs::exists(dir / "model.pb")) {
      m.path = (dir / "model.pb").string();
    } else {
      continue;
    }
    models.push_back(std::move(m));
  }
  return models;
}

// The SavedModels in the folder KILN_BENCH_MODELS names (none when it is unset).
inline std::vector<BenchModel> env_models() {
  std::vector<BenchModel> models;
  const char* root = std::getenv("KILN_BENCH_MODELS");
  if (!root || !*root) return models;
  if (!fs::is_directory(root)) {
    throw Error(Errc::not_found, "KILN_BENCH_MODELS is not a folder").file(root);
  }
  std::vector<fs::path> dirs;
  for (const fs::directory_entry& e : fs::directory_iterator(root)) {
    if (e.is_directory()) dirs.push_back(e.path());
  }
  std::sort(dirs.begin(), dirs.end());
  for (const fs::path& dir : dirs) {
    fs::path saved_model;
    if (fs::exists(dir / "saved_model.pb")) saved_model = dir;
    if (fs::exists(dir / "saved_model" / "saved_model.pb")) saved_model = dir / "saved_model";
    if (saved_model.empty()) continue;
    models.push_back({dir.filename().string(), saved_model.string(),
                      default_signature(saved_model.string())});
  }
  return models;
}

// Every model to benchmark; one that cannot be read is reported on stderr and left out.
inline std::vector<BenchModel> all_models() {
  std::vector<BenchModel> chosen;
  std::vector<BenchModel> candidates = fixture_models(KILN_FIXTURE_MODELS);
  for (BenchModel& m : env_models()) candidates.push_back(std::move(m));
  for (BenchModel& m : candidates) {
    try {
      if (has_float_inputs(m)) chosen.push_back(std::move(m));
    } catch (const std::exception& e) {
      std::cerr << "kiln bench: skipping " << m.name << ": " << e.what() << "\n";
    }
  }
  return chosen;
}

// One model made ready to run: its imported graph and generated inputs. Benchmarks keep one
// at a time (the last used), so that a folder of large models does not fill memory.
struct Prepared {
  std::string key;
  Graph graph;
  NamedTensors feeds;
  std::shared_ptr<void> runner;  // what the benchmark built from them (compiled model, ...)
  std::string error;             // why it could not be built, reported on every call
};

// The prepared model for `key` (rebuilt by `build` when the cached one is another).
template <class Build>
Prepared& prepared(const std::string& key, const BenchModel& m, const Settings& s, Build build) {
  static Prepared cache;
  if (cache.key == key) return cache;
  cache = Prepared();
  cache.key = key;
  try {
    cache.graph = graph_of(m);
    cache.feeds = cli::bench_feeds(cache.graph, {}, s.batch);
    cache.runner = build(cache);
  } catch (const std::exception& e) {
    cache.error = e.what();
  }
  return cache;
}

// The compiled model `options` make of a prepared graph, for the cache above. The first call runs
// here, so the timed loop sees no arena allocation or kernel preparation.
inline std::shared_ptr<void> compile_prepared(const Prepared& ready, const Options& options) {
  auto net = std::make_shared<CompiledModel>(
      compile(cli::with_fed_shapes(ready.graph, ready.feeds), options));
  net->run(ready.feeds);
  return net;
}

// Times a prepared compiled model; returns it (null when it could not be built).
inline const CompiledModel* time_compiled(benchmark::State& state, const Prepared& p,
                                          const Settings& s) {
  if (!p.error.empty()) {
    state.SkipWithError(p.error.c_str());
    return nullptr;
  }
  const auto& net = *static_cast<const CompiledModel*>(p.runner.get());
  for (auto _ : state) {
    NamedTensors out = net.run(p.feeds);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations() * s.batch);
  return &net;
}

}  // namespace kiln::bench
