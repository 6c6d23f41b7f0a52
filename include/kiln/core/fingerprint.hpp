// Finding equal constants cheaply: a fingerprint from a sample of a tensor's bytes, then a full
// comparison. Hashing every byte of ResNet50's weights would cost more than the copy it saves;
// sampling 4096 words spread over them costs microseconds, and a match is always confirmed byte
// for byte, never trusted to the fingerprint alone.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "tensor.hpp"

namespace kiln {

// The byte size, the dtype, and up to 4096 words spread over the bytes, mixed FNV-style.
inline std::uint64_t sampled_fingerprint(const Tensor& value) {
  const std::size_t bytes = value.byte_size();
  const auto* p = static_cast<const unsigned char*>(value.raw());
  std::uint64_t h = (1469598103934665603ull ^ bytes) * 1099511628211ull;
  h = (h ^ static_cast<std::uint64_t>(value.dtype())) * 1099511628211ull;
  const std::size_t words = bytes / 8;
  const std::size_t step = std::max<std::size_t>(words / 4096, 1);
  for (std::size_t w = 0; w < words; w += step) {
    std::uint64_t v;
    std::memcpy(&v, p + w * 8, 8);
    h = (h ^ v) * 1099511628211ull;
  }
  return h;
}

// Same dtype, shape and bytes (the same storage counts without reading it).
inline bool same_contents(const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype() || a.shape() != b.shape()) return false;
  return a.raw() == b.raw() || std::memcmp(a.raw(), b.raw(), a.byte_size()) == 0;
}

}  // namespace kiln
