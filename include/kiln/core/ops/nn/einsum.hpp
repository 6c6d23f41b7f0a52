// Einsum: one or two operands, an explicit "->", letters as labels and at most one "..." per
// subscript, as TensorFlow's Einsum op takes them (its Python wrapper has already turned the
// implicit form into the explicit one and removed spaces).
//
// The equation is turned into a plan: every letter becomes a label, and so does every dimension
// the ellipses stand for ("broadcast labels", aligned from the right and broadcast like NumPy).
// A label that appears twice in one operand takes a diagonal; one that appears twice in the
// output writes a diagonal (the rest is zero); one that is absent from the output is summed.
#pragma once

#include <algorithm>
#include <map>

#include "common.hpp"

namespace kiln::ops::nn {

struct EinsumPlan {
  int num_named = 0;                             // letters; broadcast labels follow them
  std::vector<std::int64_t> label_size;          // per label; kUnknownDim if not known yet
  std::vector<std::vector<int>> operand_labels;  // per operand axis; empty if its rank is unknown
  std::vector<int> output_labels;                // per output axis
  bool output_rank_known = true;

  Shape output_shape() const {
    if (!output_rank_known) return Shape::unknown_rank();
    std::vector<std::int64_t> dims;
    for (int label : output_labels) dims.push_back(label_size[static_cast<std::size_t>(label)]);
    return Shape(dims);
  }
};

namespace detail {

constexpr int kEllipsis = -1;

// "ab...c" -> labels of a, b, kEllipsis, c; letters get ids in order of first appearance.
inline std::vector<int> parse_subscript(const InferContext& ctx, const std::string& text,
                                        std::map<char, int>& ids, bool may_add) {
  std::vector<int> out;
  bool seen_ellipsis = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '.') {
      if (text.compare(i, 3, "...") != 0 || seen_ellipsis) {
        throw ctx.error(Errc::invalid_attr, "a subscript may hold one '...' and no other '.'")
            .attr("equation")
            .found(ctx.attr<std::string>("equation"));
      }
      seen_ellipsis = true;
      out.push_back(kEllipsis);
      i += 2;
      continue;
    }
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!letter) {
      throw ctx.error(Errc::invalid_attr, "einsum labels must be letters")
          .attr("equation")
          .found(ctx.attr<std::string>("equation"));
    }
    auto it = ids.find(c);
    if (it == ids.end()) {
      if (!may_add) {
        throw ctx.error(Errc::invalid_attr, "output label does not appear in any input")
            .attr("equation")
            .found(std::string(1, c) + " in " + ctx.attr<std::string>("equation"));
      }
      it = ids.emplace(c, static_cast<int>(ids.size())).first;
    }
    out.push_back(it->second);
  }
  return out;
}

// NumPy broadcasting of one dimension; 1 yields to anything, unknown yields to known.
inline std::int64_t broadcast_dim(const InferContext& ctx, std::int64_t a, std::int64_t b) {
  if (a == 1) return b;
  if (b == 1) return a;
  if (a == kUnknownDim) return b;
  if (b == kUnknownDim || a == b) return a;
  throw ctx.error(Errc::shape_mismatch, "ellipsis dimensions cannot be broadcast together")
      .expected(std::to_string(a))
      .found(std::to_string(b));
}

}  // namespace detail

inline EinsumPlan einsum_plan(const InferContext& ctx) {
  const std::string& equation = ctx.attr<std::string>("equation");
  const std::size_t arrow = equation.find("->");
  if (arrow == std::string::npos || equation.find("->", arrow + 2) != std::string::npos) {
    throw ctx.error(Errc::invalid_attr, "the equation needs exactly one '->'")
        .attr("equation")
        .found(equation);
  }
  std::vector<std::string> inputs;
  const std::string lhs = equation.substr(0, arrow);
  for (std::size_t start = 0;;) {
    const std::size_t comma = lhs.find(',', start);
    inputs.push_back(lhs.substr(start, comma == std::string::npos ? comma : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (inputs.size() > 2 || static_cast<int>(inputs.size()) != ctx.num_inputs()) {
    throw ctx.error(Errc::invalid_attr, "the equation names another number of operands")
        .attr("equation")
        .expected(std::to_string(ctx.num_inputs()) + " operand(s)")
        .found(equation);
  }
  if (ctx.attr<std::int64_t>("N") != ctx.num_inputs()) {
    throw ctx.error(Errc::invalid_attr, "N differs from the number of inputs")
        .attr("N")
        .expected(std::to_string(ctx.num_inputs()))
        .found(std::to_string(ctx.attr<std::int64_t>("N")));
  }

  std::map<char, int> ids;
  std::vector<std::vector<int>> subscripts;
  for (const std::string& s : inputs) {
    subscripts.push_back(detail::parse_subscript(ctx, s, ids, true));
  }
  const std::vector<int> output =
      detail::parse_subscript(ctx, equation.substr(arrow + 2), ids, false);

  EinsumPlan plan;
  plan.num_named = static_cast<int>(ids.size());
  plan.label_size.assign(ids.size(), kUnknownDim);
  plan.operand_labels.resize(inputs.size());
  int max_broadcast = 0;
  bool broadcast_rank_known = true;
  std::vector<int> broadcast_rank(inputs.size(), 0);

  // Named labels: sizes must agree exactly wherever a label appears.
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const std::vector<int>& labels = subscripts[i];
    const int input = static_cast<int>(i);
    const bool has_ellipsis =
        std::find(labels.begin(), labels.end(), detail::kEllipsis) != labels.end();
    const int named = static_cast<int>(labels.size()) - (has_ellipsis ? 1 : 0);
    const Shape& shape = ctx.shape(input);
    if (!shape.has_rank()) {
      if (has_ellipsis) broadcast_rank_known = false;
      continue;
    }
    const int rank = shape.rank();
    if (has_ellipsis ? rank < named : rank != named) {
      throw ctx.error(Errc::shape_mismatch, "operand rank does not match its subscript")
          .input(std::to_string(input))
          .expected((has_ellipsis ? "rank >= " : "rank ") + std::to_string(named))
          .found(shape.str());
    }
    broadcast_rank[i] = rank - named;
    max_broadcast = std::max(max_broadcast, broadcast_rank[i]);
    int axis = 0;
    for (int label : labels) {
      if (label == detail::kEllipsis) {
        axis += broadcast_rank[i];
        continue;
      }
      std::int64_t& size = plan.label_size[static_cast<std::size_t>(label)];
      size = merge_dim(ctx, size, shape.dim(axis), "sizes of one einsum label");
      ++axis;
    }
  }

  // Broadcast labels, right-aligned across the operands.
  plan.label_size.resize(ids.size() + static_cast<std::size_t>(max_broadcast), 1);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const Shape& shape = ctx.shape(static_cast<int>(i));
    if (!shape.has_rank()) continue;
    std::vector<int>& labels = plan.operand_labels[i];
    int axis = 0;
    for (int label : subscripts[i]) {
      if (label != detail::kEllipsis) {
        labels.push_back(label);
        ++axis;
        continue;
      }
      for (int t = 0; t < broadcast_rank[i]; ++t, ++axis) {
        const int b = plan.num_named + max_broadcast - broadcast_rank[i] + t;
        std::int64_t& size = plan.label_size[static_cast<std::size_t>(b)];
        size = detail::broadcast_dim(ctx, size, shape.dim(axis));
        labels.push_back(b);
      }
    }
  }

  for (int label : output) {
    if (label != detail::kEllipsis) {
      plan.output_labels.push_back(label);
      continue;
    }
    if (!broadcast_rank_known) plan.output_rank_known = false;
    for (int t = 0; t < max_broadcast; ++t) plan.output_labels.push_back(plan.num_named + t);
  }
  const bool output_has_ellipsis =
      std::find(output.begin(), output.end(), detail::kEllipsis) != output.end();
  if (!output_has_ellipsis && max_broadcast > 0) {
    throw ctx.error(Errc::invalid_attr, "input ellipsis dimensions need a '...' in the output")
        .attr("equation")
        .found(equation);
  }
  return plan;
}

inline std::vector<TensorType> infer_einsum(const InferContext& ctx) {
  expect_numeric(ctx, 0);
  return {{ctx.dtype(0), einsum_plan(ctx).output_shape()}};
}

inline void register_einsum_ops(OpCatalogue& c) {
  c.add(op("Einsum")
            .inputs(1, 2)
            .attrs({{"equation", {}}, {"N", {}}, {"T", {}}})
            .input_types({"T", "T"})
            .infer(infer_einsum));
}

}  // namespace kiln::ops::nn
