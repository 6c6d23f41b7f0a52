// Command-line arguments: one command, positional arguments, and --flags.
//
// Flags take their value as "--name value" or "--name=value"; flags listed as switches take none.
// Anything else that starts with "-" and is not known is an error, so a typo never passes silently.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include <kiln/core/error.hpp>

namespace kiln::cli {

class Args {
 public:
  // `valued`: flags that take a value; `switches`: flags that do not.
  Args(int argc, char** argv, int first, const std::set<std::string>& valued,
       const std::set<std::string>& switches) {
    for (int i = first; i < argc; ++i) {
      std::string arg = argv[i];
      if (arg.size() < 2 || arg[0] != '-') {
        positional_.push_back(arg);
        continue;
      }
      std::string name = arg.substr(arg[1] == '-' ? 2 : 1);
      std::string value;
      const std::size_t eq = name.find('=');
      const bool inline_value = eq != std::string::npos;
      if (inline_value) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
      }
      if (switches.count(name) && !inline_value) {
        flags_[name] = "";
      } else if (valued.count(name)) {
        if (!inline_value) {
          if (i + 1 >= argc) throw Error(Errc::invalid_argument, "flag needs a value").input(arg);
          value = argv[++i];
        }
        flags_[name] = value;
      } else {
        throw Error(Errc::invalid_argument, "unknown flag").input(arg);
      }
    }
  }

  const std::vector<std::string>& positional() const { return positional_; }
  bool has(const std::string& flag) const { return flags_.count(flag) > 0; }
  std::string get(const std::string& flag, const std::string& fallback = "") const {
    auto it = flags_.find(flag);
    return it == flags_.end() ? fallback : it->second;
  }

 private:
  std::vector<std::string> positional_;
  std::map<std::string, std::string> flags_;
};

// "a,b,c" -> {"a", "b", "c"}; empty pieces are dropped.
inline std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::string current;
  for (char c : text) {
    if (c == separator) {
      if (!current.empty()) parts.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  if (!current.empty()) parts.push_back(current);
  return parts;
}

}  // namespace kiln::cli
