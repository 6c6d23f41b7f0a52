// What Kiln knows about an op before running it: arity, attributes with TensorFlow's defaults,
// and type inference. The catalogue (ops.hpp) holds one OpDef per op.
#pragma once

#include <algorithm>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "graph.hpp"

namespace kiln {

// An attribute an op takes. Without a default it is required. The defaults matter: TensorFlow 2
// strips every attribute equal to its default from the SavedModels it writes.
struct AttrDef {
  std::string name;
  std::optional<AttrValue> default_value;
};

// Everything type inference may look at for one node. An input's value is known when it comes
// from a constant (at import and in folding) or when the node is about to run (in the
// interpreter, where every input is known); shape functions use values when they have them.
class InferContext {
 public:
  InferContext(const Node& node, std::vector<TensorType> inputs,
               std::vector<const Tensor*> values)
      : node_(node), inputs_(std::move(inputs)), values_(std::move(values)) {
    values_.resize(inputs_.size(), nullptr);
  }

  const Node& node() const { return node_; }
  int num_inputs() const { return static_cast<int>(inputs_.size()); }
  const TensorType& input(int i) const { return inputs_.at(static_cast<std::size_t>(i)); }
  DType dtype(int i) const { return input(i).dtype; }
  const Shape& shape(int i) const { return input(i).shape; }
  const Tensor* value(int i) const { return values_.at(static_cast<std::size_t>(i)); }

  template <class T> const T& attr(std::string_view key) const { return node_.attr<T>(key); }

  Error error(Errc code, std::string message) const { return node_.error(code, std::move(message)); }

  // Throws unless input i has the given rank (an unknown rank passes).
  void expect_rank(int i, int rank) const {
    const Shape& s = shape(i);
    if (s.has_rank() && s.rank() != rank) {
      throw error(Errc::shape_mismatch, "input has the wrong rank")
          .input(std::to_string(i))
          .expected("rank " + std::to_string(rank))
          .found(s.str());
    }
  }
  // Throws unless inputs a and b have the same dtype.
  void expect_same_dtype(int a, int b) const {
    if (dtype(a) != dtype(b)) {
      throw error(Errc::type_mismatch, "inputs must have the same dtype")
          .input(std::to_string(a) + " and " + std::to_string(b))
          .expected(dtype_name(dtype(a)))
          .found(dtype_name(dtype(b)));
    }
  }
  // Throws unless input i has the dtype named by the `T`-like attribute `key`.
  void expect_dtype_attr(int i, std::string_view key) const {
    const DType want = attr<DType>(key);
    if (dtype(i) != want) {
      throw error(Errc::type_mismatch, "input dtype differs from the op's type attribute")
          .input(std::to_string(i))
          .attr(std::string(key))
          .expected(dtype_name(want))
          .found(dtype_name(dtype(i)));
    }
  }

 private:
  const Node& node_;
  std::vector<TensorType> inputs_;
  std::vector<const Tensor*> values_;
};

using InferFn = std::vector<TensorType> (*)(const InferContext&);

constexpr int kVariadic = -1;  // max_inputs for ops that take any number of inputs

// How an op relates its inputs to its output element by element, if it does.
enum class Elementwise {
  no,      // anything else: windows, reductions, reshuffles
  unary,   // output[i] = f(input[i])
  binary,  // output[i] = f(a[i], b[i]) after NumPy broadcasting
};

// One op. The catalogue fills these through OpBuilder (below), so each entry names what it sets;
// passes and backends read the traits instead of keeping lists of op names.
struct OpDef {
  std::string name;
  int min_inputs = 0;
  int max_inputs = 0;  // kVariadic for no upper bound
  std::vector<AttrDef> attrs;
  InferFn infer = nullptr;
  // The type attribute each input's dtype must equal ("T", "Tidx", ...; "" for none). The last
  // entry also covers the extra inputs of a variadic op. Checked before `infer` runs, so a
  // constant whose dtype contradicts the op's T attribute is refused in one place.
  std::vector<std::string> input_types = {};

  // ---- Traits ----
  // Output i is input i under a new shape (Identity, Reshape, Squeeze, ...): running the node
  // costs nothing, the interpreter hands the same bytes on.
  bool forwards_inputs = false;
  Elementwise elementwise = Elementwise::no;
  // The inputs whose buffer the output may take when that input dies at this node and has the
  // output's byte size: every kernel of the op reads element i before it writes element i.
  std::vector<int> in_place_inputs = {};
  // Has an effect beyond its outputs (Assert, Assign, Print): never removed, merged or folded,
  // and control edges from it are kept.
  bool side_effects = false;
  // Outputs are not a function of the inputs (random ops): never folded or merged.
  bool nondeterministic = false;
  // A run-time check (Assert, CheckNumerics): its one effect is to fail the run, and output i,
  // if it has one, is input i. Has side effects; a plan compiled with drop_checks leaves it out.
  bool check = false;
  // The epilogue step this op becomes when fused into a convolution or matrix product (see
  // ops/fused.hpp), or "" when it cannot be fused that way.
  std::string epilogue;
  // Runs a `fused_ops` epilogue after its main computation (_FusedConv2D, _FusedMatMul, ...).
  bool fused_epilogue = false;
  // No element of the output is negative (NaN aside): what lets a zero pad join a max pool.
  bool non_negative = false;
  // Why the op needs no kernel, for a graph-level op that no backend runs (a Placeholder is
  // fed by the caller); "" for an op every backend must be able to run. Ops that forward their
  // inputs need no kernel either and say so through forwards_inputs.
  std::string no_kernel_reason;
  // The regions a node of this op owns, by role ("cond", "body"; "then_branch", "else_branch").
  // With variadic_regions the last role names any number of regions (Case's branches). An op
  // with regions is run by the interpreters, which run its regions, not by a kernel.
  std::vector<std::string> regions = {};
  bool variadic_regions = false;
};

// Builds one catalogue entry by naming each fact:
//
//   c.add(op("Relu").inputs(1).attrs({{"T", {}}}).input_types({"T"}).infer(infer_relu)
//             .elementwise().in_place().epilogue("Relu").non_negative());
//
// Each setter returns the builder, so an entry reads as one sentence. Mistakes that would make
// the catalogue contradict itself (an elementwise op with three inputs, an in-place input the
// op does not have) throw when the catalogue is built, i.e. in the first test that uses it.
class OpBuilder {
 public:
  explicit OpBuilder(std::string name) { def_.name = std::move(name); }

  // Exactly n inputs; from min to max; at least min (any number more).
  OpBuilder& inputs(int n) { return inputs(n, n); }
  OpBuilder& inputs(int min, int max) {
    def_.min_inputs = min;
    def_.max_inputs = max;
    return *this;
  }
  OpBuilder& variadic_inputs(int min) { return inputs(min, kVariadic); }
  // Appends attributes (with TensorFlow's defaults; none for a required one).
  OpBuilder& attrs(std::vector<AttrDef> more) {
    def_.attrs.insert(def_.attrs.end(), std::make_move_iterator(more.begin()),
                      std::make_move_iterator(more.end()));
    return *this;
  }
  OpBuilder& input_types(std::vector<std::string> keys) {
    def_.input_types = std::move(keys);
    return *this;
  }
  OpBuilder& infer(InferFn fn) {
    def_.infer = fn;
    return *this;
  }
  OpBuilder& forwards_inputs() {
    def_.forwards_inputs = true;
    return *this;
  }
  // Unary or binary by the op's arity, which must be set first and be exactly 1 or 2.
  OpBuilder& elementwise() {
    if (def_.min_inputs != def_.max_inputs || def_.min_inputs < 1 || def_.min_inputs > 2) {
      throw invalid("an elementwise op takes exactly one or two inputs");
    }
    def_.elementwise = def_.min_inputs == 1 ? Elementwise::unary : Elementwise::binary;
    return *this;
  }
  // The output may take the place of these inputs (input 0 unless told otherwise); after
  // inputs(), which says which inputs exist.
  OpBuilder& in_place(std::vector<int> slots = {0}) {
    for (int slot : slots) {
      if (slot < 0 || (def_.max_inputs != kVariadic && slot >= def_.max_inputs)) {
        throw invalid("in-place input " + std::to_string(slot) + " is not an input of the op");
      }
    }
    def_.in_place_inputs = std::move(slots);
    return *this;
  }
  OpBuilder& side_effects() {
    def_.side_effects = true;
    return *this;
  }
  OpBuilder& nondeterministic() {
    def_.nondeterministic = true;
    return *this;
  }
  // A run-time check, which is a side effect too.
  OpBuilder& check() {
    def_.check = true;
    def_.side_effects = true;
    return *this;
  }
  // Fusable as the activation step `step` of a fused op's epilogue.
  OpBuilder& epilogue(std::string step) {
    def_.epilogue = std::move(step);
    return *this;
  }
  OpBuilder& fused_epilogue() {
    def_.fused_epilogue = true;
    return *this;
  }
  OpBuilder& non_negative() {
    def_.non_negative = true;
    return *this;
  }
  // The regions each node owns, in order (see OpDef::regions); `variadic`: the last role repeats.
  OpBuilder& regions(std::vector<std::string> roles, bool variadic = false) {
    def_.regions = std::move(roles);
    def_.variadic_regions = variadic;
    return *this;
  }
  OpBuilder& no_kernel(std::string reason) {
    def_.no_kernel_reason = std::move(reason);
    return *this;
  }

  const OpDef& def() const { return def_; }

 private:
  Error invalid(std::string message) const {
    return Error(Errc::internal, "catalogue entry " + def_.name + ": " + std::move(message));
  }
  OpDef def_;
};

inline OpBuilder op(std::string name) { return OpBuilder(std::move(name)); }

// An activation that fused epilogues know although no single op stands for it: the fuse pass
// finds it spelled out in several ops (Swish is x * Sigmoid(x)).
struct EpilogueStep {
  std::string name;
  std::string meaning;  // the formula, for readers and error messages
};

class OpCatalogue {
 public:
  void add(const OpBuilder& builder) {
    const OpDef& def = builder.def();
    if (!def.infer) {
      throw Error(Errc::internal, "catalogue entry " + def.name + " has no shape function");
    }
    if (ops_.count(def.name)) throw duplicate("op", def.name);
    if (!def.epilogue.empty()) {
      if (is_epilogue_activation(def.epilogue)) throw duplicate("epilogue step", def.epilogue);
      epilogue_ops_[def.epilogue] = def.name;
    }
    ops_[def.name] = def;
  }
  // An epilogue activation that is not one op (see EpilogueStep).
  void add_epilogue(EpilogueStep step) {
    if (is_epilogue_activation(step.name)) throw duplicate("epilogue step", step.name);
    const std::string name = step.name;
    pattern_epilogues_[name] = std::move(step);
  }

  const OpDef* find(std::string_view name) const {
    auto it = ops_.find(name);
    return it == ops_.end() ? nullptr : &it->second;
  }
  const OpDef& at(const Node& node) const {
    if (const OpDef* def = find(node.op)) return *def;
    throw node.error(Errc::unsupported, "Kiln has no op of this type");
  }
  const std::map<std::string, OpDef, std::less<>>& all() const { return ops_; }

  // Every activation step a fused op's epilogue may contain, sorted: the ops' epilogue names
  // and the pattern-only steps. Backends implement exactly these.
  std::vector<std::string> epilogue_activations() const {
    std::vector<std::string> names;
    for (const auto& [step, op] : epilogue_ops_) names.push_back(step);
    for (const auto& [step, def] : pattern_epilogues_) names.push_back(step);
    std::sort(names.begin(), names.end());
    return names;
  }
  bool is_epilogue_activation(std::string_view step) const {
    return epilogue_ops_.count(step) > 0 || pattern_epilogues_.count(step) > 0;
  }
  // The op whose epilogue name is `step`, or null for a pattern-only step or an unknown one.
  const OpDef* op_of_epilogue(std::string_view step) const {
    auto it = epilogue_ops_.find(step);
    return it == epilogue_ops_.end() ? nullptr : find(it->second);
  }

 private:
  static Error duplicate(const std::string& what, const std::string& name) {
    return Error(Errc::internal, "the catalogue defines " + what + " " + name + " twice");
  }

  std::map<std::string, OpDef, std::less<>> ops_;
  std::map<std::string, std::string, std::less<>> epilogue_ops_;  // step -> op
  std::map<std::string, EpilogueStep, std::less<>> pattern_epilogues_;
};

}  // namespace kiln
