// fuzz_bundle: an archive (fuzz_files.hpp) unpacked as a checkpoint and read by
// kiln::TensorBundle alone: the index (an SSTable: footer, block checksums, Snappy,
// prefix-compressed keys) and every tensor it lists (fuzz_readers.hpp).
#include "fuzz_readers.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  kiln::fuzz::silence_protobuf_logging();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return kiln::fuzz::run_one([&] { kiln::fuzz::bundle(kiln::fuzz::bytes_of(data, size)); });
}
