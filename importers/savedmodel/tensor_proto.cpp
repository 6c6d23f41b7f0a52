#include "savedmodel/tensor_proto.hpp"

#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "savedmodel/dtypes.hpp"

namespace kiln::importer {

Shape shape_from_proto(const tf::TensorShapeProto& proto) {
  if (proto.unknown_rank()) {
    if (proto.dim_size() > 0) {
      throw Error(Errc::parse_error, "shape has unknown_rank set and also lists dimensions")
          .found(std::to_string(proto.dim_size()) + " dims");
    }
    return Shape::unknown_rank();
  }
  if (proto.dim_size() > kMaxRank) {
    throw Error(Errc::limit_exceeded, "shape rank exceeds Kiln's limit")
        .expected("rank <= " + std::to_string(kMaxRank))
        .found(std::to_string(proto.dim_size()));
  }
  std::vector<std::int64_t> dims;
  dims.reserve(static_cast<std::size_t>(proto.dim_size()));
  for (const auto& dim : proto.dim()) {
    if (dim.size() < kUnknownDim) {
      throw Error(Errc::shape_mismatch, "negative dimension in a shape")
          .expected("a size >= 0, or -1 for unknown")
          .found(std::to_string(dim.size()));
    }
    dims.push_back(dim.size());
  }
  return Shape(std::move(dims));
}

namespace {

// How many values each typed field of a TensorProto holds, by field name.
std::vector<std::pair<const char*, int>> typed_value_counts(const tf::TensorProto& p) {
  return {
      {"half_val", p.half_val_size()},
      {"float_val", p.float_val_size()},
      {"double_val", p.double_val_size()},
      {"int_val", p.int_val_size()},
      {"string_val", p.string_val_size()},
      {"scomplex_val", p.scomplex_val_size()},
      {"int64_val", p.int64_val_size()},
      {"bool_val", p.bool_val_size()},
      {"dcomplex_val", p.dcomplex_val_size()},
      {"resource_handle_val", p.resource_handle_val_size()},
      {"uint32_val", p.uint32_val_size()},
      {"uint64_val", p.uint64_val_size()},
      {"float8_val", static_cast<int>(p.float8_val().size())},
  };
}

// The typed field that holds values of `dtype`.
const char* typed_field_of(DType dtype) {
  switch (dtype) {
    case DType::float32: return "float_val";
    case DType::float64: return "double_val";
    case DType::int8:
    case DType::uint8:
    case DType::int32: return "int_val";
    case DType::int64: return "int64_val";
    case DType::boolean: return "bool_val";
    case DType::float16:
    case DType::bfloat16: return "half_val";
    case DType::variant: break;
  }
  return "";
}

// Copies `values` into the tensor, converting each, and repeats the last one to fill it.
template <class T, class Values, class Convert>
void fill_from_values(Tensor& tensor, const Values& values, Convert convert, const char* field) {
  const std::int64_t n = tensor.num_elements();
  const std::int64_t m = values.size();
  if (m > n) {
    throw Error(Errc::parse_error,
                std::string(field) + " holds more values than the shape has elements")
        .expected(std::to_string(n) + " values or fewer")
        .found(std::to_string(m));
  }
  if (m == 0) return;  // storage starts zero-filled: TensorFlow's "no values means zeros"
  T* out = tensor.data<T>();
  for (std::int64_t i = 0; i < m; ++i) out[i] = convert(values.Get(static_cast<int>(i)));
  for (std::int64_t i = m; i < n; ++i) out[i] = out[m - 1];
}

}  // namespace

Tensor tensor_from_proto(const tf::TensorProto& proto, const ImportLimits& limits) {
  const int code = static_cast<int>(proto.dtype());
  if (tf_dtype_base(code) == kTfString) {
    throw Error(Errc::unsupported, "string tensors are not supported: Kiln tensors hold numbers")
        .found(tf_dtype_name(code));
  }
  const DType dtype = dtype_from_tf(code);
  if (dtype == DType::variant) {
    throw Error(Errc::unsupported, "a constant tensor list (DT_VARIANT) is not supported: lists are "
                                   "made at run time by TensorList ops");
  }
  const Shape shape = shape_from_proto(proto.tensor_shape());
  if (!shape.is_fully_known()) {
    throw Error(Errc::shape_mismatch, "a tensor's shape must be fully known").found(shape.str());
  }
  const std::int64_t n = shape.num_elements();
  const std::int64_t element_size = static_cast<std::int64_t>(dtype_size(dtype));
  const std::int64_t bytes = checked_mul(n, element_size);
  if (bytes > limits.max_tensor_bytes) {
    throw Error(Errc::limit_exceeded, "tensor is larger than the import limit")
        .expected("at most " + std::to_string(limits.max_tensor_bytes) +
                  " bytes (ImportLimits::max_tensor_bytes)")
        .found(std::to_string(bytes) + " bytes for " + dtype_name(dtype) + shape.str());
  }

  // Values in a field of another dtype mean the file lies about its dtype.
  const std::string own_field = typed_field_of(dtype);
  bool has_typed_values = false;
  for (const auto& [field, count] : typed_value_counts(proto)) {
    if (count == 0) continue;
    const bool legacy_bfloat16 = dtype == DType::bfloat16 && std::string(field) == "int_val";
    if (field != own_field && !legacy_bfloat16) {
      throw Error(Errc::parse_error, std::string("tensor of dtype ") + tf_dtype_name(code) +
                                         " has values in " + field)
          .expected(own_field + " or tensor_content")
          .found(std::string(field) + " with " + std::to_string(count) + " values");
    }
    has_typed_values = true;
  }

  const std::string& content = proto.tensor_content();
  if (!content.empty()) {
    if (has_typed_values) {
      throw Error(Errc::parse_error, "tensor has both tensor_content and " + own_field);
    }
    if (static_cast<std::int64_t>(content.size()) != bytes) {
      throw Error(Errc::parse_error, "tensor_content size does not match the shape and dtype")
          .expected(std::to_string(bytes) + " bytes (" + std::to_string(n) + " x " +
                    tf_dtype_name(code) + ", shape " + shape.str() + ")")
          .found(std::to_string(content.size()) + " bytes");
    }
    Tensor tensor = Tensor::uninitialized(dtype, shape);  // every byte is copied next
    std::memcpy(tensor.raw(), content.data(), content.size());
    if (dtype == DType::boolean) {
      // Any non-zero byte is true; a C++ bool must hold exactly 0 or 1.
      auto* b = static_cast<unsigned char*>(tensor.raw());
      for (std::int64_t i = 0; i < n; ++i) b[i] = b[i] != 0;
    }
    return tensor;
  }

  Tensor tensor(dtype, shape);
  switch (dtype) {
    case DType::float32:
      fill_from_values<float>(tensor, proto.float_val(), [](float v) { return v; }, "float_val");
      break;
    case DType::float64:
      fill_from_values<double>(tensor, proto.double_val(), [](double v) { return v; },
                               "double_val");
      break;
    case DType::int32:
      fill_from_values<std::int32_t>(tensor, proto.int_val(), [](std::int32_t v) { return v; },
                                     "int_val");
      break;
    case DType::int8:  // TensorFlow truncates int_val to the element type; so does Kiln
      fill_from_values<std::int8_t>(
          tensor, proto.int_val(), [](std::int32_t v) { return static_cast<std::int8_t>(v); },
          "int_val");
      break;
    case DType::uint8:
      fill_from_values<std::uint8_t>(
          tensor, proto.int_val(), [](std::int32_t v) { return static_cast<std::uint8_t>(v); },
          "int_val");
      break;
    case DType::int64:
      fill_from_values<std::int64_t>(tensor, proto.int64_val(), [](std::int64_t v) { return v; },
                                     "int64_val");
      break;
    case DType::boolean:
      fill_from_values<bool>(tensor, proto.bool_val(), [](bool v) { return v; }, "bool_val");
      break;
    case DType::float16:
      fill_from_values<half>(
          tensor, proto.half_val(),
          [](std::int32_t v) { return half::from_bits(static_cast<std::uint16_t>(v & 0xFFFF)); },
          "half_val");
      break;
    case DType::bfloat16: {
      // half_val holds the 16-bit patterns; very old writers used int_val instead.
      const auto& values = proto.half_val_size() > 0 ? proto.half_val() : proto.int_val();
      fill_from_values<bfloat16>(
          tensor, values,
          [](std::int32_t v) {
            return bfloat16::from_bits(static_cast<std::uint16_t>(v & 0xFFFF));
          },
          proto.half_val_size() > 0 ? "half_val" : "int_val");
      break;
    }
    case DType::variant: break;  // refused above
  }
  return tensor;
}

}  // namespace kiln::importer
