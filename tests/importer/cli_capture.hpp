// Running a `kiln` command in-process, as main() would, and capturing what it prints.
#pragma once

#include <catch2/catch.hpp>

#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "../../examples/kiln/commands.hpp"

namespace kiln::test {

// Runs `kiln` with `words` (what follows the program's name: {"opt", MODEL, "--json"}) and
// returns what it printed on stdout; std::cout is restored even when the command throws. Errors
// are thrown, not turned into exit codes: cli::UsageError for a command line that does not
// parse, kiln::Error for the rest.
inline std::string capture_cli(std::vector<std::string> words) {
  std::ostringstream out;
  std::streambuf* saved = std::cout.rdbuf(out.rdbuf());
  try {
    cli::CommandLine().execute(std::move(words));
  } catch (...) {
    std::cout.rdbuf(saved);
    throw;
  }
  std::cout.rdbuf(saved);
  return out.str();
}

// capture_cli with the command's name in front of `words`.
inline std::string capture_cli(const std::string& command, std::vector<std::string> words) {
  words.insert(words.begin(), command);
  return capture_cli(std::move(words));
}

// `kiln words` is refused as bad usage (cli::UsageError: exit code 2), with a message that
// names every one of `parts`. Any other error fails the test.
inline void require_usage_error(std::vector<std::string> words,
                                const std::vector<std::string>& parts) {
  std::string command_line = "kiln";
  for (const std::string& w : words) command_line += " " + w;
  INFO(command_line);
  try {
    capture_cli(std::move(words));
  } catch (const cli::UsageError& e) {
    INFO("usage error: " << e.what());
    for (const std::string& part : parts) CHECK_THAT(std::string(e.what()), Catch::Contains(part));
    return;
  }
  FAIL("expected a usage error, but nothing was thrown");
}

}  // namespace kiln::test
