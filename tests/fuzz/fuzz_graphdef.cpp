// fuzz_graphdef: bytes as a binary frozen GraphDef, loaded and imported (fuzz_readers.hpp).
#include "fuzz_readers.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  kiln::fuzz::silence_protobuf_logging();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return kiln::fuzz::run_one(
      [&] { kiln::fuzz::graphdef(kiln::fuzz::bytes_of(data, size), /*text=*/false); });
}
