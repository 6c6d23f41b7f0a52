// The IR reader: parse_graph() turns the printer's text (print.hpp) back into a Graph, so that
// tests can state graphs as text:
//
//   graph {
//     inputs: x = %x
//     %x = Placeholder() {dtype = float32, shape = [?,4]} : float32[?,4]
//     %w = Const() {dtype = float32, value = float32[4,2] {0.5}} : float32[4,2]
//     %y = MatMul(%x, %w) {T = float32, transpose_a = false, transpose_b = false}
//     outputs: y = %y
//   }
//
// Text printed with PrintOptions::lossless reads back as an equal graph. The brief text (the
// default) reads back too, with three things decided for it:
//   * An attribute whose text fits several kinds ("1": int or float? "[2]": list(int) or
//     shape? "[]": which list?) takes the kind of the op's default in the catalogue, and
//     otherwise int, list(int). Writing "value : kind" ("[] : list(float)") decides it
//     explicitly; that is what the lossless text does.
//   * A tensor's elements may be given as one value for all of them (splat):
//     float32[4,2] {0.5}. Elided contents ("...") are refused: print them lossless.
//   * A node written without ": types" gets its output types from type inference.
// Nodes may appear in any order; `//` starts a comment. Bad text throws a parse_error naming
// the line, the column and what was expected there.
#pragma once

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ops.hpp"
#include "print.hpp"

namespace kiln {

struct ParseOptions {
  // Infer the output types of nodes written without ": types" (needs the op catalogue).
  bool infer_types = true;
  // Deepest nesting of lists in attribute values and of graphs in regions together. Real text
  // nests a few levels; the limit keeps a hostile text from exhausting the parser's stack.
  int max_nesting_depth = 256;
  // Largest tensor a constant in the text may make. One element may stand for all of them
  // (float32[100000,100000] {0}), so a short text can ask for any size; the size is checked
  // before anything is allocated. The default is ImportLimits::max_tensor_bytes's.
  std::int64_t max_tensor_bytes = std::int64_t{4} << 30;
};

namespace parse_detail {

// An attribute value as written, before its kind is decided (see to_attr).
struct Literal {
  enum Kind { integer, real, boolean, string, name, tensor, unknown_shape, unknown_dim, list };
  Kind kind = integer;
  std::size_t at = 0;        // offset in the text, for errors
  std::string text;          // integer, real, string and name: the token (strings unescaped)
  Tensor value;              // tensor
  std::vector<Literal> items;  // list
};

// Where a node refers to another node, remembered until every node is known.
struct Ref {
  std::string name;
  int index = 0;
  std::size_t at = 0;
};

struct PendingNode {
  std::size_t at = 0;  // where the definition starts
  Node node;
  std::vector<Ref> inputs;
  std::vector<Ref> controls;
  bool typed = false;
};

struct PendingPort {
  std::string name;
  Ref value;
};

class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}

  // The whole text: one graph and nothing after it.
  Graph read(const ParseOptions& options) {
    max_depth_ = options.max_nesting_depth;
    max_tensor_bytes_ = options.max_tensor_bytes;
    Graph g = graph_block(options);
    skip_space();
    if (!at_end()) fail("the end of the text after the graph's '}'");
    return g;
  }

 private:
  // One "graph { ... }": statements, then the names resolved into edges.
  Graph graph_block(const ParseOptions& options) {
    const Nesting nesting(*this);
    keyword("graph");
    expect('{');
    std::vector<PendingNode> nodes;
    std::vector<PendingPort> inputs, outputs;
    while (!peek('}')) {
      if (at_end()) fail("'}' closing the graph");
      if (peek('%')) {
        nodes.push_back(node_statement(options));
      } else if (peek_word("inputs")) {
        keyword("inputs");
        ports(inputs);
      } else if (peek_word("outputs")) {
        keyword("outputs");
        ports(outputs);
      } else {
        fail("a node ('%name = Op(...)'), 'inputs:', 'outputs:' or '}'");
      }
    }
    expect('}');
    return build(std::move(nodes), inputs, outputs, options);
  }

  // One level of nesting (a list inside a list, a graph inside a region) for as long as it
  // lives; too many at once is an error, not a stack overflow.
  struct Nesting {
    explicit Nesting(Reader& r) : reader(r) {
      if (++reader.depth_ > reader.max_depth_) {
        throw Error(Errc::limit_exceeded,
                    "IR text nests lists and regions deeper than ParseOptions::max_nesting_depth")
            .expected("at most " + std::to_string(reader.max_depth_) + " levels")
            .found(reader.where(reader.pos_));
      }
    }
    ~Nesting() { --reader.depth_; }
    Nesting(const Nesting&) = delete;
    Nesting& operator=(const Nesting&) = delete;
    Reader& reader;
  };

  // ---- Errors ----------------------------------------------------------------------------
  // "line 3, column 14"
  std::string where(std::size_t at) const {
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i < at && i < text_.size(); ++i) {
      if (text_[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    return "line " + std::to_string(line) + ", column " + std::to_string(column);
  }
  [[noreturn]] void fail_at(std::size_t at, const std::string& expected) const {
    std::string found = "the end of the text";
    if (at < text_.size()) {
      const std::size_t end = text_.find('\n', at);
      found = "'" + std::string(text_.substr(at, std::min<std::size_t>(end - at, 24))) + "'";
    }
    throw Error(Errc::parse_error, "IR text, " + where(at))
        .expected(expected)
        .found(found);
  }
  [[noreturn]] void fail(const std::string& expected) const { fail_at(pos_, expected); }

  // ---- Characters and tokens -------------------------------------------------------------
  bool at_end() const { return pos_ >= text_.size(); }

  void skip_space() {
    while (!at_end()) {
      const char c = text_[pos_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        ++pos_;
      } else if (text_.substr(pos_, 2) == "//") {
        while (!at_end() && text_[pos_] != '\n') ++pos_;
      } else {
        break;
      }
    }
  }

  bool peek(char c) {
    skip_space();
    return !at_end() && text_[pos_] == c;
  }
  bool accept(char c) {
    if (!peek(c)) return false;
    ++pos_;
    return true;
  }
  void expect(char c) {
    if (!accept(c)) fail(std::string("'") + c + "'");
  }

  static bool is_word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

  // A run of [A-Za-z0-9_], as op names, keywords and dtype names are spelled.
  std::string word() {
    skip_space();
    const std::size_t start = pos_;
    while (!at_end() && is_word_char(text_[pos_])) ++pos_;
    return std::string(text_.substr(start, pos_ - start));
  }
  bool peek_word(std::string_view w) {
    skip_space();
    return text_.substr(pos_, w.size()) == w &&
           (pos_ + w.size() >= text_.size() || !is_word_char(text_[pos_ + w.size()]));
  }
  void keyword(std::string_view w) {
    if (!peek_word(w)) fail("'" + std::string(w) + "'");
    pos_ += w.size();
  }

  // "..." with the printer's escapes: \" \\ and \xHH.
  std::string quoted_string() {
    skip_space();
    if (!accept('"')) fail("a string in double quotes");
    std::string out;
    while (true) {
      if (at_end() || text_[pos_] == '\n') fail("'\"' closing the string");
      const char c = text_[pos_++];
      if (c == '"') return out;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (at_end()) fail("an escape after '\\'");
      const char e = text_[pos_++];
      if (e == '"' || e == '\\') {
        out += e;
      } else if (e == 'x') {
        auto hex = [&]() -> int {
          if (at_end() || !std::isxdigit(static_cast<unsigned char>(text_[pos_]))) {
            fail("two hex digits after '\\x'");
          }
          const char h = static_cast<char>(std::tolower(static_cast<unsigned char>(text_[pos_++])));
          return h <= '9' ? h - '0' : h - 'a' + 10;
        };
        const int high = hex();
        out += static_cast<char>(high * 16 + hex());
      } else {
        fail_at(pos_ - 1, "an escape: \\\" \\\\ or \\xHH");
      }
    }
  }

  // A node or port name: plain [A-Za-z0-9_.\-/>]+ or quoted.
  std::string name(const char* what) {
    skip_space();
    if (peek('"')) return quoted_string();
    const std::size_t start = pos_;
    while (!at_end() && print_detail::is_name_char(text_[pos_])) ++pos_;
    if (pos_ == start) fail(what);
    return std::string(text_.substr(start, pos_ - start));
  }

  std::int64_t integer(const char* what) {
    skip_space();
    const std::size_t start = pos_;
    const std::string token = number_token();
    char* end = nullptr;
    errno = 0;
    const long long v = token.empty() ? 0 : std::strtoll(token.c_str(), &end, 10);
    if (token.empty() || errno == ERANGE || *end != '\0') fail_at(start, what);
    return v;
  }

  // The characters a number may be made of, including nan, inf and -inf.
  std::string number_token() {
    skip_space();
    const std::size_t start = pos_;
    if (!at_end() && (text_[pos_] == '-' || text_[pos_] == '+')) ++pos_;
    if (peek_word_here("inf") || peek_word_here("nan")) {
      pos_ += 3;
    } else {
      while (!at_end()) {
        const char c = text_[pos_];
        const bool exponent_sign = (c == '-' || c == '+') && pos_ > start &&
                                   (text_[pos_ - 1] == 'e' || text_[pos_ - 1] == 'E');
        if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == 'e' || c == 'E' ||
              exponent_sign)) {
          break;
        }
        ++pos_;
      }
    }
    return std::string(text_.substr(start, pos_ - start));
  }
  bool peek_word_here(std::string_view w) const {
    return text_.substr(pos_, w.size()) == w &&
           (pos_ + w.size() >= text_.size() || !is_word_char(text_[pos_ + w.size()]));
  }

  // ---- Types -----------------------------------------------------------------------------
  DType dtype(std::size_t at, const std::string& w) const {
    for (DType t : {DType::float32, DType::float16, DType::bfloat16, DType::float64, DType::int8,
                    DType::uint8, DType::int32, DType::int64, DType::boolean, DType::variant}) {
      if (w == dtype_name(t)) return t;
    }
    fail_at(at, "a dtype (float32, int64, bool, ...)");
  }
  static bool is_dtype_name(const std::string& w) {
    for (DType t : {DType::float32, DType::float16, DType::bfloat16, DType::float64, DType::int8,
                    DType::uint8, DType::int32, DType::int64, DType::boolean, DType::variant}) {
      if (w == dtype_name(t)) return true;
    }
    return false;
  }

  // [2,?,3], [] or <unknown>.
  Shape shape() {
    skip_space();
    if (accept('<')) {
      keyword("unknown");
      expect('>');
      return Shape::unknown_rank();
    }
    expect('[');
    std::vector<std::int64_t> dims;
    if (!accept(']')) {
      do {
        if (accept('?')) {
          dims.push_back(kUnknownDim);
          continue;
        }
        const std::size_t at = pos_;
        const std::int64_t d = integer("a dimension (a number >= 0, or ?)");
        if (d < 0) fail_at(at, "a dimension (a number >= 0, or ?)");
        dims.push_back(d);
      } while (accept(','));
      expect(']');
    }
    if (dims.size() > static_cast<std::size_t>(kMaxRank)) {
      fail("a rank of at most " + std::to_string(kMaxRank));
    }
    return Shape(std::move(dims));
  }

  TensorType tensor_type() {
    skip_space();
    const std::size_t at = pos_;
    TensorType t;
    t.dtype = dtype(at, word());
    t.shape = shape();
    return t;
  }

  // ---- Attribute values ------------------------------------------------------------------
  Literal literal() {
    skip_space();
    Literal lit;
    lit.at = pos_;
    if (at_end()) fail("an attribute value");
    const char c = text_[pos_];
    if (c == '"') {
      lit.kind = Literal::string;
      lit.text = quoted_string();
    } else if (c == '[') {
      const Nesting nesting(*this);
      ++pos_;
      lit.kind = Literal::list;
      if (!accept(']')) {
        do {
          lit.items.push_back(list_item());
        } while (accept(','));
        expect(']');
      }
    } else if (c == '<') {
      shape();
      lit.kind = Literal::unknown_shape;
    } else if (c == '-' || c == '+' || c == '.' || std::isdigit(static_cast<unsigned char>(c)) ||
               peek_word("inf") || peek_word("nan")) {
      lit.text = number_token();
      const bool real = lit.text.find_first_of(".eEn") != std::string::npos;  // n: inf, nan
      lit.kind = real ? Literal::real : Literal::integer;
      if (lit.text.empty() || lit.text == "-" || lit.text == "+") fail("a number");
    } else if (is_word_char(c)) {
      lit.text = word();
      if (lit.text == "true" || lit.text == "false") {
        lit.kind = Literal::boolean;
      } else if (is_dtype_name(lit.text) && !at_end() && (text_[pos_] == '[' || text_[pos_] == '<')) {
        lit.kind = Literal::tensor;
        lit.value = tensor_body(lit.at, dtype(lit.at, lit.text));
      } else {
        lit.kind = Literal::name;
      }
    } else {
      fail("an attribute value");
    }
    return lit;
  }

  Literal list_item() {
    if (peek('?')) {
      Literal dim;
      dim.at = pos_++;
      dim.kind = Literal::unknown_dim;
      return dim;
    }
    return literal();
  }

  // After "float32": the shape and {elements}, one element standing for all of them.
  Tensor tensor_body(std::size_t at, DType type) {
    const std::size_t shape_at = pos_;
    const Shape s = shape();
    if (!s.is_fully_known()) fail_at(shape_at, "a fully known shape for a tensor");
    std::int64_t n = 0;
    std::int64_t bytes = 0;
    try {
      n = s.num_elements();
      bytes = checked_mul(n, static_cast<std::int64_t>(dtype_size(type)));
    } catch (const Error&) {
      fail_at(shape_at, "a tensor shape whose byte size fits 64 bits");
    }
    if (bytes > max_tensor_bytes_) {
      throw Error(Errc::limit_exceeded, "IR text, " + where(shape_at) +
                                            ": a tensor larger than ParseOptions::max_tensor_bytes")
          .expected("at most " + std::to_string(max_tensor_bytes_) + " bytes")
          .found(std::to_string(bytes) + " bytes for " + dtype_name(type) + s.str());
    }
    expect('{');
    std::vector<std::pair<std::string, std::size_t>> elements;
    if (!accept('}')) {
      do {
        skip_space();
        if (text_.substr(pos_, 3) == "...") {
          fail("every element: elided contents cannot be read back (print with "
               "PrintOptions::lossless)");
        }
        const std::size_t element_at = pos_;
        std::string token = type == DType::boolean ? word() : number_token();
        if (token.empty()) fail(type == DType::boolean ? "true or false" : "a number");
        elements.emplace_back(std::move(token), element_at);
      } while (accept(','));
      expect('}');
    }
    const bool splat = elements.size() == 1 && n > 1;
    if (!splat && static_cast<std::int64_t>(elements.size()) != n) {
      fail_at(at, std::to_string(n) + " elements (or one for all) for " + s.str() + ", not " +
                      std::to_string(elements.size()));
    }
    Tensor t(type, s);
    dispatch(type, [&](auto tag) {
      using T = typename decltype(tag)::type;
      T* out = t.data<T>();
      for (std::int64_t i = 0; i < n; ++i) {
        const auto& [token, element_at] = elements[splat ? 0 : static_cast<std::size_t>(i)];
        if (splat && i > 0) {
          out[i] = out[0];
        } else {
          out[i] = element<T>(token, element_at);
        }
      }
    });
    return t;
  }

  template <class T> T element(const std::string& token, std::size_t at) const {
    char* end = nullptr;
    errno = 0;
    if constexpr (std::is_same_v<T, bool>) {
      if (token == "true" || token == "false") return token == "true";
      fail_at(at, "true or false");
    } else if constexpr (std::is_integral_v<T>) {
      const long long v = std::strtoll(token.c_str(), &end, 10);
      if (errno == ERANGE || *end != '\0' || v < static_cast<long long>(std::numeric_limits<T>::min()) ||
          v > static_cast<long long>(std::numeric_limits<T>::max())) {
        fail_at(at, std::string("an integer that fits ") + dtype_name(dtype_of<T>()));
      }
      return static_cast<T>(v);
    } else if constexpr (std::is_same_v<T, double>) {
      const double v = std::strtod(token.c_str(), &end);
      if (*end != '\0') fail_at(at, "a number");
      return v;
    } else {  // float and the 16-bit floats, which round from float
      const float v = std::strtof(token.c_str(), &end);
      if (*end != '\0') fail_at(at, "a number");
      return T(v);
    }
  }

  // The kind index of AttrValue named by "int", "list(float)", ... (attr_kind_name's names).
  std::size_t kind() {
    skip_space();
    const std::size_t at = pos_;
    std::string k = word();
    if (k == "list" && accept('(')) {
      k += "(" + word();
      expect(')');
      k += ")";
    }
    for (std::size_t i = 0; i < std::variant_size_v<AttrValue>; ++i) {
      if (k == attr_kind_name(kind_example(i))) return i;
    }
    fail_at(at, "an attribute kind (int, float, bool, string, type, shape, tensor, list(int), "
                "list(float), list(string), list(type), list(shape))");
  }
  static AttrValue kind_example(std::size_t index) {
    static const AttrValue examples[] = {std::int64_t{}, float{}, bool{}, std::string{},
                                         DType{},        Shape{}, Tensor{}, Ints{},
                                         Floats{},       Strings{}, DTypes{}, Shapes{}};
    return examples[index];
  }

  // The kind the literal has by itself: int, float, list(int) for integer lists, and so on.
  AttrValue natural(const Literal& lit) const {
    switch (lit.kind) {
      case Literal::integer: return as<std::int64_t>(lit);
      case Literal::real: return as<float>(lit);
      case Literal::boolean: return lit.text == "true";
      case Literal::string: return lit.text;
      case Literal::name: return dtype(lit.at, lit.text);
      case Literal::tensor: return lit.value;
      case Literal::unknown_shape: return Shape::unknown_rank();
      case Literal::unknown_dim: fail_at(lit.at, "'?' only inside a shape");
      case Literal::list: break;
    }
    auto all = [&](std::initializer_list<Literal::Kind> kinds) {
      for (const Literal& item : lit.items) {
        if (std::find(kinds.begin(), kinds.end(), item.kind) == kinds.end()) return false;
      }
      return true;
    };
    auto any = [&](Literal::Kind k) {
      return std::any_of(lit.items.begin(), lit.items.end(), [k](const Literal& i) { return i.kind == k; });
    };
    if (all({Literal::integer})) return as<Ints>(lit);  // includes []
    if (all({Literal::integer, Literal::unknown_dim})) return as<Shape>(lit);
    if (all({Literal::integer, Literal::real}) && any(Literal::real)) return as<Floats>(lit);
    if (all({Literal::string})) return as<Strings>(lit);
    if (all({Literal::name})) return as<DTypes>(lit);
    if (all({Literal::list, Literal::unknown_shape})) return as<Shapes>(lit);
    fail_at(lit.at, "a list whose items are all of one kind");
  }

  // The literal as the given kind, or an error saying the text does not fit it.
  template <class T> T as(const Literal& lit) const {
    const std::string want = attr_kind_name_of<T>();
    auto require = [&](bool ok) {
      if (!ok) fail_at(lit.at, "a value of kind " + want);
    };
    if constexpr (std::is_same_v<T, std::int64_t>) {
      require(lit.kind == Literal::integer);
      char* end = nullptr;
      errno = 0;
      const long long v = std::strtoll(lit.text.c_str(), &end, 10);
      if (errno == ERANGE || *end != '\0') fail_at(lit.at, "an integer that fits 64 bits");
      return v;
    } else if constexpr (std::is_same_v<T, float>) {
      require(lit.kind == Literal::integer || lit.kind == Literal::real);
      return element<float>(lit.text, lit.at);
    } else if constexpr (std::is_same_v<T, bool>) {
      require(lit.kind == Literal::boolean);
      return lit.text == "true";
    } else if constexpr (std::is_same_v<T, std::string>) {
      require(lit.kind == Literal::string);
      return lit.text;
    } else if constexpr (std::is_same_v<T, DType>) {
      require(lit.kind == Literal::name);
      return dtype(lit.at, lit.text);
    } else if constexpr (std::is_same_v<T, Tensor>) {
      require(lit.kind == Literal::tensor);
      return lit.value;
    } else if constexpr (std::is_same_v<T, Shape>) {
      if (lit.kind == Literal::unknown_shape) return Shape::unknown_rank();
      require(lit.kind == Literal::list);
      std::vector<std::int64_t> dims;
      for (const Literal& item : lit.items) {
        if (item.kind == Literal::unknown_dim) {
          dims.push_back(kUnknownDim);
          continue;
        }
        const std::int64_t d = as<std::int64_t>(item);
        if (d < 0) fail_at(item.at, "a dimension (a number >= 0, or ?)");
        dims.push_back(d);
      }
      if (dims.size() > static_cast<std::size_t>(kMaxRank)) {
        fail_at(lit.at, "a rank of at most " + std::to_string(kMaxRank));
      }
      return Shape(std::move(dims));
    } else {  // the list kinds
      require(lit.kind == Literal::list);
      T out;
      for (const Literal& item : lit.items) out.push_back(as<typename T::value_type>(item));
      return out;
    }
  }

  // The literal as the AttrValue alternative with this index.
  AttrValue as_kind(const Literal& lit, std::size_t index) const {
    switch (index) {
      case 0: return as<std::int64_t>(lit);
      case 1: return as<float>(lit);
      case 2: return as<bool>(lit);
      case 3: return as<std::string>(lit);
      case 4: return as<DType>(lit);
      case 5: return as<Shape>(lit);
      case 6: return as<Tensor>(lit);
      case 7: return as<Ints>(lit);
      case 8: return as<Floats>(lit);
      case 9: return as<Strings>(lit);
      case 10: return as<DTypes>(lit);
      default: return as<Shapes>(lit);
    }
  }

  // The kind of the catalogue's default for op.key, which decides what the text leaves open.
  static std::optional<std::size_t> declared_kind(const std::string& op, const std::string& key) {
    const OpDef* def = op_catalogue().find(op);
    if (!def) return std::nullopt;
    for (const AttrDef& a : def->attrs) {
      if (a.name == key && a.default_value) return a.default_value->index();
    }
    return std::nullopt;
  }

  AttrValue attr_value(const std::string& op, const std::string& key) {
    const Literal lit = literal();
    if (accept(':')) return as_kind(lit, kind());
    AttrValue value = natural(lit);
    if (const auto declared = declared_kind(op, key); declared && *declared != value.index()) {
      try {
        return as_kind(lit, *declared);
      } catch (const Error&) {
        // The text is plainly another kind; keep it, and let verification judge the node.
      }
    }
    return value;
  }

  // ---- Statements ------------------------------------------------------------------------
  Ref value_ref(bool allow_index = true) {
    skip_space();
    Ref ref;
    ref.at = pos_;
    expect('%');
    ref.name = name("a node name after '%'");
    if (allow_index && !at_end() && text_[pos_] == ':') {
      ++pos_;
      const std::size_t at = pos_;
      const std::int64_t index = integer("an output index after ':'");
      if (index < 0 || index > 1 << 20) fail_at(at, "an output index >= 0");
      ref.index = static_cast<int>(index);
    }
    return ref;
  }

  // name = %value, name = %value, ...
  void ports(std::vector<PendingPort>& out) {
    expect(':');
    do {
      PendingPort port;
      port.name = name("a port name");
      expect('=');
      port.value = value_ref();
      out.push_back(std::move(port));
    } while (accept(','));
  }

  PendingNode node_statement(const ParseOptions& options) {
    PendingNode pending;
    Node& node = pending.node;
    const Ref self = value_ref(/*allow_index=*/false);
    pending.at = self.at;
    node.name = self.name;
    expect('=');
    skip_space();
    const std::size_t op_at = pos_;
    while (!at_end() && (is_word_char(text_[pos_]) || text_[pos_] == '>' || text_[pos_] == '.')) ++pos_;
    node.op = std::string(text_.substr(op_at, pos_ - op_at));
    if (node.op.empty()) fail("an op name");
    expect('(');
    if (!accept(')')) {
      do {
        if (accept('^')) {
          pending.controls.push_back(value_ref(/*allow_index=*/false));
        } else {
          if (!pending.controls.empty()) fail("'^%name': control inputs come after data inputs");
          pending.inputs.push_back(value_ref());
        }
      } while (accept(','));
      expect(')');
    }
    if (accept('{')) {
      if (!accept('}')) {
        do {
          skip_space();
          const std::size_t key_at = pos_;
          std::string key = name("an attribute name");
          if (node.has_attr(key)) fail_at(key_at, "each attribute once");
          expect('=');
          AttrValue value = attr_value(node.op, key);
          node.attrs.emplace(std::move(key), std::move(value));
        } while (accept(','));
        expect('}');
      }
    }
    if (accept(':')) {
      pending.typed = true;
      if (accept('(')) {
        if (!accept(')')) {
          do {
            node.outputs.push_back(tensor_type());
          } while (accept(','));
          expect(')');
        }
      } else {
        node.outputs.push_back(tensor_type());
      }
    }
    if (peek_word("loc")) {
      keyword("loc");
      expect('(');
      keyword("fused");
      expect('[');
      do {
        node.replaced.push_back(quoted_string());
      } while (accept(','));
      expect(']');
      expect(')');
    }
    if (peek_word("regions")) {  // "regions { role: graph {...} ... }", roles in the op's order
      keyword("regions");
      expect('{');
      while (!accept('}')) {
        if (at_end()) fail("'}' closing the regions");
        skip_space();
        while (!at_end() && text_[pos_] != ':' && text_[pos_] != '\n') ++pos_;  // the role, for readers
        expect(':');
        node.regions.push_back(std::make_shared<const Graph>(graph_block(options)));
      }
    }
    return pending;
  }

  // ---- From names to edges ---------------------------------------------------------------
  Graph build(std::vector<PendingNode> nodes, const std::vector<PendingPort>& inputs,
              const std::vector<PendingPort>& outputs, const ParseOptions& options) const {
    Graph g;
    for (PendingNode& p : nodes) {
      if (g.find(p.node.name)) fail_at(p.at, "each node defined once");
      g.add(p.node);
    }
    auto resolve = [&](const Ref& ref) -> NodeId {
      if (auto id = g.find(ref.name)) return *id;
      fail_at(ref.at, "a node defined in this graph");
    };
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      Node& node = g.node(static_cast<NodeId>(i));
      for (const Ref& r : nodes[i].inputs) node.inputs.push_back({resolve(r), r.index});
      for (const Ref& r : nodes[i].controls) node.control_inputs.push_back(resolve(r));
    }
    for (const PendingPort& p : inputs) g.inputs().push_back({p.name, {resolve(p.value), p.value.index}});
    for (const PendingPort& p : outputs) g.outputs().push_back({p.name, {resolve(p.value), p.value.index}});
    if (options.infer_types) infer_untyped(g, nodes);
    return g;
  }

  // Types for the nodes written without them, in topological order so inputs come first.
  static void infer_untyped(Graph& g, const std::vector<PendingNode>& nodes) {
    for (NodeId id : g.topological_order()) {
      if (nodes[static_cast<std::size_t>(id)].typed) continue;
      const Node& node = g.node(id);
      std::vector<TensorType> types;
      std::vector<const Tensor*> values;
      for (Value in : node.inputs) {
        types.push_back(g.type_of(in));
        values.push_back(constant_value(g, in));
      }
      infer_into(g.node(id), std::move(types), std::move(values));
    }
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  int depth_ = 0;
  int max_depth_ = ParseOptions().max_nesting_depth;
  std::int64_t max_tensor_bytes_ = ParseOptions().max_tensor_bytes;
};

}  // namespace parse_detail

// The graph the text describes; see the top of this file for the format.
inline Graph parse_graph(std::string_view text, const ParseOptions& options = {}) {
  return parse_detail::Reader(text).read(options);
}

}  // namespace kiln
