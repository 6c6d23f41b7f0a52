// What fuzz_npy does with one input (also replayed by tests/importer/test_fuzz_regressions.cpp):
// the bytes as a .npy file (include/kiln/npy.hpp), the only data format the kiln tool reads. A
// file that parses must also survive a round trip: written back with format_npy(), it must read
// back as the same tensor.
#pragma once

#include <cstring>
#include <string>
#include <string_view>

#include <kiln/npy.hpp>

#include "fuzz_support.hpp"

namespace kiln::fuzz {

inline void npy(std::string_view bytes) {
  const Tensor t = parse_npy(std::string(bytes), "fuzz.npy");
  const Tensor back = parse_npy(format_npy(t), "round trip");
  const bool same = back.dtype() == t.dtype() && back.shape() == t.shape() &&
                    (t.byte_size() == 0 || std::memcmp(back.raw(), t.raw(), t.byte_size()) == 0);
  if (!same) throw Error(Errc::internal, "a .npy file reads back differently after format_npy");
}

}  // namespace kiln::fuzz
