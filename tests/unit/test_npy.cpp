// .npy reading and writing, including files that lie.
#include "../support.hpp"

#include <kiln/npy.hpp>

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;

namespace {
// A version 1.0 file made by hand, byte by byte as the NumPy format document describes it.
std::string handmade_npy(const std::string& header_dict, const std::string& data) {
  std::string header = header_dict;
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY\x01";
  out += '\0';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  return out + header + data;
}
std::string le_floats(std::initializer_list<float> values) {
  std::string s;
  for (float v : values) s.append(reinterpret_cast<const char*>(&v), 4);  // x86 is little-endian
  return s;
}
}  // namespace

TEST_CASE("a hand-made .npy file reads back its shape and values") {
  Tensor t = parse_npy(handmade_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }",
                                    le_floats({1, 2, 3, 4})));
  test::check_close(t, Tensor::from<float>({2, 2}, {1, 2, 3, 4}));
  Tensor s = parse_npy(handmade_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (), }",
                                    le_floats({9})));
  CHECK(s.rank() == 0);
  CHECK(s.data<float>()[0] == 9);
}

TEST_CASE("format_npy writes what parse_npy and the format document expect") {
  Tensor t = Tensor::from<std::int64_t>({3}, {5, -6, 7});
  const std::string bytes = format_npy(t);
  CHECK(bytes.size() % 64 == 24 % 64);  // 64-byte header + 24 bytes of data
  CHECK(bytes.find("'descr': '<i8', 'fortran_order': False, 'shape': (3,), }") != std::string::npos);
  test::check_equal(parse_npy(bytes), t);
}

TEST_CASE("malformed .npy files are refused with a clear error") {
  const std::string good_dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
  CHECK_THROWS_AS(parse_npy(""), Error);
  CHECK_THROWS_AS(parse_npy("not a numpy file at all"), Error);
  // Data shorter than the header promises.
  CHECK_THROWS_AS(parse_npy(handmade_npy(good_dict, le_floats({1}))), Error);
  // Big-endian, Fortran order, object arrays and expressions are refused, never evaluated.
  CHECK_THROWS_AS(parse_npy(handmade_npy("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }",
                                         le_floats({1}))), Error);
  CHECK_THROWS_AS(parse_npy(handmade_npy("{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }",
                                         le_floats({1}))), Error);
  CHECK_THROWS_AS(parse_npy(handmade_npy("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }",
                                         std::string(8, '\0'))), Error);
  CHECK_THROWS_AS(parse_npy(handmade_npy("__import__('os').system('true')", "")), Error);
  // A shape whose element count overflows.
  CHECK_THROWS_AS(parse_npy(handmade_npy(
                      "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999), }",
                      "")), Error);
  try {
    load_npy("no/such/file.npy");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.code() == Errc::io_error);
    CHECK(std::string(e.what()).find("no/such/file.npy") != std::string::npos);
  }
}

}  // namespace KILN_TEST_FILE
