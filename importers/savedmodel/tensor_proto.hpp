// TensorShapeProto -> kiln::Shape and TensorProto -> kiln::Tensor, with TensorFlow's decoding
// rules and Kiln's checks.
//
// Errors carry what is wrong with the proto but not where it sits; callers add that:
//   try { value = tensor_from_proto(proto, limits); }
//   catch (Error& e) { e.node(node.name()).attr("value"); throw; }
#pragma once

#include <kiln/core/shape.hpp>
#include <kiln/core/tensor.hpp>
#include <kiln/savedmodel.hpp>

#include "savedmodel/proto/tensor.pb.h"

namespace kiln::importer {

// Dims of -1 stay unknown; unknown_rank gives Shape::unknown_rank(); an empty message is a
// scalar. Dims below -1, more than kMaxRank dims, or unknown_rank with dims are errors.
Shape shape_from_proto(const tf::TensorShapeProto& proto);

// Decodes a constant the way TensorFlow's Tensor::FromProto does:
// * non-empty tensor_content: raw little-endian bytes, exactly elements x element size;
// * otherwise the typed field of the dtype (float_val, double_val, int_val, int64_val,
//   bool_val, half_val for DT_HALF and DT_BFLOAT16): with fewer values than elements the last
//   one repeats (a splat), with none the tensor is zeros;
// * reference dtypes decode as their base type.
// Stricter than TensorFlow where a file can only be wrong: values in a field that does not
// belong to the dtype, more values than elements, or both tensor_content and typed values are
// errors. DT_STRING and the other dtypes Kiln cannot hold give Errc::unsupported; the shape must
// be fully known and the bytes within limits.max_tensor_bytes.
Tensor tensor_from_proto(const tf::TensorProto& proto, const ImportLimits& limits);

}  // namespace kiln::importer
