// Tensor: a dtype, a fully known shape and contiguous row-major storage.
//
// Storage is 64-byte aligned (a cache line, and what AVX-512 loads like) and shared: copying a
// Tensor copies a handle, not the bytes, which is what a dataflow interpreter wants because
// values are never written after they are produced. clone() makes a deep copy. A view wraps
// memory that someone else owns (an arena, a caller's buffer) and never frees it.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <ostream>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "dtype.hpp"
#include "shape.hpp"
#include "tensor_storage.hpp"

namespace kiln {

struct TensorList;

class Tensor {
 public:
  Tensor() = default;  // empty: no dtype, no storage; valid() is false

  // An owning, zero-filled tensor.
  Tensor(DType dtype, Shape shape) : dtype_(dtype), shape_(std::move(shape)) {
    const std::size_t bytes = byte_size_of(dtype_, shape_);
    owner_ = allocate(bytes);
    data_ = owner_.get();
    valid_ = true;
  }

  // An owning tensor whose bytes are left unset, for a producer that writes every one of them
  // before anyone reads (a file read, a weight transform): zero-filling first would touch
  // all the memory twice.
  static Tensor uninitialized(DType dtype, Shape shape) {
    Tensor t;
    const std::size_t bytes = byte_size_of(dtype, shape);
    t.dtype_ = dtype;
    t.shape_ = std::move(shape);
    t.owner_ = allocate(bytes, /*zero=*/false);
    t.data_ = t.owner_.get();
    t.valid_ = true;
    return t;
  }

  // A non-owning view of `data`, which must outlive the view and hold byte_size() bytes.
  static Tensor view(DType dtype, Shape shape, void* data) {
    Tensor t;
    byte_size_of(dtype, shape);  // validates the shape
    t.dtype_ = dtype;
    t.shape_ = std::move(shape);
    t.data_ = static_cast<std::byte*>(data);
    t.valid_ = true;
    return t;
  }

  template <class T> static Tensor from_vector(Shape shape, const std::vector<T>& values) {
    Tensor t(dtype_of<T>(), std::move(shape));
    if (static_cast<std::int64_t>(values.size()) != t.num_elements()) {
      throw Error(Errc::invalid_argument, "value count does not match the shape")
          .expected(std::to_string(t.num_elements()))
          .found(std::to_string(values.size()));
    }
    std::copy(values.begin(), values.end(), t.data<T>());
    return t;
  }
  template <class T> static Tensor from(Shape shape, std::initializer_list<T> values) {
    return from_vector<T>(std::move(shape), std::vector<T>(values));
  }
  template <class T> static Tensor scalar(T value) { return from<T>(Shape{}, {value}); }

  // A variant scalar holding a TensorList (TensorFlow's TensorArray in graphs since TF 2). The
  // list is shared and never changed: an op that "changes" a list makes a new one, which shares
  // the item tensors (handles) with the old.
  static Tensor list(std::shared_ptr<const TensorList> items) {
    Tensor t(DType::variant, Shape{});
    t.list_ = std::move(items);
    return t;
  }
  bool is_list() const { return list_ != nullptr; }
  const TensorList& as_list() const {
    if (!list_) {
      throw Error(Errc::type_mismatch, "expected a tensor list")
          .found(valid_ ? std::string(dtype_name(dtype_)) + shape_.str() : "an empty tensor");
    }
    return *list_;
  }

  bool valid() const { return valid_; }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int rank() const { return shape_.rank(); }
  std::int64_t dim(int i) const { return shape_.dim(i); }
  std::int64_t num_elements() const { return shape_.num_elements(); }
  std::size_t byte_size() const { return static_cast<std::size_t>(num_elements()) * dtype_size(dtype_); }
  bool owns_storage() const { return owner_ != nullptr; }
  // True when no other handle shares this tensor's bytes: then nobody else can see a write to
  // them (the one exception to "never written after produced": a pass reusing a weight's memory).
  bool sole_owner() const { return owner_ != nullptr && owner_.use_count() == 1; }

  void* raw() { return data_; }
  const void* raw() const { return data_; }

 private:
  // Defined before its first use: clang (-Wundefined-inline) rejects the lambdas below that
  // instantiate data<T>() while the class is incomplete otherwise.
  template <class T> void check_type() const {
    if (!valid_) throw Error(Errc::invalid_argument, "access to an empty tensor");
    if (dtype_of<T>() != dtype_) {
      throw Error(Errc::type_mismatch, "tensor accessed with the wrong element type")
          .expected(dtype_name(dtype_))
          .found(dtype_name(dtype_of<T>()));
    }
  }
 public:
  // Typed access; the type must match the dtype exactly.
  template <class T> T* data() {
    check_type<T>();
    return reinterpret_cast<T*>(data_);
  }
  template <class T> const T* data() const {
    check_type<T>();
    return reinterpret_cast<const T*>(data_);
  }

  // The same bytes under another shape with the same element count (storage is shared).
  Tensor reshaped(Shape shape) const {
    if (shape.num_elements() != num_elements()) {
      throw Error(Errc::shape_mismatch, "reshape changes the element count")
          .expected(std::to_string(num_elements()) + " elements")
          .found(shape.str());
    }
    Tensor t = *this;
    t.shape_ = std::move(shape);
    return t;
  }

  Tensor clone() const {
    if (list_) return *this;  // lists are immutable: sharing is copying
    Tensor t(dtype_, shape_);
    if (byte_size() > 0) std::memcpy(t.data_, data_, byte_size());
    return t;
  }

  // Element i (row-major) converted to double: for printing, tests and index tensors.
  double element_as_double(std::int64_t i) const {
    return dispatch(dtype_, [&](auto tag) -> double {
      using T = typename decltype(tag)::type;
      return to_double(data<T>()[i]);
    });
  }

  // An integer tensor's values as int64 (int32 and int64 accepted): axes, shapes, indices.
  std::vector<std::int64_t> to_int64_vector() const {
    std::vector<std::int64_t> out(static_cast<std::size_t>(num_elements()));
    if (dtype_ == DType::int32) {
      std::copy(data<std::int32_t>(), data<std::int32_t>() + out.size(), out.begin());
    } else if (dtype_ == DType::int64) {
      std::copy(data<std::int64_t>(), data<std::int64_t>() + out.size(), out.begin());
    } else {
      throw Error(Errc::type_mismatch, "expected an integer tensor")
          .expected("int32 or int64")
          .found(dtype_name(dtype_));
    }
    return out;
  }

  // Converts every element to float: for tests and comparisons.
  std::vector<float> to_float_vector() const {
    std::vector<float> out(static_cast<std::size_t>(num_elements()));
    dispatch(dtype_, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* p = data<T>();
      for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<float>(to_double(p[i]));
    });
    return out;
  }

 private:
  static std::size_t byte_size_of(DType dtype, const Shape& shape) {
    const std::int64_t n = shape.num_elements();
    return static_cast<std::size_t>(checked_mul(n, static_cast<std::int64_t>(dtype_size(dtype))));
  }

  static std::shared_ptr<std::byte> allocate(std::size_t bytes, bool zero = true) {
    return allocate_tensor_storage(bytes, zero);
  }

  DType dtype_ = DType::float32;
  Shape shape_;
  std::shared_ptr<std::byte> owner_;
  std::byte* data_ = nullptr;
  bool valid_ = false;
  std::shared_ptr<const TensorList> list_;  // for DType::variant
};

// The value of a variant tensor: TensorFlow's TensorList. `element_shape` is what the list was
// declared with (possibly partial); items are dense tensors of `element_dtype`. An item that
// was reserved but never set is an empty Tensor, read as zeros of the element shape.
struct TensorList {
  DType element_dtype = DType::float32;
  Shape element_shape = Shape::unknown_rank();
  std::vector<Tensor> items;
};

namespace detail {
// Shortest text that reads back as the same float: what the printer shows for f attrs.
inline std::string float_text(float f) {
  if (std::isnan(f)) return "nan";
  if (std::isinf(f)) return f > 0 ? "inf" : "-inf";
  for (int precision = 6; precision <= 9; ++precision) {
    std::ostringstream os;
    os.precision(precision);
    os << f;
    if (std::stof(os.str()) == f) return os.str();
  }
  return std::to_string(f);
}

// The same for doubles, which need up to 17 significant digits.
inline std::string double_text(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  std::ostringstream os;
  for (int precision = 15; precision <= 17; ++precision) {
    os.str("");
    os.precision(precision);
    os << d;
    if (std::stod(os.str()) == d) break;
  }
  return os.str();
}

// Element i written so that it reads back as exactly the same value of t's dtype.
inline std::string exact_element_text(const Tensor& t, std::int64_t i) {
  return dispatch(t.dtype(), [&](auto tag) -> std::string {
    using T = typename decltype(tag)::type;
    const T v = t.data<T>()[i];
    if constexpr (std::is_same_v<T, bool>) return v ? "true" : "false";
    else if constexpr (std::is_same_v<T, double>) return double_text(v);
    else if constexpr (std::is_integral_v<T>) return std::to_string(static_cast<std::int64_t>(v));
    else return float_text(static_cast<float>(v));  // float and the 16-bit floats
  });
}
}  // namespace detail

// How much the text of a value shows.
enum class TextStyle {
  brief,     // tensors: six significant digits, the middle of long ones elided; for reading
  lossless,  // everything, exactly, so that parse_graph() reads back the same value
};

// "float32[2,3] {1, 2, 3, 4, 5, 6}".
inline void write_tensor(std::ostream& os, const Tensor& t, TextStyle style) {
  if (!t.valid()) {
    os << "<empty tensor>";
    return;
  }
  if (t.is_list()) {
    os << "list<" << dtype_name(t.as_list().element_dtype) << t.as_list().element_shape.str()
       << "> of " << t.as_list().items.size();
    return;
  }
  os << dtype_name(t.dtype()) << t.shape().str() << " {";
  const std::int64_t n = t.num_elements();
  constexpr std::int64_t kShown = 8;
  const bool elide = style == TextStyle::brief && n > 2 * kShown;
  for (std::int64_t i = 0; i < n; ++i) {
    if (elide && i == kShown) {
      os << ", ...";
      i = n - kShown - 1;
      continue;
    }
    if (i) os << ", ";
    if (style == TextStyle::lossless) {
      os << detail::exact_element_text(t, i);
    } else if (t.dtype() == DType::boolean) {
      os << (t.element_as_double(i) != 0 ? "true" : "false");
    } else {
      os << t.element_as_double(i);
    }
  }
  os << "}";
}

inline std::ostream& operator<<(std::ostream& os, const Tensor& t) {
  write_tensor(os, t, TextStyle::brief);
  return os;
}

}  // namespace kiln
