// The `kiln` command-line tool.
//
//   kiln show DIR [--all] [--tag_set T] [--signature_def S] [--json]
//   kiln run  DIR [--signature_def S] --inputs name=file.npy[,...] --outdir O [-O0|-O1|-O2]
//             [--backend cpu|reference] [--threads N]
//   kiln opt  DIR [--passes LIST | -O0|-O1|-O2] [--stats] [--print-ir-after-change] [--json] ...
//   kiln bench DIR [--batch N] [--threads T] [--runs R] [-O0|-O1|-O2|--compare] [--json F] ...
//
// DIR is a SavedModel folder; a frozen GraphDef file (.pb, .pbtxt) works too.
#include <iostream>

#include "args.hpp"
#include "bench.hpp"
#include "opt.hpp"
#include "run.hpp"
#include "show.hpp"

namespace {

constexpr const char* kUsage =
    "usage: kiln <command> MODEL [flags]\n"
    "\n"
    "commands:\n"
    "  show   list a model's tag sets and signatures (saved_model_cli style, or --json)\n"
    "  run    run a signature on .npy inputs and write one .npy per output\n"
    "  opt    optimize a model pass by pass: statistics, IR dumps, DOT files, memory plan\n"
    "  bench  time a model: session creation, first and steady runs, eager vs optimized\n"
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
      return kiln::cli::run(kiln::cli::run_args(argc, argv, 2));
    }
    if (command == "opt") return kiln::cli::opt(kiln::cli::opt_args(argc, argv, 2));
    if (command == "bench") return kiln::cli::bench(kiln::cli::parse_bench_args(argc, argv, 2));
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
