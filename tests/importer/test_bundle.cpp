// TensorBundle reader: every TensorFlow-written corpus checkpoint, values cross-checked against
// NumPy files and the checkpoint's own object graph, and every kind of broken bundle
// (BAD_INPUTS 1, 13, 15, 16, 21).
#include <catch2/catch.hpp>

#include <set>

#include <kiln/npy.hpp>
#include <kiln/savedmodel.hpp>

#include "importer_test_util.hpp"
#include "savedmodel/dtypes.hpp"
#include "savedmodel/proto/checkpoint.pb.h"
#include "savedmodel/proto_io.hpp"

namespace KILN_TEST_FILE {  // this file's names stay its own (see tests/CMakeLists.txt)

using namespace kiln;
using namespace kiln::test;

namespace {

constexpr const char* kObjectGraphKey = "_CHECKPOINTABLE_OBJECT_GRAPH";

std::string bundle_prefix(const std::string& model) {
  return corpus(model + "/variables/variables");
}

void check_same_values(const Tensor& actual, const Tensor& expected) {
  REQUIRE(actual.dtype() == expected.dtype());
  REQUIRE(actual.shape() == expected.shape());
  CHECK(std::memcmp(actual.raw(), expected.raw(), expected.byte_size()) == 0);
}

}  // namespace

// ---- The corpus ------------------------------------------------------------------------------

TEST_CASE("every corpus checkpoint opens and every tensor passes its checksum") {
  for (const std::string& model : corpus_models()) {
    INFO("model " << model);
    const TensorBundle bundle = TensorBundle::open(bundle_prefix(model));
    CHECK(bundle.num_shards() == 1);
    REQUIRE_FALSE(bundle.keys().empty());
    for (const std::string& key : bundle.keys()) {
      INFO("tensor " << key);
      const TensorBundle::Entry& entry = bundle.entry(key);
      if (entry.tf_dtype == importer::kTfString) {
        CHECK_FALSE(bundle.read_strings(key).empty());
      } else {
        const Tensor t = bundle.read(key);
        CHECK(t.shape() == entry.shape);
        CHECK(static_cast<std::int64_t>(t.byte_size()) == entry.size);
      }
    }
  }
}

TEST_CASE("half_plus_two checkpoints hold a = 0.5, b = 2, c = 3") {
  // The models compute y = a * x + b (and y = a * x + c for half_plus_three).
  for (const auto& [model, suffix] :
       std::vector<std::pair<std::string, std::string>>{{"half_plus_two_tf1", ""},
                                                        {"half_plus_two_mkl_tf1", ""},
                                                        {"half_plus_two_tf2",
                                                         "/.ATTRIBUTES/VARIABLE_VALUE"}}) {
    INFO("model " << model);
    const TensorBundle bundle = TensorBundle::open(bundle_prefix(model));
    CHECK(bundle.read("a" + suffix).to_float_vector() == std::vector<float>{0.5f});
    CHECK(bundle.read("b" + suffix).to_float_vector() == std::vector<float>{2.0f});
    CHECK(bundle.read("c" + suffix).to_float_vector() == std::vector<float>{3.0f});
  }
}

TEST_CASE("keras_mlp_tf211 weights match the NumPy files saved beside it") {
  const TensorBundle bundle = TensorBundle::open(bundle_prefix("keras_mlp_tf211"));
  check_same_values(bundle.read("layer_with_weights-0/bias/.ATTRIBUTES/VARIABLE_VALUE"),
                    load_npy(corpus("keras_mlp_tf211/bias0.npy")));
  check_same_values(bundle.read("layer_with_weights-1/kernel/.ATTRIBUTES/VARIABLE_VALUE"),
                    load_npy(corpus("keras_mlp_tf211/kernel1.npy")));
}

TEST_CASE("the checkpoint object graph parses and names every key of its bundle") {
  for (const std::string& model : corpus_models()) {
    const TensorBundle bundle = TensorBundle::open(bundle_prefix(model));
    if (!bundle.contains(kObjectGraphKey)) continue;  // TF1 checkpoints have none
    INFO("model " << model);
    const std::vector<std::string> strings = bundle.read_strings(kObjectGraphKey);
    REQUIRE(strings.size() == 1);
    tf::TrackableObjectGraph graph;
    importer::parse_binary_proto(strings[0], graph, ImportLimits{}, bundle.index_path(),
                                 "checkpoint object graph");
    REQUIRE(graph.nodes_size() > 0);
    // TensorFlow wrote both the graph and the bundle: each names the other's keys exactly.
    std::set<std::string> named;
    for (const auto& node : graph.nodes()) {
      for (const auto& attribute : node.attributes()) {
        CHECK(bundle.contains(attribute.checkpoint_key()));
        named.insert(attribute.checkpoint_key());
      }
    }
    for (const std::string& key : bundle.keys()) {
      if (key != kObjectGraphKey) CHECK(named.count(key) == 1);
    }
  }
}

TEST_CASE("asking for the wrong kind of tensor is a clear error") {
  const TensorBundle bundle = TensorBundle::open(bundle_prefix("keras_mlp_tf211"));
  require_error([&] { bundle.read(kObjectGraphKey); }, Errc::unsupported,
                {kObjectGraphKey, "DT_STRING", "read_strings"});
  const std::string bias = "layer_with_weights-0/bias/.ATTRIBUTES/VARIABLE_VALUE";
  require_error([&] { bundle.read_strings(bias); }, Errc::type_mismatch,
                {"layer_with_weights-0/bias", "DT_FLOAT"});
  require_error([&] { bundle.read("no/such/tensor"); }, Errc::not_found,
                {"no/such/tensor", "variables.index"});
  CHECK_FALSE(bundle.contains("no/such/tensor"));
}

// ---- Corrupted copies of real checkpoints (BAD_INPUTS 1 and 21) ------------------------------

TEST_CASE("bundle: missing, empty, garbage, truncated index files and directories") {
  TempDir dir;
  const std::string prefix = copy_corpus_bundle("half_plus_two_tf2", dir);
  const std::string index = prefix + ".index";
  const std::string original = read_bytes(index);

  require_error([&] { TensorBundle::open(dir / "nothing"); }, Errc::not_found,
                {"nothing.index"});

  write_bytes(index, "");
  require_error([&] { TensorBundle::open(prefix); }, Errc::parse_error,
                {"variables.index", "too small", "0 bytes"});

  std::string garbage(4096, '\0');
  std::uint32_t state = 12345;  // a fixed pseudo-random sequence
  for (char& c : garbage) {
    state = state * 1103515245u + 12345u;
    c = static_cast<char>(state >> 24);
  }
  write_bytes(index, garbage);
  require_error([&] { TensorBundle::open(prefix); }, Errc::parse_error,
                {"variables.index", "bad magic number"});

  write_bytes(index, original.substr(0, original.size() / 2));  // the footer is gone
  require_error([&] { TensorBundle::open(prefix); }, Errc::parse_error,
                {"variables.index", "magic"});

  // Cut bytes from the middle, keeping the footer: its handles now point past the blocks.
  write_bytes(index, original.substr(0, 40) + original.substr(original.size() - 48));
  require_error([&] { TensorBundle::open(prefix); }, Errc::parse_error,
                {"variables.index", "lies outside the file"});

  fs::remove(index);
  fs::create_directory(index);
  require_error([&] { TensorBundle::open(prefix); }, Errc::io_error,
                {"variables.index", "directory"});
}

TEST_CASE("bundle: a flipped byte in an index block fails its checksum") {
  for (const std::string model : {"half_plus_two_tf2", "keras_mlp_tf211"}) {
    // half_plus_two_tf2's data block is Snappy-compressed: the CRC covers the stored bytes.
    INFO("model " << model);
    TempDir dir;
    const std::string prefix = copy_corpus_bundle(model, dir);
    std::string bytes = read_bytes(prefix + ".index");
    bytes[10] = static_cast<char>(bytes[10] ^ 0x40);  // inside data block 0, which starts at 0
    write_bytes(prefix + ".index", bytes);
    require_error([&] { TensorBundle::open(prefix); }, Errc::parse_error,
                  {"variables.index", "data block 0", "checksum mismatch"});
  }
}

TEST_CASE("bundle: a bad footer magic number is named") {
  TempDir dir;
  const std::string prefix = copy_corpus_bundle("keras_mlp_tf211", dir);
  std::string bytes = read_bytes(prefix + ".index");
  bytes.back() = 0;
  write_bytes(prefix + ".index", bytes);
  require_error([&] { TensorBundle::open(prefix); }, Errc::parse_error,
                {"variables.index", "bad magic number", "0xdb4775248b80fb57"});
}

TEST_CASE("bundle: a flipped byte in tensor data fails the tensor checksum") {
  TempDir dir;
  const std::string prefix = copy_corpus_bundle("keras_mlp_tf211", dir);
  const TensorBundle clean = TensorBundle::open(prefix);
  const std::string kernel = "layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE";
  const TensorBundle::Entry entry = clean.entry(kernel);
  const std::string shard = prefix + ".data-00000-of-00001";
  std::string data = read_bytes(shard);
  const std::size_t at = static_cast<std::size_t>(entry.offset + entry.size / 2);
  data[at] = static_cast<char>(data[at] ^ 1);
  write_bytes(shard, data);

  const TensorBundle bundle = TensorBundle::open(prefix);  // the index is intact
  require_error([&] { bundle.read(kernel); }, Errc::parse_error,
                {"data-00000-of-00001", kernel, "checksum mismatch"});
  // The other tensors still read.
  CHECK(bundle.read("layer_with_weights-0/bias/.ATTRIBUTES/VARIABLE_VALUE").num_elements() == 100);
}

TEST_CASE("bundle: a flipped byte in a string tensor fails its checksum") {
  TempDir dir;
  const std::string prefix = copy_corpus_bundle("keras_mlp_tf211", dir);
  const TensorBundle::Entry entry = TensorBundle::open(prefix).entry(kObjectGraphKey);
  const std::string shard = prefix + ".data-00000-of-00001";
  const std::string original = read_bytes(shard);

  std::string data = original;  // a byte of the serialized object graph (past lengths + CRC)
  const std::size_t at = static_cast<std::size_t>(entry.offset + entry.size - 10);
  data[at] = static_cast<char>(data[at] ^ 1);
  write_bytes(shard, data);
  require_error([&] { TensorBundle::open(prefix).read_strings(kObjectGraphKey); },
                Errc::parse_error, {"data-00000-of-00001", kObjectGraphKey, "checksum mismatch"});

  data = original;  // now the stored checksum of the element lengths
  // The object graph is one string of 3968 bytes: its varint length takes 2 bytes (3968 >= 128),
  // so the 4-byte length checksum starts at offset + 2.
  const std::size_t length_crc = static_cast<std::size_t>(entry.offset + 2);
  data[length_crc] = static_cast<char>(data[length_crc] ^ 1);
  write_bytes(shard, data);
  require_error([&] { TensorBundle::open(prefix).read_strings(kObjectGraphKey); },
                Errc::parse_error, {kObjectGraphKey, "lengths"});
}

TEST_CASE("bundle: a truncated shard leaves entries pointing past its end") {
  TempDir dir;
  const std::string prefix = copy_corpus_bundle("keras_mlp_tf211", dir);
  const std::string shard = prefix + ".data-00000-of-00001";
  const std::string data = read_bytes(shard);
  write_bytes(shard, data.substr(0, data.size() - 100));
  require_error([&] { TensorBundle::open(prefix); }, Errc::parse_error,
                {"data-00000-of-00001", "past the end of its shard"});
}

TEST_CASE("bundle: shard files come from the header's count, and a missing one is named") {
  TempDir dir;
  const std::string prefix = copy_corpus_bundle("half_plus_two_tf1", dir);
  const std::string shard = prefix + ".data-00000-of-00001";
  const std::string data = read_bytes(shard);

  // A stale shard of an earlier save (-of-00002) sits beside the real one: it is ignored.
  write_bytes(prefix + ".data-00000-of-00002", "stale bytes");
  write_bytes(prefix + ".data-00001-of-00002", "stale bytes");
  CHECK(TensorBundle::open(prefix).read("a").to_float_vector() == std::vector<float>{0.5f});

  // Only the stale files remain: the header still says one shard, so that file is missing.
  fs::remove(shard);
  require_error([&] { TensorBundle::open(prefix); }, Errc::not_found,
                {"variables.data-00000-of-00001", "missing", "1 shards"});

  fs::create_directory(shard);  // a directory where the shard should be
  require_error([&] { TensorBundle::open(prefix); }, Errc::io_error,
                {"variables.data-00000-of-00001", "directory"});
}

// ---- Crafted bundles: what TensorFlow never writes but a file can say ------------------------

TEST_CASE("crafted bundle: several shards, big-endian data, strings, bools, slices") {
  TempDir dir;
  const std::string prefix = dir / "ckpt";
  tf::BundleHeaderProto header;
  header.set_num_shards(2);
  const std::pair<std::string, std::uint32_t> names = encode_strings({"a", "", "hello"});
  std::vector<CraftedTensor> tensors = {
      {"w0", 1, {2}, float_bytes({1.0f, -2.0f}), 0, {}},
      {"w1", 1, {3}, float_bytes({3.0f, 4.0f, 5.0f}), 1, {}},
      {"names", 7, {3}, names.first, 1, {}},
      {"flags", 10, {3}, std::string("\x00\x01\x07", 3), 0, {}},
  };
  write_bundle(prefix, tensors, header, -1, [&](const CraftedTensor& t) {
    return t.dtype == 7 ? names.second
                        : importer::crc32c_mask(importer::crc32c(t.data.data(), t.data.size()));
  });
  const TensorBundle bundle = TensorBundle::open(prefix);
  CHECK(bundle.num_shards() == 2);
  CHECK(bundle.keys() == std::vector<std::string>{"flags", "names", "w0", "w1"});
  CHECK(bundle.entry("w1").shard_id == 1);
  CHECK(bundle.read("w0").to_float_vector() == std::vector<float>{1.0f, -2.0f});
  CHECK(bundle.read("w1").to_float_vector() == std::vector<float>{3.0f, 4.0f, 5.0f});
  CHECK(bundle.read_strings("names") == std::vector<std::string>{"a", "", "hello"});
  const Tensor flags = bundle.read("flags");  // the byte 7 still means true, stored as 1
  CHECK(static_cast<const unsigned char*>(flags.raw())[2] == 1);

  // Big-endian data: 1.0f is 3F 80 00 00 on such a machine; the CRC covers the bytes as stored.
  TempDir big;
  tf::BundleHeaderProto big_header;
  big_header.set_num_shards(1);
  big_header.set_endianness(tf::BundleHeaderProto::BIG);
  write_bundle(big / "ckpt", {{"x", 1, {1}, std::string("\x3f\x80\x00\x00", 4), 0, {}}},
               big_header);
  CHECK(TensorBundle::open(big / "ckpt").read("x").to_float_vector() == std::vector<float>{1.0f});

  // A "partitioned" tensor with one slice covering it all: its bytes sit under the slice key,
  // OrderedCode(0, name, rank, start 0, length -1): 00 | "s" 00 01 | 01 01 | 80 | 7F.
  TempDir sliced;
  const std::string slice_key = std::string("\x00s\x00\x01\x01\x01\x80\x7f", 8);
  write_bundle(sliced / "ckpt",
               {{"s", 1, {2}, "", 0,
                 [](tf::BundleEntryProto& e) {
                   e.add_slices()->add_extent()->set_start(0);  // no length: the whole dim
                 }},
                {slice_key, 1, {2}, float_bytes({7.0f, 8.0f}), 0, {}}});
  const TensorBundle sliced_bundle = TensorBundle::open(sliced / "ckpt");
  CHECK(sliced_bundle.keys() == std::vector<std::string>{"s"});
  CHECK(sliced_bundle.read("s").to_float_vector() == std::vector<float>{7.0f, 8.0f});
}

TEST_CASE("crafted bundle: a tensor of many read chunks arrives whole, checksum and all") {
  // 300000 floats (1.2 MB, several of the reader's chunks) after a 3-byte tensor, so the big
  // one starts at an odd offset; element i holds i / 2, exact in float32.
  TempDir dir;
  const std::string prefix = dir / "ckpt";
  std::vector<float> values(300000);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i) * 0.5f;
  write_bundle(prefix, {{"a_small", 4, {3}, std::string("\x01\x02\x03", 3), 0, {}},
                        {"big", 1, {300000}, float_bytes(values), 0, {}}});
  const TensorBundle bundle = TensorBundle::open(prefix);
  CHECK(bundle.entry("big").offset == 3);
  const Tensor big = bundle.read("big");
  REQUIRE(big.num_elements() == 300000);
  CHECK(big.data<float>()[0] == 0.0f);
  CHECK(big.data<float>()[65537] == 32768.5f);
  CHECK(big.data<float>()[299999] == 149999.5f);
  CHECK(big.to_float_vector() == values);

  // One flipped bit far into the data (in a later chunk) fails the checksum.
  const std::string shard = prefix + ".data-00000-of-00001";
  std::string data = read_bytes(shard);
  data[3 + 1000001] = static_cast<char>(data[3 + 1000001] ^ 0x10);
  write_bytes(shard, data);
  require_error([&] { TensorBundle::open(prefix).read("big"); }, Errc::parse_error,
                {"data-00000-of-00001", "'big'", "checksum mismatch"});
}

TEST_CASE("crafted bundle: partitioned tensors and Kiln-less dtypes are refused by name") {
  TempDir dir;
  write_bundle(dir / "ckpt",
               {{"two_slices", 1, {4}, "", 0,
                 [](tf::BundleEntryProto& e) {
                   auto* first = e.add_slices()->add_extent();
                   first->set_start(0);
                   first->set_length(2);
                   auto* second = e.add_slices()->add_extent();
                   second->set_start(2);
                   second->set_length(2);
                 }},
                {"int16", 5, {2}, std::string(4, '\0'), 0, {}}});
  const TensorBundle bundle = TensorBundle::open(dir / "ckpt");
  require_error([&] { bundle.read("two_slices"); }, Errc::unsupported,
                {"two_slices", "partitioned", "2 slices"});
  require_error([&] { bundle.read("int16"); }, Errc::unsupported, {"int16", "DT_INT16"});
}

TEST_CASE("crafted bundle: lying entries are errors that name the tensor") {
  struct Case {
    const char* what;
    std::function<void(tf::BundleEntryProto&)> tweak;
    Errc code;
    std::vector<std::string> parts;
  };
  const std::vector<Case> cases = {
      {"invalid dtype number",
       [](tf::BundleEntryProto& e) { e.set_dtype(static_cast<tf::DataType>(77)); },
       Errc::parse_error, {"tensor 'w'", "DataType 77"}},
      {"DT_INVALID", [](tf::BundleEntryProto& e) { e.set_dtype(tf::DT_INVALID); },
       Errc::parse_error, {"tensor 'w'", "DT_INVALID"}},
      {"shard out of range", [](tf::BundleEntryProto& e) { e.set_shard_id(3); },
       Errc::parse_error, {"tensor 'w'", "shard number", "3"}},
      {"offset past the end", [](tf::BundleEntryProto& e) { e.set_offset(1000); },
       Errc::parse_error, {"ckpt.data-00000-of-00001", "'w'", "past the end"}},
      {"negative offset", [](tf::BundleEntryProto& e) { e.set_offset(-8); },
       Errc::parse_error, {"'w'", "past the end"}},
      {"huge size", [](tf::BundleEntryProto& e) { e.set_size(INT64_MAX); },
       Errc::parse_error, {"'w'", "past the end"}},
      {"size disagrees with the shape",
       [](tf::BundleEntryProto& e) { e.mutable_shape()->mutable_dim(0)->set_size(3); },
       Errc::parse_error, {"tensor 'w'", "byte size", "12 bytes", "8 bytes"}},
      {"shape overflows", [](tf::BundleEntryProto& e) {
         e.mutable_shape()->mutable_dim(0)->set_size(1LL << 62);
         e.mutable_shape()->add_dim()->set_size(1LL << 62);
       }, Errc::limit_exceeded, {"tensor 'w'", "overflow"}},
      {"negative dimension",
       [](tf::BundleEntryProto& e) { e.mutable_shape()->mutable_dim(0)->set_size(-7); },
       Errc::shape_mismatch, {"tensor 'w'", "-7"}},
      {"unknown dimension",
       [](tf::BundleEntryProto& e) { e.mutable_shape()->mutable_dim(0)->set_size(-1); },
       Errc::parse_error, {"tensor 'w'", "not fully known"}},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    TempDir dir;
    write_bundle(dir / "ckpt", {{"w", 1, {2}, float_bytes({1.0f, 2.0f}), 0, c.tweak}});
    require_error([&] { TensorBundle::open(dir / "ckpt"); }, c.code, c.parts);
  }
}

TEST_CASE("crafted bundle: bad headers") {
  auto open_with = [](const tf::BundleHeaderProto& header) {
    TempDir dir;
    write_bundle(dir / "ckpt", {{"w", 1, {1}, float_bytes({1.0f}), 0, {}}}, header, 1);
    return expect_error([&] { TensorBundle::open(dir / "ckpt"); });
  };
  tf::BundleHeaderProto zero_shards;  // entries, yet no shard
  zero_shards.set_num_shards(0);
  check_error(open_with(zero_shards), Errc::parse_error, {"shard count", "0"});
  tf::BundleHeaderProto negative;
  negative.set_num_shards(-2);
  check_error(open_with(negative), Errc::parse_error, {"shard count", "-2"});
  tf::BundleHeaderProto endian;
  endian.set_num_shards(1);
  endian.set_endianness(static_cast<tf::BundleHeaderProto::Endianness>(5));
  check_error(open_with(endian), Errc::parse_error, {"endianness", "5"});
  tf::BundleHeaderProto newer;
  newer.set_num_shards(1);
  newer.mutable_version()->set_min_consumer(2);
  check_error(open_with(newer), Errc::unsupported, {"newer", "min_consumer"});
  tf::BundleHeaderProto banned;
  banned.set_num_shards(1);
  banned.mutable_version()->add_bad_consumers(1);
  check_error(open_with(banned), Errc::unsupported, {"version 1"});

  TempDir dir;  // no header entry at all
  write_bytes(dir / "ckpt.index", make_table({{"w", "x"}}));
  require_error([&] { TensorBundle::open(dir / "ckpt"); }, Errc::parse_error,
                {"ckpt.index", "no header"});
  write_bytes(dir / "ckpt.index", make_table({{"", "\xff\xff"}}));  // header is not a proto
  require_error([&] { TensorBundle::open(dir / "ckpt"); }, Errc::parse_error,
                {"ckpt.index", "bundle header"});
}

TEST_CASE("crafted bundle: malformed tables") {
  TempDir dir;
  const std::string index = dir / "ckpt.index";
  auto open_error = [&](const std::string& bytes) {
    write_bytes(index, bytes);
    return expect_error([&] { TensorBundle::open(dir / "ckpt"); });
  };
  tf::BundleHeaderProto header;
  header.set_num_shards(1);
  const std::string h = header.SerializeAsString();

  check_error(open_error(make_table({{"", h}, {"b", ""}, {"a", ""}})), Errc::parse_error,
              {"ckpt.index", "increasing order"});
  check_error(open_error(make_table({{"", h}, {"a", ""}, {"a", ""}})), Errc::parse_error,
              {"increasing order"});
  // Snappy-typed block whose bytes are not Snappy data (its CRC is right).
  check_error(open_error(make_table_from_block("\xff\xff\xff\xff\xff\xff garbage", 1)),
              Errc::parse_error, {"ckpt.index", "Snappy"});
  // A Snappy length header claiming 2^32 - 1 bytes from a few bytes of input.
  check_error(open_error(make_table_from_block("\xff\xff\xff\xff\x0f", 1)), Errc::parse_error,
              {"Snappy", "impossible size"});
  check_error(open_error(make_table_from_block(table_block({{"", h}}), 7)), Errc::parse_error,
              {"compression type", "7"});
  // Restart count larger than the block.
  std::string block = table_block({{"", h}});
  block.replace(block.size() - 4, 4, "\xff\xff\xff\x0f", 4);
  check_error(open_error(make_table_from_block(block)), Errc::parse_error, {"restart count"});
  // An entry that claims to share 5 bytes with the (empty) key before it.
  std::string sharing;
  put_varint(sharing, 5);
  put_varint(sharing, 1);
  put_varint(sharing, 0);
  sharing += "k";
  put_le32(sharing, 0);
  put_le32(sharing, 1);
  check_error(open_error(make_table_from_block(sharing)), Errc::parse_error,
              {"shares more key bytes"});
  // An entry whose value runs past the block.
  std::string overlong;
  put_varint(overlong, 0);
  put_varint(overlong, 1);
  put_varint(overlong, 200);
  overlong += "k";
  put_le32(overlong, 0);
  put_le32(overlong, 1);
  check_error(open_error(make_table_from_block(overlong)), Errc::parse_error,
              {"runs past the end of the block"});
}

TEST_CASE("crafted bundle: corrupt string records") {
  auto read_error = [](const std::string& data, std::uint32_t crc,
                       std::vector<std::int64_t> shape) {
    TempDir dir;
    write_bundle(dir / "ckpt", {{"s", 7, shape, data, 0, {}}}, {}, -1,
                 [&](const CraftedTensor&) { return crc; });
    return expect_error([&] { TensorBundle::open(dir / "ckpt").read_strings("s"); });
  };
  const auto [record, crc] = encode_strings({"abc", "de"});
  // Lengths [3, 2] promise 5 bytes; one more or one less byte is caught.
  check_error(read_error(record + "x", crc, {2}), Errc::parse_error, {"'s'", "every byte"});
  check_error(read_error(record.substr(0, record.size() - 1), crc, {2}), Errc::parse_error,
              {"'s'", "more bytes"});
  // More elements than the record has bytes.
  check_error(read_error(record, crc, {1000}), Errc::parse_error, {"'s'", "more elements"});
  // A varint that never ends.
  check_error(read_error(std::string(12, '\xff'), crc, {1}), Errc::parse_error,
              {"'s'", "malformed element length"});
  // Right bytes, wrong entry checksum.
  check_error(read_error(record, crc ^ 1, {2}), Errc::parse_error, {"'s'", "checksum mismatch"});
}

TEST_CASE("bundle: tensors larger than the limit are refused before reading") {
  ImportLimits limits;
  limits.max_tensor_bytes = 1000;  // the 784x100 kernel has 313600 bytes
  const TensorBundle bundle = TensorBundle::open(bundle_prefix("keras_mlp_tf211"), limits);
  require_error([&] { bundle.read("layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE"); },
                Errc::limit_exceeded, {"layer_with_weights-0/kernel", "max_tensor_bytes"});
  CHECK(bundle.read("layer_with_weights-0/bias/.ATTRIBUTES/VARIABLE_VALUE").num_elements() == 100);

  ImportLimits tiny_files;
  tiny_files.max_file_bytes = 100;  // the index has 239 bytes
  require_error([&] { TensorBundle::open(bundle_prefix("keras_mlp_tf211"), tiny_files); },
                Errc::limit_exceeded, {"variables.index", "max_file_bytes"});
}

}  // namespace KILN_TEST_FILE
