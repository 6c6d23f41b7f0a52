#include "savedmodel/dtypes.hpp"

#include <kiln/core/error.hpp>

namespace kiln::importer {

namespace {

// Index = DataType number, for 0..kTfLastDataType.
const char* const kTfNames[kTfLastDataType + 1] = {
    "DT_INVALID",  "DT_FLOAT",          "DT_DOUBLE",          "DT_INT32",
    "DT_UINT8",    "DT_INT16",          "DT_INT8",            "DT_STRING",
    "DT_COMPLEX64", "DT_INT64",         "DT_BOOL",            "DT_QINT8",
    "DT_QUINT8",   "DT_QINT32",         "DT_BFLOAT16",        "DT_QINT16",
    "DT_QUINT16",  "DT_UINT16",         "DT_COMPLEX128",      "DT_HALF",
    "DT_RESOURCE", "DT_VARIANT",        "DT_UINT32",          "DT_UINT64",
    "DT_FLOAT8_E5M2", "DT_FLOAT8_E4M3FN", "DT_FLOAT8_E4M3FNUZ", "DT_FLOAT8_E4M3B11FNUZ",
    "DT_FLOAT8_E5M2FNUZ", "DT_INT4",    "DT_UINT4",           "DT_INT2",
    "DT_UINT2",    "DT_FLOAT4_E2M1FN",
};

// Index = DataType number; 0 = no fixed size known to Kiln.
const std::int64_t kTfSizes[kTfLastDataType + 1] = {
    0, 4, 8, 4,   // invalid, float, double, int32
    1, 2, 1, 0,   // uint8, int16, int8, string
    8, 8, 1, 1,   // complex64, int64, bool, qint8
    1, 4, 2, 2,   // quint8, qint32, bfloat16, qint16
    2, 2, 16, 2,  // quint16, uint16, complex128, half
    0, 0, 4, 8,   // resource, variant, uint32, uint64
    1, 1, 1, 1,   // the float8 types
    1, 0, 0, 0,   // float8_e5m2fnuz, int4, uint4, int2
    0, 0,         // uint2, float4_e2m1fn
};

}  // namespace

bool tf_dtype_is_ref(int code) {
  return code > kTfRefOffset && code <= kTfRefOffset + kTfLastDataType;
}

bool tf_dtype_is_valid(int code) {
  return (code > 0 && code <= kTfLastDataType) || tf_dtype_is_ref(code);
}

int tf_dtype_base(int code) { return tf_dtype_is_ref(code) ? code - kTfRefOffset : code; }

std::string tf_dtype_name(int code) {
  if (code >= 0 && code <= kTfLastDataType) return kTfNames[code];
  if (tf_dtype_is_ref(code)) return std::string(kTfNames[code - kTfRefOffset]) + "_REF";
  return "DataType " + std::to_string(code);
}

std::int64_t tf_dtype_size(int code) {
  if (!tf_dtype_is_valid(code)) return 0;
  return kTfSizes[tf_dtype_base(code)];
}

DType dtype_from_tf(int code) {
  switch (tf_dtype_base(code)) {
    case 1: return DType::float32;
    case 2: return DType::float64;
    case 3: return DType::int32;
    case 4: return DType::uint8;
    case 6: return DType::int8;
    case 9: return DType::int64;
    case 10: return DType::boolean;
    case 14: return DType::bfloat16;
    case 19: return DType::float16;
    case 21: return DType::variant;  // tensor lists: the only variants inference graphs carry
    default: break;
  }
  if (!tf_dtype_is_valid(code)) {
    throw Error(Errc::parse_error, "invalid dtype")
        .expected("a TensorFlow DataType number (1..33, or 101..133 for reference types)")
        .found(tf_dtype_name(code));
  }
  throw Error(Errc::unsupported, "dtype " + tf_dtype_name(code) + " is not supported by Kiln")
      .expected("float, half, bfloat16, double, int8, uint8, int32, int64, bool or variant")
      .found(tf_dtype_name(code));
}

int tf_dtype_from(DType dtype) {
  switch (dtype) {
    case DType::float32: return 1;
    case DType::float64: return 2;
    case DType::int32: return 3;
    case DType::uint8: return 4;
    case DType::int8: return 6;
    case DType::int64: return 9;
    case DType::boolean: return 10;
    case DType::bfloat16: return 14;
    case DType::float16: return 19;
    case DType::variant: return 21;
  }
  throw Error(Errc::internal, "tf_dtype_from: unknown DType");
}

}  // namespace kiln::importer
