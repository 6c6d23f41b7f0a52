// CRC32C and its masking. Expected values are published check values, not Kiln's output.
#include <catch2/catch.hpp>

#include <string>

#include "savedmodel/crc32c.hpp"

using namespace kiln::importer;

TEST_CASE("crc32c matches the standard check value") {
  // The CRC catalogue's check value for CRC-32C (iSCSI): crc("123456789") = 0xE3069283.
  const std::string digits = "123456789";
  CHECK(crc32c(digits.data(), digits.size()) == 0xE3069283u);
  CHECK(crc32c("", 0) == 0u);
}

TEST_CASE("crc32c matches the RFC 3720 (iSCSI) test vectors") {
  // RFC 3720 appendix B.4: 32 bytes of zeros, of 0xFF, and 0x00..0x1F ascending.
  std::string zeros(32, '\0');
  std::string ones(32, '\xff');
  std::string ascending;
  for (int i = 0; i < 32; ++i) ascending += static_cast<char>(i);
  CHECK(crc32c(zeros.data(), zeros.size()) == 0x8A9136AAu);
  CHECK(crc32c(ones.data(), ones.size()) == 0x62A8AB43u);
  CHECK(crc32c(ascending.data(), ascending.size()) == 0x46DD794Eu);
}

TEST_CASE("crc32c_extend continues a CRC over more bytes") {
  const std::string digits = "123456789";
  const std::uint32_t head = crc32c(digits.data(), 4);
  CHECK(crc32c_extend(head, digits.data() + 4, 5) == 0xE3069283u);
}

TEST_CASE("crc32c masking rotates right by 15 bits and adds 0xa282ead8") {
  // mask(0) = rotr(0, 15) + 0xa282ead8 = 0xa282ead8.
  CHECK(crc32c_mask(0) == 0xA282EAD8u);
  // 0xE3069283 rotated right by 15: its top 17 bits 0x1C60D move down, its low 15 bits 0x1283
  // move to the top (0x1283 << 17 = 0x25060000): 0x2507C60D; + 0xA282EAD8 = 0xC78AB0E5.
  CHECK(crc32c_mask(0xE3069283u) == 0xC78AB0E5u);
  for (std::uint32_t v : {0u, 1u, 0xE3069283u, 0xFFFFFFFFu, 0x12345678u}) {
    CHECK(crc32c_unmask(crc32c_mask(v)) == v);
  }
}
