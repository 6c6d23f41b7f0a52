// The backends a program has, by name.
//
// Each backend describes itself with a BackendDef (kernels/backend_def.hpp) and registers it
// here. `reference` is always there; `cpu` registers itself when the program links kiln::onednn
// (kernels/cpu/register_backend.cpp), and a later backend ("cuda") does the same with its own
// target. Nothing in Kiln's headers depends on which backends were built, so every part of a
// program sees the same definitions whatever each part linked.
//
//   for (const kiln::BackendDef* b : kiln::registered_backends())
//     std::cout << b->name << ": " << b->ops().size() << " kernels\n";
#pragma once

#include <algorithm>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "kernels/backend_def.hpp"
#include "kernels/reference/backend.hpp"

namespace kiln {

namespace detail {

class BackendRegistry {
 public:
  static BackendRegistry& instance() {
    static BackendRegistry registry;
    return registry;
  }

  bool add(BackendDef def) {
    if (def.name.empty() || def.kernels == nullptr) {
      throw Error(Errc::invalid_argument, "a backend needs a name and a kernel table")
          .found(def.name.empty() ? "no name" : "backend '" + def.name + "' without kernels");
    }
    std::lock_guard<std::mutex> lock(mutex_);
    return backends_.try_emplace(def.name, std::move(def)).second;
  }

  const BackendDef* find(std::string_view name) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = backends_.find(name);
    return it == backends_.end() ? nullptr : &it->second;
  }

  std::vector<const BackendDef*> all() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<const BackendDef*> list;
    for (const auto& entry : backends_) list.push_back(&entry.second);
    return list;
  }

 private:
  BackendRegistry() { backends_.try_emplace("reference", reference::backend_def()); }

  mutable std::mutex mutex_;
  // Entries are never changed or removed, so pointers to them stay valid for the program's life.
  std::map<std::string, BackendDef, std::less<>> backends_;
};

}  // namespace detail

// Adds a backend. Returns false, and changes nothing, when one of that name is there already:
// several libraries of one program may each register the same backend.
inline bool register_backend(BackendDef def) {
  return detail::BackendRegistry::instance().add(std::move(def));
}

// The backend registered under `name`, or null.
inline const BackendDef* find_backend(std::string_view name) {
  return detail::BackendRegistry::instance().find(name);
}

// Every registered backend, the most preferred first (ties by name).
inline std::vector<const BackendDef*> registered_backends() {
  std::vector<const BackendDef*> list = detail::BackendRegistry::instance().all();
  std::stable_sort(list.begin(), list.end(), [](const BackendDef* a, const BackendDef* b) {
    return a->preference > b->preference;
  });
  return list;
}

}  // namespace kiln
