// Reading TensorFlow's files without TensorFlow: models (model.hpp), import limits
// (import_limits.hpp) and the checkpoint reader.
//
// Part of the compiled `kiln::savedmodel` component (link it to use this header). Protobuf types
// never appear here: the parsed messages live in the importer's own headers under importers/.
//
//   kiln::Model model = kiln::load_saved_model("mobilenet_v2/");
//   kiln::TensorBundle bundle = kiln::TensorBundle::open("model/variables/variables");
//   for (const std::string& key : bundle.keys()) std::cout << key << '\n';
//   kiln::Tensor kernel = bundle.read("layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE");
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/shape.hpp"
#include "core/tensor.hpp"
#include "import_limits.hpp"
#include "model.hpp"

namespace kiln {

// A TensorFlow checkpoint in the TensorBundle format (`<prefix>.index` plus
// `<prefix>.data-NNNNN-of-MMMMM`), as stored in a SavedModel's variables/ folder.
//
// open() reads and checks the whole index: every block checksum, the header, every entry
// (dtype, shape, shard number, byte range against the shard file's size). read() then checks
// the tensor's own checksum. A bundle is immutable and cheap to copy; reads from several threads
// are safe.
class TensorBundle {
 public:
  // What the index says about one tensor.
  struct Entry {
    int tf_dtype = 0;  // TensorFlow's DataType number, e.g. 1 = DT_FLOAT, 7 = DT_STRING
    Shape shape;
    int shard_id = 0;
    std::int64_t offset = 0;
    std::int64_t size = 0;
    std::uint32_t masked_crc32c = 0;
    int num_slices = 0;  // > 0 for a partitioned tensor (its bytes live in slice entries)
  };

  // `prefix` is the path without the suffixes, e.g. "model/variables/variables".
  static TensorBundle open(const std::string& prefix, const ImportLimits& limits = {});

  const std::string& prefix() const;
  std::string index_path() const;
  // The shard file names come from the header's shard count, never from a directory listing.
  std::string shard_path(int shard_id) const;
  int num_shards() const;

  // Every tensor key in byte order (the header key "" and slice keys are not listed).
  std::vector<std::string> keys() const;
  bool contains(const std::string& key) const;
  const Entry& entry(const std::string& key) const;  // Errc::not_found if absent

  // The tensor under `key`, checksum verified. DT_STRING tensors cannot be Kiln Tensors and
  // give Errc::unsupported: use read_strings() for them.
  Tensor read(const std::string& key) const;
  // The elements of a DT_STRING tensor in row-major order (e.g. the checkpoint's object graph
  // under "_CHECKPOINTABLE_OBJECT_GRAPH"), both checksums verified.
  std::vector<std::string> read_strings(const std::string& key) const;

  struct Impl;  // defined in importers/savedmodel/bundle.cpp

 private:
  explicit TensorBundle(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

}  // namespace kiln
