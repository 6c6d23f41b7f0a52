// A memory plan: where every intermediate tensor of a graph lives in one arena, and when. The
// memory planner (memory_planner.hpp) makes one; compiled plans (include/kiln/plan.hpp), the
// pipeline report and `kiln opt --memory-plan` read one. Only the types live here, so that
// readers need not include the planner.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include <kiln/core/graph.hpp>

namespace kiln::opt {

// One buffer to place: its size and the steps during which it holds a value (both inclusive).
struct Lifetime {
  std::int64_t bytes = 0;
  int first = 0;
  int last = 0;
};

struct PlannedTensor {
  enum class Kind {
    own,       // a buffer of its own
    in_place,  // overwrites a dying input of its node: shares that input's buffer
    view,      // the same bytes as an input under another shape (Reshape, Identity, ...)
  };
  Value value;
  std::string name;  // TensorFlow's spelling of the value: "conv1/Relu", "split:1"
  std::int64_t bytes = 0;
  int first = 0;  // the step that produces it
  int last = 0;   // the last step that reads it (first, if nothing does)
  int buffer = -1;
  Kind kind = Kind::own;
};

struct PlannedBuffer {
  Lifetime lifetime;
  std::int64_t offset = 0;
  std::vector<int> tensors;  // indices into MemoryPlan::tensors, the producer of the bytes first
};

// A scheduled node whose output shapes are known only at run time: a data-dependent op (Where,
// NonMaxSuppression, ...) or a node that reads such an output. Its outputs live outside the
// arena, allocated when it runs (see memory_planner.hpp, dynamic_steps()).
struct DynamicStep {
  NodeId node = -1;
  std::string why;  // "output int64[?,2] is sized by the values", "reads where, sized at run time"
};

struct MemoryPlan {
  std::vector<NodeId> schedule;  // step i runs schedule[i]
  std::vector<DynamicStep> dynamic;  // the steps planned at run time, in schedule order
  std::vector<PlannedTensor> tensors;
  std::vector<PlannedBuffer> buffers;
  std::int64_t alignment = 64;
  std::int64_t arena_bytes = 0;
  std::int64_t naive_bytes = 0;        // every non-view tensor in a buffer of its own
  std::int64_t lower_bound_bytes = 0;  // the most bytes alive at one step

  const PlannedTensor* find(Value v) const {
    for (const PlannedTensor& t : tensors) {
      if (t.value == v) return &t;
    }
    return nullptr;
  }
  // The arena offset of an intermediate value; -1 for one outside the arena.
  std::int64_t offset_of(Value v) const {
    const PlannedTensor* t = find(v);
    return t ? buffers[static_cast<std::size_t>(t->buffer)].offset : -1;
  }
  const DynamicStep* find_dynamic(NodeId node) const {
    for (const DynamicStep& d : dynamic) {
      if (d.node == node) return &d;
    }
    return nullptr;
  }
  int count(PlannedTensor::Kind kind) const {
    int n = 0;
    for (const PlannedTensor& t : tensors) n += t.kind == kind;
    return n;
  }
};

// "812 B", "3.50 KiB", "5.74 MiB", "1.25 GiB": three significant digits.
inline std::string format_bytes(std::int64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024.0 && unit < 4) {
    value /= 1024.0;
    ++unit;
  }
  char text[32];
  if (unit == 0)
    std::snprintf(text, sizeof text, "%lld B", static_cast<long long>(bytes));
  else
    std::snprintf(text, sizeof text, "%.3g %s", value, units[unit]);
  return text;
}

}  // namespace kiln::opt
