#include "savedmodel/sstable.hpp"

#include <cstdint>
#include <cstdio>

#include <snappy.h>

#include <kiln/core/error.hpp>

#include "savedmodel/crc32c.hpp"

namespace kiln::importer {

namespace {

constexpr std::size_t kFooterSize = 48;  // two handles padded to 40 bytes, then the magic
constexpr std::size_t kBlockTrailerSize = 5;
constexpr std::uint64_t kTableMagic = 0xdb4775248b80fb57ull;
constexpr unsigned char kNoCompression = 0;
constexpr unsigned char kSnappyCompression = 1;
// Snappy cannot shrink data by more than about 22x (a 3-byte copy yields at most 64 bytes), so a
// block claiming more than this ratio is corrupt; checked before allocating.
constexpr std::uint64_t kMaxSnappyRatio = 32;

std::string hex32(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

std::string hex64(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::uint32_t load_le32(const char* p) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

// A varint of at most `max_bytes` bytes from s[pos, end); false if malformed or cut off.
bool read_varint(std::string_view s, std::size_t& pos, std::size_t end, int max_bytes,
                 std::uint64_t& value) {
  value = 0;
  for (int i = 0; i < max_bytes && pos < end; ++i) {
    const auto byte = static_cast<unsigned char>(s[pos++]);
    value |= static_cast<std::uint64_t>(byte & 0x7F) << (7 * i);
    if ((byte & 0x80) == 0) {
      // The 10th byte of a varint64 (and the 5th of a varint32) may only carry the top bits.
      const int spare_bits = 7 * (i + 1) - (max_bytes == 10 ? 64 : 32);
      return spare_bits <= 0 || (byte >> (7 - spare_bits)) == 0;
    }
  }
  return false;
}

struct BlockHandle {
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
};

std::string describe(const std::string& what, const BlockHandle& h) {
  return what + " (bytes " + std::to_string(h.offset) + ".." +
         std::to_string(h.offset + h.size) + ")";
}

class TableReader {
 public:
  TableReader(std::string_view bytes, const std::string& file, const ImportLimits& limits)
      : bytes_(bytes), file_(file), limits_(limits) {}

  std::vector<TableEntry> read_all() {
    if (bytes_.size() < kFooterSize) {
      throw error("file is too small to be a TensorBundle index (a LevelDB table ends in a "
                  "48-byte footer)")
          .found(std::to_string(bytes_.size()) + " bytes");
    }
    const std::size_t footer = bytes_.size() - kFooterSize;
    const std::uint64_t magic =
        (static_cast<std::uint64_t>(load_le32(bytes_.data() + footer + 44)) << 32) |
        load_le32(bytes_.data() + footer + 40);
    if (magic != kTableMagic) {
      throw error("bad magic number in the footer: not a TensorBundle index (LevelDB table)")
          .expected(hex64(kTableMagic))
          .found(hex64(magic));
    }
    std::size_t pos = footer;
    const BlockHandle metaindex = decode_handle(bytes_, pos, footer + 40, "footer");
    const BlockHandle index = decode_handle(bytes_, pos, footer + 40, "footer");

    read_block(metaindex, "metaindex block");  // TensorFlow leaves it empty; checked, not used
    const std::string index_block = read_block(index, "index block");
    const std::vector<TableEntry> index_entries =
        parse_block(index_block, describe("index block", index));

    std::vector<TableEntry> entries;
    for (std::size_t b = 0; b < index_entries.size(); ++b) {
      const std::string& value = index_entries[b].value;
      std::size_t value_pos = 0;
      const std::string what = "data block " + std::to_string(b);
      const BlockHandle handle = decode_handle(value, value_pos, value.size(),
                                               "index entry of " + what);
      const std::string block = read_block(handle, what);
      for (TableEntry& entry : parse_block(block, describe(what, handle))) {
        if (!entries.empty() && entry.key <= entries.back().key) {
          throw error(describe(what, handle) + ": keys are not in increasing order")
              .found("'" + entry.key + "' after '" + entries.back().key + "'");
        }
        entries.push_back(std::move(entry));
      }
    }
    return entries;
  }

 private:
  Error error(const std::string& message) const {
    return Error(Errc::parse_error, message).file(file_);
  }

  BlockHandle decode_handle(std::string_view s, std::size_t& pos, std::size_t end,
                            const std::string& what) const {
    BlockHandle h;
    if (!read_varint(s, pos, end, 10, h.offset) || !read_varint(s, pos, end, 10, h.size)) {
      throw error(what + ": malformed block handle");
    }
    return h;
  }

  // The block's contents after checking its trailer and decompressing it.
  std::string read_block(const BlockHandle& h, const std::string& what) const {
    const std::uint64_t blocks_end = bytes_.size() - kFooterSize;
    if (h.offset > blocks_end || h.size > blocks_end - h.offset ||
        kBlockTrailerSize > blocks_end - h.offset - h.size) {
      throw error(describe(what, h) + " lies outside the file (truncated?)")
          .expected("blocks within the first " + std::to_string(blocks_end) + " bytes");
    }
    const std::string_view stored = bytes_.substr(h.offset, h.size);
    const char* trailer = bytes_.data() + h.offset + h.size;
    const auto type = static_cast<unsigned char>(trailer[0]);
    const std::uint32_t expected_crc = load_le32(trailer + 1);
    const std::uint32_t actual_crc =
        crc32c_mask(crc32c_extend(crc32c(stored.data(), stored.size()), trailer, 1));
    if (actual_crc != expected_crc) {
      throw error(describe(what, h) + ": checksum mismatch (the file is corrupted)")
          .expected("masked CRC32C " + hex32(expected_crc))
          .found(hex32(actual_crc));
    }
    if (type == kNoCompression) return std::string(stored);
    if (type != kSnappyCompression) {
      throw error(describe(what, h) + ": unknown compression type")
          .expected("0 (none) or 1 (Snappy)")
          .found(std::to_string(type));
    }
    std::size_t length = 0;
    if (!snappy::GetUncompressedLength(stored.data(), stored.size(), &length)) {
      throw error(describe(what, h) + ": corrupt Snappy data (bad length header)");
    }
    if (length > kMaxSnappyRatio * stored.size() + 64 ||
        length > static_cast<std::uint64_t>(limits_.max_file_bytes)) {
      throw error(describe(what, h) + ": Snappy length header claims an impossible size")
          .found(std::to_string(length) + " bytes from " + std::to_string(stored.size()));
    }
    std::string contents(length, '\0');
    if (!snappy::RawUncompress(stored.data(), stored.size(), contents.data())) {
      throw error(describe(what, h) + ": corrupt Snappy data");
    }
    return contents;
  }

  // Entries of one block: [shared][non_shared][value_length][key suffix][value] ..., then the
  // restart offsets (fixed32 each) and their count (fixed32).
  std::vector<TableEntry> parse_block(std::string_view block, const std::string& what) const {
    if (block.size() < 4) throw error(what + ": too small to hold a restart count");
    const std::uint64_t restarts = load_le32(block.data() + block.size() - 4);
    if (restarts * 4 + 4 > block.size()) {
      throw error(what + ": restart count does not fit in the block")
          .found(std::to_string(restarts) + " restarts in " + std::to_string(block.size()) +
                 " bytes");
    }
    const std::size_t entries_end = block.size() - 4 - static_cast<std::size_t>(restarts) * 4;
    for (std::uint64_t r = 0; r < restarts; ++r) {
      const std::uint32_t offset = load_le32(block.data() + entries_end + r * 4);
      if (offset > entries_end || (offset == entries_end && entries_end != 0)) {
        throw error(what + ": restart point " + std::to_string(r) + " points outside the entries")
            .found("offset " + std::to_string(offset));
      }
    }
    std::vector<TableEntry> entries;
    std::string key;
    std::size_t pos = 0;
    while (pos < entries_end) {
      const std::size_t entry_start = pos;
      std::uint64_t shared = 0;
      std::uint64_t non_shared = 0;
      std::uint64_t value_length = 0;
      if (!read_varint(block, pos, entries_end, 5, shared) ||
          !read_varint(block, pos, entries_end, 5, non_shared) ||
          !read_varint(block, pos, entries_end, 5, value_length)) {
        throw error(what + ": malformed entry header at byte " + std::to_string(entry_start));
      }
      if (shared > key.size()) {
        throw error(what + ": entry at byte " + std::to_string(entry_start) +
                    " shares more key bytes than the previous key has")
            .expected("at most " + std::to_string(key.size()))
            .found(std::to_string(shared));
      }
      if (non_shared > entries_end - pos || value_length > entries_end - pos - non_shared) {
        throw error(what + ": entry at byte " + std::to_string(entry_start) +
                    " runs past the end of the block");
      }
      TableEntry entry;
      entry.key = key.substr(0, static_cast<std::size_t>(shared));
      entry.key.append(block.data() + pos, static_cast<std::size_t>(non_shared));
      pos += static_cast<std::size_t>(non_shared);
      entry.value.assign(block.data() + pos, static_cast<std::size_t>(value_length));
      pos += static_cast<std::size_t>(value_length);
      if (!entries.empty() && entry.key <= key) {
        throw error(what + ": keys are not in increasing order")
            .found("'" + entry.key + "' after '" + key + "'");
      }
      key = entry.key;
      entries.push_back(std::move(entry));
    }
    return entries;
  }

  std::string_view bytes_;
  const std::string& file_;
  const ImportLimits& limits_;
};

}  // namespace

std::vector<TableEntry> parse_table(std::string_view bytes, const std::string& file,
                                    const ImportLimits& limits) {
  return TableReader(bytes, file, limits).read_all();
}

}  // namespace kiln::importer
