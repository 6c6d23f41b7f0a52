// Kernels for the TensorList ops (core/ops/tensor_list.hpp). A list is immutable: an op that
// changes one copies its vector of item handles (not the items' bytes) into a new list. Items
// put into a list are given storage of their own, since the tensor handed in may be a view of
// an arena that the next step reuses.
#pragma once

#include <cstring>
#include <memory>

#include <kiln/core/ops/tensor_list.hpp>

#include "kernel.hpp"

namespace kiln::reference::tensor_list {

using ops::tensor_list::declared_element_shape;

inline Tensor owned(const Tensor& t) { return t.owns_storage() ? t : t.clone(); }

// An item to put into `list`, checked against its element shape, with storage of its own.
inline Tensor fitting_item(const Node& node, const TensorList& list, const Tensor& item) {
  if (!item.shape().compatible_with(list.element_shape)) {
    throw node.error(Errc::shape_mismatch, "item does not fit the list's element shape")
        .expected(list.element_shape.str())
        .found(item.shape().str());
  }
  return owned(item);
}

inline Tensor make_list(TensorList list) {
  return Tensor::list(std::make_shared<const TensorList>(std::move(list)));
}

// A copy of the list at input 0, to change and wrap as the op's new list.
inline TensorList copy_of_input(const std::vector<Tensor>& in) { return in[0].as_list(); }

// Copies `item`'s bytes into row `row` of `stacked` (unset items stay the zeros it starts with).
inline void copy_row(Tensor& stacked, std::int64_t row, const Tensor& item) {
  if (!item.valid() || item.byte_size() == 0) return;
  std::memcpy(static_cast<std::byte*>(stacked.raw()) + row * static_cast<std::int64_t>(item.byte_size()),
              item.raw(), item.byte_size());
}

inline void new_list_kernel(const Node& node, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  TensorList list;
  list.element_dtype = node.attr<DType>("element_dtype");
  list.element_shape = declared_element_shape(known_context(node, in), 0);
  if (node.op == "TensorListReserve") {
    const std::int64_t n = in[1].to_int64_vector().at(0);
    if (n < 0) throw node.error(Errc::invalid_argument, "reserved a negative number of items");
    list.items.resize(static_cast<std::size_t>(n));
  }
  out[0] = make_list(std::move(list));
}

inline void from_tensor_kernel(const Node& node, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  const Tensor& whole = in[0];
  const InferContext ctx = known_context(node, in);
  std::vector<std::int64_t> row_dims(whole.shape().dims().begin() + 1, whole.shape().dims().end());
  TensorList list;
  list.element_dtype = whole.dtype();
  list.element_shape = ops::array::merge_shapes(ctx, declared_element_shape(ctx, 1), Shape(row_dims),
                                                "element shape");
  const std::size_t row_bytes = whole.num_elements() == 0 ? 0 : whole.byte_size() / static_cast<std::size_t>(whole.dim(0));
  for (std::int64_t r = 0; r < whole.dim(0); ++r) {
    Tensor item(whole.dtype(), Shape(row_dims));
    if (row_bytes) std::memcpy(item.raw(), static_cast<const std::byte*>(whole.raw()) + r * static_cast<std::int64_t>(row_bytes), row_bytes);
    list.items.push_back(std::move(item));
  }
  out[0] = make_list(std::move(list));
}

inline void get_item_kernel(const Node& node, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  const TensorList& list = in[0].as_list();
  const std::size_t i = ops::tensor_list::checked_index(known_context(node, in), list, 1);
  if (list.items[i].valid()) out[0] = list.items[i];  // else: the zeros out[0] holds
}

inline void set_item_kernel(const Node& node, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  TensorList list = copy_of_input(in);
  const bool may_grow = node.attr<bool>("resize_if_index_out_of_bounds");
  const std::size_t i = ops::tensor_list::checked_index(known_context(node, in), list, 1, may_grow);
  if (i >= list.items.size()) list.items.resize(i + 1);
  list.items[i] = fitting_item(node, list, in[2]);
  out[0] = make_list(std::move(list));
}

inline void stack_kernel(const Node&, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  const TensorList& list = in[0].as_list();
  for (std::size_t i = 0; i < list.items.size(); ++i) copy_row(out[0], static_cast<std::int64_t>(i), list.items[i]);
}

inline void gather_kernel(const Node&, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  const TensorList& list = in[0].as_list();
  const std::vector<std::int64_t> picks = in[1].to_int64_vector();  // checked by inference
  for (std::size_t r = 0; r < picks.size(); ++r) {
    copy_row(out[0], static_cast<std::int64_t>(r), list.items[static_cast<std::size_t>(picks[r])]);
  }
}

inline void length_kernel(const Node&, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  out[0].data<std::int32_t>()[0] = static_cast<std::int32_t>(in[0].as_list().items.size());
}

inline void element_shape_kernel(const Node&, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  const Shape& shape = in[0].as_list().element_shape;
  const std::vector<std::int64_t> dims = shape.has_rank() ? shape.dims() : std::vector<std::int64_t>{-1};
  dispatch(out[0].dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    for (std::size_t i = 0; i < dims.size(); ++i) out[0].data<T>()[i] = static_cast<T>(dims[i]);
  });
}

inline void push_back_kernel(const Node& node, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  TensorList list = copy_of_input(in);
  list.items.push_back(fitting_item(node, list, in[1]));
  out[0] = make_list(std::move(list));
}

inline void pop_back_kernel(const Node&, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  TensorList list = copy_of_input(in);
  if (list.items.back().valid()) out[1] = list.items.back();  // else: zeros
  list.items.pop_back();
  out[0] = make_list(std::move(list));
}

inline void resize_kernel(const Node& node, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  TensorList list = copy_of_input(in);
  const std::int64_t n = in[1].to_int64_vector().at(0);
  if (n < 0) throw node.error(Errc::invalid_argument, "resized a list to a negative length");
  list.items.resize(static_cast<std::size_t>(n));
  out[0] = make_list(std::move(list));
}

inline void register_tensor_list_kernels(KernelTable& table) {
  table["EmptyTensorList"] = new_list_kernel;
  table["TensorListReserve"] = new_list_kernel;
  table["TensorListFromTensor"] = from_tensor_kernel;
  table["TensorListGetItem"] = get_item_kernel;
  table["TensorListSetItem"] = set_item_kernel;
  table["TensorListStack"] = stack_kernel;
  table["TensorListGather"] = gather_kernel;
  table["TensorListLength"] = length_kernel;
  table["TensorListElementShape"] = element_shape_kernel;
  table["TensorListPushBack"] = push_back_kernel;
  table["TensorListPopBack"] = pop_back_kernel;
  table["TensorListResize"] = resize_kernel;
}

}  // namespace kiln::reference::tensor_list
