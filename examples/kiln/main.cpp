// The `kiln` command-line tool.
//
//   kiln show  MODEL [--all] [--tag_set T] [--signature_def S] [--json]
//   kiln run   MODEL --inputs name=file.npy[,...] --outdir O [-O0|-O1|-O2] [--backend B] ...
//   kiln opt   MODEL [--passes LIST | -O0|-O1|-O2] [--stats] [--print-ir-after-change] [--json] ...
//   kiln bench MODEL [--batch N] [--threads T] [--runs R] [-O0|-O1|-O2] [--compare] [--json F] ...
//   kiln report MODEL -o report.html [-O0|-O1|-O2|--passes LIST] [--batch N] [--inputs ...]
//   kiln quantize MODEL --calibration DIR -o OUT [--method minmax|percentile] [--batch N] ...
//   kiln --version
//
// MODEL is a SavedModel folder; a frozen GraphDef file (.pb, .pbtxt) works too. `kiln COMMAND
// --help` lists a command's flags. Exit codes: 0 success, 1 a kiln::Error, 2 bad usage.
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "commands.hpp"

int main(int argc, char** argv) {
  kiln::cli::backend_plugins_enabled() = true;  // --backend cuda loads its plugin
  kiln::cli::CommandLine command_line;
  try {
    return command_line.execute(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const kiln::cli::UsageError& e) {
    const std::string command = command_line.command_name();
    std::cerr << "kiln: " << e.what() << "\n"
              << "Run `kiln " << (command.empty() ? "" : command + " ") << "--help` for help.\n";
    return kiln::cli::kExitUsage;
  } catch (const std::exception& e) {  // kiln::Error, and what the standard library throws
    std::cerr << "kiln: " << e.what() << "\n";
    return kiln::cli::kExitFailure;
  }
}
