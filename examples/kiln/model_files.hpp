// Opening what the user points at: a SavedModel folder or a frozen GraphDef file.
#pragma once

#include <filesystem>
#include <set>
#include <string>

#include <kiln/model.hpp>

#include "flags.hpp"

namespace kiln::cli {

inline std::set<std::string> parse_tag_set(const std::string& text) {
  std::set<std::string> tags;
  for (const std::string& t : split(text, ',')) tags.insert(t);
  return tags;
}

// A folder is a SavedModel; a file is a frozen GraphDef (.pb binary, .pbtxt text).
inline Model open_model(const std::string& path, const std::string& tag_set = "") {
  LoadOptions options;
  options.tags = parse_tag_set(tag_set);
  if (std::filesystem::is_directory(path)) return load_saved_model(path, options);
  return load_graphdef(path, options);
}

// TensorFlow's tuple spelling of a shape, as saved_model_cli prints it: (-1, 28, 28, 1).
inline std::string tf_shape_text(const Shape& shape) {
  if (!shape.has_rank()) return "unknown_rank";
  std::string s = "(";
  for (int i = 0; i < shape.rank(); ++i) s += (i ? ", " : "") + std::to_string(shape.dim(i));
  return s + ")";
}

// "float32" for dtypes Kiln holds; otherwise TensorFlow's name in the same style ("string").
inline std::string numpy_dtype_name(const TensorSpec& spec) {
  if (spec.dtype) return dtype_name(*spec.dtype);
  std::string name = spec.tf_dtype.rfind("DT_", 0) == 0 ? spec.tf_dtype.substr(3) : spec.tf_dtype;
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

// File name for a tensor name: '/' becomes "__" and ':' becomes '_' ("dense_1/Softmax:1").
inline std::string file_stem_for(const std::string& tensor) {
  std::string out;
  for (char c : tensor) {
    if (c == '/') out += "__";
    else if (c == ':') out += '_';
    else out += c;
  }
  return out;
}

}  // namespace kiln::cli
