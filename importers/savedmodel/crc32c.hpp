// CRC32C (Castagnoli), and the masking that LevelDB and TensorFlow apply to stored checksums.
//
// Byte-at-a-time with one 256-entry table: small and obviously right. Checkpoint bytes are
// checked once at load, so the speed of a sliced or hardware CRC is not worth the code.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace kiln::importer {

namespace detail {
constexpr std::uint32_t kCrc32cPolynomial = 0x82F63B78u;  // 0x1EDC6F41, bit-reversed

constexpr std::array<std::uint32_t, 256> make_crc32c_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t byte = 0; byte < 256; ++byte) {
    std::uint32_t crc = byte;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1u) ? kCrc32cPolynomial : 0u);
    table[byte] = crc;
  }
  return table;
}

inline constexpr std::array<std::uint32_t, 256> kCrc32cTable = make_crc32c_table();
}  // namespace detail

// Continues `crc` (a finished CRC32C, 0 for none yet) over more bytes, so that
// crc32c_extend(crc32c(a), b) == crc32c(a followed by b).
inline std::uint32_t crc32c_extend(std::uint32_t crc, const void* data, std::size_t size) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  std::uint32_t state = ~crc;
  for (std::size_t i = 0; i < size; ++i) {
    state = (state >> 8) ^ detail::kCrc32cTable[(state ^ bytes[i]) & 0xFFu];
  }
  return ~state;
}

inline std::uint32_t crc32c(const void* data, std::size_t size) {
  return crc32c_extend(0, data, size);
}

// A CRC stored next to data that itself holds CRCs would make the CRC of the whole weak, so
// stored values are rotated right by 15 bits and offset by a constant.
constexpr std::uint32_t kCrc32cMaskDelta = 0xA282EAD8u;

constexpr std::uint32_t crc32c_mask(std::uint32_t crc) {
  return ((crc >> 15) | (crc << 17)) + kCrc32cMaskDelta;
}

constexpr std::uint32_t crc32c_unmask(std::uint32_t masked) {
  const std::uint32_t rotated = masked - kCrc32cMaskDelta;
  return (rotated >> 17) | (rotated << 15);
}

}  // namespace kiln::importer
