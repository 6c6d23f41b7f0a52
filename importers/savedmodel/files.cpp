#include "savedmodel/files.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <kiln/core/error.hpp>

#if defined(__unix__) || defined(__APPLE__)
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#define KILN_FILES_HAVE_PREAD 1
#else
#define KILN_FILES_HAVE_PREAD 0
#endif

namespace kiln::importer {

namespace fs = std::filesystem;

bool is_regular_file(const std::string& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec);
}

std::int64_t file_size(const std::string& path) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (status.type() == fs::file_type::not_found) {
    throw Error(Errc::not_found, "no such file").file(path);
  }
  if (ec) throw Error(Errc::io_error, "cannot inspect the file: " + ec.message()).file(path);
  if (status.type() == fs::file_type::directory) {
    throw Error(Errc::io_error, "is a directory, not a file").file(path);
  }
  if (status.type() != fs::file_type::regular) {
    throw Error(Errc::io_error, "is not a regular file").file(path);
  }
  const std::uintmax_t size = fs::file_size(path, ec);
  if (ec) throw Error(Errc::io_error, "cannot read the file size: " + ec.message()).file(path);
  return static_cast<std::int64_t>(size);
}

std::string read_file(const std::string& path, std::int64_t max_bytes, const std::string& what) {
  const std::int64_t size = file_size(path);
  if (size > max_bytes) {
    throw Error(Errc::limit_exceeded, what + " file is larger than the import limit")
        .file(path)
        .expected("at most " + std::to_string(max_bytes) + " bytes (ImportLimits::max_file_bytes)")
        .found(std::to_string(size) + " bytes");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(Errc::io_error, "cannot open " + what + " file").file(path);
  std::string bytes(static_cast<std::size_t>(size), '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(size));
  if (in.gcount() != static_cast<std::streamsize>(size)) {
    throw Error(Errc::io_error, "cannot read the whole " + what + " file (did it shrink?)")
        .file(path)
        .expected(std::to_string(size) + " bytes")
        .found(std::to_string(in.gcount()) + " bytes");
  }
  return bytes;
}

void read_file_range(const std::string& path, std::int64_t offset, std::int64_t size, void* out,
                     const std::string& what, const ChunkReader& on_chunk) {
  const std::int64_t file_bytes = file_size(path);
  if (offset < 0 || size < 0 || offset > file_bytes || size > file_bytes - offset) {
    throw Error(Errc::parse_error, what + " lies past the end of the file")
        .file(path)
        .expected("bytes within [0, " + std::to_string(file_bytes) + ")")
        .found("bytes [" + std::to_string(offset) + ", " + std::to_string(offset) + " + " +
               std::to_string(size) + ")");
  }
  if (size == 0) return;
  // A quarter of a typical L2 cache: the bytes are still there when on_chunk reads them.
  constexpr std::int64_t kChunkBytes = std::int64_t{256} << 10;
  auto* bytes = static_cast<char*>(out);
  const auto shrunk = [&] {
    return Error(Errc::io_error, "cannot read " + what + " (did the file shrink?)").file(path);
  };
#if KILN_FILES_HAVE_PREAD
  // One open and positioned reads straight into `out`: no stream buffer, no second copy.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(Errc::io_error, "cannot open the file to read " + what).file(path);
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  for (std::int64_t done = 0; done < size;) {
    const auto want = static_cast<std::size_t>(std::min(size - done, kChunkBytes));
    const ssize_t got = ::pread(fd, bytes + done, want, static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      throw Error(Errc::io_error, "cannot read " + what + ": " + std::strerror(errno)).file(path);
    }
    if (got == 0) throw shrunk();
    if (on_chunk) on_chunk(bytes + done, static_cast<std::size_t>(got));
    done += got;
  }
#else
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(Errc::io_error, "cannot open the file to read " + what).file(path);
  in.seekg(static_cast<std::streamoff>(offset));
  for (std::int64_t done = 0; done < size;) {
    const std::int64_t want = std::min(size - done, kChunkBytes);
    in.read(bytes + done, static_cast<std::streamsize>(want));
    if (!in || in.gcount() != static_cast<std::streamsize>(want)) throw shrunk();
    if (on_chunk) on_chunk(bytes + done, static_cast<std::size_t>(want));
    done += want;
  }
#endif
}

}  // namespace kiln::importer
