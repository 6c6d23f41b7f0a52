// Typed node attributes: the value kinds TensorFlow's AttrValue carries that inference needs.
#pragma once

#include <cstdint>
#include <map>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "tensor.hpp"

namespace kiln {

using Ints = std::vector<std::int64_t>;
using Floats = std::vector<float>;
using Strings = std::vector<std::string>;
using DTypes = std::vector<DType>;
using Shapes = std::vector<Shape>;

// One attribute value. TensorFlow floats are 32-bit, so Kiln keeps them as float.
using AttrValue = std::variant<std::int64_t, float, bool, std::string, DType, Shape, Tensor, Ints,
                               Floats, Strings, DTypes, Shapes>;

// Sorted by name so that printing is stable.
using Attrs = std::map<std::string, AttrValue, std::less<>>;

inline const char* attr_kind_name(const AttrValue& v) {
  static const char* const names[] = {"int",    "float",  "bool",         "string",
                                      "type",   "shape",  "tensor",       "list(int)",
                                      "list(float)", "list(string)", "list(type)", "list(shape)"};
  return names[v.index()];
}

template <class T> const char* attr_kind_name_of() {
  if constexpr (std::is_same_v<T, std::int64_t>) return "int";
  else if constexpr (std::is_same_v<T, float>) return "float";
  else if constexpr (std::is_same_v<T, bool>) return "bool";
  else if constexpr (std::is_same_v<T, std::string>) return "string";
  else if constexpr (std::is_same_v<T, DType>) return "type";
  else if constexpr (std::is_same_v<T, Shape>) return "shape";
  else if constexpr (std::is_same_v<T, Tensor>) return "tensor";
  else if constexpr (std::is_same_v<T, Ints>) return "list(int)";
  else if constexpr (std::is_same_v<T, Floats>) return "list(float)";
  else if constexpr (std::is_same_v<T, Strings>) return "list(string)";
  else if constexpr (std::is_same_v<T, DTypes>) return "list(type)";
  else return "list(shape)";
}

namespace detail {
template <class T, class F> std::string list_text(const std::vector<T>& v, F item) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + item(v[i]);
  return s + "]";
}
inline std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      out += "\\x" + std::string(1, "0123456789abcdef"[(c >> 4) & 0xf]) +
             std::string(1, "0123456789abcdef"[c & 0xf]);
      continue;
    }
    out += c;
  }
  return out + "\"";
}
}  // namespace detail

namespace detail {
// A float that cannot be mistaken for an int: "1.0", not "1".
inline std::string float_literal(float f) {
  std::string s = float_text(f);
  if (s.find_first_not_of("-0123456789") == std::string::npos) s += ".0";
  return s;
}

// Whether the lossless text must name the kind: a fully known shape reads like a list(int),
// and an empty list like any other empty list.
inline bool kind_is_ambiguous(const AttrValue& value) {
  if (const Shape* s = std::get_if<Shape>(&value)) return s->is_fully_known();
  return std::visit(
      [](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, Floats> || std::is_same_v<T, Strings> ||
                      std::is_same_v<T, DTypes> || std::is_same_v<T, Shapes>) {
          return v.empty();
        } else {
          return false;
        }
      },
      value);
}
}  // namespace detail

// The attribute as the IR printer writes it: 3, 0.001, true, "SAME", float32, [1,2], [1, 2, 3].
// The brief text leaves some kinds to the reader (is "1" an int or a float?); the lossless text
// writes floats as "1.0", tensors in full, and adds " : shape" or " : list(float)" where the
// value alone would read as another kind.
inline std::string attr_text(const AttrValue& value, TextStyle style = TextStyle::brief) {
  const bool lossless = style == TextStyle::lossless;
  const auto real = lossless ? detail::float_literal : detail::float_text;
  struct Visitor {
    TextStyle style;
    std::string (*real)(float);
    std::string operator()(std::int64_t v) const { return std::to_string(v); }
    std::string operator()(float v) const { return real(v); }
    std::string operator()(bool v) const { return v ? "true" : "false"; }
    std::string operator()(const std::string& v) const { return detail::quoted(v); }
    std::string operator()(DType v) const { return dtype_name(v); }
    std::string operator()(const Shape& v) const { return v.str(); }
    std::string operator()(const Tensor& v) const {
      std::ostringstream os;
      write_tensor(os, v, style);
      return os.str();
    }
    std::string operator()(const Ints& v) const {
      return detail::list_text(v, [](std::int64_t x) { return std::to_string(x); });
    }
    std::string operator()(const Floats& v) const { return detail::list_text(v, real); }
    std::string operator()(const Strings& v) const { return detail::list_text(v, detail::quoted); }
    std::string operator()(const DTypes& v) const {
      return detail::list_text(v, [](DType t) { return std::string(dtype_name(t)); });
    }
    std::string operator()(const Shapes& v) const {
      return detail::list_text(v, [](const Shape& s) { return s.str(); });
    }
  };
  std::string text = std::visit(Visitor{style, real}, value);
  if (lossless && detail::kind_is_ambiguous(value)) text += std::string(" : ") + attr_kind_name(value);
  return text;
}

}  // namespace kiln
