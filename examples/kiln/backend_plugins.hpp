// Backends the kiln tool loads only when asked for: `cuda`.
//
// Linking cuBLASLt into a program runs its static initializers at every start, GPU or not:
// about 0.4 s and 200 MiB of resident memory before main(), which every `kiln` command (and the
// time-to-first-result and peak-RSS columns of the peer benchmark) would pay. So the tool is not
// linked to kiln::cuda; the build puts the backend beside it as a plugin,
// libkiln_cuda_backend.so, which registers itself when loaded (as kernels/cuda/register_backend.cpp
// does in a program that links it). The tool exports its symbols (ENABLE_EXPORTS), so the
// plugin registers into the tool's own registry. Programs that embed Kiln link kiln::cuda and
// need none of this.
#pragma once

#include <dlfcn.h>
#include <unistd.h>

#include <array>
#include <string>

#include <kiln/backend.hpp>

namespace kiln::cli {

// The folder of the running program ("" if unknown).
inline std::string program_folder() {
  std::array<char, 4096> path{};
  const ssize_t n = readlink("/proc/self/exe", path.data(), path.size() - 1);
  if (n <= 0) return "";
  std::string text(path.data(), static_cast<std::size_t>(n));
  return text.substr(0, text.rfind('/') + 1);
}

// Set by the tool's main(): programs that run the tool's commands in-process (its tests) link
// the backends they need and load nothing.
inline bool& backend_plugins_enabled() {
  static bool enabled = false;
  return enabled;
}

// Loads backend `name`'s plugin if the program lacks that backend and the plugin lies beside
// the program (the build puts it there). Returns why it could not, or "" when there is no plugin
// or the backend is there now. A plugin that does not load is reported, not hidden: a CUDA
// library missing on this machine shows as the loader's message.
inline std::string load_backend_plugin(const std::string& name) {
  if (!backend_plugins_enabled() || find_backend(name) != nullptr) return "";
  const std::string plugin = program_folder() + "libkiln_" + name + "_backend.so";
  if (access(plugin.c_str(), F_OK) != 0) return "";
  if (dlopen(plugin.c_str(), RTLD_NOW | RTLD_GLOBAL) == nullptr) {
    const char* why = dlerror();
    return plugin + ": " + (why ? why : "cannot be loaded");
  }
  if (find_backend(name) == nullptr) return plugin + " loaded but registered no backend '" + name + "'";
  return "";
}

// Every plugin there is, for listings of all backends (`kiln show --ops`).
inline void load_all_backend_plugins() { load_backend_plugin("cuda"); }

}  // namespace kiln::cli
