// fuzz_npy: bytes as a .npy file, read and written back (fuzz_npy.hpp).
#include "fuzz_npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return kiln::fuzz::run_one([&] { kiln::fuzz::npy(kiln::fuzz::bytes_of(data, size)); });
}
