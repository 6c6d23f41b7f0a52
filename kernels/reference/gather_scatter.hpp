// Kernels for Gather, GatherNd, ScatterNd and the TensorScatter* ops. Each index tuple names a
// slice (the axes after the tuple's coordinates) by its row-major number among all slices; the
// gathers copy slices, the scatters combine an update slice into one. An index outside its axis is
// an Error, or skipped under bad_indices_policy IGNORE (a gather then reads zeros).
#pragma once

#include <algorithm>
#include <type_traits>

#include "one_hot.hpp"

namespace kiln::reference::array {

using ops::array::BadIndices;

// The index tuples of `indices` (depth coordinates each, the last axis) over the first `depth`
// axes of `shape`, as slice numbers; -1 marks a tuple outside the shape.
inline std::vector<std::int64_t> slice_numbers(const Tensor& indices, std::int64_t tuples,
                                               std::int64_t depth, const Shape& shape) {
  const std::vector<std::int64_t> coordinates = integers_of(indices);
  std::vector<std::int64_t> numbers(static_cast<std::size_t>(tuples), 0);
  for (std::int64_t t = 0; t < tuples; ++t) {
    std::int64_t& number = numbers[static_cast<std::size_t>(t)];
    for (std::int64_t j = 0; j < depth && number >= 0; ++j) {
      const std::int64_t i = coordinates[static_cast<std::size_t>(t * depth + j)];
      const std::int64_t dim = shape.dim(static_cast<int>(j));
      number = i < 0 || i >= dim ? -1 : number * dim + i;
    }
  }
  return numbers;
}

// The first tuple outside the shape, as an Error naming it.
inline Error bad_index(const Node& node, const Tensor& indices, std::int64_t tuple,
                       std::int64_t depth, const Shape& shape) {
  const std::vector<std::int64_t> coordinates = integers_of(indices);
  const auto first = coordinates.begin() + tuple * depth;
  const Ints tuple_values(first, first + depth);
  return node.error(Errc::invalid_argument, "index tuple outside the shape")
      .expected("an index into " + shape.str())
      .found("indices[" + std::to_string(tuple) + "] = " + attr_text(AttrValue(tuple_values)));
}

// Copies the slices of `params` that `indices` picks (tuples of `depth` coordinates) into out.
inline void gather_slices(const Node& node, const Tensor& params, const Tensor& indices,
                          std::int64_t tuples, std::int64_t depth, BadIndices policy,
                          Tensor& out) {
  const std::vector<std::int64_t> numbers = slice_numbers(indices, tuples, depth, params.shape());
  const auto bad = std::find(numbers.begin(), numbers.end(), -1);
  if (bad != numbers.end() && policy == BadIndices::error) {
    throw bad_index(node, indices, bad - numbers.begin(), depth, params.shape());
  }
  if (out.num_elements() == 0) return;
  const std::int64_t n = dims_product(params.shape(), static_cast<int>(depth), params.rank());
  const std::size_t slice = static_cast<std::size_t>(n) * dtype_size(params.dtype());
  const auto* src = static_cast<const std::byte*>(params.raw());
  auto* dst = static_cast<std::byte*>(out.raw());
  for (std::int64_t number : numbers) {
    if (number < 0) {
      std::memset(dst, 0, slice);
    } else {
      std::memcpy(dst, src + static_cast<std::size_t>(number) * slice, slice);
    }
    dst += slice;
  }
}

// Gather(params, indices): every index is a tuple of one coordinate.
inline void gather_kernel(const Node& node, const std::vector<Tensor>& in,
                          std::vector<Tensor>& out) {
  gather_slices(node, in[0], in[1], in[1].num_elements(), 1, BadIndices::error, out[0]);
}

inline void gather_nd_kernel(const Node& node, const std::vector<Tensor>& in,
                             std::vector<Tensor>& out) {
  const Tensor& indices = in[1];
  const BadIndices policy = ops::array::bad_indices_policy(known_context(node, in));
  const std::int64_t depth = indices.dim(-1);
  const std::int64_t tuples = dims_product(indices.shape(), 0, indices.rank() - 1);
  gather_slices(node, in[0], indices, tuples, depth, policy, out[0]);
}

// How a scatter combines an update u into the output element a.
enum class Combine { assign, add, subtract, max, min };

template <class T> T combine(Combine how, T a, T u) {
  switch (how) {
    case Combine::assign: return u;
    // bool only adds (ScatterNd), and true + true stays true.
    case Combine::add: return static_cast<T>(a + u);
    case Combine::subtract: return static_cast<T>(a - u);
    case Combine::max: return a < u ? u : a;
    case Combine::min: return u < a ? u : a;
  }
  return a;
}

// Combines the update slices into `out`, which holds what they apply to, in the order of the
// tuples (so that repeated tuples add up, or the last assignment wins).
inline void scatter_slices(const Node& node, const Tensor& indices, const Tensor& updates,
                           BadIndices policy, Combine how, Tensor& out) {
  if (indices.num_elements() == 0) return;  // no update (and then none has elements either)
  const std::int64_t depth = indices.dim(-1);
  const std::int64_t tuples = dims_product(indices.shape(), 0, indices.rank() - 1);
  const std::vector<std::int64_t> numbers = slice_numbers(indices, tuples, depth, out.shape());
  const auto bad = std::find(numbers.begin(), numbers.end(), -1);
  if (bad != numbers.end() && policy == BadIndices::error) {
    throw bad_index(node, indices, bad - numbers.begin(), depth, out.shape());
  }
  const std::int64_t slice = dims_product(out.shape(), static_cast<int>(depth), out.rank());
  dispatch(out.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* u = updates.data<T>();
    T* o = out.data<T>();
    for (std::int64_t t = 0; t < tuples; ++t) {
      const std::int64_t number = numbers[static_cast<std::size_t>(t)];
      if (number < 0) continue;
      for (std::int64_t e = 0; e < slice; ++e) {
        T& a = o[number * slice + e];
        a = combine<T>(how, a, u[t * slice + e]);
      }
    }
  });
}

inline void scatter_nd_kernel(const Node& node, const std::vector<Tensor>& in,
                              std::vector<Tensor>& out) {
  const BadIndices policy = ops::array::bad_indices_policy(known_context(node, in));
  std::memset(out[0].raw(), 0, out[0].byte_size());
  scatter_slices(node, in[0], in[1], policy, Combine::add, out[0]);
}

template <Combine how>
void tensor_scatter_kernel(const Node& node, const std::vector<Tensor>& in,
                           std::vector<Tensor>& out) {
  const BadIndices policy = ops::array::bad_indices_policy(known_context(node, in));
  if (out[0].raw() != in[0].raw()) std::memcpy(out[0].raw(), in[0].raw(), in[0].byte_size());
  scatter_slices(node, in[1], in[2], policy, how, out[0]);
}

inline void register_gather_scatter_kernels(KernelTable& table) {
  table["Gather"] = gather_kernel;
  table["GatherNd"] = gather_nd_kernel;
  table["ScatterNd"] = scatter_nd_kernel;
  table["TensorScatterUpdate"] = tensor_scatter_kernel<Combine::assign>;
  table["TensorScatterAdd"] = tensor_scatter_kernel<Combine::add>;
  table["TensorScatterSub"] = tensor_scatter_kernel<Combine::subtract>;
  table["TensorScatterMax"] = tensor_scatter_kernel<Combine::max>;
  table["TensorScatterMin"] = tensor_scatter_kernel<Combine::min>;
}

}  // namespace kiln::reference::array
