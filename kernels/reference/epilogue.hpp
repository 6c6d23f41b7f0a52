// What each activation step of a fused epilogue computes on one value, keyed by the catalogue's
// epilogue names (op_catalogue().epilogue_activations()). The steps reuse the scalar functions
// of the unfused ops, so a fused node computes what its unfused chain computed; a test checks
// that every catalogue epilogue has an entry here and in the oneDNN table (cpu/epilogue.hpp).
#pragma once

#include <cmath>
#include <map>
#include <string>
#include <type_traits>

#include "math_functions.hpp"

namespace kiln::reference {

// What a step may need besides the value, in the compute type C (float or double) of the
// output's storage type T.
template <class C> struct StepContext {
  C alpha;          // LeakyRelu's slope: the fused node's `leakyrelu_alpha`
  C (*round)(C x);  // rounds to T and back: for an intermediate the unfused graph stored
};

template <class C> using StepFn = C (*)(C v, const StepContext<C>& context);

// One activation, for both compute types.
struct EpilogueActivation {
  StepFn<float> f32 = nullptr;
  StepFn<double> f64 = nullptr;

  template <class C> StepFn<C> get() const {
    if constexpr (std::is_same_v<C, float>) return f32;
    else return f64;
  }
};

// From one generic lambda `[](auto v, const auto& context) { ... }`.
template <class Lambda> EpilogueActivation epilogue_activation(Lambda step) {
  return {step, step};
}

inline const std::map<std::string, EpilogueActivation, std::less<>>& epilogue_activations() {
  static const std::map<std::string, EpilogueActivation, std::less<>> table = [] {
    std::map<std::string, EpilogueActivation, std::less<>> t;
    t["Relu"] = epilogue_activation([](auto v, const auto&) { return fn::Relu{}(v); });
    t["Relu6"] = epilogue_activation([](auto v, const auto&) { return fn::Relu6{}(v); });
    t["Elu"] = epilogue_activation([](auto v, const auto&) { return fn::Elu{}(v); });
    t["LeakyRelu"] = epilogue_activation([](auto v, const auto& context) {
      return v > decltype(v)(0) ? v : context.alpha * v;
    });
    t["Sigmoid"] = epilogue_activation([](auto v, const auto&) { return fn::Sigmoid{}(v); });
    t["Tanh"] = epilogue_activation([](auto v, const auto&) { return fn::Tanh{}(v); });
    // x * Sigmoid(x), with Sigmoid's output stored as the unfused graph stores it.
    t["Swish"] = epilogue_activation([](auto v, const auto& context) {
      return v * context.round(fn::Sigmoid{}(v));
    });
    // erfc(-z) = 1 + erf(z), without the cancellation 1 + erf(z) suffers for z << 0.
    t["GeluExact"] = epilogue_activation([](auto v, const auto&) {
      using C = decltype(v);
      return C(0.5) * v * std::erfc(-v * C(0.7071067811865476));
    });
    t["GeluApproximate"] = epilogue_activation([](auto v, const auto&) {
      using C = decltype(v);
      const C cubic(0.044715), sqrt_two_over_pi(0.7978845608028654);
      return C(0.5) * v * (C(1) + std::tanh(sqrt_two_over_pi * (v + cubic * v * v * v)));
    });
    return t;
  }();
  return table;
}

}  // namespace kiln::reference
