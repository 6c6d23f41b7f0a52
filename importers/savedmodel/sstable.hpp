// A reader for LevelDB-format tables ("SSTables"), the container of TensorFlow's bundle index
// (variables.index).
//
// Layout: data blocks, a metaindex block and an index block, each followed by a 5-byte trailer
// (compression type, masked CRC32C of the stored bytes plus the type byte), then a 48-byte footer
// (two block handles, padding, magic 0xdb4775248b80fb57). Blocks hold prefix-compressed keys and
// end in an array of restart offsets. Indexes are small, so the reader loads every entry; it
// checks every block's CRC, decompresses Snappy blocks with libsnappy, and checks that keys are
// in strictly increasing byte order.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <kiln/savedmodel.hpp>

namespace kiln::importer {

struct TableEntry {
  std::string key;
  std::string value;
};

// Every entry of the table whose whole file is `bytes`, in key order. Errors are
// Errc::parse_error naming `file` and the block or entry at fault.
std::vector<TableEntry> parse_table(std::string_view bytes, const std::string& file,
                                    const ImportLimits& limits);

}  // namespace kiln::importer
