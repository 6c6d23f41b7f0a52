// kiln::Error: the one exception type Kiln throws.
//
// Every failure that a file, a graph or a caller can provoke ends up here, with enough context to
// find the culprit without a debugger: which file, node, op, attribute or input, and what was
// expected versus what was found. Nothing a file controls may reach an assert or an abort.
#pragma once

#include <exception>
#include <string>
#include <utility>

namespace kiln {

enum class Errc {
  invalid_argument,    // a caller passed something unusable
  invalid_graph,       // structure: dangling inputs, cycles, duplicate names, bad arity
  invalid_attr,        // a missing, mistyped or out-of-range attribute
  type_mismatch,       // dtypes that do not agree
  shape_mismatch,      // shapes that do not agree, or cannot be inferred
  unsupported,         // an op, dtype or feature Kiln does not implement
  parse_error,         // a file that is not what it claims to be
  io_error,            // a file that cannot be opened or read
  limit_exceeded,      // a size, depth or byte budget was exceeded
  not_found,           // a name (signature, tag, node, tensor) that does not exist
  internal,            // a broken invariant inside Kiln: always a bug
};

inline const char* errc_name(Errc code) {
  switch (code) {
    case Errc::invalid_argument: return "invalid argument";
    case Errc::invalid_graph: return "invalid graph";
    case Errc::invalid_attr: return "invalid attribute";
    case Errc::type_mismatch: return "type mismatch";
    case Errc::shape_mismatch: return "shape mismatch";
    case Errc::unsupported: return "unsupported";
    case Errc::parse_error: return "parse error";
    case Errc::io_error: return "I/O error";
    case Errc::limit_exceeded: return "limit exceeded";
    case Errc::not_found: return "not found";
    case Errc::internal: return "internal error";
  }
  return "error";
}

// Where an error happened. Every field is optional; what() prints the ones that are set.
struct ErrorContext {
  std::string file;
  std::string region;  // the control-flow regions the node sits in, outermost first
  std::string node;
  std::string op;
  std::string attr;
  std::string input;
  std::string expected;
  std::string found;
};

class Error : public std::exception {
 public:
  Error(Errc code, std::string message, ErrorContext context = {})
      : code_(code), message_(std::move(message)), context_(std::move(context)) {
    render();
  }

  Errc code() const noexcept { return code_; }
  const std::string& message() const noexcept { return message_; }
  const ErrorContext& context() const noexcept { return context_; }
  const char* what() const noexcept override { return text_.c_str(); }

  // Fluent setters, so context can be added where it is known:
  //   throw Error(Errc::invalid_attr, "strides must be positive").node(n.name).attr("strides");
  Error& file(std::string v) { return set(context_.file, std::move(v)); }
  Error& node(std::string v) { return set(context_.node, std::move(v)); }
  Error& op(std::string v) { return set(context_.op, std::move(v)); }
  Error& attr(std::string v) { return set(context_.attr, std::move(v)); }
  Error& input(std::string v) { return set(context_.input, std::move(v)); }
  Error& expected(std::string v) { return set(context_.expected, std::move(v)); }
  Error& found(std::string v) { return set(context_.found, std::move(v)); }
  // Says the error happened inside region `role` of control-flow node `owner` (added on the way
  // out, so the outermost region ends up first).
  Error& within(const std::string& owner, const std::string& role) {
    const std::string here = owner + "/" + role;
    return set(context_.region, context_.region.empty() ? here : here + " > " + context_.region);
  }

 private:
  Error& set(std::string& field, std::string value) {
    field = std::move(value);
    render();
    return *this;
  }

  // "invalid attribute: strides must be positive (node 'conv1', op 'Conv2D', attr 'strides';
  //  expected > 0, found 0)"
  void render() {
    text_ = std::string(errc_name(code_)) + ": " + message_;
    std::string where;
    auto add = [&where](const char* label, const std::string& value) {
      if (value.empty()) return;
      where += where.empty() ? "" : ", ";
      where += std::string(label) + " '" + value + "'";
    };
    add("file", context_.file);
    add("region", context_.region);
    add("node", context_.node);
    add("op", context_.op);
    add("attr", context_.attr);
    add("input", context_.input);
    std::string comparison;
    if (!context_.expected.empty()) comparison += "expected " + context_.expected;
    if (!context_.found.empty()) {
      comparison += comparison.empty() ? "" : ", ";
      comparison += "found " + context_.found;
    }
    if (!comparison.empty()) where += (where.empty() ? "" : "; ") + comparison;
    if (!where.empty()) text_ += " (" + where + ")";
  }

  Errc code_;
  std::string message_;
  ErrorContext context_;
  std::string text_;
};

}  // namespace kiln
