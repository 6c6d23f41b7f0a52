// -O0, -O1, -O2: the optimization level flags that `kiln run`, `opt` and `bench` share.
//
// CLI11 reads "-O2" as the short flag -O with the value 2. Every -O given is kept, so that two
// levels, or one that does not exist ("-O7"), are reported as what they are.
#pragma once

#include <string>
#include <vector>

#include "flags.hpp"

namespace kiln::cli {

inline void add_level_flag(CLI::App& command, std::vector<std::string>& levels) {
  command.add_option("-O", levels, "the optimization level: -O0, -O1 or -O2 (default -O2)")
      ->type_name("LEVEL")
      ->allow_extra_args(false);  // -O1 MODEL: MODEL is not a second level
}

// The level the flags ask for ("O0", "O1" or "O2"); O2 when none is given.
inline std::string chosen_level(const std::vector<std::string>& levels) {
  for (const std::string& level : levels) {
    if (level != "0" && level != "1" && level != "2") {
      throw UsageError(Error(Errc::invalid_argument, "unknown optimization level")
                           .expected("-O0, -O1 or -O2")
                           .found("-O" + level));
    }
  }
  if (levels.size() > 1) {
    throw UsageError(Error(Errc::invalid_argument, "give one optimization level")
                         .found("-O" + levels[0] + " and -O" + levels[1]));
  }
  return "O" + (levels.empty() ? std::string("2") : levels.front());
}

}  // namespace kiln::cli
