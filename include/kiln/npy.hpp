// Reading and writing NumPy .npy files: the only input format the command-line tool accepts.
//
// The header is a Python dict literal, but it is *parsed* here, never evaluated: a data file
// must not be able to run anything (the saved_model_cli CVE-2021-41228 lesson).
#pragma once

#include <cctype>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "core/tensor.hpp"

namespace kiln {

namespace npy_detail {

constexpr char kMagic[] = "\x93NUMPY";
constexpr std::size_t kMagicSize = 6;
constexpr std::size_t kMaxHeaderBytes = 1 << 16;  // numpy writes a few hundred bytes at most

struct DescrMap {
  const char* descr;
  DType dtype;
};
// Little-endian descriptors only: '<' explicit, '|' for single bytes. bfloat16 has no NumPy
// descriptor of its own, so it is not read or written here.
constexpr DescrMap kDescrs[] = {
    {"<f4", DType::float32}, {"<f2", DType::float16}, {"<f8", DType::float64},
    {"|i1", DType::int8},    {"|u1", DType::uint8},   {"<i4", DType::int32},
    {"<i8", DType::int64},   {"|b1", DType::boolean},
};

// A tiny reader for the header dict: {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& file) : s_(text), file_(file) {}

  void parse(std::string& descr, bool& fortran, std::vector<std::int64_t>& shape) {
    bool seen_descr = false, seen_fortran = false, seen_shape = false;
    expect('{');
    while (true) {
      skip_space();
      if (peek() == '}') break;
      const std::string key = string_literal();
      expect(':');
      if (key == "descr") {
        descr = string_literal();
        seen_descr = true;
      } else if (key == "fortran_order") {
        fortran = boolean_literal();
        seen_fortran = true;
      } else if (key == "shape") {
        shape = tuple_literal();
        seen_shape = true;
      } else {
        fail("unknown key '" + key + "' in the .npy header");
      }
      skip_space();
      if (peek() == ',') ++pos_;
    }
    if (!seen_descr || !seen_fortran || !seen_shape) {
      fail("the .npy header lacks descr, fortran_order or shape");
    }
  }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    throw Error(Errc::parse_error, why).file(file_).found(std::string(s_));
  }
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  void skip_space() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  void expect(char c) {
    skip_space();
    if (peek() != c) fail(std::string("expected '") + c + "' in the .npy header");
    ++pos_;
  }
  std::string string_literal() {
    skip_space();
    const char quote = peek();
    if (quote != '\'' && quote != '"') fail("expected a quoted string in the .npy header");
    const std::size_t end = s_.find(quote, pos_ + 1);
    if (end == std::string_view::npos) fail("unterminated string in the .npy header");
    std::string out(s_.substr(pos_ + 1, end - pos_ - 1));
    pos_ = end + 1;
    return out;
  }
  bool boolean_literal() {
    skip_space();
    if (s_.substr(pos_, 4) == "True") return pos_ += 4, true;
    if (s_.substr(pos_, 5) == "False") return pos_ += 5, false;
    fail("expected True or False in the .npy header");
  }
  std::vector<std::int64_t> tuple_literal() {
    expect('(');
    std::vector<std::int64_t> dims;
    while (true) {
      skip_space();
      if (peek() == ')') break;
      if (!std::isdigit(static_cast<unsigned char>(peek()))) fail("bad dimension in the .npy shape");
      std::int64_t d = 0;
      while (std::isdigit(static_cast<unsigned char>(peek()))) {
        d = checked_add(checked_mul(d, 10), peek() - '0');
        ++pos_;
      }
      dims.push_back(d);
      skip_space();
      if (peek() == ',') ++pos_;
    }
    ++pos_;
    return dims;
  }

  std::string_view s_;
  const std::string& file_;
  std::size_t pos_ = 0;
};

inline std::uint32_t read_le(const std::string& bytes, std::size_t at, std::size_t width) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < width; ++i) {
    v |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + i])) << (8 * i);
  }
  return v;
}

}  // namespace npy_detail

// Decodes the bytes of a .npy file; `name` is used in error messages.
inline Tensor parse_npy(const std::string& bytes, const std::string& name = "<memory>") {
  using namespace npy_detail;
  if (bytes.size() < kMagicSize + 4 || bytes.compare(0, kMagicSize, kMagic, kMagicSize) != 0) {
    throw Error(Errc::parse_error, "not a .npy file (bad magic)").file(name);
  }
  const int major = static_cast<unsigned char>(bytes[6]);
  if (major < 1 || major > 3) {
    throw Error(Errc::unsupported, "unknown .npy format version")
        .file(name)
        .found(std::to_string(major));
  }
  const std::size_t width = major == 1 ? 2 : 4;  // v1 has a 16-bit header length, v2/v3 32-bit
  if (bytes.size() < 8 + width) throw Error(Errc::parse_error, "truncated .npy header").file(name);
  const std::size_t header_len = read_le(bytes, 8, width);
  const std::size_t data_at = 8 + width + header_len;
  if (header_len > kMaxHeaderBytes || data_at > bytes.size()) {
    throw Error(Errc::parse_error, "truncated or oversized .npy header").file(name);
  }
  std::string descr;
  bool fortran = false;
  std::vector<std::int64_t> dims;
  try {
    HeaderParser(std::string_view(bytes).substr(8 + width, header_len), name)
        .parse(descr, fortran, dims);
  } catch (Error& e) {  // a dimension past 63 bits: name the file
    e.file(name);
    throw;
  }
  if (fortran) {
    throw Error(Errc::unsupported, "Fortran-order .npy arrays are not supported; save with "
                                   "np.ascontiguousarray").file(name);
  }
  const DescrMap* match = nullptr;
  for (const DescrMap& d : kDescrs) {
    if (descr == d.descr) match = &d;
  }
  if (!match) {
    throw Error(Errc::unsupported, "unsupported .npy dtype")
        .file(name)
        .expected("little-endian float16/32/64, int8/32/64, uint8 or bool")
        .found(descr);
  }
  // The size the header promises is checked against the bytes there are before anything is
  // allocated: a header may claim terabytes.
  Shape shape;
  std::int64_t data_bytes = 0;
  try {
    shape = Shape(dims);
    data_bytes = checked_mul(shape.num_elements(), static_cast<std::int64_t>(dtype_size(match->dtype)));
  } catch (Error& e) {  // a rank past Kiln's limit, or a size past 63 bits
    e.file(name);
    throw;
  }
  if (bytes.size() - data_at != static_cast<std::uint64_t>(data_bytes)) {
    throw Error(Errc::parse_error, ".npy data size does not match its header")
        .file(name)
        .expected(std::to_string(data_bytes) + " bytes")
        .found(std::to_string(bytes.size() - data_at) + " bytes");
  }
  Tensor t = Tensor::uninitialized(match->dtype, std::move(shape));
  if (t.byte_size() > 0) std::memcpy(t.raw(), bytes.data() + data_at, t.byte_size());
  return t;
}

inline Tensor load_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(Errc::io_error, "cannot open .npy file").file(path);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw Error(Errc::io_error, "cannot read .npy file").file(path);
  return parse_npy(bytes, path);
}

// Encodes a tensor as a version 1.0 .npy file (header padded to 64 bytes, as NumPy does).
inline std::string format_npy(const Tensor& t) {
  using namespace npy_detail;
  const char* descr = nullptr;
  for (const DescrMap& d : kDescrs) {
    if (d.dtype == t.dtype()) descr = d.descr;
  }
  if (!descr) {
    throw Error(Errc::unsupported, "this dtype has no .npy descriptor").found(dtype_name(t.dtype()));
  }
  std::string shape = "(";
  for (std::int64_t d : t.shape().dims()) shape += std::to_string(d) + ", ";
  if (t.rank() > 1) shape.erase(shape.size() - 2);  // (2, 3) but (5,) for rank 1
  else if (t.rank() == 1) shape.erase(shape.size() - 1);
  shape += ")";
  std::string header =
      std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  const std::size_t unpadded = kMagicSize + 2 + 2 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  std::string out(kMagic, kMagicSize);
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>((header.size() >> 8) & 0xff);
  out += header;
  out.append(static_cast<const char*>(t.raw()), t.byte_size());
  return out;
}

inline void save_npy(const std::string& path, const Tensor& t) {
  const std::string bytes = format_npy(t);
  std::ofstream out(path, std::ios::binary);
  if (!out) throw Error(Errc::io_error, "cannot create .npy file").file(path);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw Error(Errc::io_error, "cannot write .npy file").file(path);
}

}  // namespace kiln
