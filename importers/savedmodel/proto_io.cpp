#include "savedmodel/proto_io.hpp"

#include <climits>
#include <filesystem>
#include <map>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/text_format.h>

#include <kiln/core/error.hpp>

#include "savedmodel/files.hpp"

namespace kiln::importer {

namespace fs = std::filesystem;
namespace pb = google::protobuf;

namespace {

constexpr std::int64_t kProtobufMaxBytes = INT_MAX;  // what libprotobuf can parse at all

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// ---- Explaining a failed binary parse ----------------------------------------------------------

// Structurally valid UTF-8, as protobuf requires of proto3 `string` fields: no overlong forms,
// no surrogates, nothing above U+10FFFF.
bool is_valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    int extra = 0;
    std::uint32_t code = 0;
    std::uint32_t min_code = 0;
    if ((c & 0xE0) == 0xC0) {
      extra = 1, code = c & 0x1Fu, min_code = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2, code = c & 0x0Fu, min_code = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3, code = c & 0x07u, min_code = 0x10000;
    } else {
      return false;
    }
    if (s.size() - i <= static_cast<std::size_t>(extra)) return false;
    for (int k = 1; k <= extra; ++k) {
      const auto next = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3Fu);
    }
    if (code < min_code || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    i += static_cast<std::size_t>(extra) + 1;
  }
  return true;
}

// Walks wire data with the message descriptors, the way the parser would, and stops at the
// first thing the parser cannot accept.
class WireWalker {
 public:
  WireWalker(std::string_view data, int max_depth) : data_(data), max_depth_(max_depth) {}

  // Checks [begin, end) as a message of `type`; returns false and sets problem() on a fault.
  bool walk(const pb::Descriptor& type, std::size_t begin, std::size_t end, int depth,
            const std::string& path) {
    std::map<int, int> occurrences;  // field number -> how many seen so far, for "[i]"
    std::size_t pos = begin;
    while (pos < end) {
      const std::size_t field_start = pos;
      std::uint64_t tag = 0;
      if (!read_varint(pos, end, tag)) {
        return fail(path, "malformed or truncated field tag", field_start);
      }
      const std::uint64_t number = tag >> 3;
      const int wire_type = static_cast<int>(tag & 7);
      if (number == 0 || number > 536870911u) {
        return fail(path, "invalid field number " + std::to_string(number), field_start);
      }
      const pb::FieldDescriptor* field = type.FindFieldByNumber(static_cast<int>(number));
      std::string where = path.empty() ? "" : path + ".";
      where += field ? field->name() : "field " + std::to_string(number);
      if (field && field->is_repeated()) {
        where += "[" + std::to_string(occurrences[static_cast<int>(number)]++) + "]";
      }
      switch (wire_type) {
        case 0: {
          std::uint64_t ignored = 0;
          if (!read_varint(pos, end, ignored)) return fail(where, "truncated varint", field_start);
          break;
        }
        case 1:
        case 5: {
          const std::size_t width = wire_type == 1 ? 8 : 4;
          if (end - pos < width) {
            return fail(where, "truncated " + std::to_string(width) + "-byte value", field_start);
          }
          pos += width;
          break;
        }
        case 2: {
          std::uint64_t length = 0;
          if (!read_varint(pos, end, length)) {
            return fail(where, "truncated length", field_start);
          }
          if (length > end - pos) {
            return fail(where,
                        "length " + std::to_string(length) + " runs past the end of the " +
                            (end == data_.size() && path.empty() ? "file" : "enclosing message") +
                            " (" + std::to_string(end - pos) + " bytes left; truncated?)",
                        field_start);
          }
          const std::size_t value_end = pos + static_cast<std::size_t>(length);
          if (field && !check_length_delimited(*field, pos, value_end, depth, where)) {
            return false;
          }
          pos = value_end;
          break;
        }
        case 3:
          return fail(where, "group encoding (wire type 3), which TensorFlow never writes",
                      field_start);
        case 4:
          return fail(where, "unmatched end-group tag", field_start);
        default:
          return fail(where, "invalid wire type " + std::to_string(wire_type) +
                                 " (not protobuf data?)", field_start);
      }
    }
    return true;
  }

  const std::string& problem() const { return problem_; }

 private:
  bool check_length_delimited(const pb::FieldDescriptor& field, std::size_t begin,
                              std::size_t end, int depth, const std::string& where) {
    switch (field.type()) {
      case pb::FieldDescriptor::TYPE_MESSAGE:
        if (depth + 1 >= max_depth_) {
          return fail(where, "messages nest deeper than the limit of " +
                                 std::to_string(max_depth_) +
                                 " (ImportLimits::max_nesting_depth)", begin);
        }
        return walk(*field.message_type(), begin, end, depth + 1, where);
      case pb::FieldDescriptor::TYPE_STRING:
        if (!is_valid_utf8(data_.substr(begin, end - begin))) {
          return fail(where, "string is not valid UTF-8", begin);
        }
        return true;
      case pb::FieldDescriptor::TYPE_BYTES:
        return true;
      default:
        break;
    }
    if (!field.is_repeated()) return true;  // a mismatched wire type: kept as an unknown field
    // A packed list of scalars.
    switch (field.cpp_type()) {
      case pb::FieldDescriptor::CPPTYPE_FLOAT:
        if ((end - begin) % 4 != 0) return fail(where, "packed floats end mid-value", begin);
        return true;
      case pb::FieldDescriptor::CPPTYPE_DOUBLE:
        if ((end - begin) % 8 != 0) return fail(where, "packed doubles end mid-value", begin);
        return true;
      default:
        break;
    }
    if (field.type() == pb::FieldDescriptor::TYPE_FIXED32 ||
        field.type() == pb::FieldDescriptor::TYPE_SFIXED32) {
      if ((end - begin) % 4 != 0) return fail(where, "packed values end mid-value", begin);
      return true;
    }
    if (field.type() == pb::FieldDescriptor::TYPE_FIXED64 ||
        field.type() == pb::FieldDescriptor::TYPE_SFIXED64) {
      if ((end - begin) % 8 != 0) return fail(where, "packed values end mid-value", begin);
      return true;
    }
    for (std::size_t pos = begin; pos < end;) {
      std::uint64_t ignored = 0;
      if (!read_varint(pos, end, ignored)) return fail(where, "malformed packed varint", pos);
    }
    return true;
  }

  bool read_varint(std::size_t& pos, std::size_t end, std::uint64_t& value) const {
    value = 0;
    for (int shift = 0; shift < 70 && pos < end; shift += 7) {
      const auto byte = static_cast<unsigned char>(data_[pos++]);
      if (shift < 64) value |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
      if ((byte & 0x80) == 0) return true;
    }
    return false;  // ran off the end, or longer than 10 bytes
  }

  bool fail(const std::string& where, const std::string& what, std::size_t offset) {
    problem_ = (where.empty() ? "" : where + ": ") + what + " at byte " + std::to_string(offset);
    return false;
  }

  std::string_view data_;
  int max_depth_;
  std::string problem_;
};

// "field 3 (varint), field 7 (length-delimited)": the top-level fields this message type does
// not know, which is what data of another message type looks like.
std::string unknown_top_level_fields(const pb::Message& message) {
  const pb::UnknownFieldSet& unknown = message.GetReflection()->GetUnknownFields(message);
  std::string list;
  for (int i = 0; i < unknown.field_count() && i < 5; ++i) {
    if (!list.empty()) list += ", ";
    list += "field " + std::to_string(unknown.field(i).number());
  }
  if (unknown.field_count() > 5) list += ", ...";
  return list;
}

void check_limits(const ImportLimits& limits) {
  if (limits.max_nesting_depth <= 0 || limits.max_file_bytes < 0 || limits.max_nodes < 0 ||
      limits.max_tensor_bytes < 0) {
    throw Error(Errc::invalid_argument, "ImportLimits must not be negative (nor depth zero)");
  }
}

// The whole protobuf file, refusing what protobuf cannot parse and what exceeds the limits.
std::string read_proto_file(const std::string& path, const ImportLimits& limits,
                            const std::string& what) {
  check_limits(limits);
  const std::int64_t size = file_size(path);
  if (size > kProtobufMaxBytes) {
    throw Error(Errc::limit_exceeded,
                what + " file is over 2 GiB, which protobuf cannot parse (TensorFlow saves such "
                       "models as a chunked saved_model.cpb, which Kiln does not support)")
        .file(path)
        .found(std::to_string(size) + " bytes");
  }
  std::string bytes = read_file(path, limits.max_file_bytes, what);
  if (bytes.empty()) throw Error(Errc::parse_error, what + " file is empty").file(path);
  return bytes;
}

void check_node_count(std::int64_t nodes, const ImportLimits& limits, const std::string& path) {
  if (nodes > limits.max_nodes) {
    throw Error(Errc::limit_exceeded, "the graphs hold more nodes than the import limit")
        .file(path)
        .expected("at most " + std::to_string(limits.max_nodes) + " (ImportLimits::max_nodes)")
        .found(std::to_string(nodes) + " nodes");
  }
}

class FirstErrorCollector : public pb::io::ErrorCollector {
 public:
  void AddError(int line, pb::io::ColumnNumber column, const std::string& message) override {
    if (first_.empty()) {
      first_ = "line " + std::to_string(line + 1) + ", column " + std::to_string(column + 1) +
               ": " + message;
    }
  }
  // Warnings are the fields Kiln's protos leave out on purpose; they are skipped silently.
  void AddWarning(int, pb::io::ColumnNumber, const std::string&) override {}
  const std::string& first() const { return first_; }

 private:
  std::string first_;
};

}  // namespace

std::string diagnose_wire_format(std::string_view bytes, const pb::Descriptor& type,
                                 int max_depth) {
  WireWalker walker(bytes, max_depth);
  walker.walk(type, 0, bytes.size(), 0, "");
  return walker.problem();
}

void parse_binary_proto(std::string_view bytes, pb::Message& message, const ImportLimits& limits,
                        const std::string& file, const std::string& what) {
  check_limits(limits);
  if (static_cast<std::uint64_t>(bytes.size()) > static_cast<std::uint64_t>(kProtobufMaxBytes)) {
    throw Error(Errc::limit_exceeded, what + " is over 2 GiB, which protobuf cannot parse")
        .file(file);
  }
  pb::io::CodedInputStream input(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                 static_cast<int>(bytes.size()));
  input.SetTotalBytesLimit(INT_MAX);
  input.SetRecursionLimit(limits.max_nesting_depth);
  if (message.ParseFromCodedStream(&input) && input.ConsumedEntireMessage()) return;
  message.Clear();
  std::string problem = diagnose_wire_format(bytes, *message.GetDescriptor(),
                                             limits.max_nesting_depth);
  if (problem.empty()) problem = "protobuf rejected the data (malformed wire format)";
  throw Error(Errc::parse_error, what + " is not a valid " + message.GetDescriptor()->name() +
                                     " protobuf: " + problem)
      .file(file);
}

void parse_text_proto(std::string_view text, pb::Message& message, const ImportLimits& limits,
                      const std::string& file, const std::string& what) {
  check_limits(limits);
  if (static_cast<std::uint64_t>(text.size()) > static_cast<std::uint64_t>(kProtobufMaxBytes)) {
    throw Error(Errc::limit_exceeded, what + " is over 2 GiB, which protobuf cannot parse")
        .file(file);
  }
  pb::io::ArrayInputStream input(text.data(), static_cast<int>(text.size()));
  FirstErrorCollector errors;
  pb::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  parser.AllowUnknownField(true);
  parser.SetRecursionLimit(limits.max_nesting_depth);
  if (parser.Parse(&input, &message)) return;
  message.Clear();
  throw Error(Errc::parse_error, what + " is not a valid " + message.GetDescriptor()->name() +
                                     " in text format: " +
                                     (errors.first().empty() ? "unknown error" : errors.first()))
      .file(file);
}

std::int64_t count_nodes(const tf::GraphDef& graph) {
  std::int64_t nodes = graph.node_size();
  for (const tf::FunctionDef& function : graph.library().function()) {
    nodes += function.node_def_size();
  }
  return nodes;
}

SavedModelFile find_saved_model_file(const std::string& dir) {
  std::error_code ec;
  const fs::file_status status = fs::status(dir, ec);
  if (status.type() == fs::file_type::not_found) {
    throw Error(Errc::not_found, "SavedModel folder does not exist").file(dir);
  }
  if (status.type() != fs::file_type::directory) {
    throw Error(Errc::invalid_argument,
                "a SavedModel is a folder holding saved_model.pb, and this is not a folder "
                "(a frozen GraphDef file is read with load_graphdef)")
        .file(dir);
  }
  const fs::path folder(dir);
  const std::string binary = (folder / "saved_model.pb").string();
  const std::string text = (folder / "saved_model.pbtxt").string();
  const std::string chunked = (folder / "saved_model.cpb").string();
  if (fs::exists(fs::symlink_status(binary, ec))) return {binary, false};
  if (fs::exists(fs::symlink_status(text, ec))) return {text, true};
  if (fs::exists(fs::symlink_status(chunked, ec))) {
    throw Error(Errc::unsupported,
                "chunked SavedModel (saved_model.cpb, which TensorFlow writes for models over "
                "2 GiB) is not supported: re-export the model below 2 GiB")
        .file(chunked);
  }
  throw Error(Errc::not_found, "no saved_model.pb or saved_model.pbtxt in the SavedModel folder")
      .file(dir);
}

tf::SavedModel read_saved_model(const std::string& dir, const ImportLimits& limits) {
  const SavedModelFile file = find_saved_model_file(dir);
  const std::string bytes = read_proto_file(file.path, limits, "SavedModel");
  tf::SavedModel model;
  if (file.text) {
    parse_text_proto(bytes, model, limits, file.path, "SavedModel");
  } else {
    parse_binary_proto(bytes, model, limits, file.path, "SavedModel");
  }
  if (model.meta_graphs_size() == 0) {
    const std::string unknown = unknown_top_level_fields(model);
    if (!unknown.empty()) {
      throw Error(Errc::parse_error, "not a SavedModel: its top-level fields are not "
                                     "SavedModel's (another kind of protobuf, or garbage?)")
          .file(file.path)
          .expected("field 1 (schema version) and field 2 (meta_graphs)")
          .found(unknown);
    }
    throw Error(Errc::parse_error, "SavedModel holds no MetaGraphDef").file(file.path);
  }
  std::int64_t nodes = 0;
  for (const tf::MetaGraphDef& meta_graph : model.meta_graphs()) {
    nodes += count_nodes(meta_graph.graph_def());
  }
  check_node_count(nodes, limits, file.path);
  return model;
}

namespace {

// True if `bytes` parse as a SavedModel with a graph: what a user passing saved_model.pb where
// a frozen graph belongs has done.
bool is_saved_model(std::string_view bytes, const ImportLimits& limits) {
  tf::SavedModel model;
  pb::io::CodedInputStream input(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                 static_cast<int>(bytes.size()));
  input.SetRecursionLimit(limits.max_nesting_depth);
  return model.ParseFromCodedStream(&input) && model.meta_graphs_size() > 0 &&
         model.meta_graphs(0).graph_def().node_size() > 0;
}

}  // namespace

tf::GraphDef read_graph_def(const std::string& path, const ImportLimits& limits) {
  const std::string bytes = read_proto_file(path, limits, "GraphDef");
  tf::GraphDef graph;
  if (ends_with(path, ".pbtxt")) {
    parse_text_proto(bytes, graph, limits, path, "GraphDef");
  } else {
    try {
      parse_binary_proto(bytes, graph, limits, path, "GraphDef");
    } catch (const Error&) {
      if (!is_saved_model(bytes, limits)) throw;
      graph.Clear();  // reported below
    }
  }
  if (graph.node_size() == 0) {
    if (!ends_with(path, ".pbtxt") && is_saved_model(bytes, limits)) {
      throw Error(Errc::parse_error, "not a GraphDef but a SavedModel: load its folder with "
                                     "load_saved_model")
          .file(path);
    }
    const std::string unknown = unknown_top_level_fields(graph);
    if (!unknown.empty()) {
      throw Error(Errc::parse_error, "not a GraphDef: its top-level fields are not GraphDef's "
                                     "(another kind of protobuf, or garbage?)")
          .file(path)
          .expected("field 1 (node), 2 (library), 4 (versions)")
          .found(unknown);
    }
    throw Error(Errc::parse_error, "GraphDef holds no nodes").file(path);
  }
  check_node_count(count_nodes(graph), limits, path);
  return graph;
}

}  // namespace kiln::importer
