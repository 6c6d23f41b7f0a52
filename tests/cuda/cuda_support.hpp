// What the cuda backend's tests share: whether a device is there, and the skip that says so.
//
// No GPU exists where these tests are usually built. A test that needs one prints "skipped: no
// CUDA device (<the driver's reason>)" and returns; CTest sees that line and reports the test as
// skipped (SKIP_REGULAR_EXPRESSION in tests/CMakeLists.txt), so it neither passes silently nor
// fails.
#pragma once

#include <catch2/catch.hpp>
#include <iostream>
#include <kiln/backend.hpp>
#include <string>

namespace kiln::test {

inline const Backend cuda{"cuda"};

// "" when the cuda backend has a device, else why not.
inline std::string cuda_unavailable() {
  const BackendDef& def = require_backend(cuda);
  return def.device.unavailable ? def.device.unavailable() : "";
}

}  // namespace kiln::test

#define KILN_REQUIRE_CUDA_DEVICE()                                     \
  do {                                                                 \
    const std::string kiln_why_not = ::kiln::test::cuda_unavailable(); \
    if (!kiln_why_not.empty()) {                                       \
      std::cout << "skipped: " << kiln_why_not << std::endl;           \
      return;                                                          \
    }                                                                  \
  } while (false)
