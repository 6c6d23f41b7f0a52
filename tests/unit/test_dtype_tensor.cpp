// DType conversions, shapes with hostile dimensions, and tensor storage.
#include "../support.hpp"

#include <limits>

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;

TEST_CASE("float16 conversion matches IEEE 754 bit patterns") {
  // Bit patterns from the binary16 definition: sign | 5-bit exponent (bias 15) | 10-bit mantissa.
  CHECK(half(1.0f).bits == 0x3C00);    // 2^0
  CHECK(half(-2.0f).bits == 0xC000);   // -2^1
  CHECK(half(65504.0f).bits == 0x7BFF);  // largest finite half
  CHECK(half(65520.0f).bits == 0x7C00);  // halfway to 2^16 rounds up to infinity
  CHECK(half(5.9604644775390625e-8f).bits == 0x0001);  // 2^-24, smallest subnormal
  CHECK(half(0.1f).bits == 0x2E66);    // 0.1 = 1.6 * 2^-4; 0.6 * 1024 = 614.4 -> 614 = 0x266
  CHECK(half(1.0f + 1.0f / 2048).bits == 0x3C00);  // exact tie rounds to even (down)
  CHECK(half(1.0f + 3.0f / 2048).bits == 0x3C02);  // exact tie rounds to even (up)
  CHECK(std::isnan(static_cast<float>(half(std::numeric_limits<float>::quiet_NaN()))));
  CHECK(static_cast<float>(half::from_bits(0x3555)) == Approx(0.333251953125f));
  CHECK(static_cast<float>(half::from_bits(0x0001)) == 5.9604644775390625e-8f);
}

TEST_CASE("bfloat16 keeps the top half of a float32, rounded to nearest even") {
  CHECK(bfloat16(1.0f).bits == 0x3F80);
  CHECK(bfloat16(0.1f).bits == 0x3DCD);     // 0x3DCCCCCD: low half 0xCCCD > 0x8000 rounds up
  CHECK(bfloat16(3.14159f).bits == 0x4049);  // 0x40490FD0: low half 0x0FD0 rounds down
  CHECK(static_cast<float>(bfloat16::from_bits(0xC2F7)) == -123.5f);
}

TEST_CASE("dtype names follow NumPy and TensorFlow") {
  CHECK(std::string(dtype_name(DType::float32)) == "float32");
  CHECK(std::string(dtype_tf_name(DType::float32)) == "DT_FLOAT");
  CHECK(dtype_from_name("DT_HALF") == DType::float16);
  CHECK(dtype_size(DType::bfloat16) == 2);
  CHECK_THROWS_AS(dtype_from_name("DT_STRING"), Error);
}

TEST_CASE("shapes refuse negative dimensions, absurd ranks and overflowing products") {
  CHECK(Shape({2, 3, 4}).num_elements() == 24);
  CHECK(Shape().num_elements() == 1);
  CHECK(Shape({-1, 3}).str() == "[?,3]");
  CHECK_THROWS_AS(Shape({2, -5}), Error);
  CHECK_THROWS_AS(Shape(std::vector<std::int64_t>(kMaxRank + 1, 1)), Error);
  CHECK_THROWS_AS(Shape({-1, 3}).num_elements(), Error);
  // 2^32 * 2^32 does not fit in 63 bits.
  try {
    Shape({std::int64_t{1} << 32, std::int64_t{1} << 32}).num_elements();
    FAIL("expected an overflow error");
  } catch (const Error& e) {
    CHECK(e.code() == Errc::limit_exceeded);
  }
  CHECK(Shape({-1, 3}).compatible_with(Shape({7, 3})));
  CHECK(!Shape({2, 3}).compatible_with(Shape({3, 2})));
  CHECK(Shape::unknown_rank().compatible_with(Shape({1})));
  CHECK(Shape({4, 5}).dim(-1) == 5);
  CHECK_THROWS_AS(Shape({4, 5}).dim(2), Error);
}

TEST_CASE("tensors are aligned, zero-filled and share storage on copy") {
  Tensor t(DType::float32, {3, 5});
  CHECK(reinterpret_cast<std::uintptr_t>(t.raw()) % kTensorAlignment == 0);
  CHECK(t.byte_size() == 60);
  for (float v : t.to_float_vector()) CHECK(v == 0.0f);
  Tensor copy = t;
  copy.data<float>()[0] = 7;
  CHECK(t.data<float>()[0] == 7);  // a copy is a handle
  Tensor deep = t.clone();
  deep.data<float>()[0] = 1;
  CHECK(t.data<float>()[0] == 7);
  CHECK_THROWS_AS(t.data<int>(), Error);  // wrong element type
}

TEST_CASE("large tensors start on a huge page, and the last cache line is padded with zeros") {
  // 3 MiB and 4 bytes: past the huge-page threshold, and ending 4 bytes into a cache line.
  const std::int64_t n = (std::int64_t{3} << 18) + 1;
  const Tensor t = Tensor::uninitialized(DType::float32, {n});
  CHECK(reinterpret_cast<std::uintptr_t>(t.raw()) % (std::uintptr_t{2} << 20) == 0);
  const auto* bytes = static_cast<const unsigned char*>(t.raw());
  for (std::size_t i = t.byte_size(); i % kTensorAlignment != 0; ++i) CHECK(bytes[i] == 0);
  const Tensor zeros(DType::int8, {std::int64_t{5} << 20});
  CHECK(reinterpret_cast<std::uintptr_t>(zeros.raw()) % (std::uintptr_t{2} << 20) == 0);
  CHECK(zeros.to_float_vector() == std::vector<float>(std::size_t{5} << 20, 0.0f));
}

TEST_CASE("reshaped views and external views") {
  Tensor t = Tensor::from<std::int32_t>({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor r = t.reshaped({3, 2});
  CHECK(r.raw() == t.raw());
  CHECK(r.to_int64_vector() == std::vector<std::int64_t>{1, 2, 3, 4, 5, 6});
  CHECK_THROWS_AS(t.reshaped({4}), Error);

  float buffer[4] = {1, 2, 3, 4};
  Tensor v = Tensor::view(DType::float32, {2, 2}, buffer);
  CHECK(!v.owns_storage());
  CHECK(v.data<float>()[3] == 4);
}

TEST_CASE("a tensor too large to allocate is an Error, not a crash") {
  // 2^61 floats = 2^63 bytes: the byte count itself overflows.
  CHECK_THROWS_AS(Tensor(DType::float32, {std::int64_t{1} << 61}), Error);
  // 2^50 bytes (1 PiB) passes the arithmetic but no allocator can serve it.
  CHECK_THROWS_AS(Tensor(DType::uint8, {std::int64_t{1} << 50}), Error);
}

TEST_CASE("errors print what and where") {
  Error e = Error(Errc::invalid_attr, "strides must be positive");
  e.node("conv1").op("Conv2D").attr("strides").expected("> 0").found("0");
  CHECK(std::string(e.what()) ==
        "invalid attribute: strides must be positive (node 'conv1', op 'Conv2D', "
        "attr 'strides'; expected > 0, found 0)");
}

TEST_CASE("tensors print with their type and elided values") {
  std::ostringstream os;
  os << Tensor::from<float>({2, 2}, {1, 2.5f, -3, 4});
  CHECK(os.str() == "float32[2,2] {1, 2.5, -3, 4}");
  std::vector<std::int64_t> many(20);
  for (int i = 0; i < 20; ++i) many[static_cast<std::size_t>(i)] = i;
  std::ostringstream os2;
  os2 << Tensor::from_vector<std::int64_t>({20}, many);
  CHECK(os2.str() == "int64[20] {0, 1, 2, 3, 4, 5, 6, 7, ..., 12, 13, 14, 15, 16, 17, 18, 19}");
}

}  // namespace KILN_TEST_FILE
