// What Kiln knows about an op before running it: arity, attributes with TensorFlow's defaults,
// and type inference. The catalogue (ops.hpp) holds one OpDef per op.
#pragma once

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

struct OpDef {
  std::string name;
  int min_inputs = 0;
  int max_inputs = 0;  // kVariadic for no upper bound
  std::vector<AttrDef> attrs;
  InferFn infer = nullptr;
  // Output i is input i under a new shape (Identity, Reshape, Squeeze, ...): running the node
  // costs nothing, the interpreter hands the same bytes on.
  bool forwards_inputs = false;
  // The type attribute each input's dtype must equal ("T", "Tidx", ...; "" for none). The last
  // entry also covers the extra inputs of a variadic op. Checked before `infer` runs, so a
  // constant whose dtype contradicts the op's T attribute is refused in one place.
  std::vector<std::string> input_types = {};
};

class OpCatalogue {
 public:
  void add(OpDef def) {
    const std::string name = def.name;
    ops_[name] = std::move(def);
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

 private:
  std::map<std::string, OpDef, std::less<>> ops_;
};

}  // namespace kiln
