// Files for the targets whose readers take paths (models, checkpoints): a scratch folder per
// process, and a tiny archive format that lets one fuzz input hold several files.
//
// Archive: members start with the marker "\x01KF:" followed by the member's name and a newline;
// its bytes run to the next marker or the end. Bytes before the first marker are ignored.
//   "\x01KF:saved_model.pb\n<bytes>\x01KF:variables/variables.index\n<bytes>..."
// No length fields: mutating a member's bytes never breaks the framing, so the fuzzer spends its
// time on the files, not on the archive. Names are kept inside the scratch folder (only letters,
// digits, '.', '_', '-' and '/'; no "..", no leading '/'), since the archive is hostile too.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <google/protobuf/stubs/logging.h>

namespace kiln::fuzz {

inline constexpr std::string_view kArchiveMarker = "\x01KF:";
inline constexpr std::size_t kMaxMembers = 16;

struct Member {
  std::string name;
  std::string_view bytes;
};

inline bool safe_member_name(std::string_view name) {
  if (name.empty() || name.size() > 100 || name.front() == '/' || name.back() == '/') return false;
  if (name.find("..") != std::string_view::npos || name.find("//") != std::string_view::npos) {
    return false;
  }
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-' || c == '/';
    if (!ok) return false;
  }
  return true;
}

// The members of an archive, in order; members with unsafe names are dropped.
inline std::vector<Member> split_archive(std::string_view data) {
  std::vector<Member> members;
  std::size_t at = data.find(kArchiveMarker);
  while (at != std::string_view::npos && members.size() < kMaxMembers) {
    const std::size_t name_at = at + kArchiveMarker.size();
    const std::size_t newline = data.find('\n', name_at);
    if (newline == std::string_view::npos) break;
    const std::size_t next = data.find(kArchiveMarker, newline + 1);
    const std::size_t end = next == std::string_view::npos ? data.size() : next;
    Member m{std::string(data.substr(name_at, newline - name_at)),
             data.substr(newline + 1, end - newline - 1)};
    if (safe_member_name(m.name)) members.push_back(std::move(m));
    at = next;
  }
  return members;
}

// The archive that split_archive() reads back as `members` (for seeds and tests).
inline std::string make_archive(const std::vector<std::pair<std::string, std::string>>& members) {
  std::string out;
  for (const auto& [name, bytes] : members) {
    out += std::string(kArchiveMarker) + name + "\n" + bytes;
  }
  return out;
}

// A folder of this process's own, emptied for each input (in /dev/shm when there is one: the
// readers then never wait for a disk). Removed when the process exits normally.
class ScratchDir {
 public:
  ScratchDir() {
    namespace fs = std::filesystem;
    const fs::path base =
        fs::is_directory("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
    path_ = base / ("kiln-fuzz-" + std::to_string(::getpid()));
    fs::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

  // Empties the folder and writes `members` into it.
  void fill(const std::vector<Member>& members) const {
    clear();
    for (const Member& m : members) write(m.name, m.bytes);
  }

  // Writes one file (creating its folders); returns its path.
  std::string write(const std::string& name, std::string_view bytes) const {
    const std::filesystem::path file = path_ / name;
    std::error_code ignored;
    std::filesystem::create_directories(file.parent_path(), ignored);
    std::ofstream(file, std::ios::binary | std::ios::trunc)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return file.string();
  }

  void clear() const {
    std::error_code ignored;
    for (const auto& entry : std::filesystem::directory_iterator(path_, ignored)) {
      std::filesystem::remove_all(entry.path(), ignored);
    }
  }

 private:
  std::filesystem::path path_;
};

// Protobuf logs every proto3 string that is not UTF-8 (and a few other things) to stderr; on
// mutated input that is most inputs, and the logging costs more than the parse. Kiln reports
// these problems itself, so the targets drop protobuf's log.
inline void silence_protobuf_logging() {
  google::protobuf::SetLogHandler(nullptr);  // FATAL messages still abort
}

}  // namespace kiln::fuzz
