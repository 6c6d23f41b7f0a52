// TensorFlow's DataType numbers and Kiln's DType.
//
// The numbers are plain ints here (as stored in the files; see types in proto/tensor.proto), so
// code that only needs names or sizes does not depend on generated protobuf headers. Proto3 enums
// are open: a file can carry any number, and every function here copes with that.
#pragma once

#include <cstdint>
#include <string>

#include <kiln/core/dtype.hpp>

namespace kiln::importer {

// TF1 reference types are the base type + 100 (DT_FLOAT_REF = 101).
constexpr int kTfRefOffset = 100;
constexpr int kTfFloat = 1;
constexpr int kTfString = 7;
constexpr int kTfLastDataType = 33;  // DT_FLOAT4_E2M1FN

// A number TensorFlow defines, other than DT_INVALID (0): 1..33 or their reference types.
bool tf_dtype_is_valid(int code);
bool tf_dtype_is_ref(int code);
// A reference type's base type; any other number unchanged.
int tf_dtype_base(int code);

// "DT_FLOAT", "DT_INT32_REF", "DT_INVALID", or "DataType 999" for a number TF does not define.
std::string tf_dtype_name(int code);

// Bytes per element in tensor_content and in checkpoint data, or 0 for the types without a
// fixed byte size (string, variant, resource) and the sub-byte types Kiln has not verified.
std::int64_t tf_dtype_size(int code);

// The Kiln DType of a TensorFlow dtype; reference types map to their base type. Throws
// Errc::unsupported (naming the dtype) for TensorFlow types Kiln cannot hold, such as DT_STRING
// or DT_INT16, and Errc::parse_error for DT_INVALID and numbers TensorFlow does not define.
DType dtype_from_tf(int code);

// The TensorFlow DataType number of a Kiln DType (never a reference type).
int tf_dtype_from(DType dtype);

}  // namespace kiln::importer
