// Reads the TensorFlow cases that math_tf_cases.py writes into math_tf_cases.hpp. The format,
// one record per case, blank lines between records:
//
//   case Add float32 [2, 3] [3]          a name for failure messages
//   op Add
//   attr T type float32                  also: bool 0|1, int 3, float 0.2
//   in float32 [2,3] 1.5 -2.0 ...        one line per input: dtype, shape, row-major values
//   out bool [2,3] 1 0 ...               TensorFlow's output
//   tolerance 1e-06 2e-06                absolute and relative; 0 0 for exact
#pragma once

#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "../support.hpp"

namespace kiln::test {

struct TfCase {
  std::string name;
  std::string op;
  std::vector<Tensor> inputs;
  Attrs attrs;
  Tensor expected;
  double atol = 0;
  double rtol = 0;
};

// "[2,3]" or "[]" to a Shape.
inline Shape parse_shape(const std::string& text) {
  std::vector<std::int64_t> dims;
  std::string inner = text.substr(1, text.size() - 2);
  std::istringstream in(inner);
  std::string dim;
  while (std::getline(in, dim, ',')) dims.push_back(std::stoll(dim));
  return Shape(dims);
}

// Floats read back in their own precision: strtof for float32 and the 16-bit floats (their
// values are exact floats), strtod for float64. Integers never pass through a float.
inline Tensor parse_tensor(std::istringstream& in) {
  std::string dtype_text, shape_text;
  in >> dtype_text >> shape_text;
  Tensor t(dtype_from_name(dtype_text), parse_shape(shape_text));
  dispatch(t.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* data = t.data<T>();
    for (std::int64_t i = 0; i < t.num_elements(); ++i) {
      std::string word;
      if (!(in >> word)) throw Error(Errc::parse_error, "too few values").found(shape_text);
      if constexpr (std::is_same_v<T, double>) {
        data[i] = std::strtod(word.c_str(), nullptr);
      } else if constexpr (std::is_same_v<T, bool>) {
        data[i] = word == "1";
      } else if constexpr (std::is_integral_v<T>) {
        data[i] = static_cast<T>(std::stoll(word));
      } else {
        data[i] = T(std::strtof(word.c_str(), nullptr));
      }
    }
  });
  std::string extra;
  if (in >> extra) throw Error(Errc::parse_error, "too many values").found(shape_text);
  return t;
}

inline AttrValue parse_attr(std::istringstream& in) {
  std::string kind, value;
  in >> kind >> value;
  if (kind == "type") return dtype_from_name(value);
  if (kind == "bool") return value == "1";
  if (kind == "int") return static_cast<std::int64_t>(std::stoll(value));
  if (kind == "float") return std::strtof(value.c_str(), nullptr);
  throw Error(Errc::parse_error, "unknown attribute kind").found(kind);
}

inline std::vector<TfCase> parse_tf_cases(const char* text) {
  std::vector<TfCase> cases;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    std::istringstream in(line);
    std::string key;
    in >> key;
    if (key == "case") {
      cases.emplace_back();
      cases.back().name = line.substr(5);
      continue;
    }
    if (cases.empty()) throw Error(Errc::parse_error, "record before the first case").found(line);
    TfCase& c = cases.back();
    if (key == "op") {
      in >> c.op;
    } else if (key == "attr") {
      std::string name;
      in >> name;
      c.attrs[name] = parse_attr(in);
    } else if (key == "in") {
      c.inputs.push_back(parse_tensor(in));
    } else if (key == "out") {
      c.expected = parse_tensor(in);
    } else if (key == "tolerance") {
      in >> c.atol >> c.rtol;
    } else {
      throw Error(Errc::parse_error, "unknown record").found(line);
    }
  }
  return cases;
}

}  // namespace kiln::test
