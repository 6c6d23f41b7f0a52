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

inline void register_array_ops(OpCatalogue& c) {
  using namespace array;
  const AttrDef T{"T", {}};
  const AttrDef N{"N", {}};
  const std::int64_t zero = 0;

  // Pure reinterpretations: the same bytes under another shape.
  c.add(op("Reshape").inputs(2).attrs({T, {"Tshape", DType::int32}}).input_types({"T", "Tshape"})
            .infer(infer_reshape).forwards_inputs());
  c.add(op("Squeeze").inputs(1).attrs({T, {"squeeze_dims", Ints{}}}).input_types({"T"})
            .infer(infer_squeeze).forwards_inputs());
  c.add(op("ExpandDims").inputs(2).attrs({T, {"Tdim", DType::int32}}).input_types({"T", "Tdim"})
            .infer(infer_expand_dims).forwards_inputs());

  c.add(op("Transpose").inputs(2).attrs({T, {"Tperm", DType::int32}}).input_types({"T", "Tperm"})
            .infer(infer_transpose));
  c.add(op("Shape").inputs(1).attrs({T, {"out_type", DType::int32}}).input_types({"T"})
            .infer(infer_shape_op));
  c.add(op("Size").inputs(1).attrs({T, {"out_type", DType::int32}}).input_types({"T"})
            .infer(infer_size));
  c.add(op("Rank").inputs(1).attrs({T}).input_types({"T"}).infer(infer_rank));

  // Joining and cutting. ConcatV2's axis comes after its N values, so its dtypes are checked by
  // its shape function rather than by input_types.
  c.add(op("ConcatV2").variadic_inputs(3).attrs({N, T, {"Tidx", DType::int32}})
            .infer(infer_concat_v2));
  c.add(op("Pack").variadic_inputs(1).attrs({N, T, {"axis", zero}}).input_types({"T"})
            .infer(infer_pack));
  c.add(op("Unpack").inputs(1).attrs({{"num", {}}, T, {"axis", zero}}).input_types({"T"})
            .infer(infer_unpack));
  c.add(op("Split").inputs(2).attrs({{"num_split", {}}, T}).input_types({"", "T"})
            .infer(infer_split));
  c.add(op("SplitV").inputs(3).attrs({{"num_split", {}}, T, {"Tlen", DType::int64}})
            .input_types({"T", "Tlen", ""}).infer(infer_split_v));

  // Slicing and gathering.
  c.add(op("StridedSlice")
            .inputs(4)
            .attrs({T, {"Index", {}}, {"begin_mask", zero}, {"end_mask", zero},
                    {"ellipsis_mask", zero}, {"new_axis_mask", zero}, {"shrink_axis_mask", zero}})
            .input_types({"T", "Index", "Index", "Index"})
            .infer(infer_strided_slice));
  c.add(op("Slice").inputs(3).attrs({T, {"Index", {}}}).input_types({"T", "Index", "Index"})
            .infer(infer_slice));
  c.add(op("GatherV2")
            .inputs(3)
            .attrs({{"batch_dims", zero}, {"Tparams", {}}, {"Tindices", {}}, {"Taxis", {}}})
            .input_types({"Tparams", "Tindices", "Taxis"})
            .infer(infer_gather_v2));

  // Padding.
  c.add(op("Pad").inputs(2).attrs({T, {"Tpaddings", DType::int32}})
            .input_types({"T", "Tpaddings"}).infer(infer_pad));
  c.add(op("PadV2").inputs(3).attrs({T, {"Tpaddings", DType::int32}})
            .input_types({"T", "Tpaddings", "T"}).infer(infer_pad_v2));
  c.add(op("MirrorPad").inputs(2).attrs({T, {"Tpaddings", DType::int32}, {"mode", {}}})
            .input_types({"T", "Tpaddings"}).infer(infer_mirror_pad));

  // Repeating and broadcasting.
  c.add(op("Tile").inputs(2).attrs({T, {"Tmultiples", DType::int32}})
            .input_types({"T", "Tmultiples"}).infer(infer_tile));
  c.add(op("BroadcastTo").inputs(2).attrs({T, {"Tidx", DType::int32}})
            .input_types({"T", "Tidx"}).infer(infer_broadcast_to));
  c.add(op("SelectV2").inputs(3).attrs({T}).input_types({"", "T", "T"}).infer(infer_select_v2));
  c.add(op("Select").inputs(3).attrs({T}).input_types({"", "T", "T"}).infer(infer_select));

  // Generating.
  c.add(op("Fill").inputs(2).attrs({T, {"index_type", DType::int32}})
            .input_types({"index_type", "T"}).infer(infer_fill));
  c.add(op("Range").inputs(3).attrs({{"Tidx", DType::int32}}).input_types({"Tidx", "Tidx", "Tidx"})
            .infer(infer_range));
  c.add(op("ZerosLike").inputs(1).attrs({T}).input_types({"T"}).infer(same_as_input0));
  c.add(op("OnesLike").inputs(1).attrs({T}).input_types({"T"}).infer(same_as_input0));
}

}  // namespace kiln::ops
