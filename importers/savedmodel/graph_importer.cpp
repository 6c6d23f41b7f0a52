#include "savedmodel/graph_importer.hpp"

#include <map>
#include <set>
#include <memory>
#include <optional>
#include <unordered_map>

#include <kiln/core/ops.hpp>
#include <kiln/core/verify.hpp>

#include "savedmodel/dtypes.hpp"
#include "savedmodel/functionalize.hpp"
#include "savedmodel/tensor_names.hpp"
#include "savedmodel/tensor_proto.hpp"

namespace kiln::importer {
namespace {

using AttrMap = google::protobuf::Map<std::string, tf::AttrValue>;

constexpr int kMaxCallDepth = 64;  // Keras nests 3-6 deep; thousands is an attack

bool is_call_op(const std::string& op) {
  return op == "PartitionedCall" || op == "StatefulPartitionedCall";
}
bool is_variable_op(const std::string& op) {
  return op == "VarHandleOp" || op == "VariableV2" || op == "Variable";
}

// TensorFlow's control-flow ops and the Kiln op each becomes: the stateless forms promise no
// side effects in their bodies, which an inference graph's bodies never have anyway.
const char* control_flow_op(const std::string& op) {
  if (op == "While" || op == "StatelessWhile") return "While";
  if (op == "If" || op == "StatelessIf") return "If";
  if (op == "Case" || op == "StatelessCase") return "Case";
  return "";
}

// The Kiln op build_node() turns a TensorFlow op into, when it is not the op itself.
const char* becomes(const std::string& op) {
  if (is_variable_op(op)) return "Const";
  if (op == "ReadVariableOp") return "Identity";
  if (op == "ResourceGather") return "GatherV2";
  if (*control_flow_op(op) && op.rfind("Stateless", 0) == 0) return control_flow_op(op);
  return "";
}

// The function attributes that name a control-flow node's regions, in the Kiln op's order.
std::vector<std::string> region_attrs(const std::string& kiln_op) {
  if (kiln_op == "While") return {"cond", "body"};
  if (kiln_op == "If") return {"then_branch", "else_branch"};
  return {"branches"};
}

struct Scope;

// What the walk knows about one TensorFlow node of one scope.
struct NodeState {
  bool visiting = false;            // on the walk's stack: meeting it again means a cycle
  bool done = false;
  NodeId id = -1;                   // the Kiln node it became (not for calls)
  bool is_call = false;
  Scope* callee = nullptr;          // the inlined body, for calls
  // Inputs (then a call's results) already imported: the walk resumes after them, so a node
  // with n inputs costs n checks, not n * n (a Keras model's call takes every weight).
  int inputs_ready = 0;
  int results_ready = 0;
  std::vector<Value> call_outputs;  // a call's outputs: its callee's results
};

// The main graph, or one inlined instance of a function body.
struct Scope {
  Scope* parent = nullptr;
  const tf::FunctionDef* function = nullptr;  // null for the main graph
  std::unordered_map<std::string, const tf::NodeDef*> nodes;
  std::unordered_map<std::string, Value> args;  // input argument -> the caller's value
  const AttrMap* caller_attrs = nullptr;        // resolves attr placeholders in the body
  std::string prefix;                           // prepended to the names of inlined nodes
  int depth = 0;
  std::unordered_map<std::string, NodeState> state;

  bool in_function() const { return function != nullptr; }
  std::string where() const {
    return function ? "function '" + function->signature().name() + "'" : "main graph";
  }
};

struct Unsupported {
  std::string op;
  std::string where;
  std::string node;
};

// An empty list of the same kind as `like`, for TensorFlow's kind-less empty lists.
std::optional<AttrValue> empty_list_like(const AttrValue& like) {
  return std::visit(
      [](const auto& v) -> std::optional<AttrValue> {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, Ints> || std::is_same_v<T, Floats> ||
                      std::is_same_v<T, Strings> || std::is_same_v<T, DTypes> ||
                      std::is_same_v<T, Shapes>) {
          return T{};
        } else {
          return std::nullopt;
        }
      },
      like);
}

class Importer {
 public:
  Importer(const tf::GraphDef& graph, const GraphImportOptions& options)
      : options_(options) {
    if (options.op_list) {
      for (const tf::OpDef& op : options.op_list->op()) op_defs_.emplace(op.name(), &op);
    }
    for (const tf::FunctionDef& f : graph.library().function()) {
      if (!functions_.emplace(f.signature().name(), &f).second) {
        throw Error(Errc::invalid_graph, "two functions share one name")
            .file(options.file)
            .found(f.signature().name());
      }
    }
    main_.nodes.reserve(static_cast<std::size_t>(graph.node_size()));
    for (const tf::NodeDef& n : graph.node()) {
      if (!main_.nodes.emplace(n.name(), &n).second) {
        throw Error(Errc::invalid_graph, "two nodes share one name").file(options.file).node(n.name());
      }
    }
  }

  // An importer for one function body that a control-flow node runs: it shares the library
  // and what the parent has learned about ops.
  Importer(const Importer& parent, const tf::FunctionDef& body, int depth)
      : options_(parent.options_),
        op_defs_(parent.op_defs_),
        functions_(parent.functions_),
        census_(parent.census_) {
    main_.function = &body;
    main_.depth = depth;
    for (const tf::NodeDef& n : body.node_def()) {
      if (!main_.nodes.emplace(n.name(), &n).second) {
        throw Error(Errc::invalid_graph, "two nodes share one name in " + main_.where())
            .file(options_.file)
            .node(n.name());
      }
    }
  }

  // The body as a region: each input argument a Placeholder of `arg_types` (shapes are left
  // open; type inference gives them the loop's or the branch's), each output argument a result.
  // Ops Kiln lacks are handed to the parent, which reports them with its own.
  Graph import_region(const std::vector<DType>& arg_types, Importer& parent) {
    const tf::OpDef& signature = main_.function->signature();
    if (static_cast<std::size_t>(signature.input_arg_size()) != arg_types.size()) {
      throw Error(Errc::invalid_graph, "control-flow body takes another number of arguments")
          .file(options_.file)
          .node(main_.where())
          .expected(std::to_string(arg_types.size()))
          .found(std::to_string(signature.input_arg_size()));
    }
    for (int i = 0; i < signature.input_arg_size(); ++i) {
      const std::string& name = signature.input_arg(i).name();
      Node arg;
      arg.name = unique_name(name);
      arg.op = "Placeholder";
      arg.attrs = {{"dtype", arg_types[static_cast<std::size_t>(i)]}, {"shape", Shape::unknown_rank()}};
      const Value v{add(std::move(arg)), 0};
      main_.args[name] = v;
      graph_.inputs().push_back({name, v});
    }
    for (const tf::OpDef::ArgDef& out : signature.output_arg()) {
      const std::string& ref_text = return_ref(main_, out.name());
      const TensorRef ref = parse_tensor_ref(ref_text, true);
      if (!ref.is_arg) materialize(main_, ref.node, "result '" + out.name() + "'");
      graph_.outputs().push_back({out.name(), value_of(main_, ref, "result '" + out.name() + "'")});
    }
    parent.unsupported_.insert(parent.unsupported_.end(), unsupported_.begin(), unsupported_.end());
    for (auto& [op, use] : uses_) {
      OpUse& total = parent.uses_[op];
      if (total.op.empty()) total = use;
      else total.nodes += use.nodes;
    }
    if (!census_ && unsupported_.empty()) infer_types(graph_);
    return std::move(graph_);
  }

  Graph run(const std::vector<PortRequest>& inputs, const std::vector<PortRequest>& outputs,
            bool placeholders_as_inputs) {
    walk(inputs, outputs);
    report_unsupported();
    if (placeholders_as_inputs) {
      for (std::size_t id = 0; id < graph_.size(); ++id) {
        const Node& n = graph_.nodes()[id];
        bool listed = false;
        for (const Graph::Port& p : graph_.inputs()) listed = listed || p.value.node == static_cast<NodeId>(id);
        if (n.op == "Placeholder" && !listed) {
          graph_.inputs().push_back({n.name, {static_cast<NodeId>(id), 0}});
        }
      }
    }
    try {
      infer_types(graph_);
      verify(graph_);
    } catch (Error& e) {
      e.file(options_.file);
      throw;
    }
    return std::move(graph_);
  }

  std::vector<OpUse> census(const std::vector<PortRequest>& inputs,
                            const std::vector<PortRequest>& outputs) {
    census_ = true;
    walk(inputs, outputs);
    std::vector<OpUse> uses;
    for (auto& [op, use] : uses_) uses.push_back(std::move(use));
    return uses;
  }

 private:
  // Imports what the outputs reach. Inputs first: a fed tensor must be cut before the outputs
  // pull in what computes it.
  void walk(const std::vector<PortRequest>& inputs, const std::vector<PortRequest>& outputs) {
    for (const PortRequest& p : inputs) {
      graph_.inputs().push_back({p.name, import_input(p)});
    }
    for (const PortRequest& p : outputs) {
      const std::string user = "output '" + p.name + "'";
      const TensorRef ref = parse_main_ref(p.tensor, user);
      if (!fed_.count({ref.node, ref.index})) materialize(main_, ref.node, user);
      graph_.outputs().push_back({p.name, value_of(main_, ref, user)});
    }
  }

  void count_use(const std::string& op, const char* becomes) {
    OpUse& use = uses_[op];
    use.op = op;
    use.becomes = becomes;
    ++use.nodes;
  }

  // A Placeholder is imported as is. Any other tensor is fed the way TensorFlow feeds it: a new
  // Placeholder stands in for it, and what computed it is never imported (unless reached
  // through another of its outputs).
  Value import_input(const PortRequest& port) {
    const std::string user = "input '" + port.name + "'";
    const TensorRef ref = parse_main_ref(port.tensor, user);
    const tf::NodeDef& node = lookup(main_, ref.node, user);
    if (node.op() == "Placeholder" || node.op() == "PlaceholderWithDefault") {
      materialize(main_, ref.node, user);
      return value_of(main_, ref, user);
    }
    if (!port.dtype) {
      throw Error(Errc::unsupported, "a fed tensor needs a dtype Kiln supports")
          .file(options_.file)
          .input(port.name)
          .node(node.name());
    }
    Node placeholder;
    placeholder.name = unique_name(ref.index == 0 ? ref.node : ref.node + "_" + std::to_string(ref.index));
    placeholder.op = "Placeholder";
    placeholder.attrs = {{"dtype", *port.dtype}, {"shape", port.shape}};
    const Value v{add(std::move(placeholder)), 0};
    fed_[{ref.node, ref.index}] = v;
    return v;
  }

  struct Frame {
    Scope* scope;
    std::string name;
    std::string user;  // who asked for it, for "dangling input" messages
  };

  TensorRef parse_main_ref(const std::string& text, const std::string& user) {
    try {
      TensorRef ref = parse_tensor_ref(text, false);
      if (ref.is_control) throw Error(Errc::invalid_argument, "a control edge is not a tensor");
      return ref;
    } catch (Error& e) {
      e.file(options_.file).input(user);
      throw;
    }
  }

  const tf::NodeDef& lookup(const Scope& scope, const std::string& name, const std::string& user) {
    auto it = scope.nodes.find(name);
    if (it == scope.nodes.end()) {
      throw Error(Errc::invalid_graph, "input names a node that does not exist in the " + scope.where())
          .file(options_.file)
          .node(user)
          .input(name);
    }
    return *it->second;
  }

  // Imports node `name` of `scope` and everything it depends on, depth first, with an explicit
  // stack. A node is "visiting" while it waits for its inputs; reaching it again is a cycle.
  void materialize(Scope& scope, const std::string& name, const std::string& user) {
    std::vector<Frame> stack{{&scope, name, user}};
    while (!stack.empty()) {
      const Frame frame = stack.back();
      NodeState& state = frame.scope->state[frame.name];
      if (state.done) {
        stack.pop_back();
        continue;
      }
      const tf::NodeDef& node = lookup(*frame.scope, frame.name, frame.user);
      state.visiting = true;
      if (std::optional<Frame> next = next_dependency(*frame.scope, node, state)) {
        if (next->scope->state[next->name].visiting) {
          throw Error(Errc::invalid_graph, "the " + next->scope->where() + " has a cycle")
              .file(options_.file)
              .node(next->name)
              .op(lookup(*next->scope, next->name, frame.name).op());
        }
        stack.push_back(*next);
        continue;
      }
      finish(*frame.scope, node, state);
      state.visiting = false;
      state.done = true;
      stack.pop_back();
    }
  }

  // The first thing `node` still waits for: a data input, or, for a call whose inputs are
  // ready, a result of the inlined body.
  std::optional<Frame> next_dependency(Scope& scope, const tf::NodeDef& node, NodeState& state) {
    for (; state.inputs_ready < node.input_size(); ++state.inputs_ready) {
      if (auto dep = pending(scope, node.input(state.inputs_ready), node.name())) return dep;
    }
    if (!is_call(scope, node)) return std::nullopt;
    if (!state.callee) state.callee = enter_call(scope, node);
    const auto& results = state.callee->function->signature().output_arg();
    for (; state.results_ready < results.size(); ++state.results_ready) {
      const std::string& ref = return_ref(*state.callee, results[state.results_ready].name());
      if (auto dep = pending(*state.callee, ref, node.name())) return dep;
    }
    return std::nullopt;
  }

  std::optional<Frame> pending(Scope& scope, const std::string& text, const std::string& user) {
    TensorRef ref;
    try {
      ref = parse_tensor_ref(text, scope.in_function());
    } catch (Error& e) {
      e.file(options_.file).node(user);
      throw;
    }
    if (ref.is_control || ref.is_arg) return std::nullopt;
    if (!scope.in_function() && fed_.count({ref.node, ref.index})) return std::nullopt;
    lookup(scope, ref.node, user);
    if (scope.state[ref.node].done) return std::nullopt;
    return Frame{&scope, ref.node, user};
  }

  const std::string& return_ref(const Scope& callee, const std::string& output_arg) {
    auto it = callee.function->ret().find(output_arg);
    if (it == callee.function->ret().end()) {
      throw Error(Errc::invalid_graph, "function output has no return value")
          .file(options_.file)
          .node(callee.where())
          .found(output_arg);
    }
    return it->second;
  }

  const tf::FunctionDef* callee_of(const tf::NodeDef& node) const {
    if (is_call_op(node.op())) {
      auto f = node.attr().find("f");
      if (f == node.attr().end() || !f->second.has_func()) return nullptr;
      auto it = functions_.find(f->second.func().name());
      return it == functions_.end() ? nullptr : it->second;
    }
    auto it = functions_.find(node.op());  // a direct call: the op is a function's name
    return it == functions_.end() ? nullptr : it->second;
  }

  bool is_call(const Scope&, const tf::NodeDef& node) const {
    if (is_call_op(node.op()) && !callee_of(node)) {
      throw Error(Errc::not_found, "called function is not in the library")
          .file(options_.file)
          .node(node.name())
          .op(node.op());
    }
    return callee_of(node) != nullptr;
  }

  // A new scope for the body a call node runs, its arguments bound to the call's inputs.
  Scope* enter_call(Scope& caller, const tf::NodeDef& node) {
    const tf::FunctionDef* f = callee_of(node);
    for (const Scope* s = &caller; s; s = s->parent) {
      if (s->function == f) {
        throw Error(Errc::invalid_graph, "function calls itself (directly or through others)")
            .file(options_.file)
            .node(node.name())
            .found(f->signature().name());
      }
    }
    if (caller.depth + 1 > kMaxCallDepth) {
      throw Error(Errc::limit_exceeded, "function calls nested too deeply")
          .file(options_.file)
          .node(node.name())
          .expected("<= " + std::to_string(kMaxCallDepth) + " levels");
    }
    std::vector<Value> args = data_inputs(caller, node);
    if (args.size() != static_cast<std::size_t>(f->signature().input_arg_size())) {
      throw Error(Errc::invalid_graph, "call passes the wrong number of arguments")
          .file(options_.file)
          .node(node.name())
          .expected(std::to_string(f->signature().input_arg_size()))
          .found(std::to_string(args.size()));
    }
    scopes_.push_back(std::make_unique<Scope>());
    Scope& callee = *scopes_.back();
    callee.parent = &caller;
    callee.function = f;
    callee.depth = caller.depth + 1;
    callee.prefix = caller.prefix + node.name() + "/";
    for (const tf::NodeDef& n : f->node_def()) {
      if (!callee.nodes.emplace(n.name(), &n).second) {
        throw Error(Errc::invalid_graph, "two nodes share one name in " + callee.where())
            .file(options_.file)
            .node(n.name());
      }
    }
    for (int i = 0; i < f->signature().input_arg_size(); ++i) {
      callee.args[f->signature().input_arg(i).name()] = args[static_cast<std::size_t>(i)];
    }
    if (is_call_op(node.op())) {
      callee.caller_attrs = &node.attr().at("f").func().attr();
    } else {
      callee.caller_attrs = &node.attr();
    }
    return &callee;
  }

  void finish(Scope& scope, const tf::NodeDef& node, NodeState& state) {
    if (state.callee) {
      count_use(node.op(), "inlined");
      state.is_call = true;
      for (const tf::OpDef::ArgDef& out : state.callee->function->signature().output_arg()) {
        const TensorRef ref = parse_tensor_ref(return_ref(*state.callee, out.name()), true);
        state.call_outputs.push_back(value_of(*state.callee, ref, node.name()));
      }
      return;
    }
    state.id = build_node(scope, node);
  }

  std::vector<Value> data_inputs(Scope& scope, const tf::NodeDef& node) {
    std::vector<Value> values;
    for (const std::string& input : node.input()) {
      const TensorRef ref = parse_tensor_ref(input, scope.in_function());
      if (!ref.is_control) values.push_back(value_of(scope, ref, node.name()));
    }
    return values;
  }

  // The Kiln value a (resolved) tensor reference stands for.
  Value value_of(Scope& scope, const TensorRef& ref, const std::string& user) {
    if (ref.is_arg) {
      auto it = scope.args.find(ref.node);
      if (it == scope.args.end()) {
        throw Error(Errc::invalid_graph, "input names neither a node nor an argument of " + scope.where())
            .file(options_.file)
            .node(user)
            .input(ref.node);
      }
      return it->second;
    }
    if (!scope.in_function()) {
      if (auto fed = fed_.find({ref.node, ref.index}); fed != fed_.end()) return fed->second;
    }
    const NodeState& state = scope.state.at(ref.node);
    const tf::NodeDef& producer = *scope.nodes.at(ref.node);
    const int flat = scope.in_function() ? flat_output_index(producer, ref) : ref.index;
    if (state.is_call) {
      if (flat < 0 || static_cast<std::size_t>(flat) >= state.call_outputs.size()) {
        throw Error(Errc::invalid_graph, "output index out of range")
            .file(options_.file)
            .node(user)
            .input(producer.name() + ":" + std::to_string(flat))
            .expected("< " + std::to_string(state.call_outputs.size()));
      }
      return state.call_outputs[static_cast<std::size_t>(flat)];
    }
    return {state.id, flat};
  }

  // "node:out_arg:k" -> the flat output index: the sizes of the output args before out_arg,
  // plus k. An arg's size is its number_attr, the length of its type_list_attr, or 1.
  int flat_output_index(const tf::NodeDef& node, const TensorRef& ref) const {
    if (is_call_op(node.op())) return ref.index;  // one list arg, "output"
    if (const tf::FunctionDef* f = callee_of(node)) {
      const auto& outs = f->signature().output_arg();
      for (int i = 0; i < outs.size(); ++i) {
        if (outs[i].name() == ref.out_arg) return i + ref.index;
      }
      throw bad_out_arg(node, ref);
    }
    auto it = op_defs_.find(node.op());
    if (it == op_defs_.end()) return ref.index;  // no OpDef: assume a single output argument
    int flat = 0;
    for (const tf::OpDef::ArgDef& arg : it->second->output_arg()) {
      if (arg.name() == ref.out_arg) return flat + ref.index;
      flat += arg_size(node, *it->second, arg);
    }
    throw bad_out_arg(node, ref);
  }

  Error bad_out_arg(const tf::NodeDef& node, const TensorRef& ref) const {
    return Error(Errc::invalid_graph, "op has no output argument of this name")
        .file(options_.file)
        .node(node.name())
        .op(node.op())
        .found(ref.out_arg);
  }

  static int arg_size(const tf::NodeDef& node, const tf::OpDef& op, const tf::OpDef::ArgDef& arg) {
    auto attr = [&](const std::string& name) -> const tf::AttrValue* {
      auto it = node.attr().find(name);
      if (it != node.attr().end()) return &it->second;
      for (const tf::OpDef::AttrDef& a : op.attr()) {
        if (a.name() == name && a.has_default_value()) return &a.default_value();
      }
      return nullptr;
    };
    if (!arg.number_attr().empty()) {
      const tf::AttrValue* n = attr(arg.number_attr());
      return n ? static_cast<int>(n->i()) : 1;
    }
    if (!arg.type_list_attr().empty()) {
      const tf::AttrValue* list = attr(arg.type_list_attr());
      return list ? list->list().type_size() : 1;
    }
    return 1;
  }

  NodeId build_node(Scope& scope, const tf::NodeDef& tf_node) {
    Node node;
    node.name = unique_name(scope.prefix + tf_node.name());
    node.inputs = data_inputs(scope, tf_node);
    const std::string& op = tf_node.op();
    if (*control_flow_op(op)) return build_control_flow(scope, tf_node, std::move(node));
    if (census_) {  // counted, not translated: no checkpoint read, no attribute converted
      count_use(op, becomes(op));
      node.op = op;
      return add(std::move(node));
    }
    if (is_variable_op(op)) {
      node.op = "Const";
      Tensor value = read_variable(scope, tf_node);
      node.attrs = {{"dtype", value.dtype()}, {"value", std::move(value)}};
    } else if (op == "ReadVariableOp") {
      // Variables are constants now, so reading one is passing its value on.
      node.op = "Identity";
      node.attrs = {{"T", convert_dtype(tf_node, "dtype")}};
    } else if (op == "ResourceGather") {
      node.op = "GatherV2";  // a gather on a variable's value, along axis 0
      node.attrs = convert_attrs(scope, tf_node);
      const DType params = std::get<DType>(node.attrs.at("dtype"));
      node.attrs.erase("dtype");
      node.attrs["Tparams"] = params;
      node.attrs["Taxis"] = DType::int32;
      // Defaults are stripped, and the op list may not restore them inside function bodies.
      fill_default_attrs(node, op_catalogue().at(node));
      Node axis;
      axis.name = unique_name(node.name + "/axis");
      axis.op = "Const";
      axis.attrs = {{"dtype", DType::int32}, {"value", Tensor::scalar<std::int32_t>(0)}};
      node.inputs.push_back({add(std::move(axis)), 0});
    } else {
      node.op = op;
      node.attrs = convert_attrs(scope, tf_node);
      if (const OpDef* def = op_catalogue().find(op)) {
        fill_default_attrs(node, *def);
      } else {
        unsupported_.push_back({op, scope.where(), tf_node.name()});
      }
    }
    return add(std::move(node));
  }

  // While, If and Case: their function attributes become regions, each imported from the
  // library on its own. TensorFlow types a captured variable as a resource; here the variable is
  // a constant by now, so the region's argument takes the constant's dtype.
  NodeId build_control_flow(Scope& scope, const tf::NodeDef& tf_node, Node node) {
    node.op = control_flow_op(tf_node.op());
    count_use(tf_node.op(), becomes(tf_node.op()));
    const bool selects = node.op != "While";  // If and Case: input 0 picks the branch
    const std::string arg_types_key = selects ? "Tin" : "T";
    DTypes arg_types;
    for (std::size_t i = selects ? 1 : 0; i < node.inputs.size(); ++i) {
      arg_types.push_back(census_ ? DType::float32 : dtype_behind(node.inputs[i], tf_node));
    }
    if (!census_) {
      // Function names are set below; the argument types are the values' (no resources).
      node.attrs = convert_attrs(scope, tf_node, {arg_types_key, "cond", "body", "then_branch", "else_branch", "branches"});
      node.attrs[arg_types_key] = arg_types;
      fill_default_attrs(node, op_catalogue().at(node));
    }
    for (const std::string& key : region_attrs(node.op)) {
      for (const std::string& function : function_names(tf_node, key)) {
        if (!census_ && node.op != "Case") node.attrs[key] = function;
        node.regions.push_back(std::make_shared<const Graph>(import_body(scope, tf_node, function, arg_types)));
      }
      if (!census_ && node.op == "Case") node.attrs[key] = function_names(tf_node, key);
    }
    return add(std::move(node));
  }

  // The function names a func or list(func) attribute holds.
  Strings function_names(const tf::NodeDef& node, const std::string& key) const {
    auto it = node.attr().find(key);
    if (it == node.attr().end()) {
      throw Error(Errc::invalid_attr, "control-flow node lacks its body")
          .file(options_.file).node(node.name()).op(node.op()).attr(key);
    }
    Strings names;
    if (it->second.has_func()) names.push_back(it->second.func().name());
    for (const tf::NameAttrList& f : it->second.list().func()) names.push_back(f.name());
    if (names.empty()) {
      throw Error(Errc::invalid_attr, "control-flow attribute names no function")
          .file(options_.file).node(node.name()).op(node.op()).attr(key);
    }
    return names;
  }

  Graph import_body(const Scope& scope, const tf::NodeDef& node, const std::string& function,
                    const std::vector<DType>& arg_types) {
    auto it = functions_.find(function);
    if (it == functions_.end()) {
      throw Error(Errc::not_found, "control-flow body is not in the function library")
          .file(options_.file).node(node.name()).op(node.op()).found(function);
    }
    if (scope.depth + 1 > kMaxCallDepth) {
      throw Error(Errc::limit_exceeded, "control flow and calls nest too deeply")
          .file(options_.file)
          .node(node.name())
          .expected("<= " + std::to_string(kMaxCallDepth) + " levels");
    }
    try {
      return Importer(*this, *it->second, scope.depth + 1).import_region(arg_types, *this);
    } catch (Error& e) {
      e.within(scope.prefix + node.name(), function);
      throw;
    }
  }

  // The dtype of an imported value, found without type inference (which runs at the end):
  // through pass-throughs to the constant or placeholder that makes it, else inferred node by
  // node from what the inputs are made of. The walk keeps its own stack and remembers every
  // value it has typed, so a long chain cannot exhaust the call stack and shared inputs are not
  // walked again (a ladder of Adds would otherwise take 2^n steps). A value whose output index
  // the node does not have is named in a kiln::Error.
  DType dtype_behind(Value start, const tf::NodeDef& user) const {
    std::map<std::pair<NodeId, int>, DType> known;
    auto cannot_tell = [&](Value v) {
      return Error(Errc::unsupported, "cannot tell the dtype of a control-flow argument")
          .file(options_.file).node(user.name()).input(graph_.value_name(v));
    };
    auto no_such_output = [&](Value v, std::size_t outputs) {
      return Error(Errc::invalid_graph, "a control-flow argument names an output its node does not have")
          .file(options_.file).node(user.name()).input(graph_.value_name(v))
          .expected("an output index below " + std::to_string(outputs))
          .found(std::to_string(v.index));
    };
    // Every value is typed once; a walk longer than this meets a cycle.
    const std::size_t max_steps = 64 * (graph_.size() + 16);
    std::vector<Value> stack{start};
    for (std::size_t steps = 0; !stack.empty(); ++steps) {
      if (steps > max_steps) throw cannot_tell(start);
      const Value v = stack.back();
      const auto key = std::make_pair(v.node, v.index);
      if (known.count(key)) {
        stack.pop_back();
        continue;
      }
      const Node& n = graph_.node(v.node);
      const auto index = static_cast<std::size_t>(v.index);
      if (v.index < 0) throw no_such_output(v, 0);
      if (n.op == "Const" || n.op == "Placeholder" || n.op == "PlaceholderWithDefault") {
        known[key] = n.attr<DType>("dtype");
        continue;
      }
      if (n.op == "Identity" && n.has_attr("T")) {
        known[key] = n.attr<DType>("T");
        continue;
      }
      if (n.op == "While" && n.has_attr("T")) {
        const DTypes& types = n.attr<DTypes>("T");
        if (index < types.size() && types[index] != DType::variant) {
          known[key] = types[index];
          continue;
        }
      }
      const OpDef* def = op_catalogue().find(n.op);
      if (!def || !def->infer || n.inputs.empty()) throw cannot_tell(v);
      if (n.op == "IdentityN" || n.op == "StopGradient" || n.op == "Snapshot") {
        if (index >= n.inputs.size()) throw no_such_output(v, n.inputs.size());
        const Value in = n.inputs[index];
        auto typed = known.find(std::make_pair(in.node, in.index));
        if (typed == known.end()) {
          stack.push_back(in);
        } else {
          known[key] = typed->second;
        }
        continue;
      }
      // Anything else: infer this one node from what its inputs are made of, once they are known.
      bool ready = true;
      for (Value in : n.inputs) {
        if (!known.count(std::make_pair(in.node, in.index))) {
          stack.push_back(in);
          ready = false;
        }
      }
      if (!ready) continue;
      std::vector<TensorType> types;
      for (Value in : n.inputs) types.push_back({known.at(std::make_pair(in.node, in.index)), Shape::unknown_rank()});
      const std::vector<TensorType> outputs =
          infer_node(n, types, std::vector<const Tensor*>(types.size(), nullptr));
      if (index >= outputs.size()) throw no_such_output(v, outputs.size());
      for (std::size_t i = 0; i < outputs.size(); ++i) {
        known[std::make_pair(v.node, static_cast<int>(i))] = outputs[i].dtype;
      }
    }
    return known.at(std::make_pair(start.node, start.index));
  }

  NodeId add(Node node) {
    if (static_cast<std::int64_t>(graph_.size()) >= options_.limits.max_nodes) {
      throw Error(Errc::limit_exceeded, "the imported graph has too many nodes")
          .file(options_.file)
          .expected("<= " + std::to_string(options_.limits.max_nodes));
    }
    return graph_.add(std::move(node));
  }

  std::string unique_name(const std::string& base) const {
    std::string name = base;
    for (int n = 1; graph_.find(name); ++n) name = base + "_" + std::to_string(n);
    return name;
  }

  Tensor read_variable(const Scope& scope, const tf::NodeDef& node) {
    if (scope.in_function()) {
      throw Error(Errc::unsupported, "a variable created inside a function body")
          .file(options_.file)
          .node(node.name())
          .op(node.op());
    }
    if (!options_.read_variable) {
      throw Error(Errc::unsupported, "a variable in a graph without a checkpoint (freeze it first)")
          .file(options_.file)
          .node(node.name())
          .op(node.op());
    }
    Tensor value = options_.read_variable(node);
    const DType declared = convert_dtype(node, "dtype");
    if (value.dtype() != declared) {
      throw Error(Errc::type_mismatch, "checkpoint value has another dtype than the variable")
          .file(options_.file)
          .node(node.name())
          .expected(dtype_name(declared))
          .found(dtype_name(value.dtype()));
    }
    auto shape = node.attr().find("shape");
    if (shape != node.attr().end() && shape->second.has_shape()) {
      const Shape declared_shape = shape_from_proto(shape->second.shape());
      if (!declared_shape.compatible_with(value.shape())) {
        throw Error(Errc::shape_mismatch, "checkpoint value has another shape than the variable")
            .file(options_.file)
            .node(node.name())
            .expected(declared_shape.str())
            .found(value.shape().str());
      }
    }
    return value;
  }

  DType convert_dtype(const tf::NodeDef& node, const std::string& key) {
    auto it = node.attr().find(key);
    if (it == node.attr().end() || !it->second.has_type()) {
      throw Error(Errc::invalid_attr, "missing type attribute")
          .file(options_.file)
          .node(node.name())
          .op(node.op())
          .attr(key);
    }
    try {
      return dtype_from_tf(it->second.type());
    } catch (Error& e) {
      e.file(options_.file).node(node.name()).op(node.op()).attr(key);
      throw;
    }
  }

  // The node's attributes as Kiln values, with TensorFlow's defaults restored from the OpDef.
  // Attributes starting with '_' are TensorFlow's bookkeeping and are left out.
  // `skip`: keys the caller sets itself.
  Attrs convert_attrs(const Scope& scope, const tf::NodeDef& node, const std::set<std::string>& skip = {}) {
    const tf::OpDef* def = nullptr;
    if (auto it = op_defs_.find(node.op()); it != op_defs_.end()) def = it->second;
    auto type_of = [&](const std::string& key) -> std::string {
      if (def) {
        for (const tf::OpDef::AttrDef& a : def->attr()) {
          if (a.name() == key) return a.type();
        }
      }
      return "";
    };
    Attrs attrs;
    auto put = [&](const std::string& key, const tf::AttrValue& raw) {
      const tf::AttrValue* value = &raw;
      if (value->value_case() == tf::AttrValue::kPlaceholder) {
        const AttrMap* caller = scope.caller_attrs;
        auto it = caller ? caller->find(value->placeholder()) : AttrMap::const_iterator();
        if (!caller || it == caller->end()) {
          throw Error(Errc::invalid_attr, "attribute placeholder has no value in the caller")
              .file(options_.file)
              .node(node.name())
              .attr(key)
              .found(value->placeholder());
        }
        value = &it->second;
      }
      try {
        if (auto converted = convert_attr(*value, type_of(key), node.op(), key)) {
          attrs[key] = std::move(*converted);
        }
      } catch (Error& e) {
        e.file(options_.file).node(node.name()).op(node.op()).attr(key);
        throw;
      }
    };
    std::map<std::string, const tf::AttrValue*> sorted;  // protobuf maps have no fixed order
    for (const auto& [key, value] : node.attr()) sorted.emplace(key, &value);
    for (const auto& [key, value] : sorted) {
      if (!key.empty() && key[0] != '_' && !skip.count(key)) put(key, *value);
    }
    if (def) {
      for (const tf::OpDef::AttrDef& a : def->attr()) {
        if (a.has_default_value() && !attrs.count(a.name()) && !skip.count(a.name())) put(a.name(), a.default_value());
      }
    }
    return attrs;
  }

  // One AttrValue as a Kiln attribute; nullopt for kinds Kiln has no use for (func, tensor
  // lists). `tf_type` is the OpDef's type string, which decides the kind of an empty list.
  std::optional<AttrValue> convert_attr(const tf::AttrValue& v, const std::string& tf_type,
                                        const std::string& op, const std::string& key) {
    switch (v.value_case()) {
      case tf::AttrValue::kS: return std::string(v.s());
      case tf::AttrValue::kI: return static_cast<std::int64_t>(v.i());
      case tf::AttrValue::kF: return v.f();
      case tf::AttrValue::kB: return v.b();
      case tf::AttrValue::kType: return dtype_from_tf(v.type());
      case tf::AttrValue::kShape: return shape_from_proto(v.shape());
      case tf::AttrValue::kTensor: return tensor_from_proto(v.tensor(), options_.limits);
      case tf::AttrValue::kList: return convert_list(v.list(), tf_type, op, key);
      default: return std::nullopt;
    }
  }

  std::optional<AttrValue> convert_list(const tf::AttrValue::ListValue& l, const std::string& tf_type,
                                        const std::string& op, const std::string& key) {
    if (l.s_size()) return Strings(l.s().begin(), l.s().end());
    if (l.i_size()) return Ints(l.i().begin(), l.i().end());
    if (l.f_size()) return Floats(l.f().begin(), l.f().end());
    if (l.b_size()) return Ints(l.b().begin(), l.b().end());
    if (l.type_size()) {
      DTypes types;
      for (int t : l.type()) types.push_back(dtype_from_tf(t));
      return types;
    }
    if (l.shape_size()) {
      Shapes shapes;
      for (const tf::TensorShapeProto& s : l.shape()) shapes.push_back(shape_from_proto(s));
      return shapes;
    }
    if (l.tensor_size() || l.func_size()) return std::nullopt;
    // An empty list carries no kind: take it from the OpDef, else from Kiln's own default.
    if (tf_type == "list(float)") return Floats{};
    if (tf_type == "list(string)") return Strings{};
    if (tf_type == "list(type)") return DTypes{};
    if (tf_type == "list(shape)") return Shapes{};
    if (tf_type.empty()) {
      if (const OpDef* def = op_catalogue().find(op)) {
        for (const AttrDef& a : def->attrs) {
          if (a.name == key && a.default_value) return empty_list_like(*a.default_value);
        }
      }
    }
    return Ints{};
  }

  // One error listing every op Kiln lacks, how often, and where.
  void report_unsupported() const {
    if (unsupported_.empty()) return;
    std::map<std::string, std::vector<const Unsupported*>> by_op;
    for (const Unsupported& u : unsupported_) by_op[u.op].push_back(&u);
    std::string message = std::to_string(by_op.size()) + " op type" +
                          (by_op.size() == 1 ? " is" : "s are") + " not supported by Kiln (" +
                          std::to_string(unsupported_.size()) + " node" +
                          (unsupported_.size() == 1 ? "" : "s") + "):";
    constexpr std::size_t kShown = 3;
    for (const auto& [op, places] : by_op) {
      message += "\n  " + op + " x" + std::to_string(places.size()) + ": ";
      for (std::size_t i = 0; i < places.size() && i < kShown; ++i) {
        message += (i ? "; " : "") + places[i]->where + " node '" + places[i]->node + "'";
      }
      if (places.size() > kShown) message += "; ...";
    }
    throw Error(Errc::unsupported, message).file(options_.file);
  }

  const GraphImportOptions& options_;
  std::unordered_map<std::string, const tf::OpDef*> op_defs_;
  std::unordered_map<std::string, const tf::FunctionDef*> functions_;
  Scope main_;
  std::vector<std::unique_ptr<Scope>> scopes_;  // inlined bodies; stable addresses
  std::vector<Unsupported> unsupported_;
  bool census_ = false;                     // counting ops, not importing (census())
  std::map<std::string, OpUse> uses_;       // every op met, by name
  std::map<std::pair<std::string, int>, Value> fed_;  // main-graph tensors fed as inputs
  Graph graph_;
};


// TF1 control flow (Enter/Merge/Switch/..., TensorArrayV3) is first rewritten into While, If and
// TensorList ops (functionalize.hpp), in a copy pruned to what the ports need; `use` gets an
// Importer over that copy, which lives until `use` returns.
template <class Use>
auto with_importer(const tf::GraphDef& graph, const std::vector<PortRequest>& inputs,
                   const std::vector<PortRequest>& outputs, const GraphImportOptions& options, Use use) {
  if (!has_v1_control_flow(graph)) return use(Importer(graph, options));
  std::vector<std::string> needed;
  for (const auto* ports : {&inputs, &outputs}) {
    for (const PortRequest& p : *ports) needed.push_back(p.tensor);
  }
  const tf::GraphDef functional = functionalize_control_flow(graph, options.file, options.op_list, needed);
  return use(Importer(functional, options));
}

}  // namespace

Graph import_graph(const tf::GraphDef& graph, const std::vector<PortRequest>& inputs,
                   const std::vector<PortRequest>& outputs, const GraphImportOptions& options,
                   bool placeholders_as_inputs) {
  return with_importer(graph, inputs, outputs, options, [&](Importer&& importer) {
    return importer.run(inputs, outputs, placeholders_as_inputs);
  });
}

std::vector<OpUse> census_ops(const tf::GraphDef& graph, const std::vector<PortRequest>& inputs,
                              const std::vector<PortRequest>& outputs,
                              const GraphImportOptions& options) {
  return with_importer(graph, inputs, outputs, options,
                       [&](Importer&& importer) { return importer.census(inputs, outputs); });
}

}  // namespace kiln::importer
