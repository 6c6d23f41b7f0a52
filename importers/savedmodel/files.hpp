// Reading files for the importer: existence, type and size checks first, then the bytes, with
// every failure a kiln::Error that names the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace kiln::importer {

// True if `path` names an existing regular file (or a symlink to one).
bool is_regular_file(const std::string& path);

// The size of a regular file. Errc::not_found if it does not exist, Errc::io_error if it is a
// directory or something else that is not a plain file.
std::int64_t file_size(const std::string& path);

// The whole file, if it holds at most `max_bytes` bytes (else Errc::limit_exceeded).
// `what` says what the file is for the error messages ("SavedModel", "bundle index", ...).
std::string read_file(const std::string& path, std::int64_t max_bytes, const std::string& what);

// Sees each chunk of a range as it arrives: `bytes` points into the caller's buffer.
using ChunkReader = std::function<void(const void* bytes, std::size_t size)>;

// Bytes [offset, offset + size) of a file into `out`, which must hold `size` bytes.
// Errc::parse_error if the range runs past the end of the file. The range is read in chunks
// small enough to stay in the processor's cache, and `on_chunk`, if given, sees each one right
// after it arrives: a checksum then costs no second trip through memory.
void read_file_range(const std::string& path, std::int64_t offset, std::int64_t size, void* out,
                     const std::string& what, const ChunkReader& on_chunk = {});

}  // namespace kiln::importer
