// The `kiln` program's command line: six commands, each with its flags and help, parsed with
// CLI11 into the commands' flag structs, then run. main() turns what a run throws into the exit
// code; the tests run commands through here too, so they parse exactly as the program does.
#pragma once

#include <algorithm>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "bench.hpp"
#include "flags.hpp"
#include "opt.hpp"
#include "quantize.hpp"
#include "report.hpp"
#include "run.hpp"
#include "show.hpp"

#if !defined(KILN_TOOL_VERSION)
#error "KILN_TOOL_VERSION, the project's version, comes from cmake/KilnToolDependencies.cmake"
#endif

namespace kiln::cli {

// The exit codes, as `kiln --help` and the README list them.
inline constexpr int kExitSuccess = 0;
inline constexpr int kExitFailure = 1;  // a kiln::Error: a bad model or input, a failed pass
inline constexpr int kExitUsage = 2;    // a command line that does not parse (UsageError)

inline constexpr const char* kFooter =
    "MODEL is a SavedModel folder or a frozen GraphDef file (.pb / .pbtxt).\n"
    "Run `kiln COMMAND --help` for a command's flags.\n"
    "\n"
    "exit codes:\n"
    "  0  success\n"
    "  1  an error in the model, the inputs or a file (or an optimizer pass failed)\n"
    "  2  bad usage: an unknown command or flag, a missing or malformed argument, flags that\n"
    "     conflict\n";

class CommandLine {
 public:
  CommandLine() : app_("Inspect, run, optimize and time TensorFlow models with Kiln.", "kiln") {
    app_.get_formatter()->label("Usage", "usage");
    app_.set_version_flag("--version", std::string("kiln ") + KILN_TOOL_VERSION);
    app_.require_subcommand(1);
    app_.footer(kFooter);
    commands_ = {{add_show_command(app_, show_), [this] { return show(show_); }},
                 {add_run_command(app_, run_), [this] { return run(run_); }},
                 {add_opt_command(app_, opt_), [this] { return opt(opt_); }},
                 {add_bench_command(app_, bench_), [this] { return bench(bench_); }},
                 {add_report_command(app_, report_), [this] { return report(report_); }},
                 {add_quantize_command(app_, quantize_), [this] { return quantize_command(quantize_); }}};
  }
  // The commands' flags are bound to members by address.
  CommandLine(const CommandLine&) = delete;
  CommandLine& operator=(const CommandLine&) = delete;

  // Parses `words` (the arguments after the program's name) and runs the command they name;
  // returns the exit code. Help and the version are printed here. Throws UsageError for a
  // command line that does not parse, and kiln::Error for what the command finds wrong.
  // A CommandLine parses once: CLI11 leaves the flags of one parse in place for the next.
  int execute(std::vector<std::string> words) {
    if (words.empty()) {
      std::cout << app_.help();
      return kExitUsage;
    }
    const Command* named = find(words.front());
    if (!named && words.front().rfind('-', 0) != 0) {
      throw UsageError(Error(Errc::invalid_argument, "unknown command")
                           .expected("show, run, opt, bench, report or quantize")
                           .found(words.front()));
    }
    if (named && words.size() == 1) {  // `kiln opt`: what it takes, not an error about MODEL
      std::cerr << named->app->help(app_.get_name());
      return kExitUsage;
    }
    std::reverse(words.begin(), words.end());  // CLI11 takes the last argument first
    try {
      app_.parse(words);
    } catch (const CLI::CallForHelp&) {
      std::cout << app_.help();  // the chosen command's, if one was named
      return kExitSuccess;
    } catch (const CLI::CallForVersion& version) {
      std::cout << version.what() << "\n";
      return kExitSuccess;
    } catch (const CLI::ParseError& e) {
      throw UsageError(Error(Errc::invalid_argument, e.what()));
    }
    for (const Command& command : commands_) {
      if (command.app->parsed()) return command.run();
    }
    return kExitUsage;  // unreachable: CLI11 requires one command
  }

  // The command named on the command line ("" if none was), to point at its --help.
  std::string command_name() const {
    for (const Command& command : commands_) {
      if (command.app->parsed()) return command.app->get_name();
    }
    return "";
  }

 private:
  struct Command {
    CLI::App* app;
    std::function<int()> run;
  };

  const Command* find(const std::string& name) const {
    for (const Command& command : commands_) {
      if (command.app->get_name() == name) return &command;
    }
    return nullptr;
  }

  CLI::App app_;
  ShowFlags show_;
  RunFlags run_;
  OptFlags opt_;
  BenchFlags bench_;
  ReportFlags report_;
  QuantizeFlags quantize_;
  std::vector<Command> commands_;
};

}  // namespace kiln::cli
