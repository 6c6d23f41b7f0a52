// What every fuzz target shares: the rule for exceptions and the small budgets inputs run under.
//
// The rule: a kiln::Error is the expected answer to bad input, so it is caught and the input is
// done; except Errc::internal, which says an invariant broke: always a bug. Any other exception
// (std::out_of_range, std::bad_alloc, std::length_error, ...) means a check is missing
// somewhere: it is let escape, libFuzzer reports it as a crash (an uncaught exception aborts),
// and the input is saved. ASan and UBSan do the same for memory and
// arithmetic errors, and libFuzzer's -malloc_limit_mb for a single allocation too large.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <kiln/core/error.hpp>

namespace kiln::fuzz {

// Budgets small enough that a run stays fast and no valid input can reach libFuzzer's memory
// limit: whatever an input asks for beyond them must end in Errc::limit_exceeded.
inline constexpr std::int64_t kMaxFileBytes = std::int64_t{1} << 20;
inline constexpr std::int64_t kMaxNodes = 20'000;
inline constexpr std::int64_t kMaxTensorBytes = std::int64_t{16} << 20;
inline constexpr std::int64_t kMaxArenaBytes = std::int64_t{64} << 20;
inline constexpr std::int64_t kMaxLoopIterations = 1000;

inline std::string_view bytes_of(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Runs `body` on one input under the rule above. With KILN_FUZZ_VERBOSE=1 in the environment
// each kiln::Error is printed: how to see why a seed stops early.
template <typename Body>
int run_one(Body&& body) {
  static const bool verbose = std::getenv("KILN_FUZZ_VERBOSE") != nullptr;
  try {
    body();
  } catch (const kiln::Error& e) {  // the expected outcome for most inputs
    if (e.code() == kiln::Errc::internal) throw;
    if (verbose) std::fprintf(stderr, "kiln::Error: %s\n", e.what());
  }
  return 0;
}

}  // namespace kiln::fuzz
