// The `kiln` command-line tool.
//
//   kiln show DIR [--all] [--tag_set T] [--signature_def S] [--json]
//   kiln run  DIR [--signature_def S] --inputs name=file.npy[,...] --outdir O
//
// DIR is a SavedModel folder; a frozen GraphDef file (.pb, .pbtxt) works too.
#include <iostream>

#include "args.hpp"
#include "run.hpp"
#include "show.hpp"

namespace {

constexpr const char* kUsage =
    "usage: kiln <command> MODEL [flags]\n"
    "\n"
    "commands:\n"
    "  show   list a model's tag sets and signatures (saved_model_cli style, or --json)\n"
    "  run    run a signature on .npy inputs and write one .npy per output\n"
    "\n"
    "MODEL is a SavedModel folder or a frozen GraphDef file (.pb / .pbtxt).\n"
    "Run `kiln <command>` without arguments for its flags.\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    std::cout << kUsage;
    return argc < 2 ? 2 : 0;
  }
  const std::string command = argv[1];
  try {
    if (command == "show") {
      return kiln::cli::show(kiln::cli::Args(argc, argv, 2, {"tag_set", "signature_def"}, {"all", "json"}));
    }
    if (command == "run") {
      return kiln::cli::run(kiln::cli::Args(
          argc, argv, 2, {"tag_set", "signature_def", "inputs", "outputs", "outdir"}, {}));
    }
    std::cerr << "kiln: unknown command '" << command << "'\n\n" << kUsage;
    return 2;
  } catch (const kiln::Error& e) {
    std::cerr << "kiln: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "kiln: " << e.what() << "\n";
    return 1;
  }
}
