// CRC32C and its masking. Expected values are published check values, not Kiln's output.
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "savedmodel/crc32c.hpp"

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

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

TEST_CASE("the table and the CRC32C instruction agree") {
  const std::string digits = "123456789";
  CHECK(detail::crc32c_extend_portable(0, digits.data(), digits.size()) == 0xE3069283u);
#if KILN_CRC32C_HAVE_SSE42
  if (!crc32c_hardware_available()) {
    WARN("this processor has no SSE4.2: only the table is tested");
    return;
  }
  CHECK(detail::crc32c_extend_sse42(0, digits.data(), digits.size()) == 0xE3069283u);
  // Random bytes at every alignment, lengths on both sides of the three-stripe threshold, and
  // continued from random CRCs.
  std::mt19937 random(20240607);
  std::vector<unsigned char> bytes(5 * detail::kCrc32cStripe + 64);
  for (unsigned char& b : bytes) b = static_cast<unsigned char>(random());
  std::vector<std::size_t> lengths = {0, 1, 7, 8, 9, 63, 3 * detail::kCrc32cStripe - 1,
                                      3 * detail::kCrc32cStripe, 3 * detail::kCrc32cStripe + 1,
                                      5 * detail::kCrc32cStripe};
  for (int i = 0; i < 40; ++i) lengths.push_back(random() % (5 * detail::kCrc32cStripe));
  for (std::size_t length : lengths) {
    for (std::size_t offset = 0; offset < 9; ++offset) {
      const std::uint32_t start = offset == 0 ? 0u : static_cast<std::uint32_t>(random());
      INFO("length " << length << ", offset " << offset << ", start " << start);
      CHECK(detail::crc32c_extend_sse42(start, bytes.data() + offset, length) ==
            detail::crc32c_extend_portable(start, bytes.data() + offset, length));
    }
  }
#endif
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

}  // namespace KILN_TEST_FILE
