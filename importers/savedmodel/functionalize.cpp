#include "savedmodel/functionalize.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <kiln/core/error.hpp>

#include "savedmodel/tensor_names.hpp"

namespace kiln::importer {
namespace {

// ---- Tensors, attributes and kinds of ops -----------------------------------------------------

// One output of a main-graph node: written "node" (output 0) or "node:k".
struct Port {
  std::string node;
  int index = 0;
};

std::string text(const Port& p) {
  return p.index == 0 ? p.node : p.node + ":" + std::to_string(p.index);
}

bool is_control(const std::string& input) { return !input.empty() && input[0] == '^'; }

Port parse_port(const std::string& input) {
  const TensorRef ref = parse_tensor_ref(input, false);
  return {ref.node, ref.index};
}

// NodeDef inputs list data inputs first, then control inputs ("^node").
std::vector<Port> data_inputs(const tf::NodeDef& node) {
  std::vector<Port> ports;
  for (const std::string& input : node.input()) {
    if (!is_control(input)) ports.push_back(parse_port(input));
  }
  return ports;
}

std::vector<std::string> data_input_texts(const tf::NodeDef& node) {
  std::vector<std::string> texts;
  for (const std::string& input : node.input()) {
    if (!is_control(input)) texts.push_back(input);
  }
  return texts;
}

const tf::AttrValue* find_attr(const tf::NodeDef& node, const std::string& key) {
  auto it = node.attr().find(key);
  return it == node.attr().end() ? nullptr : &it->second;
}

int type_attr(const tf::NodeDef& node, const std::string& key) {
  const tf::AttrValue* v = find_attr(node, key);
  return v && v->value_case() == tf::AttrValue::kType ? static_cast<int>(v->type())
                                                      : tf::DT_INVALID;
}

bool bool_attr(const tf::NodeDef& node, const std::string& key) {
  const tf::AttrValue* v = find_attr(node, key);
  return v && v->value_case() == tf::AttrValue::kB && v->b();
}

std::string string_attr(const tf::NodeDef& node, const std::string& key) {
  const tf::AttrValue* v = find_attr(node, key);
  return v && v->value_case() == tf::AttrValue::kS ? v->s() : std::string();
}

void set_type(tf::NodeDef& node, const std::string& key, int dtype) {
  (*node.mutable_attr())[key].set_type(static_cast<tf::DataType>(dtype));
}

void set_types(tf::NodeDef& node, const std::string& key, const std::vector<int>& dtypes) {
  tf::AttrValue::ListValue* list = (*node.mutable_attr())[key].mutable_list();
  for (int t : dtypes) list->add_type(static_cast<tf::DataType>(t));
}

void set_function(tf::NodeDef& node, const std::string& key, const std::string& function) {
  (*node.mutable_attr())[key].mutable_func()->set_name(function);
}

bool is_tensor_array_op(const std::string& op) {
  return op.size() >= 13 && op.compare(0, 11, "TensorArray") == 0 &&
         op.compare(op.size() - 2, 2, "V3") == 0;
}

// The ops that pass their (first) input on unchanged, in some frame or branch.
bool forwards_input(const std::string& op) {
  return op == "Enter" || op == "Exit" || op == "Identity" || op == "Switch" || op == "Merge" ||
         op == "NextIteration";
}

// Whether an op passes on its input at `position`: a forwarding op does, except with a Switch's
// predicate.
bool passes_on(const std::string& op, int position) {
  return forwards_input(op) && (op != "Switch" || position == 0);
}

// Ops that only make sense as the frame's own plumbing, never inside a cut-out body.
bool is_frame_plumbing(const std::string& op) {
  return op == "Enter" || op == "Exit" || op == "NextIteration" || op == "LoopCond" ||
         op == "Merge" || op == "Switch";
}

// A constant with no inputs at all belongs to no frame or branch: a body may copy it. (TF1 ties
// the constants it makes inside a loop or branch to it with a control input; graph rewriters and
// this file's own element-shape constants do not.)
bool is_floating_constant(const tf::NodeDef& node) {
  return node.op() == "Const" && node.input_size() == 0;
}

// "a/b/c" -> "a/b"; "" when there is no scope.
std::string scope_of(const std::string& name) {
  const std::size_t slash = name.rfind('/');
  return slash == std::string::npos ? std::string() : name.substr(0, slash);
}

// Function names read like TensorFlow's: no slashes.
std::string function_base(std::string name) {
  for (char& c : name) {
    if (c == '/') c = '_';
  }
  return name;
}

// ---- The graph being rewritten ----------------------------------------------------------------

struct Use {
  tf::NodeDef* user;
  int position;  // in user->input(); data inputs come first, so it is also the data input's index
  int port;      // the output used; -1 for a control edge
  bool control() const { return port < 0; }
};

// The GraphDef under rewrite, with lookups by name and by user. Adding nodes keeps the lookups
// current; after other changes to inputs, reindex().
class Work {
 public:
  Work(const tf::GraphDef& graph, std::string file, const tf::OpList* ops)
      : graph_(graph), file_(std::move(file)) {
    if (ops) {
      for (const tf::OpDef& op : ops->op()) op_defs_.emplace(op.name(), &op);
    }
    for (const tf::FunctionDef& f : graph_.library().function()) {
      functions_.emplace(f.signature().name(), &f);
    }
    reindex();
  }

  tf::GraphDef& graph() { return graph_; }
  const tf::GraphDef& graph() const { return graph_; }

  void reindex() {
    by_name_.clear();
    users_.clear();
    position_.clear();
    for (int i = 0; i < graph_.node_size(); ++i) {
      tf::NodeDef* node = graph_.mutable_node(i);
      if (!by_name_.emplace(node->name(), node).second) {
        throw Error(Errc::invalid_graph, "two nodes share one name").file(file_).node(node->name());
      }
      position_[node->name()] = i;
    }
    for (tf::NodeDef& node : *graph_.mutable_node()) {
      for (int i = 0; i < node.input_size(); ++i) {
        const std::string& input = node.input(i);
        if (is_control(input)) {
          users_[input.substr(1)].push_back({&node, i, -1});
          continue;
        }
        const Port p = port_in(node, input);
        users_[p.node].push_back({&node, i, p.index});
      }
    }
  }

  const tf::NodeDef* find(const std::string& name) const {
    auto it = by_name_.find(name);
    return it == by_name_.end() ? nullptr : it->second;
  }
  tf::NodeDef& node(const std::string& name) const {
    auto it = by_name_.find(name);
    if (it == by_name_.end()) {
      throw Error(Errc::invalid_graph, "input names a node that does not exist in the main graph")
          .file(file_)
          .input(name);
    }
    return *it->second;
  }
  const std::vector<Use>& users(const std::string& name) const {
    static const std::vector<Use> none;
    auto it = users_.find(name);
    return it == users_.end() ? none : it->second;
  }
  int position(const std::string& name) const { return position_.at(name); }

  // The nodes the caller's ports read (empty: not known).
  void set_needed(std::unordered_set<std::string> names) { needed_ = std::move(names); }
  bool is_needed(const std::string& name) const { return needed_.count(name) > 0; }

  Port port_in(const tf::NodeDef& user, const std::string& input) const {
    try {
      return parse_port(input);
    } catch (Error& e) {
      e.file(file_).node(user.name());
      throw;
    }
  }

  tf::NodeDef& add_node(const std::string& base_name, const std::string& op) {
    tf::NodeDef* node = graph_.add_node();
    node->set_name(unique_node_name(base_name));
    node->set_op(op);
    by_name_[node->name()] = node;
    position_[node->name()] = graph_.node_size() - 1;
    return *node;
  }

  std::string unique_node_name(const std::string& base) const {
    std::string name = base;
    for (int n = 1; by_name_.count(name); ++n) name = base + "_" + std::to_string(n);
    return name;
  }

  void add_function(tf::FunctionDef function) {
    if (functions_.count(function.signature().name())) {
      throw Error(Errc::internal, "functionalize: function name taken")
          .found(function.signature().name());
    }
    tf::FunctionDef* stored = graph_.mutable_library()->add_function();
    *stored = std::move(function);
    functions_.emplace(stored->signature().name(), stored);
  }

  std::string unique_function_name(const std::string& base) const {
    std::string name = base;
    for (int n = 1; functions_.count(name); ++n) name = base + "_" + std::to_string(n);
    return name;
  }

  // Removes the named nodes and the control edges that pointed at them.
  void remove(const std::unordered_set<std::string>& names) {
    if (names.empty()) return;
    auto* nodes = graph_.mutable_node();
    int kept = 0;
    for (int i = 0; i < nodes->size(); ++i) {
      if (!names.count(nodes->Get(i).name())) nodes->SwapElements(i, kept++);
    }
    nodes->DeleteSubrange(kept, nodes->size() - kept);
    for (tf::NodeDef& node : *nodes) {
      auto* inputs = node.mutable_input();
      for (int i = inputs->size() - 1; i >= 0; --i) {
        if (is_control(inputs->Get(i)) && names.count(inputs->Get(i).substr(1))) {
          inputs->DeleteSubrange(i, 1);
        }
      }
    }
    reindex();
  }

  Error error(const std::string& what, const tf::NodeDef& node) const {
    return Error(Errc::unsupported, "control flow: " + what)
        .file(file_)
        .node(node.name())
        .op(node.op());
  }

  // How a function body names output `p.index` of node `p.node`: "node:out_arg:k". The importer
  // turns that back into a flat index with the op's OpDef when the MetaGraphDef has one, and reads
  // k as the flat index when it has none (frozen graphs), so the spelling follows the same rule.
  std::string function_ref(const Port& p) const {
    const tf::NodeDef& producer = node(p.node);
    if (auto f = functions_.find(producer.op()); f != functions_.end()) {  // a direct call
      const auto& outs = f->second->signature().output_arg();
      if (p.index < outs.size()) return p.node + ":" + outs[p.index].name() + ":0";
    }
    if (auto def = op_defs_.find(producer.op()); def != op_defs_.end()) {
      int first = 0;
      for (const tf::OpDef::ArgDef& arg : def->second->output_arg()) {
        const int size = arg_size(producer, *def->second, arg);
        if (p.index < first + size) {
          return p.node + ":" + arg.name() + ":" + std::to_string(p.index - first);
        }
        first += size;
      }
    }
    return p.node + ":output:" + std::to_string(p.index);
  }

 private:
  // How many tensors an output argument holds: its number_attr, the length of its
  // type_list_attr, or 1.
  static int arg_size(const tf::NodeDef& node, const tf::OpDef& op, const tf::OpDef::ArgDef& arg) {
    auto value = [&](const std::string& name) -> const tf::AttrValue* {
      if (const tf::AttrValue* v = find_attr(node, name)) return v;
      for (const tf::OpDef::AttrDef& a : op.attr()) {
        if (a.name() == name && a.has_default_value()) return &a.default_value();
      }
      return nullptr;
    };
    if (!arg.number_attr().empty()) {
      const tf::AttrValue* n = value(arg.number_attr());
      return n ? static_cast<int>(n->i()) : 1;
    }
    if (!arg.type_list_attr().empty()) {
      const tf::AttrValue* list = value(arg.type_list_attr());
      return list ? list->list().type_size() : 1;
    }
    return 1;
  }

  tf::GraphDef graph_;
  std::string file_;
  std::unordered_map<std::string, const tf::OpDef*> op_defs_;
  std::unordered_map<std::string, const tf::FunctionDef*> functions_;
  std::unordered_map<std::string, tf::NodeDef*> by_name_;
  std::unordered_map<std::string, std::vector<Use>> users_;
  std::unordered_map<std::string, int> position_;
  std::unordered_set<std::string> needed_;
};

// RefEnter, RefSwitch, ... (TF1 variables inside loops) act as their plain forms once frozen.
void use_plain_forms(Work& work) {
  for (tf::NodeDef& node : *work.graph().mutable_node()) {
    const std::string& op = node.op();
    if (op.compare(0, 3, "Ref") == 0 && (forwards_input(op.substr(3)))) node.set_op(op.substr(3));
  }
}

// ---- Recognizing the pieces -------------------------------------------------------------------

// Data input `i` of a node, which must have it.
Port data_input(const Work& work, const tf::NodeDef& node, std::size_t i) {
  const std::vector<Port> ins = data_inputs(node);
  if (i >= ins.size()) throw work.error(node.op() + " lacks data input " + std::to_string(i), node);
  return ins[i];
}

const tf::NodeDef* data_producer(const Work& work, const tf::NodeDef& node, int input) {
  const std::vector<Port> ins = data_inputs(node);
  return input < static_cast<int>(ins.size()) ? work.find(ins[static_cast<std::size_t>(input)].node)
                                              : nullptr;
}

// A while_loop's Switch: Switch(Merge, LoopCond). Any other Switch belongs to a cond.
bool is_loop_switch(const Work& work, const tf::NodeDef& node) {
  if (node.op() != "Switch") return false;
  const tf::NodeDef* pred = data_producer(work, node, 1);
  return pred && pred->op() == "LoopCond";
}

bool is_cond_switch(const Work& work, const tf::NodeDef& node) {
  return node.op() == "Switch" && !is_loop_switch(work, node);
}

// A loop variable's Merge(Enter, NextIteration). Any other Merge joins a cond's branches.
bool is_loop_merge(const Work& work, const tf::NodeDef& node) {
  if (node.op() != "Merge") return false;
  for (const Port& in : data_inputs(node)) {
    const tf::NodeDef* producer = work.find(in.node);
    if (producer && (producer->op() == "Enter" || producer->op() == "NextIteration")) return true;
  }
  return false;
}

// The predicate a cond's Switch tests, seen through Identity nodes: TF1 gives some Switches of
// one cond the predicate itself and others Identity(predicate) ("pred_id").
std::string predicate_of(const Work& work, const tf::NodeDef& node) {
  const std::vector<Port> ins = data_inputs(node);
  if (ins.size() != 2) throw work.error("a Switch takes a value and a predicate", node);
  Port p = ins[1];
  for (const tf::NodeDef* n = work.find(p.node); n && n->op() == "Identity";
       n = work.find(p.node)) {
    const std::vector<Port> through = data_inputs(*n);
    if (through.empty()) break;
    p = through[0];
  }
  return text(p);
}

// The inputs that decide when a node runs: its data inputs, or, for a node without any, its
// control inputs (how TF1 ties constants to a loop or branch). Loop back edges (from
// NextIteration) and names of missing nodes are left out.
std::vector<Port> ordering_inputs(const Work& work, const tf::NodeDef& node) {
  std::vector<Port> ports = data_inputs(node);
  if (ports.empty()) {
    for (const std::string& input : node.input()) ports.push_back({input.substr(1), -1});
  }
  std::vector<Port> kept;
  for (const Port& p : ports) {
    const tf::NodeDef* producer = work.find(p.node);
    if (producer && producer->op() != "NextIteration") kept.push_back(p);
  }
  return kept;
}

// ---- Where every node runs --------------------------------------------------------------------

// The conds around a node, outermost first: (predicate, branch) with branch 1 for "then" (a
// Switch's output 1) and 0 for "else".
using Nest = std::vector<std::pair<std::string, int>>;

bool starts_with(const Nest& nest, const Nest& prefix) {
  return nest.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), nest.begin());
}

struct FrameInfo {
  std::string parent;
  int depth = 0;
  bool parent_known = true;  // false while only Enters of floating constants have been seen
};

// For every node of the graph: the loop frame it runs in ("" for none) and the cond branches
// around it, found in one pass in dataflow order, as TensorFlow's executor would see them.
class Analysis {
 public:
  explicit Analysis(const Work& work) : work_(work) {
    frames_[""] = FrameInfo{};
    for (const std::string& name : dataflow_order()) place(work_.node(name));
    set_depths();
    check_loop_merges();
  }

  const std::map<std::string, FrameInfo>& frames() const { return frames_; }
  const std::string& frame_of(const std::string& node) const { return frame_.at(node); }
  const Nest& nest_of(const std::string& node) const { return nest_.at(node); }
  const std::vector<std::string>& order() const { return order_; }
  // Each cond's Merge, with the predicate whose branches it joins.
  const std::map<std::string, std::string>& cond_merges() const { return cond_merges_; }

  // The frame a node's output lives in: an Enter's is the inner frame, an Exit's the outer one.
  std::string frame_out(const Port& p) const {
    const std::string& frame = frame_.at(p.node);
    return work_.node(p.node).op() == "Exit" ? frames_.at(frame).parent : frame;
  }

  // The branches an output lives in: a cond Switch's outputs are one branch deeper.
  Nest nest_out(const Port& p) const {
    Nest nest = nest_.at(p.node);
    const tf::NodeDef& node = work_.node(p.node);
    if (p.index >= 0 && is_cond_switch(work_, node)) {
      nest.emplace_back(predicate_of(work_, node), p.index);
    }
    return nest;
  }

 private:
  // Every node after the nodes it reads (Kahn's algorithm), loop back edges aside.
  std::vector<std::string> dataflow_order() {
    std::unordered_map<std::string, int> waiting;
    std::unordered_map<std::string, std::vector<std::string>> readers;
    std::vector<std::string> ready;
    for (const tf::NodeDef& node : work_.graph().node()) {
      const std::vector<Port> ins = ordering_inputs(work_, node);
      waiting[node.name()] = static_cast<int>(ins.size());
      for (const Port& in : ins) readers[in.node].push_back(node.name());
      if (ins.empty()) ready.push_back(node.name());
    }
    for (std::size_t next = 0; next < ready.size(); ++next) {
      order_.push_back(ready[next]);
      for (const std::string& reader : readers[ready[next]]) {
        if (--waiting[reader] == 0) ready.push_back(reader);
      }
    }
    if (order_.size() < static_cast<std::size_t>(work_.graph().node_size())) {
      for (const tf::NodeDef& node : work_.graph().node()) {
        if (waiting[node.name()] > 0) {
          throw work_.error(
              "node depends on itself without passing a NextIteration, so it is not "
              "part of a while_loop frame",
              node);
        }
      }
    }
    return order_;
  }

  void place(const tf::NodeDef& node) {
    std::vector<Port> ins;
    for (const Port& p : ordering_inputs(work_, node)) {
      if (!is_floating_constant(work_.node(p.node))) ins.push_back(p);
    }
    frame_[node.name()] = frame_for(node, ins);
    nest_[node.name()] = nest_for(node, ins);
  }

  std::string frame_for(const tf::NodeDef& node, const std::vector<Port>& ins) {
    const std::string outer = ins.empty() ? "" : frame_out(ins[0]);
    for (const Port& in : ins) {
      if (frame_out(in) != outer) {
        throw work_.error(
            "node takes values from two loop frames ('" + outer + "' and '" + frame_out(in) + "')",
            node);
      }
    }
    if (node.op() == "Enter") {
      return enter(node, ins.empty() ? std::nullopt : std::optional<std::string>(outer));
    }
    if (node.op() == "Exit" && outer.empty()) {
      throw work_.error("Exit outside any while_loop frame", node);
    }
    return outer;
  }

  // An Enter opens (or joins) the frame it names, inside the frame its input comes from. An
  // Enter of a floating constant says nothing about that; another Enter of the frame will.
  std::string enter(const tf::NodeDef& node, const std::optional<std::string>& outer) {
    const std::string frame = string_attr(node, "frame_name");
    if (frame.empty()) throw work_.error("Enter without a frame_name", node);
    auto [it, fresh] =
        frames_.try_emplace(frame, FrameInfo{outer.value_or(""), 0, outer.has_value()});
    if (fresh || !outer) return frame;
    if (!it->second.parent_known) {
      it->second.parent = *outer;
      it->second.parent_known = true;
    } else if (it->second.parent != *outer) {
      throw work_.error("frame '" + frame + "' is entered from two different frames", node);
    }
    return frame;
  }

  // A frame's depth: how many frames enclose it (a top-level loop has depth 1).
  void set_depths() {
    for (auto& [name, info] : frames_) {
      int depth = 0;
      for (std::string f = name; !f.empty(); f = frames_.at(f).parent) {
        if (++depth > static_cast<int>(frames_.size())) {
          throw Error(Errc::unsupported, "control flow: loop frames enter each other").found(name);
        }
      }
      info.depth = depth;
    }
  }

  Nest nest_for(const tf::NodeDef& node, const std::vector<Port>& ins) {
    if (node.op() == "Merge" && !is_loop_merge(work_, node)) return cond_merge_nest(node, ins);
    Nest nest;
    for (const Port& in : ins) {
      const Nest more = nest_out(in);
      const Nest& shorter = nest.size() <= more.size() ? nest : more;
      const Nest& longer = nest.size() <= more.size() ? more : nest;
      if (!starts_with(longer, shorter)) {
        throw work_.error("node takes values from different branches of a cond", node);
      }
      nest = longer;
    }
    return nest;
  }

  // A cond's Merge joins one value from each branch of the same Switch predicate, and runs where
  // the cond does: one level out.
  Nest cond_merge_nest(const tf::NodeDef& node, const std::vector<Port>& ins) {
    if (ins.size() == 2) {
      const Nest a = nest_out(ins[0]);
      const Nest b = nest_out(ins[1]);
      if (!a.empty() && a.size() == b.size() && std::equal(a.begin(), a.end() - 1, b.begin()) &&
          a.back().first == b.back().first && a.back().second != b.back().second) {
        cond_merges_[node.name()] = a.back().first;
        return Nest(a.begin(), a.end() - 1);
      }
    }
    throw work_.error(
        "Merge does not join the two branches of one cond (no matching Switch on "
        "each input) and is not a while_loop's Merge(Enter, NextIteration)",
        node);
  }

  // A loop's Merge takes its NextIteration from the same frame, and that frame is a loop.
  void check_loop_merges() const {
    for (const tf::NodeDef& node : work_.graph().node()) {
      if (!is_loop_merge(work_, node)) continue;
      if (frame_.at(node.name()).empty()) {
        throw work_.error("Merge joins a NextIteration outside any while_loop frame (no Enter)",
                          node);
      }
      for (const Port& in : data_inputs(node)) {
        const tf::NodeDef& producer = work_.node(in.node);
        if (producer.op() == "NextIteration" && frame_.at(in.node) != frame_.at(node.name())) {
          throw work_.error(
              "NextIteration '" + in.node + "' comes from another frame than its Merge", node);
        }
      }
    }
  }

  const Work& work_;
  std::vector<std::string> order_;
  std::map<std::string, FrameInfo> frames_;
  std::unordered_map<std::string, std::string> frame_;
  std::unordered_map<std::string, Nest> nest_;
  std::map<std::string, std::string> cond_merges_;
};

// ---- Cutting a function body out of the graph -------------------------------------------------

// Whether a tensor enters the body as an argument, and which.
using ArgumentOf = std::function<std::optional<std::string>(const Port&)>;
// Whether a node is part of the body.
using Belongs = std::function<bool(const tf::NodeDef&)>;

// What a body copies (node names) and the arguments it reads, in the order first met.
struct Body {
  std::vector<std::string> nodes;
  std::unordered_set<std::string> copied;
  std::vector<std::string> args;
  std::unordered_set<std::string> arg_set;
};

// Walks back from `results` to the arguments, collecting the nodes in between. `where` names the
// body for errors, `entry` how a value should have come in ("an Enter", "a Switch").
void collect(const Work& work, const std::vector<Port>& results, const ArgumentOf& argument,
             const Belongs& belongs, const std::string& where, const std::string& entry,
             Body& body) {
  std::vector<Port> stack(results.rbegin(), results.rend());
  while (!stack.empty()) {
    const Port p = stack.back();
    stack.pop_back();
    if (std::optional<std::string> arg = argument(p)) {
      if (body.arg_set.insert(*arg).second) body.args.push_back(*arg);
      continue;
    }
    if (!body.copied.insert(p.node).second) continue;
    const tf::NodeDef& node = work.node(p.node);
    if (!belongs(node) && !is_floating_constant(node)) {
      throw work.error(where + " uses '" + text(p) + "', which comes from outside without " + entry,
                       node);
    }
    body.nodes.push_back(p.node);
    const std::vector<Port> ins = data_inputs(node);
    stack.insert(stack.end(), ins.rbegin(), ins.rend());  // first input visited first
  }
}

struct Arg {
  std::string name;
  int dtype;
};

struct Result {
  std::string name;
  int dtype;
  Port value;
};

// A FunctionDef with `args`, the body's nodes (original names, graph order, control inputs
// dropped as the importer drops them) and `results`.
tf::FunctionDef make_function(const Work& work, const std::string& name,
                              const std::vector<Arg>& args, const Body& body,
                              const ArgumentOf& argument, const std::vector<Result>& results) {
  auto reference = [&](const Port& p) {
    std::optional<std::string> arg = argument(p);
    return arg ? *arg : work.function_ref(p);
  };
  tf::FunctionDef f;
  f.mutable_signature()->set_name(name);
  for (const Arg& a : args) {
    tf::OpDef::ArgDef* def = f.mutable_signature()->add_input_arg();
    def->set_name(a.name);
    def->set_type(static_cast<tf::DataType>(a.dtype));
  }
  for (const Result& r : results) {
    tf::OpDef::ArgDef* def = f.mutable_signature()->add_output_arg();
    def->set_name(r.name);
    def->set_type(static_cast<tf::DataType>(r.dtype));
    (*f.mutable_ret())[r.name] = reference(r.value);
  }
  std::vector<std::string> nodes = body.nodes;
  std::sort(nodes.begin(), nodes.end(), [&](const std::string& a, const std::string& b) {
    return work.position(a) < work.position(b);
  });
  for (const std::string& n : nodes) {
    const tf::NodeDef& original = work.node(n);
    tf::NodeDef* copy = f.add_node_def();
    *copy = original;
    copy->clear_input();
    for (const Port& in : data_inputs(original)) copy->add_input(reference(in));
  }
  return f;
}

// Turns `node` into `op` with these data inputs and no attributes, keeping its name and its
// control inputs.
void rebuild(tf::NodeDef& node, const std::string& op, const std::vector<std::string>& inputs) {
  std::vector<std::string> controls;
  for (const std::string& input : node.input()) {
    if (is_control(input)) controls.push_back(input);
  }
  node.set_op(op);
  node.clear_input();
  for (const std::string& input : inputs) node.add_input(input);
  for (const std::string& input : controls) node.add_input(input);
  node.clear_attr();
}

// Removes the `candidates` nothing uses any more (data or control), and then what only they used.
void remove_unused(Work& work, const std::unordered_set<std::string>& candidates) {
  std::unordered_set<std::string> removed;
  std::vector<std::string> pending(candidates.begin(), candidates.end());
  while (!pending.empty()) {
    const std::string name = pending.back();
    pending.pop_back();
    if (removed.count(name)) continue;
    bool used = work.is_needed(name);
    for (const Use& use : work.users(name)) used = used || !removed.count(use.user->name());
    if (used) continue;
    removed.insert(name);
    for (const std::string& input : work.node(name).input()) {
      const std::string producer = is_control(input) ? input.substr(1) : parse_port(input).node;
      if (candidates.count(producer)) pending.push_back(producer);
    }
  }
  work.remove(removed);
}

// ---- Switch/Merge conds -> If -----------------------------------------------------------------

// One cond: the Merges that join the branches of one predicate, in one frame and branch nest.
struct Cond {
  std::string frame;
  Nest nest;  // where the cond runs
  std::string predicate;
  std::vector<std::string> merges;
};

std::vector<Cond> find_conds(const Work& work, const Analysis& analysis) {
  std::vector<Cond> conds;
  std::map<std::tuple<std::string, Nest, std::string>, std::size_t> index;
  for (const tf::NodeDef& node : work.graph().node()) {
    auto merge = analysis.cond_merges().find(node.name());
    if (merge == analysis.cond_merges().end()) continue;
    const Cond key{
        analysis.frame_of(node.name()), analysis.nest_of(node.name()), merge->second, {}};
    auto [it, fresh] = index.try_emplace({key.frame, key.nest, key.predicate}, conds.size());
    if (fresh) conds.push_back(key);
    conds[it->second].merges.push_back(node.name());
  }
  return conds;
}

class CondRewriter {
 public:
  CondRewriter(Work& work, const Analysis& analysis, const Cond& cond)
      : work_(work), analysis_(analysis), cond_(cond) {}

  void run() {
    const std::vector<std::string> merges = independent_merges();
    Body then_body, else_body;
    collect_branch(merges, 1, then_body);
    collect_branch(merges, 0, else_body);
    const std::string if_node = add_if(merges, then_body, else_body);
    // Each Merge becomes an Identity of the If's output, under the Merge's name.
    for (std::size_t j = 0; j < merges.size(); ++j) {
      tf::NodeDef& merge = work_.node(merges[j]);
      const int dtype = type_attr(merge, "T");
      rebuild(merge, "Identity", {text({if_node, static_cast<int>(j)})});
      set_type(merge, "T", dtype);
    }
    work_.reindex();
    remove_unused(work_, leftovers());
  }

 private:
  // The If node and its branch functions. Its arguments are the values the branches' Switches
  // switch, in the order the walks met them.
  std::string add_if(const std::vector<std::string>& merges, const Body& then_body,
                     const Body& else_body) {
    std::vector<std::string> switches = then_body.args;
    for (const std::string& s : else_body.args) {
      if (!then_body.arg_set.count(s)) switches.push_back(s);
    }
    std::vector<Arg> args;
    std::vector<int> in_types, out_types;
    for (const std::string& s : switches) {
      args.push_back({s, type_attr(work_.node(s), "T")});
      in_types.push_back(args.back().dtype);
    }
    for (const std::string& m : merges) out_types.push_back(type_attr(work_.node(m), "T"));

    const std::string scope = scope_of(merges.front());
    tf::NodeDef& node = work_.add_node(scope.empty() ? merges.front() + "_if" : scope, "If");
    const std::string then_name = work_.unique_function_name(function_base(node.name()) + "_then");
    work_.add_function(
        make_function(work_, then_name, args, then_body, argument(1), results(merges, 1)));
    const std::string else_name = work_.unique_function_name(function_base(node.name()) + "_else");
    work_.add_function(
        make_function(work_, else_name, args, else_body, argument(0), results(merges, 0)));

    node.add_input(cond_.predicate);
    for (const std::string& s : switches) node.add_input(work_.node(s).input(0));
    set_type(node, "Tcond", tf::DT_BOOL);
    set_types(node, "Tin", in_types);
    set_types(node, "Tout", out_types);
    set_function(node, "then_branch", then_name);
    set_function(node, "else_branch", else_name);
    return node.name();
  }

  Nest branch_nest(int branch) const {
    Nest nest = cond_.nest;
    nest.emplace_back(cond_.predicate, branch);
    return nest;
  }

  bool is_own_switch(const tf::NodeDef& node) const {
    return is_cond_switch(work_, node) && analysis_.frame_of(node.name()) == cond_.frame &&
           analysis_.nest_of(node.name()) == cond_.nest &&
           predicate_of(work_, node) == cond_.predicate;
  }

  // Inside a branch, output `branch` of one of the cond's Switches is an argument: the value
  // switched. Reading the other output would be reading a dead value.
  ArgumentOf argument(int branch) const {
    return [this, branch](const Port& p) -> std::optional<std::string> {
      const tf::NodeDef& node = work_.node(p.node);
      if (!is_own_switch(node)) return std::nullopt;
      if (p.index != branch) {
        throw work_.error(std::string(branch ? "then" : "else") + " branch of the cond on '" +
                              cond_.predicate + "' reads the other branch's output of this Switch",
                          node);
      }
      return node.name();
    };
  }

  Belongs belongs(int branch) const {
    return [this, inner = branch_nest(branch)](const tf::NodeDef& node) {
      return analysis_.frame_of(node.name()) == cond_.frame &&
             starts_with(analysis_.nest_of(node.name()), inner);
    };
  }

  // The input of a Merge that comes from `branch`.
  Port branch_input(const std::string& merge, int branch) const {
    for (const Port& in : data_inputs(work_.node(merge))) {
      if (analysis_.nest_out(in) == branch_nest(branch)) return in;
    }
    throw work_.error("Merge lacks an input from one branch", work_.node(merge));
  }

  void collect_branch(const std::vector<std::string>& merges, int branch, Body& body) const {
    std::vector<Port> results;
    for (const std::string& m : merges) results.push_back(branch_input(m, branch));
    const std::string where =
        std::string(branch ? "then" : "else") + " branch of the cond on '" + cond_.predicate + "'";
    collect(work_, results, argument(branch), belongs(branch), where, "a Switch", body);
  }

  std::vector<Result> results(const std::vector<std::string>& merges, int branch) const {
    std::vector<Result> out;
    for (const std::string& m : merges) {
      out.push_back({m, type_attr(work_.node(m), "T"), branch_input(m, branch)});
    }
    return out;
  }

  // Two tf.conds on one predicate look alike, but when the second switches the first's result,
  // one If for both would read its own output. Take the Merges whose Switches read nothing that
  // depends on another Merge of the group; the rest wait for the next round.
  std::vector<std::string> independent_merges() const {
    if (cond_.merges.size() == 1) return cond_.merges;
    std::unordered_set<std::string> tainted(cond_.merges.begin(), cond_.merges.end());
    for (const std::string& name : analysis_.order()) {
      for (const Port& in : ordering_inputs(work_, work_.node(name))) {
        if (tainted.count(in.node)) tainted.insert(name);
      }
    }
    std::vector<std::string> ready;
    for (const std::string& m : cond_.merges) {
      Body both;
      collect_branch({m}, 1, both);
      collect_branch({m}, 0, both);
      bool depends = false;
      for (const std::string& s : both.args) {
        depends = depends || tainted.count(data_inputs(work_.node(s))[0].node) > 0;
      }
      if (!depends) ready.push_back(m);
    }
    return ready;
  }

  // The branches' nodes and the cond's Switches, which the Merges no longer read.
  std::unordered_set<std::string> leftovers() const {
    std::unordered_set<std::string> names;
    for (const std::string& name : analysis_.order()) {
      const tf::NodeDef* node = work_.find(name);
      if (!node) continue;
      const Nest& nest = analysis_.nest_of(name);
      const bool in_branch = analysis_.frame_of(name) == cond_.frame &&
                             nest.size() > cond_.nest.size() && starts_with(nest, cond_.nest) &&
                             nest[cond_.nest.size()].first == cond_.predicate;
      if (in_branch && work_.is_needed(name)) {
        throw work_.error("'" + name + "' is inside a branch of the cond on '" + cond_.predicate +
                              "' and read from outside without a Merge",
                          *node);
      }
      if (in_branch || is_own_switch(*node)) names.insert(name);
    }
    return names;
  }

  Work& work_;
  const Analysis& analysis_;
  const Cond& cond_;
};

// ---- while_loop frames -> While ---------------------------------------------------------------

// One loop variable: Enter -> Merge -> Switch -> (body ... -> NextIteration -> Merge) and Exit.
struct LoopVar {
  const tf::NodeDef* enter = nullptr;
  const tf::NodeDef* merge = nullptr;
  const tf::NodeDef* exit_switch = nullptr;
  Port next;  // the body's new value: NextIteration's input
  std::vector<std::string> exits;
};

class LoopRewriter {
 public:
  LoopRewriter(Work& work, const Analysis& analysis, const std::string& frame)
      : work_(work), analysis_(analysis), frame_(frame), where_("while_loop '" + frame + "'") {}

  void run() {
    find_members();
    for (const std::string& name : members_) {
      const tf::NodeDef& node = work_.node(name);
      if (node.op() == "LoopCond") loop_cond_.push_back(&node);
      if (is_loop_merge(work_, node)) vars_.push_back(describe(node));
    }
    if (loop_cond_.size() != 1) {
      throw work_.error(
          where_ + " needs exactly one LoopCond, has " + std::to_string(loop_cond_.size()),
          work_.node(members_.front()));
    }
    for (std::size_t k = 0; k < vars_.size(); ++k) {
      var_of_merge_[vars_[k].merge->name()] = k;
      var_of_switch_[vars_[k].exit_switch->name()] = k;
    }
    Body cond, body;
    collect(work_, {data_input(work_, *loop_cond_[0], 0)}, argument(), belongs(),
            where_ + " condition", "an Enter", cond);
    std::vector<Port> next;
    for (const LoopVar& v : vars_) next.push_back(v.next);
    collect(work_, next, argument(), belongs(), where_ + " body", "an Enter", body);
    check_nothing_leaks();
    build(cond, body);
  }

 private:
  void find_members() {
    for (const tf::NodeDef& node : work_.graph().node()) {
      if (analysis_.frame_of(node.name()) == frame_) members_.push_back(node.name());
    }
  }

  LoopVar describe(const tf::NodeDef& merge) const {
    LoopVar v;
    v.merge = &merge;
    for (const Port& in : data_inputs(merge)) {
      const tf::NodeDef& producer = work_.node(in.node);
      if (producer.op() == "Enter" && !v.enter) {
        v.enter = &producer;
      } else if (producer.op() == "NextIteration" && v.next.node.empty()) {
        v.next = data_input(work_, producer, 0);
      } else {
        throw work_.error("a loop variable's Merge takes one Enter and one NextIteration", merge);
      }
    }
    if (!v.enter || v.next.node.empty()) {
      throw work_.error("a loop variable's Merge takes one Enter and one NextIteration", merge);
    }
    for (const Use& use : work_.users(merge.name())) {
      if (!use.control() && use.position == 0 && is_loop_switch(work_, *use.user)) {
        if (v.exit_switch) throw work_.error("loop variable has two Switches", merge);
        v.exit_switch = use.user;
      }
    }
    if (!v.exit_switch) throw work_.error("loop variable has no Switch(Merge, LoopCond)", merge);
    for (const Use& use : work_.users(v.exit_switch->name())) {
      if (use.control() || use.port != 0) continue;
      if (use.user->op() != "Exit") {
        throw work_.error(
            "the value leaving the loop (Switch output 0) feeds something other than Exit",
            *use.user);
      }
      v.exits.push_back(use.user->name());
    }
    return v;
  }

  // In the cond and the body, a loop variable is its Merge (before the Switch) or the Switch's
  // output 1 (after it); a loop invariant is its constant Enter.
  ArgumentOf argument() const {
    return [this](const Port& p) -> std::optional<std::string> {
      if (auto it = var_of_merge_.find(p.node); it != var_of_merge_.end()) {
        if (p.index != 0) {
          throw work_.error("a loop reads Merge's value_index output", work_.node(p.node));
        }
        return p.node;
      }
      if (auto it = var_of_switch_.find(p.node); it != var_of_switch_.end()) {
        if (p.index != 1) {
          throw work_.error("a loop body reads the value leaving the loop", work_.node(p.node));
        }
        return vars_[it->second].merge->name();
      }
      const tf::NodeDef& node = work_.node(p.node);
      if (node.op() == "Enter" && analysis_.frame_of(p.node) == frame_) {
        if (!bool_attr(node, "is_constant")) {
          throw work_.error("a non-constant Enter feeds no loop Merge", node);
        }
        return p.node;
      }
      return std::nullopt;
    };
  }

  Belongs belongs() const {
    return [this](const tf::NodeDef& node) {
      if (analysis_.frame_of(node.name()) != frame_) return false;
      if (is_frame_plumbing(node.op())) {
        throw work_.error(where_ + " has a " + node.op() + " where its body computes", node);
      }
      return true;
    };
  }

  // Only Exits may carry a value of the frame out of it, to nodes or to the caller.
  void check_nothing_leaks() const {
    for (const std::string& name : members_) {
      if (work_.node(name).op() == "Exit") continue;
      if (work_.is_needed(name)) {
        throw work_.error(
            "'" + name + "' is inside " + where_ + " and read from outside without an Exit",
            work_.node(name));
      }
      for (const Use& use : work_.users(name)) {
        if (!use.control() && analysis_.frame_of(use.user->name()) != frame_) {
          throw work_.error("'" + use.user->name() + "' reads '" + name + "' from inside " +
                                where_ + " without an Exit",
                            *use.user);
        }
      }
    }
  }

  std::string loop_name() const {
    const std::string suffix = "/while_context";
    if (frame_.size() > suffix.size() &&
        frame_.compare(frame_.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return frame_.substr(0, frame_.size() - suffix.size());
    }
    return frame_;
  }

  // The loop's arguments, each with the Enter whose input the While takes: the loop variables,
  // then the invariants the cond or the body reads.
  std::vector<std::pair<Arg, const tf::NodeDef*>> arguments(const Body& cond,
                                                            const Body& body) const {
    std::vector<std::pair<Arg, const tf::NodeDef*>> args;
    auto add = [&](const std::string& name, const tf::NodeDef& enter) {
      const int dtype = type_attr(enter, "T");
      if (dtype == tf::DT_INVALID) throw work_.error("Enter without a type (T)", enter);
      args.push_back({{name, dtype}, &enter});
    };
    for (const LoopVar& v : vars_) add(v.merge->name(), *v.enter);
    std::unordered_set<std::string> seen;
    for (const Body* b : {&cond, &body}) {
      for (const std::string& a : b->args) {
        if (!var_of_merge_.count(a) && seen.insert(a).second) add(a, work_.node(a));
      }
    }
    return args;
  }

  void build(const Body& cond, const Body& body) {
    std::vector<Arg> args;
    std::vector<int> types;
    std::vector<Result> body_results;  // each variable's next value; invariants pass through
    tf::NodeDef& loop = work_.add_node(loop_name(), "While");
    for (const auto& [arg, enter] : arguments(cond, body)) {
      args.push_back(arg);
      types.push_back(arg.dtype);
      loop.add_input(text(data_input(work_, *enter, 0)));
      const std::size_t k = body_results.size();
      const Port next = k < vars_.size() ? vars_[k].next : Port{arg.name, 0};
      body_results.push_back({arg.name + "/next", arg.dtype, next});
    }
    const std::string cond_name = work_.unique_function_name(function_base(loop.name()) + "_cond");
    const Result keep_going{"keep_going", tf::DT_BOOL, data_input(work_, *loop_cond_[0], 0)};
    work_.add_function(make_function(work_, cond_name, args, cond, argument(), {keep_going}));
    const std::string body_name = work_.unique_function_name(function_base(loop.name()) + "_body");
    work_.add_function(make_function(work_, body_name, args, body, argument(), body_results));

    set_types(loop, "T", types);
    set_function(loop, "cond", cond_name);
    set_function(loop, "body", body_name);
    const tf::AttrValue* parallel =
        find_attr(vars_.empty() ? *loop_cond_[0] : *vars_[0].enter, "parallel_iterations");
    (*loop.mutable_attr())["parallel_iterations"].set_i(parallel ? parallel->i() : 10);
    replace_frame(loop.name());
  }

  // Each Exit becomes an Identity of the While's output, under the Exit's name (what the rest
  // of the graph and the caller read); the frame's other nodes go.
  void replace_frame(const std::string& loop) {
    std::unordered_set<std::string> gone(members_.begin(), members_.end());
    for (std::size_t k = 0; k < vars_.size(); ++k) {
      for (const std::string& name : vars_[k].exits) {
        tf::NodeDef& exit = work_.node(name);
        const int dtype = type_attr(exit, "T");
        rebuild(exit, "Identity", {text({loop, static_cast<int>(k)})});
        set_type(exit, "T", dtype);
        gone.erase(name);
      }
    }
    work_.remove(gone);
  }

  Work& work_;
  const Analysis& analysis_;
  const std::string frame_;
  const std::string where_;
  std::vector<std::string> members_;
  std::vector<const tf::NodeDef*> loop_cond_;
  std::vector<LoopVar> vars_;
  std::unordered_map<std::string, std::size_t> var_of_merge_;
  std::unordered_map<std::string, std::size_t> var_of_switch_;
};

// ---- TensorArrayV3 -> TensorList --------------------------------------------------------------

// What the rewritten ops need to know about the TensorArrayV3 behind a handle.
struct ArrayFacts {
  int dtype = tf::DT_INVALID;
  std::optional<tf::TensorShapeProto> element_shape;
  bool dynamic_size = false;
};

// A scalar integer constant's value.
std::optional<std::int64_t> scalar_constant(const Work& work, const Port& p) {
  const tf::NodeDef* node = work.find(p.node);
  const tf::AttrValue* value = node && node->op() == "Const" ? find_attr(*node, "value") : nullptr;
  if (!value || value->value_case() != tf::AttrValue::kTensor) return std::nullopt;
  const tf::TensorProto& t = value->tensor();
  if (t.int_val_size() == 1) return t.int_val(0);
  if (t.int64_val_size() == 1) return t.int64_val(0);
  if (t.dtype() == tf::DT_INT32 && t.tensor_content().size() == 4) {
    std::int32_t v;
    std::memcpy(&v, t.tensor_content().data(), 4);
    return v;
  }
  if (t.dtype() == tf::DT_INT64 && t.tensor_content().size() == 8) {
    std::int64_t v;
    std::memcpy(&v, t.tensor_content().data(), 8);
    return v;
  }
  return std::nullopt;
}

class TensorArrayRewriter {
 public:
  explicit TensorArrayRewriter(Work& work) : work_(work) {}

  void run() {
    std::vector<tf::NodeDef*> ops;
    for (tf::NodeDef& node : *work_.graph().mutable_node()) {
      if (!is_tensor_array_op(node.op())) continue;
      ops.push_back(&node);
      if (node.op() == "TensorArrayV3") remember(node);
    }
    if (ops.empty()) return;
    trace_handles();
    for (tf::NodeDef* node : ops) rewrite(*node);
    // The flow (output 1) is the list now, the Reserve's only output.
    for (tf::NodeDef& node : *work_.graph().mutable_node()) {
      for (int i = 0; i < node.input_size(); ++i) {
        if (is_control(node.input(i))) continue;
        const Port p = work_.port_in(node, node.input(i));
        if (p.index == 1 && facts_.count(p.node)) node.set_input(i, p.node);
      }
    }
    work_.reindex();
    work_.remove(dropped_);
    mark_lists();
  }

 private:
  void remember(const tf::NodeDef& node) {
    ArrayFacts& facts = facts_[node.name()];
    facts.dtype = type_attr(node, "dtype");
    facts.dynamic_size = bool_attr(node, "dynamic_size");
    if (const tf::AttrValue* shape = find_attr(node, "element_shape");
        shape && shape->has_shape()) {
      facts.element_shape = shape->shape();
    }
    array_of_[node.name()] = node.name();
  }

  // Follows each handle (TensorArrayV3 output 0) through the ops that forward it. They all
  // disappear with the handle, so nothing else may read one.
  void trace_handles() {
    std::vector<std::string> stack;
    for (const auto& [name, facts] : facts_) stack.push_back(name);
    while (!stack.empty()) {
      const std::string name = stack.back();
      stack.pop_back();
      const bool creator = facts_.count(name) > 0;
      for (const Use& use : work_.users(name)) {
        if (use.control() || (creator && use.port != 0)) continue;
        const tf::NodeDef& user = *use.user;
        if (is_tensor_array_op(user.op()) && user.op() != "TensorArrayV3" && use.position == 0) {
          continue;
        }
        if (passes_on(user.op(), use.position)) {
          if (array_of_.emplace(user.name(), array_of_.at(name)).second) {
            dropped_.insert(user.name());
            stack.push_back(user.name());
          }
          continue;
        }
        throw work_.error("the handle of TensorArray '" + array_of_.at(name) + "' feeds " +
                              user.op() + ", which has no TensorList form",
                          user);
      }
    }
  }

  const ArrayFacts& facts_behind(const tf::NodeDef& node, const std::string& handle) const {
    auto it = array_of_.find(parse_port(handle).node);
    if (it == array_of_.end()) {
      throw work_.error("cannot find the TensorArrayV3 behind this handle", node);
    }
    return facts_.at(it->second);
  }

  // An int32 Const holding an element shape as TensorList ops take it: -1 for an unknown rank.
  std::string shape_constant(const std::string& owner,
                             const std::optional<tf::TensorShapeProto>& shape) {
    tf::NodeDef& c = work_.add_node(owner + "/element_shape", "Const");
    set_type(c, "dtype", tf::DT_INT32);
    tf::TensorProto& t = *(*c.mutable_attr())["value"].mutable_tensor();
    t.set_dtype(tf::DT_INT32);
    if (!shape || shape->unknown_rank()) {
      t.add_int_val(-1);
      return c.name();
    }
    t.mutable_tensor_shape()->add_dim()->set_size(shape->dim_size());
    for (const auto& d : shape->dim()) {
      t.add_int_val(static_cast<std::int32_t>(d.size() < 0 ? -1 : d.size()));
    }
    return c.name();
  }

  void rewrite(tf::NodeDef& node) {
    const std::string op = node.op();
    const std::vector<std::string> in = data_input_texts(node);
    auto need = [&](std::size_t n) {
      if (in.size() != n) throw work_.error(op + " takes " + std::to_string(n) + " inputs", node);
    };
    if (op == "TensorArrayV3") {
      need(1);
      const ArrayFacts& facts = facts_.at(node.name());
      const std::string shape = shape_constant(node.name(), facts.element_shape);
      rebuild(node, "TensorListReserve", {shape, in[0]});
      set_type(node, "element_dtype", facts.dtype);
      set_type(node, "shape_type", tf::DT_INT32);
      lists_.push_back(node.name());
    } else if (op == "TensorArrayWriteV3") {  // (handle, index, value, flow)
      need(4);
      const ArrayFacts& facts = facts_behind(node, in[0]);
      const int dtype = type_attr(node, "T");
      rebuild(node, "TensorListSetItem", {in[3], in[1], in[2]});
      set_type(node, "element_dtype", dtype);
      (*node.mutable_attr())["resize_if_index_out_of_bounds"].set_b(facts.dynamic_size);
      lists_.push_back(node.name());
    } else if (op == "TensorArrayReadV3") {  // (handle, index, flow)
      need(3);
      const ArrayFacts& facts = facts_behind(node, in[0]);
      const int dtype = type_attr(node, "dtype");
      const std::string shape = shape_constant(node.name(), facts.element_shape);
      rebuild(node, "TensorListGetItem", {in[2], in[1], shape});
      set_type(node, "element_dtype", dtype);
    } else if (op == "TensorArrayGatherV3") {  // (handle, indices, flow)
      need(3);
      std::optional<tf::TensorShapeProto> wanted = facts_behind(node, in[0]).element_shape;
      if (const tf::AttrValue* own = find_attr(node, "element_shape");
          own && own->has_shape() && !own->shape().unknown_rank()) {
        wanted = own->shape();
      }
      const int dtype = type_attr(node, "dtype");
      const std::string shape = shape_constant(node.name(), wanted);
      rebuild(node, "TensorListGather", {in[2], in[1], shape});
      set_type(node, "element_dtype", dtype);
    } else if (op == "TensorArrayScatterV3") {  // (handle, indices, value, flow)
      need(4);
      if (!is_full_range(parse_port(in[1]))) {
        throw work_.error(
            "TensorArrayScatterV3 is converted only for indices Range(0, n, 1) (an unstack)", node);
      }
      const ArrayFacts& facts = facts_behind(node, in[0]);
      const int dtype = type_attr(node, "T");
      const std::string shape = shape_constant(node.name(), facts.element_shape);
      rebuild(node, "TensorListFromTensor", {in[2], shape});
      set_type(node, "element_dtype", dtype);
      set_type(node, "shape_type", tf::DT_INT32);
      lists_.push_back(node.name());
    } else if (op == "TensorArraySizeV3") {  // (handle, flow)
      need(2);
      rebuild(node, "TensorListLength", {in[1]});
    } else if (op == "TensorArrayCloseV3") {
      dropped_.insert(node.name());
    } else {
      throw work_.error(op + " has no TensorList form here", node);
    }
  }

  // Scattering rows 0..n-1 of a value into a fresh array is making a list from the value: what
  // tf.TensorArray.unstack (and so dynamic_rnn) writes, with n the value's first dimension.
  bool is_full_range(const Port& indices) const {
    const tf::NodeDef* range = work_.find(indices.node);
    if (!range || range->op() != "Range") return false;
    const std::vector<Port> ins = data_inputs(*range);
    return ins.size() == 3 && scalar_constant(work_, ins[0]) == 0 &&
           scalar_constant(work_, ins[2]) == 1;
  }

  // Every Enter, Merge, Switch, Exit, NextIteration and Identity that forwards a flow now
  // forwards a list.
  void mark_lists() {
    std::vector<std::string> stack = lists_;
    std::unordered_set<std::string> seen(stack.begin(), stack.end());
    while (!stack.empty()) {
      const std::string name = stack.back();
      stack.pop_back();
      for (const Use& use : work_.users(name)) {
        tf::NodeDef& user = *use.user;
        if (use.control() || !passes_on(user.op(), use.position)) continue;
        set_type(user, "T", tf::DT_VARIANT);
        if (seen.insert(user.name()).second) stack.push_back(user.name());
      }
    }
  }

  Work& work_;
  std::map<std::string, ArrayFacts> facts_;                // by TensorArrayV3 name
  std::unordered_map<std::string, std::string> array_of_;  // handle carrier -> its TensorArrayV3
  std::unordered_set<std::string> dropped_;                // handle forwarders and CloseV3
  std::vector<std::string> lists_;                         // nodes that make a new list
};

// ---- The driver -------------------------------------------------------------------------------

// Drops every node that none of the `needed` tensors depends on (through data or control
// inputs, and so through whole loop frames and conds).
void keep_only_needed(Work& work, const std::vector<std::string>& needed) {
  std::unordered_set<std::string> reached;
  std::vector<std::string> stack;
  for (const std::string& tensor : needed) {
    const std::string name = tensor.substr(0, tensor.find(':'));
    if (work.find(name) && reached.insert(name).second) stack.push_back(name);
  }
  work.set_needed(reached);  // the ports' own nodes, before the walk adds what they read
  while (!stack.empty()) {
    const tf::NodeDef& node = work.node(stack.back());
    stack.pop_back();
    for (const std::string& input : node.input()) {
      const std::string producer =
          is_control(input) ? input.substr(1) : input.substr(0, input.find(':'));
      if (work.find(producer) && reached.insert(producer).second) stack.push_back(producer);
    }
  }
  std::unordered_set<std::string> unneeded;
  for (const tf::NodeDef& node : work.graph().node()) {
    if (!reached.count(node.name())) unneeded.insert(node.name());
  }
  work.remove(unneeded);
}

// The next construct to rewrite: the deepest frame's conds (innermost first), then its loop.
// By then everything nested inside is already a single If or While node.
struct Next {
  std::optional<Cond> cond;
  std::string frame;
};

std::optional<Next> innermost(const Work& work, const Analysis& analysis) {
  std::optional<Next> best;
  std::tuple<int, int, std::size_t> best_rank{-1, 0, 0};
  for (Cond& cond : find_conds(work, analysis)) {
    const std::tuple<int, int, std::size_t> rank{analysis.frames().at(cond.frame).depth, 1,
                                                 cond.nest.size()};
    if (rank > best_rank) {
      best_rank = rank;
      best = Next{std::move(cond), {}};
    }
  }
  for (const auto& [frame, info] : analysis.frames()) {
    if (frame.empty()) continue;
    const std::tuple<int, int, std::size_t> rank{info.depth, 0, 0};
    if (rank > best_rank) {
      best_rank = rank;
      best = Next{std::nullopt, frame};
    }
  }
  return best;
}

bool is_v1_op(const std::string& op) {
  const std::string plain = op.compare(0, 3, "Ref") == 0 ? op.substr(3) : op;
  return plain == "Enter" || plain == "Exit" || plain == "Merge" || plain == "Switch" ||
         plain == "NextIteration" || op == "LoopCond" || is_tensor_array_op(op);
}

}  // namespace

bool has_v1_control_flow(const tf::GraphDef& graph) {
  for (const tf::NodeDef& node : graph.node()) {
    if (is_v1_op(node.op())) return true;
  }
  return false;
}

tf::GraphDef functionalize_control_flow(const tf::GraphDef& graph, const std::string& file,
                                        const tf::OpList* op_list,
                                        const std::vector<std::string>& needed) {
  Work work(graph, file, op_list);
  if (!needed.empty()) keep_only_needed(work, needed);
  use_plain_forms(work);
  TensorArrayRewriter(work).run();
  // Each round rewrites one construct and looks again: rewriting changes what is innermost.
  while (true) {
    const Analysis analysis(work);
    const std::optional<Next> next = innermost(work, analysis);
    if (!next) break;
    if (next->cond) {
      CondRewriter(work, analysis, *next->cond).run();
    } else {
      LoopRewriter(work, analysis, next->frame).run();
    }
  }
  return std::move(work.graph());
}

}  // namespace kiln::importer
