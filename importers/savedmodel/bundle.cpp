// kiln::TensorBundle: TensorFlow's checkpoint format (tensorflow/core/util/tensor_bundle/).
//
// <prefix>.index is a LevelDB table (sstable.hpp): key "" holds a BundleHeaderProto, every other
// key a BundleEntryProto saying where a tensor's bytes are: shard file
// <prefix>.data-<shard:05d>-of-<num_shards:05d>, bytes [offset, offset + size), masked CRC32C.
// Fixed-size dtypes are raw row-major element bytes. DT_STRING is [varint64 length per element]
// [masked CRC32C of the lengths][the bytes], with its own checksum rule (read_strings).
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <utility>

#include <kiln/savedmodel.hpp>

#include "savedmodel/crc32c.hpp"
#include "savedmodel/dtypes.hpp"
#include "savedmodel/files.hpp"
#include "savedmodel/proto/checkpoint.pb.h"
#include "savedmodel/proto_io.hpp"
#include "savedmodel/sstable.hpp"
#include "savedmodel/tensor_proto.hpp"

namespace kiln {

using namespace importer;

namespace {

constexpr int kBundleVersion = 1;  // the format version this reader implements
constexpr int kMaxShards = 99999;  // shard numbers are written with five digits

std::string hex32(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

// OrderedCode string encoding, used in the keys of a partitioned tensor's slices.
std::string ordered_code_string(const std::string& s) {
  std::string out;
  for (char c : s) {
    out += c;
    if (c == '\0') out += '\xff';
    if (c == '\xff') out += '\0';
  }
  return out + std::string("\0\x01", 2);
}

struct Slice {
  std::vector<std::pair<std::int64_t, std::int64_t>> extents;  // (start, length or -1)
};

}  // namespace

struct TensorBundle::Impl {
  std::string prefix;
  std::string index_path;
  ImportLimits limits;
  int num_shards = 0;
  bool big_endian = false;
  std::vector<std::int64_t> shard_sizes;
  std::map<std::string, Entry> entries;        // tensors
  std::map<std::string, Slice> slices;         // tensor key -> its single slice, if partitioned
  std::map<std::string, Entry> slice_entries;  // OrderedCode-encoded slice keys

  std::string shard_path(int shard) const {
    char suffix[40];
    std::snprintf(suffix, sizeof suffix, ".data-%05d-of-%05d", shard, num_shards);
    return prefix + suffix;
  }

  Error error(Errc code, const std::string& key, const std::string& message) const {
    return Error(code, "tensor '" + key + "': " + message).file(index_path);
  }

  const Entry& find(const std::string& key) const {
    auto it = entries.find(key);
    if (it == entries.end()) {
      throw Error(Errc::not_found, "no tensor named '" + key + "' in the checkpoint")
          .file(index_path);
    }
    return it->second;
  }

  void check_limit(const std::string& key, const Entry& e) const {
    if (e.size > limits.max_tensor_bytes) {
      throw error(Errc::limit_exceeded, key, "tensor is larger than the import limit")
          .expected("at most " + std::to_string(limits.max_tensor_bytes) +
                    " bytes (ImportLimits::max_tensor_bytes)")
          .found(std::to_string(e.size) + " bytes");
    }
  }

  // The entry's bytes from its shard into `out` (e.size bytes), each chunk shown to
  // `on_chunk` while it is still in cache.
  void read_into(const std::string& key, const Entry& e, void* out,
                 const ChunkReader& on_chunk = {}) const {
    check_limit(key, e);
    read_file_range(shard_path(e.shard_id), e.offset, e.size, out, "tensor '" + key + "'",
                    on_chunk);
  }

  void check_crc(const std::string& key, const Entry& e, std::uint32_t crc) const {
    if (crc32c_mask(crc) != e.masked_crc32c) {
      throw Error(Errc::parse_error,
                  "tensor '" + key + "': data checksum mismatch (the shard file is corrupted)")
          .file(shard_path(e.shard_id))
          .expected("masked CRC32C " + hex32(e.masked_crc32c))
          .found(hex32(crc32c_mask(crc)));
    }
  }

  // The entry holding a partitioned tensor's bytes, if it has one slice covering everything.
  std::pair<std::string, const Entry*> whole_slice(const std::string& key, const Entry& e) const {
    const Slice& slice = slices.at(key);
    bool whole = e.num_slices == 1 &&
                 (slice.extents.empty() ||
                  slice.extents.size() == static_cast<std::size_t>(e.shape.rank()));
    for (std::size_t d = 0; whole && d < slice.extents.size(); ++d) {
      const auto [start, length] = slice.extents[d];
      whole = start == 0 && (length == -1 || length == e.shape.dims()[d]);
    }
    if (!whole) {
      throw error(Errc::unsupported, key,
                  "partitioned tensor (saved in " + std::to_string(e.num_slices) +
                      " slices) is not supported; Kiln reads only whole tensors");
    }
    // Slice keys: OrderedCode of (0, name, rank, start, length, ...); only one may match.
    const std::string prefix_key = std::string(1, '\0') + ordered_code_string(key);
    const std::pair<std::string, const Entry*>* found = nullptr;
    std::pair<std::string, const Entry*> match;
    for (auto it = slice_entries.lower_bound(prefix_key);
         it != slice_entries.end() && it->first.compare(0, prefix_key.size(), prefix_key) == 0;
         ++it) {
      if (found) throw error(Errc::parse_error, key, "more slice entries than slices");
      match = {it->first, &it->second};
      found = &match;
    }
    if (!found) throw error(Errc::parse_error, key, "the entry of its only slice is missing");
    if (match.second->tf_dtype != e.tf_dtype || match.second->shape != e.shape) {
      throw error(Errc::parse_error, key, "its slice entry disagrees on dtype or shape");
    }
    return match;
  }
};

TensorBundle TensorBundle::open(const std::string& prefix, const ImportLimits& limits) {
  auto impl = std::make_shared<Impl>();
  impl->prefix = prefix;
  impl->index_path = prefix + ".index";
  impl->limits = limits;
  const std::string& index = impl->index_path;

  const std::string bytes = read_file(index, limits.max_file_bytes, "bundle index");
  const std::vector<TableEntry> table = parse_table(bytes, index, limits);
  if (table.empty() || !table.front().key.empty()) {
    throw Error(Errc::parse_error, "bundle index has no header entry (key \"\")").file(index);
  }

  tf::BundleHeaderProto header;
  parse_binary_proto(table.front().value, header, limits, index, "bundle header");
  if (header.version().min_consumer() > kBundleVersion) {
    throw Error(Errc::unsupported, "checkpoint needs a newer bundle reader")
        .file(index)
        .expected("min_consumer <= " + std::to_string(kBundleVersion))
        .found(std::to_string(header.version().min_consumer()));
  }
  for (int bad : header.version().bad_consumers()) {
    if (bad == kBundleVersion) {
      throw Error(Errc::unsupported, "checkpoint says bundle readers of version 1 must not read it")
          .file(index);
    }
  }
  const int endianness = static_cast<int>(header.endianness());
  if (endianness != tf::BundleHeaderProto::LITTLE && endianness != tf::BundleHeaderProto::BIG) {
    throw Error(Errc::parse_error, "bundle header has an invalid endianness")
        .file(index)
        .expected("0 (little) or 1 (big)")
        .found(std::to_string(endianness));
  }
  impl->big_endian = endianness == tf::BundleHeaderProto::BIG;
  impl->num_shards = header.num_shards();
  if (impl->num_shards < 0 || impl->num_shards > kMaxShards ||
      (impl->num_shards == 0 && table.size() > 1)) {
    throw Error(Errc::parse_error, "bundle header has an invalid shard count")
        .file(index)
        .expected("1.." + std::to_string(kMaxShards))
        .found(std::to_string(impl->num_shards));
  }
  // The shard files are named from the header's count, never from a directory listing, which
  // may hold stale shards of earlier saves.
  for (int shard = 0; shard < impl->num_shards; ++shard) {
    const std::string path = impl->shard_path(shard);
    try {
      impl->shard_sizes.push_back(file_size(path));  // a directory here is an io_error
    } catch (const Error& e) {
      if (e.code() != Errc::not_found) throw;
      throw Error(Errc::not_found, "checkpoint shard file is missing (the index header says " +
                                       std::to_string(impl->num_shards) + " shards)")
          .file(path);
    }
  }

  for (std::size_t i = 1; i < table.size(); ++i) {
    const std::string& key = table[i].key;
    tf::BundleEntryProto proto;
    parse_binary_proto(table[i].value, proto, limits, index, "index entry of tensor '" + key + "'");
    Entry e;
    e.tf_dtype = static_cast<int>(proto.dtype());
    e.shard_id = proto.shard_id();
    e.offset = proto.offset();
    e.size = proto.size();
    e.masked_crc32c = proto.crc32c();
    e.num_slices = proto.slices_size();
    if (!tf_dtype_is_valid(e.tf_dtype)) {
      throw impl->error(Errc::parse_error, key, "invalid dtype")
          .expected("a TensorFlow DataType number")
          .found(tf_dtype_name(e.tf_dtype));
    }
    std::int64_t elements = 0;
    try {
      e.shape = shape_from_proto(proto.shape());
      if (!e.shape.is_fully_known()) {
        throw Error(Errc::parse_error, "shape is not fully known").found(e.shape.str());
      }
      elements = e.shape.num_elements();
    } catch (const Error& inner) {
      throw Error(inner.code(), "tensor '" + key + "': " + inner.message(), inner.context())
          .file(index);
    }

    if (e.num_slices > 0) {
      Slice slice;
      for (const auto& extent : proto.slices(0).extent()) {
        slice.extents.emplace_back(extent.start(), extent.has_length() ? extent.length() : -1);
      }
      impl->slices[key] = std::move(slice);
    } else {
      if (e.shard_id < 0 || e.shard_id >= impl->num_shards) {
        throw impl->error(Errc::parse_error, key, "shard number out of range")
            .expected("0.." + std::to_string(impl->num_shards - 1))
            .found(std::to_string(e.shard_id));
      }
      const std::int64_t shard_bytes = impl->shard_sizes[static_cast<std::size_t>(e.shard_id)];
      if (e.offset < 0 || e.size < 0 || e.offset > shard_bytes || e.size > shard_bytes - e.offset) {
        throw Error(Errc::parse_error, "tensor '" + key + "' lies past the end of its shard file")
            .file(impl->shard_path(e.shard_id))
            .expected("bytes within [0, " + std::to_string(shard_bytes) + ")")
            .found("offset " + std::to_string(e.offset) + ", size " + std::to_string(e.size));
      }
      const std::int64_t element_size = tf_dtype_size(e.tf_dtype);
      const bool fixed_size = element_size > 0 && tf_dtype_base(e.tf_dtype) != kTfString;
      if (fixed_size) {
        const bool overflows = elements > std::numeric_limits<std::int64_t>::max() / element_size;
        const std::int64_t expected = overflows ? -1 : elements * element_size;
        if (expected != e.size) {
          throw impl->error(Errc::parse_error, key, "byte size does not match shape and dtype")
              .expected(overflows ? "more bytes than 64 bits can count"
                                  : std::to_string(expected) + " bytes (" +
                                        tf_dtype_name(e.tf_dtype) + e.shape.str() + ")")
              .found(std::to_string(e.size) + " bytes");
        }
      }
    }
    if (!key.empty() && key.front() == '\0') {
      impl->slice_entries.emplace(key, std::move(e));
    } else {
      impl->entries.emplace(key, std::move(e));
    }
  }
  return TensorBundle(std::move(impl));
}

const std::string& TensorBundle::prefix() const { return impl_->prefix; }
std::string TensorBundle::index_path() const { return impl_->index_path; }
std::string TensorBundle::shard_path(int shard_id) const { return impl_->shard_path(shard_id); }
int TensorBundle::num_shards() const { return impl_->num_shards; }

std::vector<std::string> TensorBundle::keys() const {
  std::vector<std::string> keys;
  keys.reserve(impl_->entries.size());
  for (const auto& [key, entry] : impl_->entries) keys.push_back(key);
  return keys;
}

bool TensorBundle::contains(const std::string& key) const {
  return impl_->entries.count(key) > 0;
}

const TensorBundle::Entry& TensorBundle::entry(const std::string& key) const {
  return impl_->find(key);
}

Tensor TensorBundle::read(const std::string& key) const {
  const Impl& b = *impl_;
  const Entry* e = &b.find(key);
  if (tf_dtype_base(e->tf_dtype) == kTfString) {
    throw b.error(Errc::unsupported, key,
                  "is a DT_STRING tensor, and Kiln tensors hold numbers: use read_strings()");
  }
  DType dtype;
  try {
    dtype = dtype_from_tf(e->tf_dtype);
  } catch (const Error& inner) {
    throw Error(inner.code(), "tensor '" + key + "': " + inner.message(), inner.context())
        .file(b.index_path);
  }
  if (e->num_slices > 0) e = b.whole_slice(key, *e).second;

  b.check_limit(key, *e);
  // Every byte is read from the file below, or the tensor is dropped with the exception.
  Tensor tensor = Tensor::uninitialized(dtype, e->shape);
  if (static_cast<std::size_t>(e->size) != tensor.byte_size()) {
    throw b.error(Errc::internal, key, "byte size was not validated");  // open() checks it
  }
  std::uint32_t crc = 0;
  b.read_into(key, *e, tensor.raw(), [&crc](const void* bytes, std::size_t size) {
    crc = crc32c_extend(crc, bytes, size);
  });
  b.check_crc(key, *e, crc);

  auto* raw = static_cast<unsigned char*>(tensor.raw());
  const std::size_t width = dtype_size(dtype);
  if (b.big_endian && width > 1) {
    for (std::size_t i = 0; i < tensor.byte_size(); i += width) {
      for (std::size_t lo = i, hi = i + width - 1; lo < hi; ++lo, --hi) std::swap(raw[lo], raw[hi]);
    }
  }
  if (dtype == DType::boolean) {
    // Any non-zero byte is true; a C++ bool must hold exactly 0 or 1.
    for (std::size_t i = 0; i < tensor.byte_size(); ++i) raw[i] = raw[i] != 0;
  }
  return tensor;
}

std::vector<std::string> TensorBundle::read_strings(const std::string& key) const {
  const Impl& b = *impl_;
  const Entry& e = b.find(key);
  if (tf_dtype_base(e.tf_dtype) != kTfString) {
    throw b.error(Errc::type_mismatch, key, "is not a string tensor")
        .expected("DT_STRING")
        .found(tf_dtype_name(e.tf_dtype));
  }
  if (e.num_slices > 0) {
    throw b.error(Errc::unsupported, key, "partitioned string tensors are not supported");
  }
  b.check_limit(key, e);
  std::string bytes(static_cast<std::size_t>(e.size), '\0');
  b.read_into(key, e, bytes.data());
  const std::int64_t count = e.shape.num_elements();
  auto corrupt = [&](const std::string& what) {
    return Error(Errc::parse_error, "string tensor '" + key + "': " + what)
        .file(b.shard_path(e.shard_id));
  };
  if (bytes.empty() && count == 0) return {};
  // Each element takes at least one byte (its length), so this bounds the allocation below.
  if (count > static_cast<std::int64_t>(bytes.size())) {
    throw corrupt("more elements than bytes").found(std::to_string(count) + " elements in " +
                                                    std::to_string(bytes.size()) + " bytes");
  }

  // Lengths as varint64; the checksums see each as a little-endian uint32 (uint64 if larger).
  std::vector<std::uint64_t> lengths(static_cast<std::size_t>(count));
  std::uint32_t crc = 0;
  std::size_t pos = 0;
  for (std::uint64_t& length : lengths) {
    length = 0;
    bool done = false;
    for (int shift = 0; shift < 64 && pos < bytes.size() && !done; shift += 7) {
      const auto byte = static_cast<unsigned char>(bytes[pos++]);
      length |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
      done = (byte & 0x80) == 0;
    }
    if (!done) throw corrupt("malformed element length");
    unsigned char le[8];
    const std::size_t width = length > 0xFFFFFFFFu ? 8 : 4;
    for (std::size_t i = 0; i < width; ++i) le[i] = static_cast<unsigned char>(length >> (8 * i));
    crc = crc32c_extend(crc, le, width);
  }
  if (bytes.size() - pos < 4) throw corrupt("the checksum of the lengths is missing");
  std::uint32_t stored = 0;  // little-endian
  for (int i = 3; i >= 0; --i) {
    stored = (stored << 8) | static_cast<unsigned char>(bytes[pos + static_cast<std::size_t>(i)]);
  }
  if (crc32c_mask(crc) != stored) {
    throw corrupt("checksum of the element lengths does not match (corrupted shard file)")
        .expected("masked CRC32C " + hex32(stored))
        .found(hex32(crc32c_mask(crc)));
  }
  crc = crc32c_extend(crc, bytes.data() + pos, 4);
  pos += 4;

  std::uint64_t total = 0;
  for (std::uint64_t length : lengths) {
    if (length > bytes.size() - pos - total) {
      throw corrupt("element lengths add up to more bytes than the entry holds");
    }
    total += length;
  }
  if (total != bytes.size() - pos) {
    throw corrupt("element lengths do not account for every byte of the entry")
        .expected(std::to_string(bytes.size() - pos) + " bytes")
        .found(std::to_string(total) + " bytes");
  }
  crc = crc32c_extend(crc, bytes.data() + pos, bytes.size() - pos);
  b.check_crc(key, e, crc);

  std::vector<std::string> strings;
  strings.reserve(lengths.size());
  for (std::uint64_t length : lengths) {
    strings.emplace_back(bytes.data() + pos, static_cast<std::size_t>(length));
    pos += static_cast<std::size_t>(length);
  }
  return strings;
}

}  // namespace kiln
