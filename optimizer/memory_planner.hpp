// The memory planner: every intermediate tensor gets an offset in one arena.
//
// Two layers, each testable on its own (as TFLite's arena planner is):
//
// 1. place_in_arena() takes buffers as literal lifetimes (bytes, first step, last step) and
//    places them greedily by size with best fit: the largest buffer first, each into the
//    smallest gap between buffers it overlaps in time that can hold it, or above them all.
//    Offsets are multiples of the alignment.
// 2. make_memory_plan() derives those buffers from a graph whose shapes are concrete: the
//    schedule (the order the nodes run in), the tensors each step produces, when each dies,
//    which tensors are views of another (Reshape, Identity: same bytes), and which may
//    overwrite an input in place (an elementwise op whose input dies at this step and has the
//    output's byte size; the residual input of a fused convolution).
//
// Graph inputs, graph outputs and constants live outside the arena (the caller owns them), and
// so does any view of them. The plan reports the arena size, the naive sum (every tensor in a
// buffer of its own) and the lower bound: the largest total of buffers alive at one step, which
// no offset assignment can beat. memory_plan_svg() draws the plan: time across, offset down.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <kiln/core/op_traits.hpp>
#include <kiln/core/ops.hpp>

#include "memory_plan.hpp"

namespace kiln::opt {

// ---- 1. Placing buffers with known lifetimes -----------------------------------------------

inline std::int64_t align_up(std::int64_t value, std::int64_t alignment) {
  if (alignment <= 0) throw Error(Errc::invalid_argument, "alignment must be positive");
  const std::int64_t rounded = checked_add(value, alignment - 1);
  return rounded / alignment * alignment;
}

inline bool lifetimes_overlap(const Lifetime& a, const Lifetime& b) {
  return a.first <= b.last && b.first <= a.last;
}

struct ArenaLayout {
  std::vector<std::int64_t> offsets;  // one per buffer, in the caller's order
  std::int64_t arena_bytes = 0;
};

// Greedy by size, best fit. Buffers go largest first (ties: earlier first step, then the
// caller's order, so the result is deterministic). Each goes into the smallest gap, among the
// already placed buffers whose lifetimes overlap its own, that can hold it; if none can, it goes
// above the highest of them. A zero-byte buffer gets offset 0 and takes no room.
inline ArenaLayout place_in_arena(const std::vector<Lifetime>& buffers, std::int64_t alignment) {
  ArenaLayout layout;
  layout.offsets.assign(buffers.size(), 0);
  std::vector<std::int64_t> sizes(buffers.size());
  for (std::size_t i = 0; i < buffers.size(); ++i) {
    if (buffers[i].bytes < 0 || buffers[i].first > buffers[i].last) {
      throw Error(Errc::invalid_argument, "a buffer needs bytes >= 0 and first <= last")
          .found("buffer " + std::to_string(i));
    }
    sizes[i] = align_up(buffers[i].bytes, alignment);
  }
  std::vector<std::size_t> order(buffers.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (sizes[a] != sizes[b]) return sizes[a] > sizes[b];
    return buffers[a].first < buffers[b].first;
  });

  std::vector<std::size_t> placed;  // kept sorted by offset
  for (std::size_t i : order) {
    if (sizes[i] == 0) continue;
    std::int64_t best_offset = -1;
    std::int64_t best_gap = std::numeric_limits<std::int64_t>::max();
    std::int64_t cursor = 0;  // the lowest free byte above the overlapping buffers seen so far
    for (std::size_t p : placed) {
      if (!lifetimes_overlap(buffers[p], buffers[i])) continue;
      const std::int64_t gap = layout.offsets[p] - cursor;
      if (gap >= sizes[i] && gap < best_gap) {
        best_gap = gap;
        best_offset = cursor;
      }
      cursor = std::max(cursor, layout.offsets[p] + sizes[p]);
    }
    layout.offsets[i] = best_offset >= 0 ? best_offset : cursor;
    layout.arena_bytes = std::max(layout.arena_bytes, checked_add(layout.offsets[i], sizes[i]));
    auto at = std::upper_bound(placed.begin(), placed.end(), i, [&](std::size_t a, std::size_t b) {
      return layout.offsets[a] < layout.offsets[b];
    });
    placed.insert(at, i);
  }
  return layout;
}

// The largest total of (aligned) buffer sizes alive at one step: no placement can do better.
inline std::int64_t live_bytes_lower_bound(const std::vector<Lifetime>& buffers,
                                           std::int64_t alignment) {
  std::map<int, std::int64_t> delta;  // step -> change of the live total at that step
  for (const Lifetime& b : buffers) {
    const std::int64_t size = align_up(b.bytes, alignment);
    delta[b.first] += size;
    delta[b.last + 1] -= size;
  }
  std::int64_t live = 0, peak = 0;
  for (const auto& [step, change] : delta) {
    live += change;
    peak = std::max(peak, live);
  }
  return peak;
}

// ---- 2. A plan for a graph -------------------------------------------------------------------

struct MemoryPlanOptions {
  std::int64_t alignment = 64;
  bool in_place = true;
};

// The order the nodes run in: the graph's deterministic topological order, restricted to the
// nodes the outputs need. Sources that compute nothing (constants, fed inputs, NoOp) are not
// steps: their values exist before step 0.
inline std::vector<NodeId> execution_schedule(const Graph& graph) {
  std::vector<bool> needed(graph.size(), false);
  std::vector<NodeId> stack;
  for (const Graph::Port& p : graph.outputs()) stack.push_back(p.value.node);
  while (!stack.empty()) {
    const NodeId id = stack.back();
    stack.pop_back();
    if (needed[static_cast<std::size_t>(id)]) continue;
    needed[static_cast<std::size_t>(id)] = true;
    for (Value in : graph.node(id).inputs) stack.push_back(in.node);
    for (NodeId c : graph.node(id).control_inputs) stack.push_back(c);
  }
  std::set<NodeId> fed;
  for (const Graph::Port& p : graph.inputs()) fed.insert(p.value.node);
  std::vector<NodeId> schedule;
  for (NodeId id : graph.topological_order()) {
    const Node& n = graph.node(id);
    if (!needed[static_cast<std::size_t>(id)] || fed.count(id)) continue;
    if (n.op == "Const" || n.op == "Placeholder" || n.op == "NoOp") continue;
    schedule.push_back(id);
  }
  return schedule;
}

// The scheduled nodes whose output shapes are known only at run time, and why. Once every graph
// input's shape is concrete, a shape that type inference still leaves open is decided by values:
// the data a data-dependent op (Where, NonMaxSuppression, ...) reads, or a shape input computed
// from data. Such a node is a dynamic step, and so is every node that reads an open-shaped
// output (its kernel cannot be prepared for shapes nobody knows yet). With a graph input of
// open shape nothing is dynamic: the planner then asks for concrete shapes, as always.
inline std::vector<DynamicStep> dynamic_steps(const Graph& graph,
                                              const std::vector<NodeId>& schedule) {
  for (const Graph::Port& p : graph.inputs()) {
    if (!graph.type_of(p.value).shape.is_fully_known()) return {};
  }
  std::vector<DynamicStep> steps;
  for (NodeId id : schedule) {
    const Node& node = graph.node(id);
    std::string why;
    for (Value in : node.inputs) {
      if (why.empty() && graph.type_of(in).dtype == DType::variant) {
        why = "reads the tensor list " + graph.value_name(in);
      }
      if (why.empty() && !graph.type_of(in).shape.is_fully_known()) {
        why = "reads " + graph.value_name(in) + ", sized at run time";
      }
    }
    for (const TensorType& out : node.outputs) {
      if (why.empty() && out.dtype == DType::variant) why = "makes a tensor list";
      if (why.empty() && !out.shape.is_fully_known()) {
        why = "output " + out.str() + " is sized by the values";
      }
    }
    if (!why.empty()) steps.push_back({id, std::move(why)});
  }
  return steps;
}

namespace memory_detail {

// Union-find over tensor groups that share bytes (views, in-place outputs).
struct Groups {
  std::vector<int> parent;
  int add() {
    parent.push_back(static_cast<int>(parent.size()));
    return parent.back();
  }
  int find(int g) {
    while (parent[static_cast<std::size_t>(g)] != g) {
      g = parent[static_cast<std::size_t>(g)] =
          parent[static_cast<std::size_t>(parent[static_cast<std::size_t>(g)])];
    }
    return g;
  }
  void join(int keep, int other) { parent[static_cast<std::size_t>(find(other))] = find(keep); }
};

inline std::int64_t byte_size(const Graph& graph, Value v) {
  const TensorType& t = graph.type_of(v);
  if (!t.shape.is_fully_known()) {
    throw graph.node(v.node)
        .error(Errc::shape_mismatch, "memory planning needs concrete shapes")
        .input(graph.value_name(v))
        .found(t.str());
  }
  return checked_mul(t.shape.num_elements(), static_cast<std::int64_t>(dtype_size(t.dtype)));
}

}  // namespace memory_detail

// Plans every intermediate of `graph`, whose inputs must have concrete shapes (run type
// inference with them first). The outputs of dynamic steps (dynamic_steps() above) stay outside
// the arena; every other scheduled node must have fully known output shapes. Throws an Error
// naming the first value whose shape is not concrete.
inline MemoryPlan make_memory_plan(const Graph& graph, const MemoryPlanOptions& options = {}) {
  using memory_detail::Groups;
  MemoryPlan plan;
  plan.alignment = options.alignment;
  plan.schedule = execution_schedule(graph);
  plan.dynamic = dynamic_steps(graph, plan.schedule);
  const int steps = static_cast<int>(plan.schedule.size());

  // Every value the schedule produces, with the step that produces it and its last reader.
  std::map<Value, int> tensor_of;  // value -> index into plan.tensors
  std::vector<int> group_of;       // tensor index -> group
  Groups groups;
  for (int step = 0; step < steps; ++step) {
    const NodeId id = plan.schedule[static_cast<std::size_t>(step)];
    const Node& node = graph.node(id);
    const OpDef* def = op_catalogue().find(node.op);
    if (plan.find_dynamic(id)) continue;  // allocated when it runs
    for (std::size_t i = 0; i < node.outputs.size(); ++i) {
      PlannedTensor t;
      t.value = {id, static_cast<int>(i)};
      t.name = graph.value_name(t.value);
      t.bytes = memory_detail::byte_size(graph, t.value);
      t.first = t.last = step;
      int group = -1;
      if (def && def->forwards_inputs && i < node.inputs.size()) {
        t.kind = PlannedTensor::Kind::view;
        auto source = tensor_of.find(node.inputs[i]);
        // A view of something outside the arena is outside the arena too: no tensor for it.
        if (source == tensor_of.end()) continue;
        group = group_of[static_cast<std::size_t>(source->second)];
      }
      tensor_of[t.value] = static_cast<int>(plan.tensors.size());
      group_of.push_back(group >= 0 ? group : groups.add());
      plan.tensors.push_back(std::move(t));
    }
  }
  for (int step = 0; step < steps; ++step) {
    for (Value in : graph.node(plan.schedule[static_cast<std::size_t>(step)]).inputs) {
      auto it = tensor_of.find(in);
      if (it != tensor_of.end()) plan.tensors[static_cast<std::size_t>(it->second)].last = step;
    }
  }

  // Groups that hold a graph output belong to the caller, not to the arena.
  std::set<int> external;
  for (const Graph::Port& p : graph.outputs()) {
    auto it = tensor_of.find(p.value);
    if (it != tensor_of.end())
      external.insert(groups.find(group_of[static_cast<std::size_t>(it->second)]));
  }
  // The last step that reads any tensor of a group, kept at the group's root.
  std::vector<int> group_last(groups.parent.size(), -1);
  for (std::size_t t = 0; t < plan.tensors.size(); ++t) {
    int& last = group_last[static_cast<std::size_t>(groups.find(group_of[t]))];
    last = std::max(last, plan.tensors[t].last);
  }

  // In place: in schedule order, an output joins the group of an input that dies here.
  if (options.in_place) {
    for (int step = 0; step < steps; ++step) {
      const NodeId id = plan.schedule[static_cast<std::size_t>(step)];
      const Node& node = graph.node(id);
      auto out = tensor_of.find(Value{id, 0});
      if (out == tensor_of.end() || node.outputs.size() != 1) continue;
      PlannedTensor& produced = plan.tensors[static_cast<std::size_t>(out->second)];
      const int out_group = groups.find(group_of[static_cast<std::size_t>(out->second)]);
      if (produced.kind != PlannedTensor::Kind::own || external.count(out_group)) continue;
      const std::vector<int> candidates = in_place_inputs(node);  // core/op_traits.hpp
      for (int slot : candidates) {
        if (slot < 0 || static_cast<std::size_t>(slot) >= node.inputs.size()) continue;
        auto in = tensor_of.find(node.inputs[static_cast<std::size_t>(slot)]);
        if (in == tensor_of.end()) continue;
        const int in_group = groups.find(group_of[static_cast<std::size_t>(in->second)]);
        // The bytes must not also reach the node through an input that reads other elements
        // (a convolution's window): those would be overwritten before they are read.
        bool read_otherwise = false;
        for (std::size_t k = 0; k < node.inputs.size(); ++k) {
          if (std::find(candidates.begin(), candidates.end(), static_cast<int>(k)) !=
              candidates.end()) {
            continue;
          }
          auto other = tensor_of.find(node.inputs[k]);
          read_otherwise =
              read_otherwise ||
              (other != tensor_of.end() &&
               groups.find(group_of[static_cast<std::size_t>(other->second)]) == in_group);
        }
        if (read_otherwise) continue;
        const PlannedTensor& source = plan.tensors[static_cast<std::size_t>(in->second)];
        if (external.count(in_group) || source.bytes != produced.bytes) continue;
        if (group_last[static_cast<std::size_t>(in_group)] != step) continue;  // read later
        group_last[static_cast<std::size_t>(in_group)] =
            std::max(step, group_last[static_cast<std::size_t>(out_group)]);
        groups.join(in_group, out_group);
        produced.kind = PlannedTensor::Kind::in_place;
        break;
      }
    }
  }

  // One buffer per internal group with bytes; its lifetime spans all its tensors.
  std::map<int, int> buffer_of_group;
  for (std::size_t t = 0; t < plan.tensors.size(); ++t) {
    PlannedTensor& tensor = plan.tensors[t];
    const int group = groups.find(group_of[t]);
    if (external.count(group) || tensor.bytes == 0) continue;
    auto [it, fresh] = buffer_of_group.emplace(group, static_cast<int>(plan.buffers.size()));
    if (fresh) {
      PlannedBuffer b;
      b.lifetime = {tensor.bytes, tensor.first, tensor.last};
      plan.buffers.push_back(b);
    }
    PlannedBuffer& b = plan.buffers[static_cast<std::size_t>(it->second)];
    b.lifetime.first = std::min(b.lifetime.first, tensor.first);
    b.lifetime.last = std::max(b.lifetime.last, tensor.last);
    b.tensors.push_back(static_cast<int>(t));
    tensor.buffer = it->second;
    if (tensor.kind != PlannedTensor::Kind::view) {
      plan.naive_bytes = checked_add(plan.naive_bytes, align_up(tensor.bytes, options.alignment));
    }
  }
  // Drop the tensors outside the arena, renumbering the buffers' references.
  std::vector<PlannedTensor> kept;
  std::vector<int> new_index(plan.tensors.size(), -1);
  for (std::size_t t = 0; t < plan.tensors.size(); ++t) {
    if (plan.tensors[t].buffer < 0) continue;
    new_index[t] = static_cast<int>(kept.size());
    kept.push_back(plan.tensors[t]);
  }
  for (PlannedBuffer& b : plan.buffers) {
    for (int& t : b.tensors) t = new_index[static_cast<std::size_t>(t)];
  }
  plan.tensors = std::move(kept);

  std::vector<Lifetime> lifetimes;
  for (const PlannedBuffer& b : plan.buffers) lifetimes.push_back(b.lifetime);
  const ArenaLayout layout = place_in_arena(lifetimes, options.alignment);
  for (std::size_t b = 0; b < plan.buffers.size(); ++b) plan.buffers[b].offset = layout.offsets[b];
  plan.arena_bytes = layout.arena_bytes;
  plan.lower_bound_bytes = live_bytes_lower_bound(lifetimes, options.alignment);
  return plan;
}

// ---- 3. The picture ---------------------------------------------------------------------------

namespace memory_detail {

inline std::string xml_escaped(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

inline std::string number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", v);
  return text;
}

// A box label: the layer, i.e. the next-to-last part of a TensorFlow name
// (".../block_1_expand_relu/Relu6" -> "block_1_expand_relu"), which says more than the scope
// prefix every name shares or the op every layer ends in; cut to `fits` characters.
inline std::string short_label(const std::string& name, std::size_t fits) {
  std::string label = name;
  const std::size_t last = name.rfind('/');
  if (last != std::string::npos && last > 0) {
    const std::size_t before = name.rfind('/', last - 1);
    label = name.substr(before == std::string::npos ? 0 : before + 1,
                        last - (before == std::string::npos ? 0 : before + 1));
  }
  if (label.size() <= fits) return label;
  if (fits < 2) return "";
  return label.substr(0, fits - 1) + "…";
}

// A stable pastel colour per buffer, so neighbours differ and reruns look the same.
inline std::string colour(std::size_t i) {
  const int hue = static_cast<int>((i * 137) % 360);  // the golden angle spreads hues apart
  return "hsl(" + std::to_string(hue) + ",60%,78%)";
}

}  // namespace memory_detail

// An SVG chart of the plan: steps run left to right, arena offsets top to bottom; one box per
// buffer, labelled with the tensor that produced it (hover for every tensor in it). Dashed
// lines mark the lower bound and the arena size.
inline std::string memory_plan_svg(const MemoryPlan& plan, const std::string& title = "") {
  using memory_detail::number;
  using memory_detail::xml_escaped;
  const int steps = std::max<int>(1, static_cast<int>(plan.schedule.size()));
  // At least 24 pixels per step, so that boxes have room for a label.
  const double left = 70, top = 50, width = std::max(960.0, 24.0 * steps), height = 560;
  const double arena = static_cast<double>(std::max<std::int64_t>(plan.arena_bytes, 1));
  const double x_scale = width / steps;
  const double y_scale = height / arena;
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                    number(width + left + 20) + "\" height=\"" + number(height + top + 50) +
                    "\" font-family=\"Helvetica,Arial,sans-serif\" font-size=\"10\">\n";
  const std::string heading =
      (title.empty() ? std::string() : title + ": ") + "arena " + format_bytes(plan.arena_bytes) +
      ", lower bound " + format_bytes(plan.lower_bound_bytes) + ", naive " +
      format_bytes(plan.naive_bytes) + ", " + std::to_string(plan.tensors.size()) + " tensors in " +
      std::to_string(plan.buffers.size()) + " buffers";
  svg += "<text x=\"" + number(left) + "\" y=\"20\" font-size=\"13\">" + xml_escaped(heading) +
         "</text>\n";
  svg += "<rect x=\"" + number(left) + "\" y=\"" + number(top) + "\" width=\"" + number(width) +
         "\" height=\"" + number(height) + "\" fill=\"#fafafa\" stroke=\"#999\"/>\n";
  for (std::size_t b = 0; b < plan.buffers.size(); ++b) {
    const PlannedBuffer& buffer = plan.buffers[b];
    const double x = left + buffer.lifetime.first * x_scale;
    const double w = (buffer.lifetime.last - buffer.lifetime.first + 1) * x_scale;
    const double y = top + static_cast<double>(buffer.offset) * y_scale;
    const double h = std::max(1.0, static_cast<double>(buffer.lifetime.bytes) * y_scale);
    std::string tip;
    for (int t : buffer.tensors) {
      const PlannedTensor& tensor = plan.tensors[static_cast<std::size_t>(t)];
      tip += (tip.empty() ? "" : "\n") + tensor.name + " (" + format_bytes(tensor.bytes) +
             ", steps " + std::to_string(tensor.first) + "-" + std::to_string(tensor.last) +
             (tensor.kind == PlannedTensor::Kind::in_place ? ", in place"
              : tensor.kind == PlannedTensor::Kind::view   ? ", view"
                                                           : "") +
             ")";
    }
    tip += "\noffset " + std::to_string(buffer.offset);
    svg += "<g><title>" + xml_escaped(tip) + "</title><rect x=\"" + number(x) + "\" y=\"" +
           number(y) + "\" width=\"" + number(w) + "\" height=\"" + number(h) + "\" fill=\"" +
           memory_detail::colour(b) + "\" stroke=\"#555\" stroke-width=\"0.5\"/>";
    if (h >= 11 && w >= 30 && !buffer.tensors.empty()) {
      const std::string& name = plan.tensors[static_cast<std::size_t>(buffer.tensors[0])].name;
      const std::string shown = memory_detail::short_label(name, static_cast<std::size_t>(w / 5.5));
      svg += "<text x=\"" + number(x + 2) + "\" y=\"" + number(y + 10) + "\">" +
             xml_escaped(shown) + "</text>";
    }
    svg += "</g>\n";
  }
  const double bound_y = top + static_cast<double>(plan.lower_bound_bytes) * y_scale;
  svg += "<line x1=\"" + number(left) + "\" y1=\"" + number(bound_y) + "\" x2=\"" +
         number(left + width) + "\" y2=\"" + number(bound_y) +
         "\" stroke=\"#c00\" stroke-dasharray=\"6,3\"/>\n";
  svg += "<text x=\"" + number(left + width - 4) + "\" y=\"" + number(bound_y - 3) +
         "\" text-anchor=\"end\" fill=\"#c00\">lower bound " +
         xml_escaped(format_bytes(plan.lower_bound_bytes)) + "</text>\n";
  svg += "<text x=\"" + number(left - 4) + "\" y=\"" + number(top + 10) +
         "\" text-anchor=\"end\">0</text>\n";
  svg += "<text x=\"" + number(left - 4) + "\" y=\"" + number(top + height) +
         "\" text-anchor=\"end\">" + xml_escaped(format_bytes(plan.arena_bytes)) + "</text>\n";
  svg += "<text x=\"" + number(left + width / 2) + "\" y=\"" + number(top + height + 30) +
         "\" text-anchor=\"middle\">step (" + std::to_string(plan.schedule.size()) +
         " nodes in schedule order)</text>\n";
  svg += "<text x=\"15\" y=\"" + number(top + height / 2) + "\" transform=\"rotate(-90 15 " +
         number(top + height / 2) + ")\" text-anchor=\"middle\">arena offset</text>\n";
  return svg + "</svg>\n";
}

}  // namespace kiln::opt
