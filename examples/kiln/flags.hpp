// What several commands share on their command lines: the model they read, the backend and the
// threads they run with, and how a command line that makes no sense is reported.
//
// The flags are parsed by CLI11 into plain structs, one per command (ShowFlags, RunFlags, ...);
// the helpers here add the flags that several of those structs share.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include <kiln/backend.hpp>
#include <kiln/core/error.hpp>

#include "backend_plugins.hpp"

namespace kiln::cli {

// A command line that does not parse, or that asks for something that does not exist: `kiln`
// exits with 2 for it, not 1. It is still a kiln::Error, with its message and context, so code
// that catches kiln::Error sees it too. It is made from a finished Error because Error's fluent
// setters return Error&: `throw UsageError(Error(...).found(x))` throws a UsageError, while
// `throw UsageError(...).found(x)` would throw a plain Error.
class UsageError : public Error {
 public:
  explicit UsageError(const Error& error) : Error(error) {}
};

// Calls `convert`, which turns a flag's text into a value with one of Kiln's own functions, and
// reports what it throws as a UsageError: the command line named something that does not exist.
template <class Convert>
auto from_command_line(Convert convert) -> decltype(convert()) {
  try {
    return convert();
  } catch (const UsageError&) {
    throw;
  } catch (const Error& e) {
    throw UsageError(e);
  }
}

// CLI11's range check, without CLI11's note of the range after the value's name in --help
// ("N:INT in [1 - 100]"); a value outside the range is refused with the range in the message.
inline CLI::Validator in_range(std::int64_t low, std::int64_t high) {
  return CLI::Range(low, high).description("");
}

// The model a command reads, and which graph of it.
struct ModelFlags {
  std::string path;           // a SavedModel folder or a frozen GraphDef file
  std::string tag_set;        // comma-separated; empty: the loader's default (serve)
  std::string signature_def;  // empty: the command's default
  std::string outputs;        // frozen graphs only: node[:k],...; empty: the graph's sinks
};

// MODEL, --signature_def and --tag_set; `signature_help` says what the command does without one.
inline void add_model_flags(CLI::App& command, ModelFlags& model,
                            const std::string& signature_help) {
  command.add_option("MODEL", model.path,
                     "a SavedModel folder or a frozen GraphDef file (.pb, .pbtxt)")
      ->required()
      ->type_name("");
  command.add_option("--signature_def", model.signature_def, signature_help)->type_name("S");
  command.add_option("--tag_set", model.tag_set,
                     "MetaGraphDef tag set, comma-separated (default serve)")
      ->type_name("T");
}

inline void add_outputs_flag(CLI::App& command, ModelFlags& model) {
  command.add_option("--outputs", model.outputs,
                     "a frozen graph's outputs, node[:k],... (default: the nodes nothing consumes)")
      ->type_name("LIST");
}

inline void add_backend_flag(CLI::App& command, std::string& backend) {
  command.add_option("--backend", backend, "cpu (oneDNN), cuda (a GPU), when built in, or reference")
      ->type_name("B")
      ->capture_default_str();
}

// The backend named by --backend, loading its plugin if it has one (backend_plugins.hpp); one
// this program lacks is a usage error as well.
inline Backend chosen_backend(const std::string& name) {
  return from_command_line([&] {
    const std::string plugin_failure = load_backend_plugin(name);
    if (!plugin_failure.empty()) {
      throw Error(Errc::unsupported, "backend '" + name + "': its plugin did not load")
          .found(plugin_failure);
    }
    const Backend backend = backend_from_name(name);
    require_backend(backend);
    return backend;
  });
}

inline void add_threads_flag(CLI::App& command, int& threads) {
  command.add_option("--threads", threads, "threads per run, 0 to 4096; 0 = all cores")
      ->type_name("N")
      ->check(in_range(0, 4096))
      ->capture_default_str();
}

inline void add_precision_flag(CLI::App& command, std::string& precision) {
  command
      .add_option("--precision", precision,
                  "f32, or bf16: convolutions and products with constant weights compute in\n"
                  "bfloat16 (CPUs with AVX512_BF16 or AMX); the outputs are then compared with\n"
                  "a float32 compile of the model on the same inputs")
      ->type_name("P")
      ->check(CLI::IsMember({"f32", "bf16"}))
      ->capture_default_str();
}

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
