// Helpers for the importer tests: corpus paths, scratch folders, error expectations, and a small
// writer of LevelDB tables and TensorBundles used to *craft* malformed checkpoints. The writer
// follows the table and bundle layout importers/savedmodel/sstable.cpp reads; what the reader must accept is checked on
// the TensorFlow-written corpus, the writer only produces the broken variants.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <kiln/core/error.hpp>

#include "savedmodel/crc32c.hpp"
#include "savedmodel/proto/checkpoint.pb.h"

namespace kiln::test {

namespace fs = std::filesystem;

inline std::string corpus(const std::string& relative) {
  return std::string(KILN_CORPUS_DIR) + "/" + relative;
}

// The corpus SavedModels (folders under tests/fixtures/corpus_models; all have variables/).
inline const std::vector<std::string>& corpus_models() {
  static const std::vector<std::string> models = {
      "captured_constants_tf24", "half_plus_two_mkl_tf1", "half_plus_two_tf1",
      "half_plus_two_tf2",       "keras_bn_cnn_tf210",    "keras_mlp_tf211",
      "keras_multi_io_tf23",     "keras_sepconv_cnn_tf210",
  };
  return models;
}

// A fresh folder under the system's temp folder, removed with everything in it at scope exit.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    const auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
    path_ = fs::temp_directory_path() /
            ("kiln_importer_test_" + std::to_string(stamp) + "_" + std::to_string(counter++));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string path() const { return path_.string(); }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  REQUIRE(out.good());
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

// Copies a corpus model's variables/ folder into `dir`; returns the bundle prefix there. The
// copies are made writable (the corpus is read-only) so that tests can corrupt them.
inline std::string copy_corpus_bundle(const std::string& model, const TempDir& dir) {
  const fs::path source = corpus(model + "/variables");
  for (const auto& file : fs::directory_iterator(source)) {
    const fs::path target = fs::path(dir.path()) / file.path().filename();
    write_bytes(target.string(), read_bytes(file.path().string()));
  }
  return dir / "variables";
}

// Runs `fn`, which must throw a kiln::Error (anything else fails the test), and returns it.
template <class Fn> Error expect_error(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    INFO("kiln::Error: " << e.what());
    return e;
  }
  FAIL("expected a kiln::Error, but nothing was thrown");
  return Error(Errc::internal, "unreachable");
}

// The error has the code and its text names every one of `parts` (file, field, key, ...).
inline void check_error(const Error& e, Errc code, const std::vector<std::string>& parts) {
  INFO("error text: " << e.what());
  CHECK(errc_name(e.code()) == std::string(errc_name(code)));
  for (const std::string& part : parts) CHECK_THAT(std::string(e.what()), Catch::Contains(part));
}

template <class Fn>
void require_error(Fn&& fn, Errc code, const std::vector<std::string>& parts) {
  check_error(expect_error(std::forward<Fn>(fn)), code, parts);
}

// ---- Crafting tables and bundles -------------------------------------------------------------

inline void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

inline void put_le32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
}

using KeyValues = std::vector<std::pair<std::string, std::string>>;

// Block contents with a restart point at every entry (so no key is prefix-compressed).
inline std::string table_block(const KeyValues& entries) {
  std::string block;
  std::vector<std::uint32_t> restarts;
  for (const auto& [key, value] : entries) {
    restarts.push_back(static_cast<std::uint32_t>(block.size()));
    put_varint(block, 0);
    put_varint(block, key.size());
    put_varint(block, value.size());
    block += key;
    block += value;
  }
  if (restarts.empty()) restarts.push_back(0);
  for (std::uint32_t r : restarts) put_le32(block, r);
  put_le32(block, static_cast<std::uint32_t>(restarts.size()));
  return block;
}

// A LevelDB table holding one data block whose stored bytes are `data_block` with compression
// byte `data_type`; every trailer carries the right masked CRC32C.
inline std::string make_table_from_block(const std::string& data_block,
                                         unsigned char data_type = 0) {
  std::string file;
  auto append_block = [&file](const std::string& block, unsigned char type) {
    const std::uint64_t offset = file.size();
    file += block;
    file += static_cast<char>(type);
    const std::uint32_t crc =
        importer::crc32c_extend(importer::crc32c(block.data(), block.size()), &type, 1);
    put_le32(file, importer::crc32c_mask(crc));
    std::string handle;
    put_varint(handle, offset);
    put_varint(handle, block.size());
    return handle;
  };
  const std::string data_handle = append_block(data_block, data_type);
  const std::string meta_handle = append_block(table_block({}), 0);
  const std::string index_handle = append_block(table_block({{"~", data_handle}}), 0);
  std::string footer = meta_handle + index_handle;
  footer.resize(40, '\0');
  put_le32(footer, 0x8b80fb57u);  // magic 0xdb4775248b80fb57, low word first
  put_le32(footer, 0xdb477524u);
  return file + footer;
}

inline std::string make_table(const KeyValues& entries) {
  return make_table_from_block(table_block(entries));
}

// One tensor of a crafted bundle: raw data bytes as they go into the shard.
struct CraftedTensor {
  std::string key;
  int dtype = 1;
  std::vector<std::int64_t> shape;
  std::string data;
  int shard = 0;
  // Applied to the entry after it is filled in, to break it on purpose.
  std::function<void(tf::BundleEntryProto&)> tweak;
};

// Writes <prefix>.index and the shard files. Entries get correct offsets, sizes and masked CRCs
// (a string tensor's data must come from encode_strings(), whose CRC differs: see there).
inline void write_bundle(const std::string& prefix, std::vector<CraftedTensor> tensors,
                         tf::BundleHeaderProto header = {}, int shard_files = -1,
                         const std::function<std::uint32_t(const CraftedTensor&)>& crc_of = {}) {
  if (header.num_shards() == 0 && shard_files < 0) header.set_num_shards(1);
  const int files = shard_files < 0 ? header.num_shards() : shard_files;
  std::vector<std::string> shards(static_cast<std::size_t>(std::max(files, 1)));
  KeyValues entries;
  entries.emplace_back("", header.SerializeAsString());
  std::sort(tensors.begin(), tensors.end(),
            [](const CraftedTensor& a, const CraftedTensor& b) { return a.key < b.key; });
  for (const CraftedTensor& t : tensors) {
    tf::BundleEntryProto entry;
    entry.set_dtype(static_cast<tf::DataType>(t.dtype));
    for (std::int64_t d : t.shape) entry.mutable_shape()->add_dim()->set_size(d);
    std::string& shard = shards.at(static_cast<std::size_t>(t.shard));
    entry.set_shard_id(t.shard);
    entry.set_offset(static_cast<std::int64_t>(shard.size()));
    entry.set_size(static_cast<std::int64_t>(t.data.size()));
    entry.set_crc32c(crc_of ? crc_of(t) : importer::crc32c_mask(
                                              importer::crc32c(t.data.data(), t.data.size())));
    shard += t.data;
    if (t.tweak) t.tweak(entry);
    entries.emplace_back(t.key, entry.SerializeAsString());
  }
  write_bytes(prefix + ".index", make_table(entries));
  for (int i = 0; i < files; ++i) {
    char name[40];
    std::snprintf(name, sizeof name, ".data-%05d-of-%05d", i, header.num_shards());
    write_bytes(prefix + name, shards[static_cast<std::size_t>(i)]);
  }
}

// A DT_STRING tensor's record, and the masked CRC its entry carries: [varint64 lengths]
// [masked CRC32C of the lengths as uint32 LE][bytes]; the entry CRC runs over the lengths as
// uint32 LE, then the 4 stored checksum bytes, then the bytes.
inline std::pair<std::string, std::uint32_t> encode_strings(const std::vector<std::string>& s) {
  std::string record;
  std::string lengths_le;
  for (const std::string& e : s) {
    put_varint(record, e.size());
    put_le32(lengths_le, static_cast<std::uint32_t>(e.size()));
  }
  const std::uint32_t length_crc = importer::crc32c(lengths_le.data(), lengths_le.size());
  std::string checksum;
  put_le32(checksum, importer::crc32c_mask(length_crc));
  record += checksum;
  std::uint32_t crc = importer::crc32c_extend(length_crc, checksum.data(), 4);
  for (const std::string& e : s) {
    record += e;
    crc = importer::crc32c_extend(crc, e.data(), e.size());
  }
  return {record, importer::crc32c_mask(crc)};
}

// Little-endian bytes of float values, as a bundle stores DT_FLOAT.
inline std::string float_bytes(const std::vector<float>& values) {
  std::string out(values.size() * 4, '\0');
  std::memcpy(out.data(), values.data(), out.size());  // the test machines are little-endian
  return out;
}

}  // namespace kiln::test
