// ImportLimits: what the importer may spend on one file.
#pragma once

#include <cstdint>

namespace kiln {

// Budgets that keep a hostile or broken file from exhausting memory, stack or time. Every
// reader checks them before it allocates, and a file that exceeds one fails with
// Errc::limit_exceeded naming the file and the limit. The defaults admit every real model Kiln
// targets; lower them when the files come from strangers.
struct ImportLimits {
  // Largest protobuf file (saved_model.pb/.pbtxt, frozen graph) or bundle index read into
  // memory. Protobuf itself cannot parse more than 2 GiB - 1, so that is also the ceiling.
  std::int64_t max_file_bytes = (std::int64_t{1} << 31) - 1;
  // Nodes in all graphs and function bodies of one file together.
  std::int64_t max_nodes = 5'000'000;
  // Deepest nesting of protobuf messages (protobuf's own default is 100). Real SavedModels stay
  // below 20 for the fields Kiln reads; the limit also bounds the parser's stack use.
  int max_nesting_depth = 256;
  // Largest single tensor decoded from a constant or read from a checkpoint.
  std::int64_t max_tensor_bytes = std::int64_t{4} << 30;
};

}  // namespace kiln
