// Compiling a model once and running it many times: the API for programs that embed Kiln.
//
//   auto model = kiln::load_saved_model("mobilenet_v2/");
//   auto net = kiln::compile(model, kiln::Options().backend(kiln::cpu).threads(2));
//   auto out = net.run({{"input_1", kiln::load_npy("cat.npy")}});
//   std::cout << out.at("predictions") << '\n';
//
// compile() optimizes the signature's graph (O0, O1 or O2) for the input shapes the signature
// declares, with an unknown batch size taken as 1, and prepares its kernels: errors in the model
// show there, not at the first request (a model with other sizes unknown, such as an image
// model's height and width, is planned at its first run instead). It runs exactly the level's
// pipeline (opt::o2(), the list `kiln opt -O2` prints; at O2 the convolutions' part of
// fold-affine runs once for all plans, listed first as fold-filters: fold_filters_once),
// verifies the graph after every pass in debug builds and tests (Options::verify_each), and
// fails with a kiln::Error naming the pass when a pass throws (Options::on_pass_failure). run()
// checks every input by name (missing, extra, dtype, rank, size) and throws a kiln::Error that
// names it.
//
// Input shapes may change between calls (a batch of 1, then of 8): each new combination of
// input shapes gets its own plan, optimized and prepared on first use and cached; the least
// recently used plan goes when the cache is full (Options::max_plans).
//
// A CompiledModel is immutable and cheap to copy (copies share everything); run() may be called
// from any number of threads at once. Each concurrent call borrows an arena of its own from the
// plan's pool, so calls never wait for each other except while a new plan is being compiled.
#pragma once

#include <chrono>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backend.hpp"
#include "core/verify.hpp"
#include "eager.hpp"
#include "model.hpp"
#include "optimizer/instruments.hpp"
#include "optimizer/pass_manager.hpp"
#include "optimizer/pipelines.hpp"
#include "plan.hpp"
#include "shared_constants.hpp"

namespace kiln {

enum class OptLevel { O0, O1, O2 };

inline const char* opt_level_name(OptLevel level) {
  switch (level) {
    case OptLevel::O0:
      return "O0";
    case OptLevel::O1:
      return "O1";
    case OptLevel::O2:
      return "O2";
  }
  return "O2";
}

inline OptLevel opt_level_from_name(std::string_view name) {
  if (!name.empty() && name.front() == '-') name.remove_prefix(1);
  if (name == "O0") return OptLevel::O0;
  if (name == "O1") return OptLevel::O1;
  if (name == "O2") return OptLevel::O2;
  throw Error(Errc::invalid_argument, "unknown optimization level")
      .expected("O0, O1 or O2")
      .found(std::string(name));
}

class Options {
 public:
  // `cpu` (oneDNN, the default when the program links kiln::onednn), `reference`, or any
  // backend registered by name (backend_from_name). Unset: default_backend().
  Options& backend(Backend b) {
    backend_ = b;
    return *this;
  }
  // Threads each run() uses; 0 (the default) leaves the runtime's default (every core).
  Options& threads(int n) {
    if (n < 0) throw Error(Errc::invalid_argument, "threads must be >= 0").found(std::to_string(n));
    threads_ = n;
    return *this;
  }
  // The arithmetic of convolutions and products with constant weights (core/precision.hpp):
  // f32 (the default) or bf16, which the backend must offer on this machine (the cpu backend:
  // a CPU with AVX512_BF16 or AMX); compile() throws a kiln::Error saying why when it does not.
  // bf16 appends the bf16-products pass to the pipeline (optimizer/bf16_products.hpp).
  Options& precision(Precision p) {
    precision_ = p;
    return *this;
  }
  Options& level(OptLevel l) {
    level_ = l;
    return *this;
  }
  Options& level(std::string_view name) { return level(opt_level_from_name(name)); }
  // The signature compile(model) uses.
  Options& signature(std::string key) {
    signature_ = std::move(key);
    return *this;
  }
  // How many input-shape combinations keep a compiled plan (at least 1).
  Options& max_plans(std::size_t n) {
    if (n == 0) throw Error(Errc::invalid_argument, "max_plans must be at least 1");
    max_plans_ = n;
    return *this;
  }
  // A pipeline of one's own instead of the level's: for ablations, such as O2 without
  // `fuse-epilogue` (bench/bench_passes.cpp).
  Options& pipeline(opt::Pipeline passes) {
    pipeline_ = std::move(passes);
    return *this;
  }
  // Leave the run-time checks out of every plan (Assert, CheckNumerics: the drop-checks pass
  // runs before the pipeline): for a deployment that trusts its inputs and wants neither the
  // checks' cost nor their errors. Off by default: a failed check throws a kiln::Error that
  // names its node.
  Options& drop_checks(bool on) {
    drop_checks_ = on;
    return *this;
  }
  // Verify the graph after every optimizer pass, so that a pass that breaks it is named. On by
  // default in debug builds and where KILN_VERIFY_EACH_PASS is defined (the tests); costs a
  // verifier run per pass.
  Options& verify_each(bool on) {
    verify_each_ = on;
    return *this;
  }
  // What compile does when an optimizer pass throws: fail with a kiln::Error naming the pass
  // (the default), or undo that pass, go on, and list the failure in the compiled plan's
  // diagnostics() and summary().
  Options& on_pass_failure(opt::OnPassFailure policy) {
    on_pass_failure_ = policy;
    return *this;
  }

  // The most iterations any one run of a loop (While) may make before the run fails with a
  // kiln::Error: a loop whose trip count comes from garbage must not hang the caller.
  Options& max_loop_iterations(std::int64_t n) {
    if (n < 0) throw Error(Errc::invalid_argument, "max_loop_iterations must be >= 0").found(std::to_string(n));
    max_loop_iterations_ = n;
    return *this;
  }

  // The largest arena a compiled plan may ask for (each plan of a loop body or branch too), and
  // apart from it the most bytes of outputs one run may allocate; compile fails with a
  // kiln::Error before allocating anything larger. Default 8 GiB.
  Options& max_arena_bytes(std::int64_t bytes) {
    if (bytes < 0) throw Error(Errc::invalid_argument, "max_arena_bytes must be >= 0").found(std::to_string(bytes));
    max_arena_bytes_ = bytes;
    return *this;
  }

  Backend backend() const { return backend_ ? *backend_ : default_backend(); }
  std::int64_t max_loop_iterations() const { return max_loop_iterations_; }
  std::int64_t max_arena_bytes() const { return max_arena_bytes_; }
  int threads() const { return threads_; }
  Precision precision() const { return precision_; }
  OptLevel level() const { return level_; }
  const std::string& signature() const { return signature_; }
  std::size_t max_plans() const { return max_plans_; }
  const std::optional<opt::Pipeline>& pipeline() const { return pipeline_; }
  bool verify_each() const { return verify_each_; }
  bool drop_checks() const { return drop_checks_; }
  opt::OnPassFailure on_pass_failure() const { return on_pass_failure_; }

  // The passes compile() runs, in order: the chosen pipeline, or the level's, after drop-checks
  // when asked, and before bf16-products when bf16 is.
  opt::Pipeline passes() const {
    opt::Pipeline passes = pipeline_ ? *pipeline_ : opt::pipeline_for_level(opt_level_name(level_));
    if (drop_checks_) passes.insert(passes.begin(), opt::drop_checks_pass());
    if (precision_ == Precision::bf16) passes.push_back(opt::bf16_products_pass());
    return passes;
  }

 private:
  std::optional<Backend> backend_;
  int threads_ = 0;
  Precision precision_ = Precision::f32;
  OptLevel level_ = OptLevel::O2;
  std::string signature_ = "serving_default";
  std::size_t max_plans_ = 8;
  std::optional<opt::Pipeline> pipeline_;
  bool drop_checks_ = false;
  std::int64_t max_loop_iterations_ = reference::kDefaultMaxLoopIterations;
  std::int64_t max_arena_bytes_ = PlanOptions::kDefaultMaxArenaBytes;
#if !defined(NDEBUG) || defined(KILN_VERIFY_EACH_PASS)
  bool verify_each_ = true;
#else
  bool verify_each_ = false;
#endif
  opt::OnPassFailure on_pass_failure_ = opt::OnPassFailure::fail;
};

// A Plan for one combination of input shapes, with what the optimizer did to get there and the
// arenas of the calls that ran it.
class CompiledPlan {
 public:
  CompiledPlan(Plan plan, opt::PipelineReport report, double compile_ms)
      : plan_(std::move(plan)), report_(std::move(report)), compile_ms_(compile_ms) {}

  const Plan& plan() const { return plan_; }
  const opt::PipelineReport& optimization() const { return report_; }
  double compile_ms() const { return compile_ms_; }

  // What went wrong on the way that did not stop compilation: optimizer passes that threw and
  // were undone (with Options::on_pass_failure undo_and_continue).
  std::vector<std::string> diagnostics() const { return report_.failures(); }

  // The plan's summary, then the diagnostics, one per line.
  std::string summary() const {
    std::string text = plan_.summary();
    for (const std::string& d : diagnostics()) text += "optimizer: " + d + "\n";
    return text;
  }

  // Inputs in the order of plan().graph().inputs(); see Plan::run for `step_ms`.
  std::vector<Tensor> run(const std::vector<Tensor>& inputs,
                          std::vector<double>* step_ms = nullptr) const {
    Lease lease(*this);
    return plan_.run(*lease.instance, inputs, step_ms);
  }

 private:
  // An instance borrowed from the pool for one call, or made if every one is busy.
  struct Lease {
    explicit Lease(const CompiledPlan& owner) : owner(owner) {
      {
        std::lock_guard<std::mutex> lock(owner.mutex_);
        if (!owner.idle_.empty()) {
          instance = std::move(owner.idle_.back());
          owner.idle_.pop_back();
          return;
        }
        ++owner.leased_;
        // Room to give it back without allocating: a destructor must not run out of memory.
        owner.idle_.reserve(owner.leased_);
      }
      instance = owner.plan_.make_instance();
    }
    ~Lease() {
      std::lock_guard<std::mutex> lock(owner.mutex_);
      if (instance) owner.idle_.push_back(std::move(instance));
    }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    const CompiledPlan& owner;
    std::unique_ptr<Plan::Instance> instance;
  };

  Plan plan_;
  opt::PipelineReport report_;
  double compile_ms_ = 0;
  mutable std::mutex mutex_;
  mutable std::vector<std::unique_ptr<Plan::Instance>> idle_;
  mutable std::size_t leased_ = 0;  // instances ever made: idle_ has room for them all
};

// What a compiled model takes and gives: a signature's inputs and outputs.
struct PortSpec {
  std::string name;
  DType dtype = DType::float32;
  Shape shape = Shape::unknown_rank();  // as declared; -1 where any size goes
  bool has_default = false;             // may be left out (PlaceholderWithDefault)
};

// The shapes one call feeds, by input name; inputs left out keep their default.
using InputShapes = std::map<std::string, Shape, std::less<>>;

class CompiledModel {
 public:
  struct Impl;
  explicit CompiledModel(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

  // Runs the model on `feeds` (by input name) and returns every output by name.
  NamedTensors run(const NamedTensors& feeds) const;

  const std::vector<PortSpec>& inputs() const;
  const std::vector<PortSpec>& outputs() const;
  const Options& options() const;

  // The plan these input shapes run on (compiled now if it is not cached): for tools that want
  // its summary, its memory plan or what the optimizer did. Shapes left out are the declared
  // ones, with unknown sizes taken as 1.
  std::shared_ptr<const CompiledPlan> plan(const InputShapes& shapes = {}) const;
  std::size_t cached_plans() const;

  // The graph every plan starts from: the one given to compile(), verified, with its filters
  // folded when the pipeline folds (fold_filters_once). An eager run of the model as imported
  // takes the imported graph itself (Model::graph()).
  const Graph& graph() const;

 private:
  std::shared_ptr<Impl> impl_;
};

// The pass manager compile() runs `pipeline` with, as the options say. compile() optimizes graphs
// of its own, which it drops when a pass fails: under the `fail` policy there is nothing to
// undo, and no undo snapshot then shares (and pins) their constants.
inline opt::PassManager manager_for_own_graph(opt::Pipeline pipeline, const Options& options) {
  opt::PassManager manager(std::move(pipeline));
  const opt::OnPassFailure policy = options.on_pass_failure();
  manager.on_failure(policy == opt::OnPassFailure::fail ? opt::OnPassFailure::fail_and_discard
                                                         : policy);
  if (options.verify_each()) manager.add_instrument(std::make_shared<opt::VerifyEach>());
  return manager;
}

struct CompiledModel::Impl {
  Graph graph;  // verified; unoptimized but for its filters (fold_filters_once)
  opt::PipelineReport model_passes;  // what compile() did to it, listed first in every plan's report
  Options options;
  std::vector<PortSpec> inputs, outputs;

  std::mutex mutex;  // guards the cache
  // Most recently used first; a key is the fed shapes, one entry per input.
  std::list<std::pair<std::vector<Shape>, std::shared_ptr<const CompiledPlan>>> plans;

  // The shape each input is planned for (an unfed input with a default: an unknown-rank shape).
  std::vector<Shape> key_for(const InputShapes& shapes) const {
    std::vector<Shape> key;
    for (const PortSpec& port : inputs) {
      auto it = shapes.find(port.name);
      if (it != shapes.end()) {
        key.push_back(it->second);
      } else if (port.has_default) {
        key.push_back(Shape::unknown_rank());
      } else {
        if (!port.shape.has_rank()) {
          throw Error(Errc::shape_mismatch, "input of unknown rank: give its shape")
              .input(port.name);
        }
        std::vector<std::int64_t> dims = port.shape.dims();
        for (std::int64_t& d : dims) d = d < 0 ? 1 : d;
        key.push_back(Shape(dims));
      }
    }
    return key;
  }

  std::shared_ptr<const CompiledPlan> plan_for(const std::vector<Shape>& key) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      for (auto it = plans.begin(); it != plans.end(); ++it) {
        if (it->first == key) {
          plans.splice(plans.begin(), plans, it);  // now the most recently used
          return it->second;
        }
      }
    }
    // Compiled outside the lock: runs on cached plans go on meanwhile. Two threads that miss
    // at once both compile; the first to finish wins, the other's plan is dropped. The new plan
    // shares its constants with the cached ones (shared_constants.hpp).
    std::vector<std::shared_ptr<const CompiledPlan>> cached;
    {
      std::lock_guard<std::mutex> lock(mutex);
      for (const auto& entry : plans) cached.push_back(entry.second);
    }
    std::shared_ptr<const CompiledPlan> made = compile_plan(key, cached);
    std::lock_guard<std::mutex> lock(mutex);
    for (auto& entry : plans) {
      if (entry.first == key) return entry.second;
    }
    plans.emplace_front(key, made);
    while (plans.size() > options.max_plans()) plans.pop_back();
    return made;
  }

  // Specializes the graph to the key's shapes, optimizes it and prepares its kernels.
  std::shared_ptr<const CompiledPlan> compile_plan(
      const std::vector<Shape>& key,
      const std::vector<std::shared_ptr<const CompiledPlan>>& cached) const {
    const auto start = std::chrono::steady_clock::now();
    Graph g = graph;
    for (std::size_t i = 0; i < key.size(); ++i) {
      Node& node = g.node(g.inputs()[i].value.node);
      if (!key[i].has_rank()) {
        // Left at its default: the default's shape is the input's shape.
        node.attrs["shape"] = g.type_of(node.inputs.at(0)).shape;
        continue;
      }
      if (node.op == "PlaceholderWithDefault") {
        // Fed: the default plays no part, and a shape other than the default's is allowed.
        node.op = "Placeholder";
        node.inputs.clear();
        node.attrs = {{"dtype", node.attrs.at("dtype")}, {"shape", key[i]}};
        continue;
      }
      node.attrs["shape"] = key[i];
    }
    // With shape arithmetic carried along, shapes computed at run time (Keras' Tensordot) are
    // concrete even at O0, where nothing folds them.
    opt::infer_types_with_values(g);
    const opt::PassManager manager = manager_for_own_graph(options.passes(), options);
    // One run is enough: fold-constants infers types again until its folding settles.
    opt::PipelineReport report = manager.run(g);
    report.passes.insert(report.passes.begin(), model_passes.passes.begin(),
                         model_passes.passes.end());
    report.total_ms += model_passes.total_ms;
    std::vector<const Graph*> cached_graphs;
    for (const auto& c : cached) cached_graphs.push_back(&c->plan().graph());
    share_constants(g, cached_graphs);
    Plan plan(std::move(g), PlanOptions{options.backend(), options.threads(),
                                        options.max_loop_iterations(), options.max_arena_bytes()});
    report.memory = plan.memory_plan();
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    return std::make_shared<const CompiledPlan>(std::move(plan), std::move(report), ms);
  }

  // Checks the feeds against the signature and lines them up with the graph's inputs.
  std::vector<Tensor> arrange(const NamedTensors& feeds, InputShapes& shapes) const {
    for (const auto& [name, tensor] : feeds) {
      bool known = false;
      for (const PortSpec& p : inputs) known = known || p.name == name;
      if (!known) {
        std::string names;
        for (const PortSpec& p : inputs) names += (names.empty() ? "" : ", ") + p.name;
        throw Error(Errc::not_found, "the model has no input of this name")
            .input(name)
            .expected(names);
      }
    }
    std::vector<Tensor> arranged;
    for (const PortSpec& port : inputs) {
      auto it = feeds.find(port.name);
      if (it == feeds.end()) {
        if (!port.has_default) {
          throw Error(Errc::invalid_argument, "input was not fed").input(port.name);
        }
        arranged.emplace_back();
        continue;
      }
      const Tensor& t = it->second;
      if (!t.valid()) {
        throw Error(Errc::invalid_argument, "input is an empty tensor").input(port.name);
      }
      if (t.dtype() != port.dtype) {
        throw Error(Errc::type_mismatch, "input has the wrong dtype")
            .input(port.name)
            .expected(dtype_name(port.dtype))
            .found(dtype_name(t.dtype()));
      }
      if (port.shape.has_rank() && port.shape.rank() != t.rank()) {
        throw Error(Errc::shape_mismatch, "input has the wrong rank")
            .input(port.name)
            .expected(port.shape.str())
            .found(t.shape().str());
      }
      if (!port.shape.compatible_with(t.shape())) {
        throw Error(Errc::shape_mismatch, "input has the wrong shape")
            .input(port.name)
            .expected(port.shape.str())
            .found(t.shape().str());
      }
      shapes[port.name] = t.shape();
      arranged.push_back(t);
    }
    return arranged;
  }
};

inline NamedTensors CompiledModel::run(const NamedTensors& feeds) const {
  InputShapes shapes;
  const std::vector<Tensor> arranged = impl_->arrange(feeds, shapes);
  const std::shared_ptr<const CompiledPlan> compiled = impl_->plan_for(impl_->key_for(shapes));
  std::vector<Tensor> results = compiled->run(arranged);
  NamedTensors named;
  for (std::size_t i = 0; i < results.size(); ++i) {
    named[impl_->outputs[i].name] = std::move(results[i]);
  }
  return named;
}

inline const std::vector<PortSpec>& CompiledModel::inputs() const { return impl_->inputs; }
inline const std::vector<PortSpec>& CompiledModel::outputs() const { return impl_->outputs; }
inline const Options& CompiledModel::options() const { return impl_->options; }
inline const Graph& CompiledModel::graph() const { return impl_->graph; }

inline std::shared_ptr<const CompiledPlan> CompiledModel::plan(const InputShapes& shapes) const {
  for (const auto& [name, shape] : shapes) {
    const PortSpec* port = nullptr;
    for (const PortSpec& p : impl_->inputs) port = p.name == name ? &p : port;
    if (!port) throw Error(Errc::not_found, "the model has no input of this name").input(name);
    if (!shape.is_fully_known() || !port->shape.compatible_with(shape)) {
      throw Error(Errc::shape_mismatch, "a plan needs a concrete shape that fits the input")
          .input(name)
          .expected(port->shape.str())
          .found(shape.str());
    }
  }
  return impl_->plan_for(impl_->key_for(shapes));
}

inline std::size_t CompiledModel::cached_plans() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->plans.size();
}

// Filters fold into their convolutions the same way for every input shape, so when the pipeline
// folds (fold-affine), compile() folds them once, on the graph it owns, before any plan (after
// drop-checks, when asked, whose checks would stop the folding): the plans of all shapes then
// share the folded filters instead of folding a copy each, and as no other handle holds the
// imported filters (unless the caller kept a copy of the graph), they are scaled in place.
inline opt::PipelineReport fold_filters_once(Graph& graph, const Options& options) {
  bool folds = false;
  for (const opt::Pass& p : options.passes()) folds = folds || p.name == "fold-affine";
  if (!folds) return {};
  opt::Pipeline once;
  if (options.drop_checks()) once.push_back(opt::drop_checks_pass());
  once.push_back(opt::fold_filters_pass());
  return manager_for_own_graph(std::move(once), options).run(graph);
}

// Compiles a graph whose input and output ports are named (as Model::graph() names them).
inline CompiledModel compile(Graph graph, const Options& options = {}) {
  require_backend(options.backend()).require_precision(options.precision());
  verify(graph);
  auto impl = std::make_shared<CompiledModel::Impl>();
  for (const Graph::Port& p : graph.inputs()) {
    const Node& node = graph.node(p.value.node);
    if (node.op != "Placeholder" && node.op != "PlaceholderWithDefault") {
      throw node.error(Errc::invalid_graph, "a graph input must be a Placeholder").input(p.name);
    }
    const TensorType& t = graph.type_of(p.value);
    impl->inputs.push_back({p.name, t.dtype, t.shape, node.op == "PlaceholderWithDefault"});
  }
  for (const Graph::Port& p : graph.outputs()) {
    const TensorType& t = graph.type_of(p.value);
    impl->outputs.push_back({p.name, t.dtype, t.shape, false});
  }
  impl->graph = std::move(graph);
  impl->model_passes = fold_filters_once(impl->graph, options);
  impl->options = options;
  impl->options.backend(options.backend());  // an unset backend is pinned: every plan uses one
  CompiledModel model(impl);
  // Compile for the declared shapes now, so that a model Kiln cannot run fails here. Only an
  // unknown batch size has a fair stand-in (1): an image model that leaves its height and width
  // open is not meant for 1x1 images, which a strided convolution cannot even take, so such a
  // model gets its first plan at its first run, for the shapes it is given.
  bool plannable = true;
  for (const PortSpec& p : impl->inputs) {
    if (p.has_default) continue;
    plannable = plannable && p.shape.has_rank();
    for (int d = 1; plannable && d < p.shape.rank(); ++d) plannable = p.shape.dim(d) >= 0;
  }
  if (plannable) model.plan();
  return model;
}

// Compiles one signature of a loaded model (Options::signature, "serving_default" by default).
inline CompiledModel compile(const Model& model, const Options& options = {}) {
  return compile(model.graph(options.signature()), options);
}

}  // namespace kiln
