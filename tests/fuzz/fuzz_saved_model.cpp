// fuzz_saved_model: an archive (fuzz_files.hpp) unpacked as a SavedModel folder, loaded, and
// every signature imported with the variables it reaches (fuzz_readers.hpp).
#include "fuzz_readers.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  kiln::fuzz::silence_protobuf_logging();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return kiln::fuzz::run_one([&] { kiln::fuzz::saved_model(kiln::fuzz::bytes_of(data, size)); });
}
