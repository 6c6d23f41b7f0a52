// TensorList ops: TensorFlow 2's TensorArray (what tf.TensorArray, Keras' RNN loop and
// tf.function loops that collect results write). A list travels as a variant scalar
// (DType::variant, the value a TensorList in tensor.hpp); every op that changes a list makes a
// new one, so lists are values like any other and a loop carries one as a loop variable.
//
// The element shape inputs follow TensorFlow: -1 as a scalar is "unknown rank", -1 in a vector
// an unknown dimension. When a list's value is at hand (eager runs), item shapes come from the
// items themselves.
#pragma once

#include <optional>

#include "array/common.hpp"

namespace kiln::ops {

namespace tensor_list {

using array::known_ints;
using array::known_scalar;

inline TensorType list_type() { return {DType::variant, Shape{}}; }

// The element shape input i declares: a scalar -1 is an unknown rank.
inline Shape declared_element_shape(const InferContext& ctx, int i) {
  const std::optional<Ints> dims = known_ints(ctx, i);
  if (!dims) return Shape::unknown_rank();
  if (ctx.value(i)->rank() == 0) {
    if (dims->front() != -1) {
      throw ctx.error(Errc::invalid_argument, "a scalar element shape must be -1 (unknown rank)")
          .found(std::to_string(dims->front()));
    }
    return Shape::unknown_rank();
  }
  for (std::int64_t d : *dims) {
    if (d < kUnknownDim) throw ctx.error(Errc::invalid_argument, "element shape has a negative size");
  }
  return array::checked_shape(ctx, *dims);
}

inline void expect_list(const InferContext& ctx, int i) {
  if (ctx.dtype(i) != DType::variant) {
    throw ctx.error(Errc::type_mismatch, "input must be a tensor list")
        .input(std::to_string(i))
        .expected("variant")
        .found(dtype_name(ctx.dtype(i)));
  }
}

// The list at input i when its value is known.
inline const TensorList* known_list(const InferContext& ctx, int i) {
  expect_list(ctx, i);
  const Tensor* value = ctx.value(i);
  return value ? &value->as_list() : nullptr;
}

inline DType element_dtype(const InferContext& ctx) { return ctx.attr<DType>("element_dtype"); }

// The index input of GetItem/SetItem as a position in `list`, checked.
inline std::size_t checked_index(const InferContext& ctx, const TensorList& list, int input,
                                 bool may_grow = false) {
  const std::int64_t index = known_scalar(ctx, input).value();
  if (index < 0 || (!may_grow && static_cast<std::size_t>(index) >= list.items.size())) {
    throw ctx.error(Errc::invalid_argument, "list index out of range")
        .expected("0 <= index < " + std::to_string(list.items.size()))
        .found(std::to_string(index));
  }
  return static_cast<std::size_t>(index);
}

// The shape of item `i`: its own, or for an item never set the list's element shape.
inline Shape item_shape(const InferContext& ctx, const TensorList& list, std::size_t i,
                        const Shape& requested) {
  if (list.items[i].valid()) return list.items[i].shape();
  const Shape shape = array::merge_shapes(ctx, list.element_shape, requested, "element shape");
  if (!shape.is_fully_known()) {
    throw ctx.error(Errc::invalid_argument,
                    "read an item that was never set from a list whose element shape is open")
        .found(shape.str());
  }
  return shape;
}

inline std::vector<TensorType> infer_new_list(const InferContext& ctx) {
  array::expect_scalar(ctx, 1);
  declared_element_shape(ctx, 0);  // validates it
  return {list_type()};
}

inline std::vector<TensorType> infer_from_tensor(const InferContext& ctx) {
  ctx.expect_dtype_attr(0, "element_dtype");
  if (ctx.shape(0).has_rank() && ctx.shape(0).rank() < 1) {
    throw ctx.error(Errc::shape_mismatch, "a list is made from a tensor of rank >= 1")
        .found(ctx.shape(0).str());
  }
  declared_element_shape(ctx, 1);
  return {list_type()};
}

inline std::vector<TensorType> infer_get_item(const InferContext& ctx) {
  array::expect_scalar(ctx, 1);
  const Shape requested = declared_element_shape(ctx, 2);
  if (const TensorList* list = known_list(ctx, 0)) {
    if (ctx.value(1)) {
      return {{element_dtype(ctx), item_shape(ctx, *list, checked_index(ctx, *list, 1), requested)}};
    }
  }
  return {{element_dtype(ctx), requested}};
}

inline std::vector<TensorType> infer_set_item(const InferContext& ctx) {
  expect_list(ctx, 0);
  array::expect_scalar(ctx, 1);
  ctx.expect_dtype_attr(2, "element_dtype");
  return {list_type()};
}

// Stack and Gather: [n] + the items' shape, which must agree.
inline Shape stacked_shape(const InferContext& ctx, const TensorList& list,
                           const std::vector<std::size_t>& picks, const Shape& requested) {
  Shape items = array::merge_shapes(ctx, list.element_shape, requested, "element shape");
  for (std::size_t i : picks) {
    const Shape own = item_shape(ctx, list, i, items);
    if (!own.compatible_with(items)) {
      throw ctx.error(Errc::shape_mismatch, "list items have different shapes")
          .expected(items.str())
          .found(own.str());
    }
    items = own;
  }
  if (!items.has_rank()) {
    throw ctx.error(Errc::invalid_argument, "stacked an empty list whose element shape is open");
  }
  std::vector<std::int64_t> dims{static_cast<std::int64_t>(picks.size())};
  dims.insert(dims.end(), items.dims().begin(), items.dims().end());
  return array::checked_shape(ctx, dims);
}

inline Shape with_leading(std::int64_t n, const Shape& items) {
  if (!items.has_rank()) return Shape::unknown_rank();
  std::vector<std::int64_t> dims{n};
  dims.insert(dims.end(), items.dims().begin(), items.dims().end());
  return Shape(dims);
}

inline std::vector<TensorType> infer_stack(const InferContext& ctx) {
  const Shape requested = declared_element_shape(ctx, 1);
  const std::int64_t expected = ctx.attr<std::int64_t>("num_elements");
  if (const TensorList* list = known_list(ctx, 0)) {
    if (expected >= 0 && static_cast<std::size_t>(expected) != list->items.size()) {
      throw ctx.error(Errc::invalid_argument, "list length differs from num_elements")
          .expected(std::to_string(expected))
          .found(std::to_string(list->items.size()));
    }
    std::vector<std::size_t> all(list->items.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    return {{element_dtype(ctx), stacked_shape(ctx, *list, all, requested)}};
  }
  return {{element_dtype(ctx), with_leading(expected >= 0 ? expected : kUnknownDim, requested)}};
}

inline std::vector<TensorType> infer_gather(const InferContext& ctx) {
  ctx.expect_rank(1, 1);
  const Shape requested = declared_element_shape(ctx, 2);
  const TensorList* list = known_list(ctx, 0);
  const std::optional<Ints> indices = known_ints(ctx, 1);
  if (list && indices) {
    std::vector<std::size_t> picks;
    for (std::int64_t i : *indices) {
      if (i < 0 || static_cast<std::size_t>(i) >= list->items.size()) {
        throw ctx.error(Errc::invalid_argument, "list index out of range").found(std::to_string(i));
      }
      picks.push_back(static_cast<std::size_t>(i));
    }
    return {{element_dtype(ctx), stacked_shape(ctx, *list, picks, requested)}};
  }
  return {{element_dtype(ctx), with_leading(array::vector_length(ctx, 1), requested)}};
}

inline std::vector<TensorType> infer_length(const InferContext& ctx) {
  expect_list(ctx, 0);
  return {{DType::int32, Shape{}}};
}

inline std::vector<TensorType> infer_element_shape(const InferContext& ctx) {
  const DType type = ctx.attr<DType>("shape_type");
  if (const TensorList* list = known_list(ctx, 0)) {
    if (!list->element_shape.has_rank()) return {{type, Shape{}}};  // -1: unknown rank
    return {{type, Shape{list->element_shape.rank()}}};
  }
  return {{type, Shape::unknown_rank()}};
}

inline std::vector<TensorType> infer_push_back(const InferContext& ctx) {
  expect_list(ctx, 0);
  ctx.expect_dtype_attr(1, "element_dtype");
  return {list_type()};
}

inline std::vector<TensorType> infer_pop_back(const InferContext& ctx) {
  const Shape requested = declared_element_shape(ctx, 1);
  if (const TensorList* list = known_list(ctx, 0)) {
    if (list->items.empty()) throw ctx.error(Errc::invalid_argument, "pop from an empty list");
    return {list_type(), {element_dtype(ctx), item_shape(ctx, *list, list->items.size() - 1, requested)}};
  }
  return {list_type(), {element_dtype(ctx), requested}};
}

inline std::vector<TensorType> infer_resize(const InferContext& ctx) {
  expect_list(ctx, 0);
  array::expect_scalar(ctx, 1);
  return {list_type()};
}

}  // namespace tensor_list

inline void register_tensor_list_ops(OpCatalogue& c) {
  using namespace tensor_list;
  const std::vector<AttrDef> typed = {{"element_dtype", {}}};
  const std::vector<AttrDef> made = {{"element_dtype", {}}, {"shape_type", DType::int32}};
  c.add(op("EmptyTensorList").inputs(2).attrs(made).input_types({"shape_type", ""})
            .infer(infer_new_list));
  c.add(op("TensorListReserve").inputs(2).attrs(made).input_types({"shape_type", ""})
            .infer(infer_new_list));
  c.add(op("TensorListFromTensor").inputs(2).attrs(made).input_types({"element_dtype", "shape_type"})
            .infer(infer_from_tensor));
  c.add(op("TensorListGetItem").inputs(3).attrs(typed).infer(infer_get_item));
  c.add(op("TensorListSetItem").inputs(3).attrs(typed)
            .attrs({{"resize_if_index_out_of_bounds", false}})
            .infer(infer_set_item));
  c.add(op("TensorListStack").inputs(2).attrs(typed).attrs({{"num_elements", std::int64_t{-1}}})
            .infer(infer_stack));
  c.add(op("TensorListGather").inputs(3).attrs(typed).infer(infer_gather));
  c.add(op("TensorListLength").inputs(1).infer(infer_length));
  c.add(op("TensorListElementShape").inputs(1).attrs({{"shape_type", {}}})
            .infer(infer_element_shape));
  c.add(op("TensorListPushBack").inputs(2).attrs(typed).infer(infer_push_back));
  c.add(op("TensorListPopBack").inputs(2).attrs(typed).infer(infer_pop_back));
  c.add(op("TensorListResize").inputs(2).infer(infer_resize));
}

}  // namespace kiln::ops
