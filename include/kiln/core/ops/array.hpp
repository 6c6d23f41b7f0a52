// The array ops: catalogue entries with TensorFlow's attribute names and defaults (TF2 exports
// strip attributes equal to their default), and the shape functions in array/*.hpp.
//
// Reshape, Squeeze and ExpandDims forward their input's bytes under a new shape, so they have no
// kernel. Shape functions use an input's value when it is known (a constant, or a node about to
// run) to give exact shapes, and validate everything a hostile file could put there.
#pragma once

#include "array/broadcasting.hpp"
#include "array/generating.hpp"
#include "array/joining.hpp"
#include "array/padding.hpp"
#include "array/reshaping.hpp"
#include "array/slicing.hpp"

namespace kiln::ops {

inline void register_array_ops(OpCatalogue& catalogue) {
  using namespace array;
  const AttrDef T{"T", {}};
  const AttrDef N{"N", {}};
  const std::int64_t zero = 0;

  // Pure reinterpretations: the same bytes under another shape.
  catalogue.add({"Reshape", 2, 2, {T, {"Tshape", DType::int32}}, infer_reshape,
                 /*forwards_inputs=*/true, {"T", "Tshape"}});
  catalogue.add({"Squeeze", 1, 1, {T, {"squeeze_dims", Ints{}}}, infer_squeeze,
                 /*forwards_inputs=*/true, {"T"}});
  catalogue.add({"ExpandDims", 2, 2, {T, {"Tdim", DType::int32}}, infer_expand_dims,
                 /*forwards_inputs=*/true, {"T", "Tdim"}});

  catalogue.add({"Transpose", 2, 2, {T, {"Tperm", DType::int32}}, infer_transpose,
                 false, {"T", "Tperm"}});
  catalogue.add({"Shape", 1, 1, {T, {"out_type", DType::int32}}, infer_shape_op,
                 false, {"T"}});
  catalogue.add({"Size", 1, 1, {T, {"out_type", DType::int32}}, infer_size, false,
                 {"T"}});
  catalogue.add({"Rank", 1, 1, {T}, infer_rank, false, {"T"}});

  // Joining and cutting. ConcatV2's axis comes after its N values, so its dtypes are checked by
  // its shape function rather than by input_types.
  catalogue.add({"ConcatV2", 3, kVariadic, {N, T, {"Tidx", DType::int32}},
                 infer_concat_v2});
  catalogue.add({"Pack", 1, kVariadic, {N, T, {"axis", zero}}, infer_pack,
                 false, {"T"}});
  catalogue.add({"Unpack", 1, 1, {{"num", {}}, T, {"axis", zero}}, infer_unpack, false,
                 {"T"}});
  catalogue.add({"Split", 2, 2, {{"num_split", {}}, T}, infer_split, false, {"", "T"}});
  catalogue.add({"SplitV", 3, 3, {{"num_split", {}}, T, {"Tlen", DType::int64}},
                 infer_split_v, false, {"T", "Tlen", ""}});

  // Slicing and gathering.
  catalogue.add({"StridedSlice", 4, 4,
                 {T, {"Index", {}}, {"begin_mask", zero}, {"end_mask", zero},
                  {"ellipsis_mask", zero}, {"new_axis_mask", zero},
                  {"shrink_axis_mask", zero}},
                 infer_strided_slice, false, {"T", "Index", "Index", "Index"}});
  catalogue.add({"Slice", 3, 3, {T, {"Index", {}}}, infer_slice, false, {"T", "Index", "Index"}});
  catalogue.add({"GatherV2", 3, 3,
                 {{"batch_dims", zero}, {"Tparams", {}}, {"Tindices", {}}, {"Taxis", {}}},
                 infer_gather_v2, false, {"Tparams", "Tindices", "Taxis"}});

  // Padding.
  catalogue.add({"Pad", 2, 2, {T, {"Tpaddings", DType::int32}}, infer_pad, false,
                 {"T", "Tpaddings"}});
  catalogue.add({"PadV2", 3, 3, {T, {"Tpaddings", DType::int32}}, infer_pad_v2, false,
                 {"T", "Tpaddings", "T"}});
  catalogue.add({"MirrorPad", 2, 2, {T, {"Tpaddings", DType::int32}, {"mode", {}}},
                 infer_mirror_pad, false, {"T", "Tpaddings"}});

  // Repeating and broadcasting.
  catalogue.add({"Tile", 2, 2, {T, {"Tmultiples", DType::int32}}, infer_tile, false,
                 {"T", "Tmultiples"}});
  catalogue.add({"BroadcastTo", 2, 2, {T, {"Tidx", DType::int32}}, infer_broadcast_to,
                 false, {"T", "Tidx"}});
  catalogue.add({"SelectV2", 3, 3, {T}, infer_select_v2, false, {"", "T", "T"}});
  catalogue.add({"Select", 3, 3, {T}, infer_select, false, {"", "T", "T"}});

  // Generating.
  catalogue.add({"Fill", 2, 2, {T, {"index_type", DType::int32}}, infer_fill, false,
                 {"index_type", "T"}});
  catalogue.add({"Range", 3, 3, {{"Tidx", DType::int32}}, infer_range, false,
                 {"Tidx", "Tidx", "Tidx"}});
  catalogue.add({"ZerosLike", 1, 1, {T}, same_as_input0, false, {"T"}});
  catalogue.add({"OnesLike", 1, 1, {T}, same_as_input0, false, {"T"}});
}

}  // namespace kiln::ops
