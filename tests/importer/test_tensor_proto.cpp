// TensorProto / TensorShapeProto / DataType decoding. Expected values are worked out by hand in
// the comments from TensorFlow's TensorProto rules (importers/savedmodel/tensor_proto.cpp).
#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

#include "importer_test_util.hpp"
#include "savedmodel/dtypes.hpp"
#include "savedmodel/tensor_proto.hpp"

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;
using namespace kiln::importer;
using test::require_error;

namespace {

tf::TensorProto make_proto(int dtype, const std::vector<std::int64_t>& dims) {
  tf::TensorProto p;
  p.set_dtype(static_cast<tf::DataType>(dtype));
  for (std::int64_t d : dims) p.mutable_tensor_shape()->add_dim()->set_size(d);
  return p;
}

std::vector<float> floats(const Tensor& t) { return t.to_float_vector(); }

const ImportLimits kLimits;

}  // namespace

TEST_CASE("shape_from_proto: scalars, unknown dims and unknown rank") {
  tf::TensorShapeProto scalar;  // no dims, unknown_rank false: a scalar, not an unknown shape
  CHECK(shape_from_proto(scalar) == Shape{});
  tf::TensorShapeProto unknown;
  unknown.set_unknown_rank(true);
  CHECK_FALSE(shape_from_proto(unknown).has_rank());
  tf::TensorShapeProto partly;
  partly.add_dim()->set_size(-1);
  partly.add_dim()->set_size(28);
  CHECK(shape_from_proto(partly).str() == "[?,28]");
}

TEST_CASE("shape_from_proto rejects negative dims, absurd ranks and contradictions") {
  tf::TensorShapeProto negative;
  negative.add_dim()->set_size(-5);
  require_error([&] { shape_from_proto(negative); }, Errc::shape_mismatch, {"negative", "-5"});
  tf::TensorShapeProto deep;
  for (int i = 0; i < 40; ++i) deep.add_dim()->set_size(1);
  require_error([&] { shape_from_proto(deep); }, Errc::limit_exceeded, {"rank", "40"});
  tf::TensorShapeProto both;
  both.set_unknown_rank(true);
  both.add_dim()->set_size(3);
  require_error([&] { shape_from_proto(both); }, Errc::parse_error, {"unknown_rank"});
}

TEST_CASE("DataType numbers map to Kiln dtypes, reference types to their base") {
  CHECK(dtype_from_tf(1) == DType::float32);
  CHECK(dtype_from_tf(2) == DType::float64);
  CHECK(dtype_from_tf(3) == DType::int32);
  CHECK(dtype_from_tf(4) == DType::uint8);
  CHECK(dtype_from_tf(6) == DType::int8);
  CHECK(dtype_from_tf(9) == DType::int64);
  CHECK(dtype_from_tf(10) == DType::boolean);
  CHECK(dtype_from_tf(14) == DType::bfloat16);
  CHECK(dtype_from_tf(19) == DType::float16);
  CHECK(dtype_from_tf(101) == DType::float32);  // DT_FLOAT_REF = 1 + 100
  CHECK(dtype_from_tf(119) == DType::float16);  // DT_HALF_REF = 19 + 100
  for (DType t : {DType::float32, DType::float16, DType::bfloat16, DType::float64, DType::int8,
                  DType::uint8, DType::int32, DType::int64, DType::boolean}) {
    CHECK(dtype_from_tf(tf_dtype_from(t)) == t);
    CHECK(tf_dtype_name(tf_dtype_from(t)) == dtype_tf_name(t));
  }
  CHECK(tf_dtype_name(101) == "DT_FLOAT_REF");
  CHECK(tf_dtype_name(7) == "DT_STRING");
  CHECK(tf_dtype_name(999) == "DataType 999");
  CHECK(tf_dtype_size(1) == 4);
  CHECK(tf_dtype_size(18) == 16);  // complex128: two doubles
  CHECK(tf_dtype_size(7) == 0);    // strings have no fixed size
}

TEST_CASE("invalid and unsupported DataType numbers are named") {
  require_error([] { dtype_from_tf(0); }, Errc::parse_error, {"invalid dtype", "DT_INVALID"});
  require_error([] { dtype_from_tf(999); }, Errc::parse_error, {"DataType 999"});
  require_error([] { dtype_from_tf(-3); }, Errc::parse_error, {"DataType -3"});
  require_error([] { dtype_from_tf(100); }, Errc::parse_error, {"DataType 100"});
  require_error([] { dtype_from_tf(5); }, Errc::unsupported, {"DT_INT16"});
  require_error([] { dtype_from_tf(7); }, Errc::unsupported, {"DT_STRING"});
  require_error([] { dtype_from_tf(20); }, Errc::unsupported, {"DT_RESOURCE"});
  require_error([] { dtype_from_tf(108); }, Errc::unsupported, {"DT_COMPLEX64_REF"});
}

TEST_CASE("a typed field shorter than the shape repeats its last value") {
  auto splat = make_proto(1, {2, 3});
  splat.add_float_val(1.5f);  // one value, six elements: all 1.5
  CHECK(floats(tensor_from_proto(splat, kLimits)) == std::vector<float>(6, 1.5f));

  auto partial = make_proto(1, {4});
  partial.add_float_val(1.0f);
  partial.add_float_val(2.0f);  // [1, 2] then the last value repeats: [1, 2, 2, 2]
  CHECK(floats(tensor_from_proto(partial, kLimits)) == std::vector<float>{1, 2, 2, 2});

  auto none = make_proto(9, {3});  // DT_INT64 with no values at all: zeros
  const Tensor zeros = tensor_from_proto(none, kLimits);
  CHECK(zeros.dtype() == DType::int64);
  CHECK(zeros.to_int64_vector() == std::vector<std::int64_t>{0, 0, 0});
}

TEST_CASE("each dtype reads its own typed field") {
  auto i8 = make_proto(6, {2});
  i8.add_int_val(-7);
  i8.add_int_val(100);
  const Tensor t8 = tensor_from_proto(i8, kLimits);
  CHECK(t8.dtype() == DType::int8);
  CHECK(t8.data<std::int8_t>()[0] == -7);
  CHECK(t8.data<std::int8_t>()[1] == 100);

  auto u8 = make_proto(4, {1});
  u8.add_int_val(200);
  CHECK(tensor_from_proto(u8, kLimits).data<std::uint8_t>()[0] == 200);

  auto i64 = make_proto(9, {});
  i64.add_int64_val(-5000000000LL);
  CHECK(tensor_from_proto(i64, kLimits).data<std::int64_t>()[0] == -5000000000LL);

  auto f64 = make_proto(2, {2});
  f64.add_double_val(0.25);
  CHECK(tensor_from_proto(f64, kLimits).data<double>()[1] == 0.25);

  auto b = make_proto(10, {3});
  b.add_bool_val(false);
  b.add_bool_val(true);  // [false, true, true]
  const Tensor tb = tensor_from_proto(b, kLimits);
  CHECK(!tb.data<bool>()[0]);
  CHECK(tb.data<bool>()[2]);

  auto ref = make_proto(101, {1});  // DT_FLOAT_REF decodes as float
  ref.add_float_val(3.0f);
  CHECK(tensor_from_proto(ref, kLimits).dtype() == DType::float32);
}

TEST_CASE("half and bfloat16 values come from the low 16 bits of half_val") {
  auto h = make_proto(19, {2});
  h.add_half_val(0x3C00);  // sign 0, exponent 15 (bias 15), mantissa 0: 1.0
  h.add_half_val(0xC000);  // sign 1, exponent 16, mantissa 0: -2.0
  CHECK(floats(tensor_from_proto(h, kLimits)) == std::vector<float>{1.0f, -2.0f});

  auto bf = make_proto(14, {1});
  bf.add_half_val(0x3F80);  // 0x3F80 << 16 = 0x3F800000, the float 1.0
  const Tensor tbf = tensor_from_proto(bf, kLimits);
  CHECK(tbf.dtype() == DType::bfloat16);
  CHECK(floats(tbf) == std::vector<float>{1.0f});

  auto legacy = make_proto(14, {1});  // old writers put bfloat16 bits in int_val
  legacy.add_int_val(0x4000);         // 0x40000000 is the float 2.0
  CHECK(floats(tensor_from_proto(legacy, kLimits)) == std::vector<float>{2.0f});
}

TEST_CASE("tensor_content holds raw little-endian bytes of exactly the right size") {
  auto p = make_proto(3, {2});
  // int32 1 = 01 00 00 00; int32 -2 = FE FF FF FF.
  p.set_tensor_content(std::string("\x01\x00\x00\x00\xfe\xff\xff\xff", 8));
  CHECK(tensor_from_proto(p, kLimits).to_int64_vector() == std::vector<std::int64_t>{1, -2});

  // 2 x int32 = 8 bytes: 7 and 9 are both wrong.
  auto shorter = p;
  shorter.set_tensor_content(std::string(7, '\0'));
  require_error([&] { tensor_from_proto(shorter, kLimits); }, Errc::parse_error,
                {"tensor_content", "8 bytes", "7 bytes"});
  auto longer = p;
  longer.set_tensor_content(std::string(9, '\0'));
  require_error([&] { tensor_from_proto(longer, kLimits); }, Errc::parse_error,
                {"tensor_content", "8 bytes", "9 bytes"});

  // A bool byte other than 0 or 1 still means true, and becomes a valid C++ bool.
  auto b = make_proto(10, {2});
  b.set_tensor_content(std::string("\x00\x02", 2));
  const Tensor tb = tensor_from_proto(b, kLimits);
  CHECK(static_cast<const unsigned char*>(tb.raw())[1] == 1);
}

TEST_CASE("values that contradict the dtype or the shape are errors") {
  auto strings_for_floats = make_proto(1, {1});
  strings_for_floats.add_string_val("1.0");
  require_error([&] { tensor_from_proto(strings_for_floats, kLimits); }, Errc::parse_error,
                {"DT_FLOAT", "string_val"});

  auto ints_for_floats = make_proto(1, {1});
  ints_for_floats.add_int_val(1);
  require_error([&] { tensor_from_proto(ints_for_floats, kLimits); }, Errc::parse_error,
                {"int_val"});

  auto too_many = make_proto(1, {2});
  for (float v : {1.0f, 2.0f, 3.0f}) too_many.add_float_val(v);
  require_error([&] { tensor_from_proto(too_many, kLimits); }, Errc::parse_error,
                {"float_val", "more values"});

  auto both = make_proto(1, {1});
  both.add_float_val(1.0f);
  both.set_tensor_content(std::string(4, '\0'));
  require_error([&] { tensor_from_proto(both, kLimits); }, Errc::parse_error,
                {"tensor_content", "float_val"});
}

TEST_CASE("unsupported and invalid tensor dtypes are named") {
  auto s = make_proto(7, {1});
  s.add_string_val("hello");
  require_error([&] { tensor_from_proto(s, kLimits); }, Errc::unsupported, {"string"});
  require_error([] { tensor_from_proto(make_proto(5, {1}), kLimits); }, Errc::unsupported,
                {"DT_INT16"});
  require_error([] { tensor_from_proto(make_proto(0, {1}), kLimits); }, Errc::parse_error,
                {"DT_INVALID"});
  require_error([] { tensor_from_proto(make_proto(4242, {1}), kLimits); }, Errc::parse_error,
                {"DataType 4242"});
}

TEST_CASE("tensor shapes must be known, and sizes within the limits") {
  require_error([] { tensor_from_proto(make_proto(1, {-1, 2}), kLimits); },
                Errc::shape_mismatch, {"fully known", "[?,2]"});

  // A splat of 10^15 floats would need 4 * 10^15 bytes: refused before allocating.
  auto huge = make_proto(1, {1000000000000000LL});
  huge.add_float_val(0.0f);
  require_error([&] { tensor_from_proto(huge, kLimits); }, Errc::limit_exceeded,
                {"max_tensor_bytes"});

  // 2^62 * 2^62 elements overflow 64 bits.
  require_error([] { tensor_from_proto(make_proto(1, {1LL << 62, 1LL << 62}), kLimits); },
                Errc::limit_exceeded, {"overflow"});

  ImportLimits small;
  small.max_tensor_bytes = 16;  // 5 floats = 20 bytes
  require_error([&] { tensor_from_proto(make_proto(1, {5}), small); }, Errc::limit_exceeded,
                {"20 bytes"});
}

}  // namespace KILN_TEST_FILE
