// Property test: random valid graphs (seeded, so every failure is reproducible) built from the
// patterns the passes look for, and some they must leave alone. Every pass, alone and in the
// O1 and O2 pipelines, must keep the verifier happy and the eager outputs equal: exactly for
// the passes that do not change arithmetic, within 1e-4 where fusion folds BatchNorms and
// scales into weights (a few float32 roundings per layer, over up to a dozen layers).
#include "helpers.hpp"

#include <functional>

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;

namespace {

class RandomGraph {
 public:
  explicit RandomGraph(std::uint32_t seed) : rng_(seed) {}

  Graph build() {
    const std::int64_t side = pick(3, 4);
    values4_.push_back(b_.input("x", DType::float32, {-1, side, side, pick(1, 3)}));
    if (coin()) values2_.push_back(b_.input("z", DType::float32, {-1, pick(2, 5)}));
    const int steps = static_cast<int>(pick(4, 16));
    for (int i = 0; i < steps; ++i) step();
    b_.output("out", last_);
    if (coin()) b_.output("side", any_value());  // an intermediate read by the outside too
    return b_.finish();
  }

 private:
  std::int64_t pick(std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng_);
  }
  bool coin(double p = 0.5) { return std::bernoulli_distribution(p)(rng_); }
  float uniform(float lo, float hi) { return std::uniform_real_distribution<float>(lo, hi)(rng_); }

  Tensor random(Shape shape, float lo, float hi) {
    return test::random_tensor(std::move(shape), static_cast<std::uint32_t>(rng_()), lo, hi);
  }
  Value constant(Tensor t) { return b_.constant("c" + std::to_string(names_++), std::move(t)); }

  std::int64_t channels(Value v) const { return b_.graph().type_of(v).shape.dim(-1); }
  int rank(Value v) const { return b_.graph().type_of(v).shape.rank(); }

  Value any_value() {
    std::vector<Value> all = values4_;
    all.insert(all.end(), values2_.begin(), values2_.end());
    return all[static_cast<std::size_t>(pick(0, static_cast<std::int64_t>(all.size()) - 1))];
  }
  // A recent value, preferring the last one so that chains form.
  Value current() {
    if (coin(0.75)) return last_.node >= 0 ? last_ : any_value();
    return any_value();
  }
  void produce(Value v) {
    last_ = v;
    (rank(v) == 4 ? values4_ : values2_).push_back(v);
  }
  // A per-channel constant for v: [C], [1,..,1,C] or a scalar.
  Value per_channel(Value v, float lo, float hi) {
    const std::int64_t c = channels(v);
    switch (pick(0, 2)) {
      case 0: return constant(random({c}, lo, hi));
      case 1: {
        std::vector<std::int64_t> dims(static_cast<std::size_t>(rank(v)), 1);
        dims.back() = c;
        return constant(random(Shape(dims), lo, hi));
      }
      default: return constant(random({}, lo, hi));
    }
  }
  Value scalar(float v) { return constant(Tensor::scalar(v)); }

  void step() {
    Value v = current();
    const bool four = rank(v) == 4;
    const Attrs same{{"strides", Ints{1, 1, 1, 1}}, {"padding", std::string("SAME")}};
    switch (pick(0, 17)) {
      case 16:
      case 17: {  // a Keras block: conv, BatchNorm, activation; a residual Add when shapes allow
        if (!four) return;
        const std::int64_t c = channels(v), k = pick(1, 3);
        const bool residual = coin();
        const std::int64_t out = residual ? c : pick(1, 4);
        const float scale = 1.0f / std::sqrt(static_cast<float>(k * k * c));
        Value y = b_.op("Conv2D", {v, constant(random({k, k, c, out}, -scale, scale))}, same);
        y = b_.op_outputs(
            "FusedBatchNormV3",
            {y, constant(random({out}, 0.5f, 1.5f)), constant(random({out}, -0.5f, 0.5f)),
             constant(random({out}, -0.5f, 0.5f)), constant(random({out}, 0.5f, 2.0f))},
            {{"epsilon", 0.001f}, {"is_training", false}})[0];
        if (residual) y = b_.op("AddV2", {v, y});
        const char* ops[] = {"Relu", "Relu6", "Sigmoid"};
        return produce(coin(0.8) ? b_.op(ops[pick(0, 2)], {y}) : y);
      }
      case 0:
      case 1: {  // convolution (2-D: a dense layer instead)
        const std::int64_t c = channels(v), out = pick(1, 4);
        if (!four) {
          const float scale = 1.0f / std::sqrt(static_cast<float>(c));
          return produce(b_.op("MatMul", {v, constant(random({c, out}, -scale, scale))}));
        }
        const std::int64_t k = pick(1, 3);
        const float scale = 1.0f / std::sqrt(static_cast<float>(k * k * c));
        if (coin(0.7))
          return produce(
              b_.op("Conv2D", {v, constant(random({k, k, c, out}, -scale, scale))}, same));
        return produce(b_.op("DepthwiseConv2dNative",
                             {v, constant(random({k, k, c, pick(1, 2)}, -2 * scale, 2 * scale))},
                             same));
      }
      case 2: return produce(b_.op("BiasAdd", {v, constant(random({channels(v)}, -0.5f, 0.5f))}));
      case 3: {  // inference BatchNorm (4-D only)
        if (!four) return;
        const std::int64_t c = channels(v);
        std::vector<Value> bn =
            b_.op_outputs("FusedBatchNormV3",
                          {v, constant(random({c}, 0.5f, 1.5f)), constant(random({c}, -0.5f, 0.5f)),
                           constant(random({c}, -0.5f, 0.5f)), constant(random({c}, 0.5f, 2.0f))},
                          {{"epsilon", 0.001f}, {"is_training", false}});
        return produce(bn[0]);
      }
      case 4: {  // per-channel Mul, Add or Sub by a constant, in either operand order
        const char* ops[] = {"Mul", "AddV2", "Sub", "RealDiv"};
        const char* op = ops[pick(0, 3)];
        Value k = std::string(op) == "Mul" || std::string(op) == "RealDiv"
                      ? per_channel(v, 0.5f, 1.5f)
                      : per_channel(v, -0.5f, 0.5f);
        if (std::string(op) == "RealDiv" || coin()) return produce(b_.op(op, {v, k}));
        return produce(b_.op(op, {k, v}));
      }
      case 5:
      case 6: {  // activations
        const char* ops[] = {"Relu", "Relu6", "Elu", "Sigmoid", "Tanh"};
        if (coin(0.2)) return produce(b_.op("LeakyRelu", {v}, {{"alpha", uniform(0.05f, 0.5f)}}));
        return produce(b_.op(ops[pick(0, 4)], {v}));
      }
      case 7: {  // swish and GELU
        switch (pick(0, 2)) {
          case 0: return produce(b_.op("Mul", {v, b_.op("Sigmoid", {v})}));
          case 1: {
            Value erf = b_.op("Erf", {b_.op("RealDiv", {v, scalar(1.41421356f)})});
            return produce(
                b_.op("Mul", {b_.op("Mul", {scalar(0.5f), v}), b_.op("AddV2", {scalar(1), erf})}));
          }
          default: {
            Value inner = b_.op(
                "AddV2", {v, b_.op("Mul", {scalar(0.044715f), b_.op("Pow", {v, scalar(3)})})});
            Value t = b_.op("Tanh", {b_.op("Mul", {scalar(0.7978845608f), inner})});
            return produce(
                b_.op("Mul", {b_.op("Mul", {scalar(0.5f), v}), b_.op("AddV2", {scalar(1), t})}));
          }
        }
      }
      case 8: {  // residual Add with another value of exactly the same type
        const TensorType& t = b_.graph().type_of(v);
        std::vector<Value> twins;
        for (Value w : four ? values4_ : values2_) {
          if (w != v && b_.graph().type_of(w) == t) twins.push_back(w);
        }
        if (twins.empty()) return;
        Value w =
            twins[static_cast<std::size_t>(pick(0, static_cast<std::int64_t>(twins.size()) - 1))];
        return produce(coin() ? b_.op("AddV2", {v, w}) : b_.op("Add", {w, v}));
      }
      case 9: {  // pass-throughs
        const char* ops[] = {"Identity", "StopGradient", "Snapshot"};
        if (coin(0.25)) {
          return produce(b_.op_outputs("IdentityN", {v, v},
                                       {{"T", DTypes{DType::float32, DType::float32}}})[1]);
        }
        return produce(b_.op(ops[pick(0, 2)], {v}));
      }
      case 10: {  // a duplicate of what was just computed
        if (last_.node < 0) return;
        const Node n = b_.graph().node(last_.node);
        if (n.op != "Relu" && n.op != "Tanh" && n.op != "BiasAdd" && n.op != "Sigmoid") return;
        Value dup = b_.op(n.op, n.inputs, n.attrs);
        return produce(b_.op("AddV2", {last_, dup}));
      }
      case 11: {  // a constant subgraph to fold, then used per channel
        const std::int64_t c = channels(v);
        Value k =
            b_.op("AddV2", {constant(random({c}, 0.2f, 0.6f)), constant(random({c}, 0.2f, 0.6f))});
        if (coin()) k = b_.op("Rsqrt", {k});
        return produce(b_.op("Mul", {v, k}));
      }
      case 12: {  // Keras' Flatten chain, then a dense layer
        if (!four) return;
        const Shape& s = b_.graph().type_of(v).shape;
        const std::int64_t flat = s.dim(1) * s.dim(2) * s.dim(3);
        auto ints = [&](std::int32_t x) { return constant(Tensor::from<std::int32_t>({1}, {x})); };
        Value batch = b_.op("StridedSlice", {b_.op("Shape", {v}), ints(0), ints(1), ints(1)},
                            {{"shrink_axis_mask", std::int64_t{1}}});
        Value target = b_.op("Pack", {batch, constant(Tensor::scalar<std::int32_t>(-1))},
                             {{"N", std::int64_t{2}}});
        Value flat_v = b_.op("Reshape", {v, target});
        const std::int64_t out = pick(1, 4);
        const float scale = 1.0f / std::sqrt(static_cast<float>(flat));
        return produce(b_.op("MatMul", {flat_v, constant(random({flat, out}, -scale, scale))}));
      }
      case 13: {  // a dead branch, and a control edge through a NoOp
        Value dead = b_.op("Exp", {v});
        if (coin()) {
          Value group = b_.op("NoOp", {});
          b_.control(group, dead);
          Value r = b_.op("Relu", {v});
          b_.control(r, group);
          return produce(r);
        }
        return;
      }
      case 14: {  // a Mul of two activations: not a per-channel constant, must stay
        Value w = any_value();
        if (!(b_.graph().type_of(w) == b_.graph().type_of(v))) return;
        return produce(b_.op("Mul", {v, w}));
      }
      default: {  // an unrelated op the passes should leave as it is
        if (four) {
          return produce(b_.op("MaxPool", {v},
                               {{"ksize", Ints{1, 2, 2, 1}},
                                {"strides", Ints{1, 1, 1, 1}},
                                {"padding", std::string("SAME")}}));
        }
        return produce(b_.op("Softmax", {v}));
      }
    }
  }

  std::mt19937 rng_;
  GraphBuilder b_;
  std::vector<Value> values4_, values2_;
  Value last_{-1, 0};
  int names_ = 0;
};

struct PassCheck {
  opt::Pipeline pipeline;
  double tolerance;
};

}  // namespace

TEST_CASE("every pass keeps random graphs valid and their outputs equal") {
  const std::vector<std::pair<std::string, PassCheck>> checks = {
      {"fold-constants", {opt::parse_pipeline("fold-constants"), 0.0}},
      {"simplify", {opt::parse_pipeline("simplify"), 0.0}},
      {"fold-affine", {opt::parse_pipeline("fold-affine"), 1e-4}},
      {"fuse-epilogue", {opt::parse_pipeline("fuse-epilogue"), 1e-4}},
      {"fuse", {opt::parse_pipeline("fuse"), 1e-4}},
      {"O1", {opt::o1(), 0.0}},
      {"O2", {opt::o2(), 1e-4}},
  };
  std::int64_t fused = 0, folded = 0, removed = 0, planned = 0;
  for (std::uint32_t seed = 1; seed <= 150; ++seed) {
    Graph graph = RandomGraph(seed).build();
    const NamedTensors feeds = test::random_feeds(graph, seed * 7919u);
    const NamedTensors expected = run_eager(graph, feeds);
    for (const auto& [name, check] : checks) {
      INFO("seed " << seed << ", " << name << "\n" << print_graph(graph));
      Graph optimized = graph;
      opt::PassManager pm(check.pipeline);
      pm.add_instrument(std::make_shared<opt::VerifyEach>());
      opt::PipelineReport report;
      REQUIRE_NOTHROW(report = pm.run(optimized));
      for (const opt::PassRecord& r : report.passes) {
        INFO(r.name << " failed: " << r.failure);
        REQUIRE(r.failure.empty());
        fused += r.result.stat("fused nodes");
        folded += r.result.stat("folded nodes");
        removed += r.result.stat("pass-throughs removed") + r.result.stat("duplicates merged");
      }
      report.memory = opt::plan_memory(optimized).plan;  // the analysis, on every result
      if (report.memory) {
        ++planned;
        CHECK(report.memory->arena_bytes >= report.memory->lower_bound_bytes);
        CHECK(report.memory->arena_bytes <= report.memory->naive_bytes);
      }
      test::check_outputs_close(run_eager(optimized, feeds), expected, check.tolerance,
                                check.tolerance);
    }
  }
  // The generator must actually exercise the passes.
  CHECK(fused > 250);
  CHECK(folded > 50);
  CHECK(removed > 50);
  CHECK(planned > 250);
}

}  // namespace KILN_TEST_FILE
