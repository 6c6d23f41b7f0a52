// Reads the TensorFlow expectations that math_tf_cases.py and make_array_cases.py write into
// tests/reference/data/*_tf_cases.txt. One record per case, blank lines between records:
//
//   # a comment                          only before the first case
//   case Add float32 [2, 3] [3]          a name for failure messages (the rest of the line)
//   op Add
//   attr T type float32                  also: bool 0|1, int 3, float 0.2, string SAME,
//                                        ints [0,-1], shape [2,-1] (-1 unknown) or shape ?
//   in float32 [2,3] 1.5 -2.0 ...        one line per input: dtype, shape, row-major values
//   out bool [2,3] 1 0 ...               one line per output TensorFlow returned, or
//   fails                                TensorFlow refused the inputs
//   tolerance 1e-06 2e-06                absolute and relative; absent or 0 0 for exact
//
//   cases 571                            the last line: how many cases the file holds
//
// The count at the end makes a truncated file an error rather than fewer tests.
#pragma once

#include <cstdlib>
#include <fstream>
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
  std::vector<Tensor> outputs;  // empty when TensorFlow refused the inputs
  bool fails = false;
  double atol = 0;
  double rtol = 0;
};

namespace tf_cases_detail {

// Where a record is, for errors: the file and its line number.
class Reader {
 public:
  Reader(std::string path, std::size_t line) : path_(std::move(path)), line_(line) {}

  [[noreturn]] void fail(const std::string& what, const std::string& found) const {
    throw Error(Errc::parse_error, what + " at line " + std::to_string(line_)).file(path_).found(found);
  }

  std::int64_t integer(const std::string& word) const {
    char* end = nullptr;
    const long long v = std::strtoll(word.c_str(), &end, 10);
    if (word.empty() || *end != '\0') fail("expected an integer", word);
    return v;
  }

  // "[2,3]" or "[]".
  std::vector<std::int64_t> int_list(const std::string& text) const {
    if (text.size() < 2 || text.front() != '[' || text.back() != ']') fail("expected [a,b,...]", text);
    std::vector<std::int64_t> out;
    std::istringstream in(text.substr(1, text.size() - 2));
    for (std::string item; std::getline(in, item, ',');) out.push_back(integer(item));
    return out;
  }

  // Floats read back in their own precision: strtof for float32 and the 16-bit floats (their
  // values are exact floats), strtod for float64. Integers never pass through a float.
  Tensor tensor(std::istringstream& in) const {
    std::string dtype_text, shape_text;
    in >> dtype_text >> shape_text;
    DType dtype{};
    try {
      dtype = dtype_from_name(dtype_text);
    } catch (const Error&) {
      fail("expected a dtype", dtype_text);
    }
    Tensor t(dtype, Shape(int_list(shape_text)));
    dispatch(t.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      T* data = t.data<T>();
      for (std::int64_t i = 0; i < t.num_elements(); ++i) {
        std::string word;
        if (!(in >> word)) fail("too few values for the shape", shape_text);
        char* end = nullptr;
        if constexpr (std::is_same_v<T, bool>) {
          if (word != "0" && word != "1") fail("expected 0 or 1", word);
          data[i] = word == "1";
          continue;
        } else if constexpr (std::is_integral_v<T>) {
          data[i] = static_cast<T>(integer(word));
          continue;
        } else if constexpr (std::is_same_v<T, double>) {
          data[i] = std::strtod(word.c_str(), &end);
        } else {
          data[i] = T(std::strtof(word.c_str(), &end));
        }
        if (*end != '\0') fail("expected a number", word);
      }
    });
    std::string extra;
    if (in >> extra) fail("more values than the shape holds", shape_text);
    return t;
  }

  AttrValue attr(std::istringstream& in) const {
    std::string kind, value;
    in >> kind >> value;
    if (kind == "type") return dtype_from_name(value);
    if (kind == "bool") return value == "1";
    if (kind == "int") return integer(value);
    if (kind == "float") return std::strtof(value.c_str(), nullptr);
    if (kind == "string") return value;
    if (kind == "ints") return Ints(int_list(value));
    if (kind == "shape") return value == "?" ? Shape::unknown_rank() : Shape(int_list(value));
    fail("unknown attribute kind", kind);
  }

  void set_line(std::size_t line) { line_ = line; }

 private:
  std::string path_;
  std::size_t line_;
};

}  // namespace tf_cases_detail

// The path of one of the generated files: "math_tf_cases.txt", "array_tf_cases.txt".
inline std::string tf_cases_file(const std::string& name) {
  return std::string(KILN_SOURCE_DIR) + "/tests/reference/data/" + name;
}

// Every case in the file at `full`.
inline std::vector<TfCase> load_tf_cases(const std::string& full) {
  std::ifstream file(full);
  if (!file) throw Error(Errc::io_error, "cannot open the TensorFlow cases").file(full);
  std::vector<TfCase> cases;
  tf_cases_detail::Reader reader(full, 0);
  std::string line;
  std::size_t number = 0;
  long long declared = -1;
  while (std::getline(file, line)) {
    reader.set_line(++number);
    if (line.empty() || (line[0] == '#' && cases.empty())) continue;
    if (declared >= 0) reader.fail("text after the final 'cases' line", line);
    std::istringstream in(line);
    std::string key;
    in >> key;
    if (key == "case") {
      cases.emplace_back();
      cases.back().name = line.substr(5);
      continue;
    }
    if (key == "cases") {
      std::string count;
      in >> count;
      declared = reader.integer(count);
      continue;
    }
    if (cases.empty()) reader.fail("a record before the first case", line);
    TfCase& c = cases.back();
    if (key == "op") {
      in >> c.op;
    } else if (key == "attr") {
      std::string name;
      in >> name;
      c.attrs[name] = reader.attr(in);
    } else if (key == "in") {
      c.inputs.push_back(reader.tensor(in));
    } else if (key == "out") {
      c.outputs.push_back(reader.tensor(in));
    } else if (key == "fails") {
      c.fails = true;
    } else if (key == "tolerance") {
      in >> c.atol >> c.rtol;
    } else {
      reader.fail("an unknown record", line);
    }
  }
  if (declared < 0) reader.fail("the final 'cases N' line (is the file truncated?)", "the end of the file");
  if (declared != static_cast<long long>(cases.size())) {
    reader.fail("as many cases as the final line declares (" + std::to_string(declared) + ")",
                std::to_string(cases.size()) + " cases");
  }
  for (const TfCase& c : cases) {
    if (c.op.empty() || c.fails == !c.outputs.empty()) {
      throw Error(Errc::parse_error, "a case needs an op and either outputs or 'fails'")
          .file(full)
          .found(c.name);
    }
  }
  return cases;
}

}  // namespace kiln::test
