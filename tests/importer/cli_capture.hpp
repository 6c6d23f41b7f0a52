// Running a `kiln` command in-process, as main() would, and capturing what it prints.
#pragma once

#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "../../examples/kiln/args.hpp"

namespace kiln::test {

// Parses `words` with the command's own parser (`parse(argc, argv, first)` -> cli::Args), runs
// `command` on them and returns its stdout; std::cout is restored even when the command throws.
template <class Command, class Parser>
std::string capture_cli(Command command, Parser parse, std::vector<std::string> words) {
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  const cli::Args args = parse(static_cast<int>(argv.size()), argv.data(), 0);
  std::ostringstream out;
  std::streambuf* saved = std::cout.rdbuf(out.rdbuf());
  try {
    command(args);
  } catch (...) {
    std::cout.rdbuf(saved);
    throw;
  }
  std::cout.rdbuf(saved);
  return out.str();
}

}  // namespace kiln::test
