// `kiln bench`: how fast a model runs, compiled (O0/O1/O2) or node by node (eager), in the
// terms onnxruntime_perf_test and OpenVINO's benchmark_app use.
//
//   kiln bench mobilenet_v2/ --threads 2 --batch 8 --compare --json result.json
//
// Optimized mode times session creation (import, then kiln::compile: optimize and prepare the
// kernels), the first inference, then `warmup` untimed and `runs` timed inferences. Eager mode
// runs the imported graph on an EagerInterpreter: one backend kernel per op, fresh buffers, no
// fusion. --compare does both in one process on the same inputs and says how far apart their
// outputs are. What --json writes is read by the peer-comparison scripts: keep its keys.
#pragma once

#include <chrono>
#include <cmath>
#include <fstream>
#include <functional>
#include <iostream>
#include <limits>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <kiln/eager.hpp>
#include <kiln/session.hpp>

#include "accuracy_table.hpp"
#include "bench_inputs.hpp"
#include "bench_profile.hpp"
#include "bench_stats.hpp"
#include "json.hpp"
#include "levels.hpp"
#include "model_files.hpp"
#include "peak_rss.hpp"
#include "progress.hpp"
#include "run.hpp"

namespace kiln::cli {

struct BenchFlags {
  ModelFlags model;
  std::string inputs;               // name=file.npy,...; the other inputs are made up
  std::string json;                 // where to write the results; empty: nowhere
  std::int64_t batch = 1;
  int threads = 0, runs = 50, warmup = 5;
  std::vector<std::string> levels;  // the values of -O
  bool compare = false, profile = false;
  std::string backend = backend_name(default_backend());
  std::string precision = "f32";
};

inline CLI::App* add_bench_command(CLI::App& kiln, BenchFlags& flags) {
  CLI::App* bench = kiln.add_subcommand(
      "bench", "time a model: session creation, first and steady runs, eager vs optimized");
  add_model_flags(*bench, flags.model,
                  "signature to run (default serving_default, else the first)");
  bench->add_option("--batch", flags.batch, "size for every unknown input dimension")
      ->type_name("N")
      ->check(in_range(1, std::int64_t{1} << 20))
      ->capture_default_str();
  add_threads_flag(*bench, flags.threads);
  bench->add_option("--runs", flags.runs, "timed runs")
      ->type_name("R")
      ->check(in_range(1, 100000000))
      ->capture_default_str();
  bench->add_option("--warmup", flags.warmup, "untimed runs before them")
      ->type_name("W")
      ->check(in_range(0, 100000000))
      ->capture_default_str();
  add_level_flag(*bench, flags.levels);
  bench->add_flag("--compare", flags.compare,
                  "also run eager (node by node, unoptimized) on the same inputs; print both, the\n"
                  "ratio eager/optimized of the medians and the largest difference between\n"
                  "their outputs");
  add_backend_flag(*bench, flags.backend);
  add_precision_flag(*bench, flags.precision);
  bench->add_option("--inputs", flags.inputs,
                    "inputs from .npy files, name=file.npy,...; the others are generated: the\n"
                    "declared shape with unknown sizes set to --batch, floats uniform in [-1, 1]\n"
                    "and integers uniform in [0, 100), from a fixed seed (same on every run)")
      ->type_name("LIST");
  bench->add_flag("--profile", flags.profile,
                  "time every step of the compiled plan: a table by op, the 10 slowest steps,\n"
                  "and the steps on reference (fallback) kernels");
  bench->add_option("--json", flags.json, "write the results as JSON to FILE")->type_name("FILE");
  bench->footer(
      "Percentiles are nearest-rank over the timed runs. Peak RSS is the whole process's.");
  return bench;
}

namespace detail {

inline double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

// The threads the runs use, as a number (0 means every core to Options, not to a reader).
inline int threads_used(Backend backend, int threads) {
  return require_backend(backend).threads.resolve(threads);  // 1 on single-threaded backends
}

// What one mode measured: its first run, its timed runs and the first run's outputs.
struct ModeResult {
  double first_run_ms = 0;
  RunStats stats;
  NamedTensors outputs;
};

// First run (timed alone), `warmup` untimed runs, `runs` timed runs of `run_once`, which is
// told whether its run is one of the timed ones.
inline ModeResult measure(const std::string& mode, const BenchFlags& s,
                          const std::function<NamedTensors()>& first_run,
                          const std::function<void(bool timed)>& run_once) {
  ModeResult result;
  Progress progress;
  progress.update("[" + mode + "] first inference", 0, 1);
  auto start = std::chrono::steady_clock::now();
  result.outputs = first_run();
  result.first_run_ms = ms_since(start);
  for (int i = 0; i < s.warmup; ++i) {
    progress.update("[" + mode + "] warmup", i, s.warmup);
    run_once(false);
  }
  std::vector<double> times;
  times.reserve(static_cast<std::size_t>(s.runs));
  for (int i = 0; i < s.runs; ++i) {
    progress.update("[" + mode + "] run", i, s.runs);
    start = std::chrono::steady_clock::now();
    run_once(true);
    times.push_back(ms_since(start));
  }
  result.stats = summarize(std::move(times));
  return result;
}

// The largest |a - b| over every output both have (NaN where one is NaN and the other is not,
// or where shapes differ: the outputs are not comparable).
inline double max_abs_difference(const NamedTensors& a, const NamedTensors& b) {
  double worst = 0;
  for (const auto& [name, x] : a) {
    auto it = b.find(name);
    if (it == b.end()) continue;
    const Tensor& y = it->second;
    if (x.shape() != y.shape()) return std::numeric_limits<double>::quiet_NaN();
    for (std::int64_t i = 0; i < x.num_elements(); ++i) {
      const double u = x.element_as_double(i), v = y.element_as_double(i);
      if (std::isnan(u) || std::isnan(v)) {
        if (std::isnan(u) != std::isnan(v)) return std::numeric_limits<double>::quiet_NaN();
        continue;
      }
      if (u != v) worst = std::max(worst, std::fabs(u - v));
    }
  }
  return worst;
}

// Whether some input was made up as integers (which a model may use as indices).
inline bool made_up_integers(const NamedTensors& feeds, const NamedTensors& given) {
  for (const auto& [name, t] : feeds) {
    if (!given.count(name) && is_integer(t.dtype())) return true;
  }
  return false;
}

inline std::string describe_feeds(const NamedTensors& feeds, const NamedTensors& given) {
  std::string text;
  for (const auto& [name, t] : feeds) {
    text += "  " + name + ": " + dtype_name(t.dtype()) + t.shape().str() +
            (given.count(name) ? " (from file)" : " (generated)") + "\n";
  }
  return text;
}

}  // namespace detail

inline int bench(const BenchFlags& s) {
  const OptLevel level = opt_level_from_name(chosen_level(s.levels));
  const Backend backend = chosen_backend(s.backend);
  using detail::ms_since;

  // Import: read the files and translate the signature into Kiln IR.
  auto start = std::chrono::steady_clock::now();
  const Model model = open_model(s.model.path, s.model.tag_set);
  std::string signature;
  if (model.is_frozen_graph() && !s.model.signature_def.empty()) {
    throw Error(Errc::invalid_argument, "a frozen graph has no signatures: drop --signature_def");
  }
  if (!model.is_frozen_graph()) {
    signature = s.model.signature_def;
    if (signature.empty()) {
      const std::vector<Signature>& all = model.signatures();
      if (all.empty()) {
        throw Error(Errc::not_found, "the model has no signatures").file(s.model.path);
      }
      signature = all.front().key;
      for (const Signature& sig : all) {
        if (sig.key == "serving_default") signature = sig.key;
      }
    }
  }
  auto import_graph = [&] {
    return model.is_frozen_graph() ? model.graph_for_tensors(model.sink_nodes())
                                   : model.graph(signature);
  };
  Graph graph = import_graph();
  const double import_ms = ms_since(start);

  const NamedTensors given = read_inputs(s.inputs);
  const NamedTensors feeds = bench_feeds(graph, given, s.batch);

  // Compile: optimize for exactly the fed shapes and prepare the kernels.
  const Precision precision = precision_from_name(s.precision);
  const Options options =
      Options().backend(backend).threads(s.threads).level(level).precision(precision);
  start = std::chrono::steady_clock::now();
  // compile() gets the graph itself, as a program that embeds Kiln would give it: holding no
  // copy lets it fold the filters in place (fold_filters_once). --compare imports again below.
  const CompiledModel net = compile(with_fed_shapes(std::move(graph), feeds), options);
  const double compile_ms = ms_since(start);
  InputShapes shapes;
  for (const auto& [name, tensor] : feeds) shapes[name] = tensor.shape();
  const std::shared_ptr<const CompiledPlan> compiled = net.plan(shapes);
  const Plan& plan = compiled->plan();

  std::cout << "Model: " << s.model.path
            << (signature.empty() ? " (frozen graph)" : " (signature " + signature + ")") << "\n"
            << "Backend: " << backend_name(backend) << ", threads: "
            << detail::threads_used(backend, s.threads) << (s.threads == 0 ? " (all cores)" : "")
            << ", batch: " << s.batch << ", level: " << opt_level_name(level)
            << ", precision: " << precision_name(precision) << "\n"
            << "Inputs:\n"
            << detail::describe_feeds(feeds, given)
            << "Session creation (import + optimize + compile): "
            << format_ms(import_ms + compile_ms) << " ms (import " << format_ms(import_ms)
            << ", optimize + compile " << format_ms(compile_ms) << ")\n"
            << "Plan: " << plan.steps().size() << " steps, " << plan.fallback_count()
            << " on reference kernels, arena " << opt::format_bytes(plan.memory_plan().arena_bytes)
            << "\n"
            << std::flush;

  // Inputs in the plan's order, for CompiledPlan::run (the --profile path).
  const std::vector<Tensor> arranged = inputs_in_order(plan.graph(), feeds);
  // Made-up integers may be out of range where a model takes indices (token ids): say so.
  auto first_run = [&] {
    try {
      return net.run(feeds);
    } catch (const Error&) {
      if (detail::made_up_integers(feeds, given)) {
        std::cerr << "kiln bench: integer inputs were generated uniform in [0, 100); if the "
                     "model needs other values (token ids, indices), give them with --inputs\n";
      }
      throw;
    }
  };
  std::vector<double> step_ms;
  const detail::ModeResult optimized = detail::measure(
      "optimized", s, first_run,
      [&](bool timed) {
        if (s.profile) {
          compiled->run(arranged, timed ? &step_ms : nullptr);  // only timed runs are profiled
        } else {
          net.run(feeds);
        }
      });
  std::cout << "First inference: " << format_ms(optimized.first_run_ms) << " ms\n"
            << stats_line("optimized", optimized.stats) << "\n";
  if (optimized.stats.median_ms > 0) {
    std::cout << "Throughput: "
              << format_ms(1000.0 * static_cast<double>(s.batch) / optimized.stats.median_ms)
              << " samples/s (batch / median)\n";
  }
  std::cout << std::flush;

  detail::ModeResult eager;
  double ratio = 0;
  if (s.compare) {
    const EagerInterpreter interpreter(import_graph(), backend, s.threads);
    eager = detail::measure(
        "eager", s, [&] { return interpreter.run(feeds); }, [&](bool) { interpreter.run(feeds); });
    ratio = optimized.stats.median_ms > 0 ? eager.stats.median_ms / optimized.stats.median_ms : 0;
    char diff[32];
    std::snprintf(diff, sizeof diff, "%.3g", detail::max_abs_difference(eager.outputs,
                                                                       optimized.outputs));
    std::cout << "[eager] first inference: " << format_ms(eager.first_run_ms) << " ms\n"
              << stats_line("eager", eager.stats) << "\n"
              << "eager / optimized (medians): " << detail::fixed(ratio, 2) << "x\n"
              << "max |eager - optimized| over the outputs: " << diff << "\n";
  }
  std::vector<quantization::OutputAccuracy> accuracy;
  if (precision != Precision::f32) {
    accuracy = accuracy_against_f32(import_graph(), feeds, optimized.outputs, options);
    print_accuracy(accuracy, "on these inputs");
  }
  if (s.profile) std::cout << "\n" << profile_report(plan, step_ms, s.runs) << "\n";
  const std::int64_t peak_rss = peak_rss_bytes();
  std::cout << "Peak RSS: " << detail::fixed(static_cast<double>(peak_rss) / (1 << 20), 1)
            << " MiB\n";

  if (!s.json.empty()) {
    Json modes = {{"optimized", stats_json(optimized.stats)}};
    if (s.compare) modes["eager"] = stats_json(eager.stats);
    Json json = {{"model", s.model.path},
                 {"signature", signature},
                 {"batch", s.batch},
                 {"threads", detail::threads_used(backend, s.threads)},
                 {"backend", backend_name(backend)},
                 {"level", opt_level_name(level)},
                 {"precision", precision_name(precision)},
                 {"import_ms", import_ms},
                 {"compile_ms", compile_ms},
                 {"first_run_ms", optimized.first_run_ms},
                 {"peak_rss_bytes", peak_rss},
                 {"modes", modes}};
    if (s.compare) json["eager_over_optimized"] = ratio;
    for (const quantization::OutputAccuracy& a : accuracy) {
      json["accuracy_against_f32"][a.name] = {{"max_relative_error", a.max_relative_error},
                                              {"mean_relative_error", a.mean_relative_error}};
      if (a.top1_agreement) json["accuracy_against_f32"][a.name]["top1_agreement"] = *a.top1_agreement;
    }
    std::ofstream out(s.json);
    out << json_text(json);
    if (!out) throw Error(Errc::io_error, "cannot write the JSON results").file(s.json);
    std::cout << "Wrote " << s.json << "\n";
  }
  return 0;
}

}  // namespace kiln::cli
