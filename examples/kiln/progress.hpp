// A one-line progress report on stderr, rewritten in place with '\r', shown only when stderr is
// a terminal: logs, pipes and captured output never see it.
#pragma once

#include <cstdio>
#include <string>

#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>
#endif

namespace kiln::cli {

class Progress {
 public:
  Progress() {
#if defined(__unix__) || defined(__APPLE__)
    shown_ = isatty(STDERR_FILENO) == 1;
#endif
  }
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  ~Progress() { clear(); }

  // "[optimized] warmup 3/5": replaces whatever the line said before.
  void update(const std::string& what, int done, int total) {
    if (!shown_) return;
    const std::string text = what + " " + std::to_string(done) + "/" + std::to_string(total);
    std::fprintf(stderr, "\r%-*s", static_cast<int>(width_), text.c_str());
    std::fflush(stderr);
    if (text.size() > width_) width_ = text.size();
  }

  // Blanks the line, so that what is printed next starts clean.
  void clear() {
    if (!shown_ || width_ == 0) return;
    std::fprintf(stderr, "\r%*s\r", static_cast<int>(width_), "");
    std::fflush(stderr);
    width_ = 0;
  }

 private:
  bool shown_ = false;
  std::size_t width_ = 0;
};

}  // namespace kiln::cli
