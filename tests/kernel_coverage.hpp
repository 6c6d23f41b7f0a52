// The walk of the op catalogue against backends' kernel tables, shared by the unit tests (the
// reference kernels) and the cpu tests (reference and oneDNN side by side). Each backend is
// given as the set of op names its table serves, so pointing the walk at a backend registry
// means only building that set differently.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include <kiln/core/ops.hpp>

namespace kiln::test {

struct BackendKernels {
  std::string name;
  std::set<std::string, std::less<>> ops;  // the ops its kernel table serves
};

// The names a kernel table (any map keyed by op name) serves.
template <class Table> BackendKernels backend_kernels(std::string name, const Table& table) {
  BackendKernels b{std::move(name), {}};
  for (const auto& entry : table) b.ops.insert(entry.first);
  return b;
}

// Why an op needs no kernel on any backend, or "" when every backend must be able to run it.
inline std::string no_kernel_reason(const OpDef& def) {
  if (def.forwards_inputs) return "forwards its inputs' bytes";
  if (!def.regions.empty()) return "control flow: the interpreters run its regions";
  return def.no_kernel_reason;
}

// One line per catalogue op: which backends serve it, or why none need to.
struct CoverageRow {
  std::string op;
  std::vector<bool> served;  // one per backend, in the order given
  std::string no_kernel_reason;
};

inline std::vector<CoverageRow> kernel_coverage(const std::vector<BackendKernels>& backends) {
  std::vector<CoverageRow> rows;
  for (const auto& [name, def] : op_catalogue().all()) {
    CoverageRow row{name, {}, no_kernel_reason(def)};
    for (const BackendKernels& b : backends) row.served.push_back(b.ops.count(name) > 0);
    rows.push_back(std::move(row));
  }
  return rows;
}

// The catalogue ops that backend `index` must run but has no kernel for.
inline std::vector<std::string> missing_kernels(const std::vector<CoverageRow>& rows,
                                                std::size_t index) {
  std::vector<std::string> missing;
  for (const CoverageRow& row : rows) {
    if (!row.served.at(index) && row.no_kernel_reason.empty()) missing.push_back(row.op);
  }
  return missing;
}

// Table entries for ops the catalogue does not have: a misspelt or removed op.
inline std::vector<std::string> unknown_ops(const BackendKernels& backend) {
  std::vector<std::string> unknown;
  for (const std::string& op : backend.ops) {
    if (!op_catalogue().find(op)) unknown.push_back(op);
  }
  return unknown;
}

// A fixed-width table: op, an x under each backend that serves it, the reason when none must.
inline std::string coverage_table(const std::vector<BackendKernels>& backends,
                                  const std::vector<CoverageRow>& rows) {
  std::size_t width = 2;
  for (const CoverageRow& row : rows) width = std::max(width, row.op.size());
  auto pad = [](std::string text, std::size_t n) {
    text.resize(std::max(text.size(), n), ' ');
    return text;
  };
  std::string out;
  auto end_line = [&out] {
    out.erase(out.find_last_not_of(' ') + 1);
    out += '\n';
  };
  out += pad("op", width);
  for (const BackendKernels& b : backends) out += "  " + b.name;
  end_line();
  std::vector<int> counts(backends.size(), 0);
  for (const CoverageRow& row : rows) {
    out += pad(row.op, width);
    for (std::size_t i = 0; i < backends.size(); ++i) {
      out += "  " + pad(row.served[i] ? "x" : "-", backends[i].name.size());
      counts[i] += row.served[i];
    }
    if (!row.no_kernel_reason.empty()) out += "  (" + row.no_kernel_reason + ")";
    end_line();
  }
  out += pad(std::to_string(rows.size()) + " ops", width);
  for (std::size_t i = 0; i < backends.size(); ++i) {
    out += "  " + pad(std::to_string(counts[i]), backends[i].name.size());
  }
  end_line();
  return out;
}

}  // namespace kiln::test
