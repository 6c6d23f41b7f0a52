// fuzz_ir_run: bytes as Kiln's text IR, parsed, optimized at O2, compiled and run on the
// reference backend (fuzz_ir_run.hpp).
#include "fuzz_ir_run.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return kiln::fuzz::run_one([&] { kiln::fuzz::ir_run(kiln::fuzz::bytes_of(data, size)); });
}
