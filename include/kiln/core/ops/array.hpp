// The array ops: catalogue entries with TensorFlow's attribute names and defaults (TF2 exports
// strip attributes equal to their default), and the shape functions in array/*.hpp.
//
// Reshape, Squeeze and ExpandDims forward their input's bytes under a new shape, so they have no
// kernel. Shape functions use an input's value when it is known (a constant, or a node about to
// run) to give exact shapes, and validate everything a hostile file could put there.
#pragma once

#include "array/bincount.hpp"
#include "array/broadcasting.hpp"
#include "array/diagonals.hpp"
#include "array/ensure_shape.hpp"
#include "array/gather_scatter.hpp"
#include "array/generating.hpp"
#include "array/joining.hpp"
#include "array/one_hot.hpp"
#include "array/padding.hpp"
#include "array/reshaping.hpp"
#include "array/reversing.hpp"
#include "array/slicing.hpp"
#include "array/space_to_batch.hpp"
#include "array/top_k.hpp"

namespace kiln::ops {

// The less common array ops TensorFlow graphs use: blocks between space, batch and depth,
// reversals, one-hot and bincount, gathers and scatters by index tuples, diagonals, top-k,
// Concat's first version and EnsureShape.
inline void register_array_tail_ops(OpCatalogue& c) {
  using namespace array;
  const AttrDef T{"T", {}};
  const AttrDef policy{"bad_indices_policy", std::string()};

  // Blocks of positions between space and batch or depth.
  c.add(op("SpaceToBatchND").inputs(3)
            .attrs({T, {"Tblock_shape", DType::int32}, {"Tpaddings", DType::int32}})
            .input_types({"T", "Tblock_shape", "Tpaddings"}).infer(infer_space_to_batch_nd));
  c.add(op("BatchToSpaceND").inputs(3)
            .attrs({T, {"Tblock_shape", DType::int32}, {"Tcrops", DType::int32}})
            .input_types({"T", "Tblock_shape", "Tcrops"}).infer(infer_batch_to_space_nd));
  c.add(op("DepthToSpace").inputs(1)
            .attrs({T, {"block_size", {}}, {"data_format", std::string("NHWC")}})
            .input_types({"T"}).infer(infer_depth_to_space));
  c.add(op("SpaceToDepth").inputs(1)
            .attrs({T, {"block_size", {}}, {"data_format", std::string("NHWC")}})
            .input_types({"T"}).infer(infer_space_to_depth));

  // Reordering along axes.
  c.add(op("ReverseV2").inputs(2).attrs({{"Tidx", DType::int32}, T})
            .input_types({"T", "Tidx"}).infer(infer_reverse_v2));
  c.add(op("ReverseSequence").inputs(2)
            .attrs({{"seq_dim", {}}, {"batch_dim", std::int64_t{0}}, T, {"Tlen", DType::int64}})
            .input_types({"T", "Tlen"}).infer(infer_reverse_sequence));
  c.add(op("Roll").inputs(3).attrs({T, {"Tshift", {}}, {"Taxis", {}}})
            .input_types({"T", "Tshift", "Taxis"}).infer(infer_roll));

  c.add(op("OneHot").inputs(4).attrs({{"axis", std::int64_t{-1}}, T, {"TI", DType::int64}})
            .input_types({"TI", "", "T", "T"}).infer(infer_one_hot));
  c.add(op("DenseBincount").inputs(3)
            .attrs({{"Tidx", {}}, T, {"binary_output", false}})
            .input_types({"Tidx", "Tidx", "T"}).infer(infer_dense_bincount));

  // Gathering and scattering by index tuples.
  c.add(op("Gather").inputs(2)
            .attrs({{"validate_indices", true}, {"Tparams", {}}, {"Tindices", {}}})
            .input_types({"Tparams", "Tindices"}).infer(infer_gather));
  c.add(op("GatherNd").inputs(2).attrs({{"Tparams", {}}, {"Tindices", {}}, policy})
            .input_types({"Tparams", "Tindices"}).infer(infer_gather_nd));
  c.add(op("ScatterNd").inputs(3).attrs({T, {"Tindices", {}}, policy})
            .input_types({"Tindices", "T", "Tindices"}).infer(infer_scatter_nd));
  for (const char* name : {"TensorScatterUpdate", "TensorScatterAdd", "TensorScatterSub",
                           "TensorScatterMax", "TensorScatterMin"}) {
    c.add(op(name).inputs(3).attrs({T, {"Tindices", {}}, policy})
              .input_types({"T", "Tindices", "T"}).infer(infer_tensor_scatter));
  }

  // Diagonals of the innermost matrices. V3 adds `align`; V2 aligns every diagonal left.
  const AttrDef align{"align", std::string("RIGHT_LEFT")};
  c.add(op("MatrixBandPart").inputs(3).attrs({T, {"Tindex", DType::int64}})
            .input_types({"T", "Tindex", "Tindex"}).infer(infer_matrix_band_part));
  c.add(op("MatrixDiag").inputs(1).attrs({T}).input_types({"T"}).infer(infer_matrix_diag));
  c.add(op("MatrixDiagV2").inputs(5).attrs({T}).input_types({"T", "", "", "", "T"})
            .infer(infer_matrix_diag));
  c.add(op("MatrixDiagV3").inputs(5).attrs({T, align}).input_types({"T", "", "", "", "T"})
            .infer(infer_matrix_diag));
  c.add(op("MatrixSetDiag").inputs(2).attrs({T}).input_types({"T", "T"})
            .infer(infer_matrix_set_diag));
  c.add(op("MatrixSetDiagV2").inputs(3).attrs({T}).input_types({"T", "T", ""})
            .infer(infer_matrix_set_diag));
  c.add(op("MatrixSetDiagV3").inputs(3).attrs({T, align}).input_types({"T", "T", ""})
            .infer(infer_matrix_set_diag));
  c.add(op("MatrixDiagPart").inputs(1).attrs({T}).input_types({"T"})
            .infer(infer_matrix_diag_part));
  c.add(op("MatrixDiagPartV2").inputs(3).attrs({T}).input_types({"T", "", "T"})
            .infer(infer_matrix_diag_part));
  c.add(op("MatrixDiagPartV3").inputs(3).attrs({T, align}).input_types({"T", "", "T"})
            .infer(infer_matrix_diag_part));

  c.add(op("TopKV2").inputs(2)
            .attrs({{"sorted", true}, T, {"Tk", DType::int32}, {"index_type", DType::int32}})
            .input_types({"T", "Tk"}).infer(infer_top_k_v2));

  // Concat's first version puts the axis first; EnsureShape hands its input on once checked.
  c.add(op("Concat").variadic_inputs(3).attrs({{"N", {}}, T}).input_types({"", "T"})
            .infer(infer_concat));
  c.add(op("EnsureShape").inputs(1).attrs({{"shape", {}}, T}).input_types({"T"})
            .infer(infer_ensure_shape).forwards_inputs());
}

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

  register_array_tail_ops(c);
}

}  // namespace kiln::ops
