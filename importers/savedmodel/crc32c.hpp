// CRC32C (Castagnoli), and the masking that LevelDB and TensorFlow apply to stored checksums.
//
// Every checkpoint byte passes through here once at load (98 MiB for ResNet50), so speed
// matters: x86-64 processors with SSE4.2 have a CRC32C instruction, chosen at run time, which
// is about 25 times faster than the byte-at-a-time table. The table is the reference and the
// fallback; a test checks that both give the same results.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define KILN_CRC32C_HAVE_SSE42 1
#include <nmmintrin.h>
#else
#define KILN_CRC32C_HAVE_SSE42 0
#endif

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

// Byte at a time with one 256-entry table: small and obviously right.
inline std::uint32_t crc32c_extend_portable(std::uint32_t crc, const void* data,
                                            std::size_t size) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  std::uint32_t state = ~crc;
  for (std::size_t i = 0; i < size; ++i) {
    state = (state >> 8) ^ kCrc32cTable[(state ^ bytes[i]) & 0xFFu];
  }
  return ~state;
}

#if KILN_CRC32C_HAVE_SSE42
// The SSE4.2 instruction, eight bytes at a time (its byte order is the table's: little-endian).
// Compiled for SSE4.2 whatever the build's target; call these only where the processor has it.
__attribute__((target("sse4.2"))) inline std::uint32_t crc32c_sse42_raw(
    std::uint32_t state, const unsigned char* bytes, std::size_t size) {
#if defined(__x86_64__)
  std::uint64_t wide = state;
  for (; size >= 8; size -= 8, bytes += 8) {
    std::uint64_t word;
    std::memcpy(&word, bytes, 8);
    wide = _mm_crc32_u64(wide, word);
  }
  state = static_cast<std::uint32_t>(wide);
#endif
  for (; size > 0; --size) state = _mm_crc32_u8(state, *bytes++);
  return state;
}

// One instruction waits for the previous one (3 cycles for 8 bytes), so long inputs run as
// three interleaved streams over consecutive stripes, joined with
//   state(A B) = shift(state(A)) ^ state_from_zero(B),
// where shift(s) is the state reached from s over kCrc32cStripe zero bytes. shift is linear
// in the 32 bits of s, so it is four table lookups, one per byte of s.
constexpr std::size_t kCrc32cStripe = 4096;

struct Crc32cShift {
  std::array<std::array<std::uint32_t, 256>, 4> table{};

  __attribute__((target("sse4.2"))) Crc32cShift() {
    static const unsigned char zeros[kCrc32cStripe] = {};
    std::array<std::uint32_t, 32> of_bit{};
    for (int bit = 0; bit < 32; ++bit) {
      of_bit[static_cast<std::size_t>(bit)] = crc32c_sse42_raw(1u << bit, zeros, kCrc32cStripe);
    }
    for (std::size_t k = 0; k < 4; ++k) {
      for (std::uint32_t byte = 0; byte < 256; ++byte) {
        std::uint32_t shifted = 0;
        for (std::uint32_t j = 0; j < 8; ++j) {
          if (byte & (1u << j)) shifted ^= of_bit[8 * k + j];
        }
        table[k][byte] = shifted;
      }
    }
  }

  std::uint32_t operator()(std::uint32_t s) const {
    return table[0][s & 0xFFu] ^ table[1][(s >> 8) & 0xFFu] ^ table[2][(s >> 16) & 0xFFu] ^
           table[3][s >> 24];
  }
};

__attribute__((target("sse4.2"))) inline std::uint32_t crc32c_extend_sse42(
    std::uint32_t crc, const void* data, std::size_t size) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  std::uint32_t state = ~crc;
  for (; size > 0 && reinterpret_cast<std::uintptr_t>(bytes) % 8 != 0; --size) {
    state = _mm_crc32_u8(state, *bytes++);
  }
#if defined(__x86_64__)
  if (size >= 3 * kCrc32cStripe) {
    static const Crc32cShift shift;
    for (; size >= 3 * kCrc32cStripe; size -= 3 * kCrc32cStripe, bytes += 3 * kCrc32cStripe) {
      std::uint64_t a = state, b = 0, c = 0;
      for (std::size_t i = 0; i < kCrc32cStripe; i += 8) {
        std::uint64_t wa, wb, wc;
        std::memcpy(&wa, bytes + i, 8);
        std::memcpy(&wb, bytes + kCrc32cStripe + i, 8);
        std::memcpy(&wc, bytes + 2 * kCrc32cStripe + i, 8);
        a = _mm_crc32_u64(a, wa);
        b = _mm_crc32_u64(b, wb);
        c = _mm_crc32_u64(c, wc);
      }
      state = shift(shift(static_cast<std::uint32_t>(a)) ^ static_cast<std::uint32_t>(b)) ^
              static_cast<std::uint32_t>(c);
    }
  }
#endif
  return ~crc32c_sse42_raw(state, bytes, size);
}
#endif
}  // namespace detail

// True when crc32c_extend uses the processor's CRC32C instruction.
inline bool crc32c_hardware_available() {
#if KILN_CRC32C_HAVE_SSE42
  static const bool available = [] {
    __builtin_cpu_init();  // needed when this first runs before main, in a static initializer
    return __builtin_cpu_supports("sse4.2") != 0;
  }();
  return available;
#else
  return false;
#endif
}

// Continues `crc` (a finished CRC32C, 0 for none yet) over more bytes, so that
// crc32c_extend(crc32c(a), b) == crc32c(a followed by b).
inline std::uint32_t crc32c_extend(std::uint32_t crc, const void* data, std::size_t size) {
#if KILN_CRC32C_HAVE_SSE42
  if (crc32c_hardware_available()) return detail::crc32c_extend_sse42(crc, data, size);
#endif
  return detail::crc32c_extend_portable(crc, data, size);
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
