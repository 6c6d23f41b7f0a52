// -O0, -O1, -O2: the optimization level flags that `kiln opt` and `kiln run` share.
//
// The argument parser reads "-O2" as a switch named "O2". These helpers register the three
// levels, turn them into one level name, and report a mistyped level ("-O7", "-O") as what it
// is rather than as some unknown flag.
#pragma once

#include <set>
#include <string>

#include "args.hpp"

namespace kiln::cli {

inline const char* const kLevels[] = {"O0", "O1", "O2"};

// Args with the level switches added to `switches`.
inline Args args_with_levels(int argc, char** argv, int first, const std::set<std::string>& valued,
                             std::set<std::string> switches) {
  for (const char* level : kLevels) switches.insert(level);
  try {
    return Args(argc, argv, first, valued, switches);
  } catch (const Error& e) {
    const std::string& flag = e.context().input;
    const std::size_t dashes = flag.rfind("--", 0) == 0 ? 2 : 1;
    if (flag.size() > dashes && flag[dashes] == 'O') {
      throw Error(Errc::invalid_argument, "unknown optimization level")
          .expected("-O0, -O1 or -O2")
          .found(flag);
    }
    throw;
  }
}

// The level the flags ask for ("O0", "O1" or "O2"); O2 when none is given.
inline std::string chosen_level(const Args& args) {
  std::string chosen;
  for (const char* level : kLevels) {
    if (!args.has(level)) continue;
    if (!chosen.empty()) {
      throw Error(Errc::invalid_argument, "give one optimization level")
          .found("-" + chosen + " and -" + level);
    }
    chosen = level;
  }
  return chosen.empty() ? "O2" : chosen;
}

inline bool has_level_flag(const Args& args) {
  for (const char* level : kLevels) {
    if (args.has(level)) return true;
  }
  return false;
}

}  // namespace kiln::cli
