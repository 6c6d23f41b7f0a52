// Kernels for the run-time checks (core/ops/checks.hpp). A failed check throws a kiln::Error
// that names the node and says what failed: Assert lists its data, CheckNumerics its message.
#pragma once

#include <cmath>
#include <cstring>
#include <sstream>
#include <string>

#include "kernel.hpp"

namespace kiln::reference {

namespace checks {

// "[1 2 3...]": the first `count` elements of `t` (all when count < 0), as TensorFlow's Assert
// shows them.
inline std::string summary(const Tensor& t, std::int64_t count) {
  const std::int64_t n = t.num_elements();
  const std::int64_t shown = count < 0 ? n : std::min(n, count);
  std::ostringstream text;
  text.precision(9);
  text << '[';
  for (std::int64_t i = 0; i < shown; ++i) text << (i ? " " : "") << t.element_as_double(i);
  if (shown < n) text << "...";
  text << ']';
  return text.str();
}

inline void assert_kernel(const Node& node, const std::vector<Tensor>& in, std::vector<Tensor>&) {
  if (in[0].data<bool>()[0]) return;
  const std::int64_t count = node.attr<std::int64_t>("summarize");
  std::string data;
  for (std::size_t i = 1; i < in.size(); ++i) data += (i > 1 ? " " : "") + summary(in[i], count);
  throw node.error(Errc::invalid_argument, "assertion failed")
      .found(data.empty() ? "a false condition" : data);
}

// What a tensor holds besides finite numbers.
struct NonFinite {
  bool nan = false, pos_inf = false, neg_inf = false;
  bool any() const { return nan || pos_inf || neg_inf; }
};

inline NonFinite scan(const Tensor& t) {
  NonFinite found;
  for (std::int64_t i = 0; i < t.num_elements(); ++i) {
    const double v = t.element_as_double(i);
    found.nan = found.nan || std::isnan(v);
    found.pos_inf = found.pos_inf || v == HUGE_VAL;
    found.neg_inf = found.neg_inf || v == -HUGE_VAL;
  }
  return found;
}

// CheckNumerics says "NaN" and "Inf"; CheckNumericsV2 tells +Inf from -Inf.
template <bool kSignedInf>
void check_numerics_kernel(const Node& node, const std::vector<Tensor>& in,
                           std::vector<Tensor>& out) {
  const NonFinite found = scan(in[0]);
  if (found.any()) {
    std::string what;
    auto add = [&what](bool present, const char* name) {
      if (present) what += (what.empty() ? "" : " and ") + std::string(name);
    };
    if (kSignedInf) {
      add(found.neg_inf, "-Inf");
      add(found.pos_inf, "+Inf");
    } else {
      add(found.neg_inf || found.pos_inf, "Inf");
    }
    add(found.nan, "NaN");
    throw node.error(Errc::invalid_argument,
                     node.attr<std::string>("message") + " : Tensor had " + what + " values");
  }
  // The output may share the input's buffer (the op runs in place); else it is a copy.
  if (out[0].raw() != in[0].raw() && in[0].byte_size() > 0) {
    std::memcpy(out[0].raw(), in[0].raw(), in[0].byte_size());
  }
}

}  // namespace checks

inline void register_check_kernels(KernelTable& table) {
  table["Assert"] = checks::assert_kernel;
  table["CheckNumerics"] = checks::check_numerics_kernel<false>;
  table["CheckNumericsV2"] = checks::check_numerics_kernel<true>;
}

}  // namespace kiln::reference
