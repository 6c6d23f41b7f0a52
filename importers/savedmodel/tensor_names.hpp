// How TensorFlow names a tensor, in its two dialects.
//
//   main graph and TensorInfo:  "node" (output 0), "node:3", "^node" (a control edge)
//   function bodies:            "arg" (an input argument), "node:out_arg:3", "^node"
//
// In a function body the index counts within the named output argument; turning it into a flat
// output index needs the op's OpDef (see GraphImporter).
#pragma once

#include <string>
#include <string_view>

#include <kiln/core/error.hpp>

namespace kiln::importer {

struct TensorRef {
  std::string node;     // the node name, or the argument name when `is_arg`
  std::string out_arg;  // function bodies only: the output argument's name
  int index = 0;        // within out_arg in a function body, flat in the main graph
  bool is_control = false;
  bool is_arg = false;  // a bare name inside a function body: one of its input arguments
};

inline int parse_index(std::string_view text, std::string_view whole) {
  if (text.empty() || text.size() > 9) {
    throw Error(Errc::parse_error, "bad output index in tensor name").found(std::string(whole));
  }
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      throw Error(Errc::parse_error, "bad output index in tensor name").found(std::string(whole));
    }
    value = value * 10 + (c - '0');
  }
  return value;
}

// Parses `text` as written in the main graph (in_function = false) or in a function body.
inline TensorRef parse_tensor_ref(std::string_view text, bool in_function) {
  TensorRef ref;
  if (!text.empty() && text[0] == '^') {
    ref.is_control = true;
    text.remove_prefix(1);
  }
  if (text.empty()) throw Error(Errc::parse_error, "empty tensor name");
  const std::size_t first = text.find(':');
  if (first == std::string_view::npos) {
    ref.node = std::string(text);
    ref.is_arg = in_function && !ref.is_control;
    return ref;
  }
  ref.node = std::string(text.substr(0, first));
  const std::string_view rest = text.substr(first + 1);
  if (!in_function) {
    ref.index = parse_index(rest, text);
    return ref;
  }
  const std::size_t second = rest.find(':');
  if (second == std::string_view::npos) {
    // "node:out_arg" with no index means element 0, though TensorFlow never writes it so.
    ref.out_arg = std::string(rest);
    return ref;
  }
  ref.out_arg = std::string(rest.substr(0, second));
  ref.index = parse_index(rest.substr(second + 1), text);
  return ref;
}

}  // namespace kiln::importer
