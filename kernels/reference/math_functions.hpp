// The scalar functions of the elementwise math ops, one small functor each, with TensorFlow's
// semantics, and at the end the op each one serves: a new elementwise op's reference kernel is
// one functor and one table line, both in this file. elementwise.hpp supplies the loops.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "elementwise.hpp"

namespace kiln::reference::fn {

// ---------------------------------------------------------------------------------------------
// Unary

struct Relu {
  static constexpr DTypeSet types = DTypeSet::numeric;
  template <class C> C operator()(C x) const { return is_negative(x) ? C(0) : x; }  // NaN stays
};

struct Relu6 {
  static constexpr DTypeSet types = DTypeSet::numeric;
  template <class C> C operator()(C x) const {
    return is_negative(x) ? C(0) : x > C(6) ? C(6) : x;
  }
};

struct Elu {
  static constexpr DTypeSet types = DTypeSet::floating;
  template <class C> C operator()(C x) const { return x < C(0) ? std::expm1(x) : x; }
};

// The constants of Klambauer et al. (2017), to the precision TensorFlow writes them.
struct Selu {
  static constexpr DTypeSet types = DTypeSet::floating;
  static constexpr double kScale = 1.0507009873554804934193349852946;
  static constexpr double kScaleAlpha = 1.7580993408473768599402175208123;  // scale * alpha
  template <class C> C operator()(C x) const {
    return x < C(0) ? C(kScaleAlpha) * std::expm1(x) : C(kScale) * x;
  }
};

// A select, not max(x, alpha * x): that would be wrong for alpha > 1.
struct LeakyRelu {
  static constexpr DTypeSet types = DTypeSet::floating;
  float alpha;
  explicit LeakyRelu(const Node& node) : alpha(node.attr<float>("alpha")) {}
  template <class C> C operator()(C x) const { return x > C(0) ? x : C(alpha) * x; }
};

// exp only ever sees -|x|, so it cannot overflow, and tiny results keep their precision.
struct Sigmoid {
  static constexpr DTypeSet types = DTypeSet::floating;
  template <class C> C operator()(C x) const {
    if (x >= C(0)) return C(1) / (C(1) + std::exp(-x));
    const C e = std::exp(x);
    return e / (C(1) + e);
  }
};

struct Tanh {
  static constexpr DTypeSet types = DTypeSet::floating;
  template <class C> C operator()(C x) const { return std::tanh(x); }
};

// TensorFlow's scheme: past |log(epsilon) + 2| softplus(x) equals x (large x) or exp(x) (very
// negative x) to within an epsilon, and log1p(exp(x)) would overflow or lose precision.
struct Softplus {
  static constexpr DTypeSet types = DTypeSet::floating;
  template <class C> C operator()(C x) const {
    // log(epsilon) + 2, with epsilon = 2^(1 - digits)
    constexpr C threshold = C(1 - std::numeric_limits<C>::digits) * C(0.6931471805599453) + C(2);
    if (x > -threshold) return x;
    if (x < threshold) return std::exp(x);
    return std::log1p(std::exp(x));
  }
};

struct Softsign {
  static constexpr DTypeSet types = DTypeSet::floating;
  template <class C> C operator()(C x) const { return x / (C(1) + std::fabs(x)); }
};

struct Erf {
  static constexpr DTypeSet types = DTypeSet::floating;
  template <class C> C operator()(C x) const { return std::erf(x); }
};

// 1 - erf(x), computed directly: exact GELU exports as x/2 * erfc(-x/sqrt 2), and for large |x|
// 1 - erf(x) would cancel to zero where erfc keeps its precision.
struct Erfc {
  static constexpr DTypeSet types = DTypeSet::floating;
  template <class C> C operator()(C x) const { return std::erfc(x); }
};

struct Exp {
  static constexpr DTypeSet types = DTypeSet::floating;
  template <class C> C operator()(C x) const { return std::exp(x); }
};

struct Log {
  static constexpr DTypeSet types = DTypeSet::floating;
  template <class C> C operator()(C x) const { return std::log(x); }
};

struct Log1p {
  static constexpr DTypeSet types = DTypeSet::floating;
  template <class C> C operator()(C x) const { return std::log1p(x); }
};

struct Sqrt {
  static constexpr DTypeSet types = DTypeSet::floating;
  template <class C> C operator()(C x) const { return std::sqrt(x); }
};

struct Rsqrt {
  static constexpr DTypeSet types = DTypeSet::floating;
  template <class C> C operator()(C x) const { return C(1) / std::sqrt(x); }
};

struct Reciprocal {
  static constexpr DTypeSet types = DTypeSet::floating;
  template <class C> C operator()(C x) const { return C(1) / x; }
};

struct Square {
  static constexpr DTypeSet types = DTypeSet::numeric;
  template <class C> C operator()(C x) const { return wrapping_mul(x, x); }
};

// Integer Abs and Neg wrap: |INT_MIN| is INT_MIN, as two's complement hardware gives.
struct Abs {
  static constexpr DTypeSet types = DTypeSet::signed_numeric;
  template <class C> C operator()(C x) const {
    if constexpr (std::is_floating_point_v<C>) {
      return std::fabs(x);
    } else {
      return is_negative(x) ? wrapping_neg(x) : x;
    }
  }
};

struct Neg {
  static constexpr DTypeSet types = DTypeSet::signed_numeric;
  template <class C> C operator()(C x) const { return wrapping_neg(x); }
};

struct Floor {
  static constexpr DTypeSet types = DTypeSet::floating;
  template <class C> C operator()(C x) const { return std::floor(x); }
};

struct Ceil {
  static constexpr DTypeSet types = DTypeSet::floating;
  template <class C> C operator()(C x) const { return std::ceil(x); }
};

// Half to even (banker's rounding), independent of the FPU rounding mode. Integers pass.
struct Round {
  static constexpr DTypeSet types = DTypeSet::signed_numeric;
  template <class C> C operator()(C x) const {
    if constexpr (std::is_floating_point_v<C>) {
      C below = std::floor(x);
      const C fraction = x - below;  // NaN for infinities: neither test below passes
      const bool odd = std::fmod(below, C(2)) != C(0);
      if (fraction > C(0.5) || (fraction == C(0.5) && odd)) below += C(1);
      return below;
    } else {
      return x;
    }
  }
};

// -1, 0 or 1; NaN stays NaN.
struct Sign {
  static constexpr DTypeSet types = DTypeSet::signed_numeric;
  template <class C> C operator()(C x) const {
    if constexpr (std::is_floating_point_v<C>) {
      if (std::isnan(x)) return x;
    }
    return x > C(0) ? C(1) : is_negative(x) ? C(-1) : C(0);
  }
};

struct LogicalNot {
  static constexpr DTypeSet types = DTypeSet::boolean;
  bool operator()(bool x) const { return !x; }
};

// Trigonometric and hyperbolic functions: the C library's, which TensorFlow's vectorized ones
// match to a few ulps. Outside the domain (acos(2), acosh(0.5), atanh(2)) the answer is NaN.
struct Sin {
  static constexpr DTypeSet types = DTypeSet::floating;
  template <class C> C operator()(C x) const { return std::sin(x); }
};
struct Cos {
  static constexpr DTypeSet types = DTypeSet::floating;
  template <class C> C operator()(C x) const { return std::cos(x); }
};
struct Tan {
  static constexpr DTypeSet types = DTypeSet::floating;
  template <class C> C operator()(C x) const { return std::tan(x); }
};
struct Asin {
  static constexpr DTypeSet types = DTypeSet::floating;
  template <class C> C operator()(C x) const { return std::asin(x); }
};
struct Acos {
  static constexpr DTypeSet types = DTypeSet::floating;
  template <class C> C operator()(C x) const { return std::acos(x); }
};
struct Atan {
  static constexpr DTypeSet types = DTypeSet::floating;
  template <class C> C operator()(C x) const { return std::atan(x); }
};
struct Sinh {
  static constexpr DTypeSet types = DTypeSet::floating;
  template <class C> C operator()(C x) const { return std::sinh(x); }
};
struct Cosh {
  static constexpr DTypeSet types = DTypeSet::floating;
  template <class C> C operator()(C x) const { return std::cosh(x); }
};
struct Asinh {
  static constexpr DTypeSet types = DTypeSet::floating;
  template <class C> C operator()(C x) const { return std::asinh(x); }
};
struct Acosh {
  static constexpr DTypeSet types = DTypeSet::floating;
  template <class C> C operator()(C x) const { return std::acosh(x); }
};
struct Atanh {
  static constexpr DTypeSet types = DTypeSet::floating;
  template <class C> C operator()(C x) const { return std::atanh(x); }
};

// exp(x) - 1 without the cancellation near 0.
struct Expm1 {
  static constexpr DTypeSet types = DTypeSet::floating;
  template <class C> C operator()(C x) const { return std::expm1(x); }
};

struct IsNan {
  static constexpr DTypeSet types = DTypeSet::floating;
  template <class C> bool operator()(C x) const { return std::isnan(x); }
};
struct IsInf {
  static constexpr DTypeSet types = DTypeSet::floating;
  template <class C> bool operator()(C x) const { return std::isinf(x); }
};
struct IsFinite {
  static constexpr DTypeSet types = DTypeSet::floating;
  template <class C> bool operator()(C x) const { return std::isfinite(x); }
};

struct Invert {
  static constexpr DTypeSet types = DTypeSet::integer;
  template <class C> C operator()(C x) const { return static_cast<C>(~x); }
};

// ---------------------------------------------------------------------------------------------
// Binary

struct Add {
  static constexpr DTypeSet types = DTypeSet::numeric;
  template <class C> C operator()(C x, C y) const { return wrapping_add(x, y); }
};

struct Sub {
  static constexpr DTypeSet types = DTypeSet::numeric;
  template <class C> C operator()(C x, C y) const { return wrapping_sub(x, y); }
};

struct Mul {
  static constexpr DTypeSet types = DTypeSet::numeric;
  template <class C> C operator()(C x, C y) const { return wrapping_mul(x, y); }
};

struct RealDiv {
  static constexpr DTypeSet types = DTypeSet::floating;
  template <class C> C operator()(C x, C y) const { return x / y; }
};

// Integer division truncating toward zero (C's), refusing a zero divisor as TensorFlow does.
// INT_MIN / -1 overflows; it wraps to INT_MIN instead of trapping.
template <class C> C truncating_div(C x, C y) {
  if (y == C(0)) throw Error(Errc::invalid_argument, "integer division by zero");
  if constexpr (std::is_signed_v<C>) {
    if (y == C(-1)) return wrapping_neg(x);
  }
  return static_cast<C>(x / y);
}

// Div is RealDiv for floats and truncating division for integers (TensorFlow's Div kernel).
struct Div {
  static constexpr DTypeSet types = DTypeSet::numeric;
  template <class C> C operator()(C x, C y) const {
    if constexpr (std::is_floating_point_v<C>) {
      return x / y;
    } else {
      return truncating_div(x, y);
    }
  }
};

// Rounds toward negative infinity: one less than the truncated quotient when there is a
// remainder and the signs differ.
struct FloorDiv {
  static constexpr DTypeSet types = DTypeSet::numeric;
  template <class C> C operator()(C x, C y) const {
    if constexpr (std::is_floating_point_v<C>) {
      return std::floor(x / y);
    } else {
      const C q = truncating_div(x, y);
      const bool inexact = wrapping_mul(q, y) != x;
      return inexact && is_negative(x) != is_negative(y) ? static_cast<C>(q - 1) : q;
    }
  }
};

// The remainder takes the divisor's sign: x - floor(x / y) * y.
struct FloorMod {
  static constexpr DTypeSet types = DTypeSet::numeric;
  template <class C> C operator()(C x, C y) const {
    C r;
    if constexpr (std::is_floating_point_v<C>) {
      r = std::fmod(x, y);
    } else {
      if (y == C(0)) throw Error(Errc::invalid_argument, "integer division by zero");
      r = std::is_signed_v<C> && y == C(-1) ? C(0) : static_cast<C>(x % y);  // INT_MIN % -1 traps
    }
    return r != C(0) && is_negative(r) != is_negative(y) ? static_cast<C>(r + y) : r;
  }
};

// Maximum and Minimum propagate NaN (TensorFlow uses Eigen's PropagateNaN).
struct Maximum {
  static constexpr DTypeSet types = DTypeSet::numeric;
  template <class C> C operator()(C x, C y) const {
    if constexpr (std::is_floating_point_v<C>) {
      if (std::isnan(x) || std::isnan(y)) return std::numeric_limits<C>::quiet_NaN();
    }
    return x < y ? y : x;
  }
};

struct Minimum {
  static constexpr DTypeSet types = DTypeSet::numeric;
  template <class C> C operator()(C x, C y) const {
    if constexpr (std::is_floating_point_v<C>) {
      if (std::isnan(x) || std::isnan(y)) return std::numeric_limits<C>::quiet_NaN();
    }
    return y < x ? y : x;
  }
};

struct SquaredDifference {
  static constexpr DTypeSet types = DTypeSet::numeric;
  template <class C> C operator()(C x, C y) const {
    const C d = wrapping_sub(x, y);
    return wrapping_mul(d, d);
  }
};

// Integer powers by repeated squaring (wrapping on overflow); a negative integer exponent is an
// error, as in TensorFlow.
struct Pow {
  static constexpr DTypeSet types = DTypeSet::signed_numeric;
  template <class C> C operator()(C x, C y) const {
    if constexpr (std::is_floating_point_v<C>) {
      return std::pow(x, y);
    } else {
      if (is_negative(y)) {
        throw Error(Errc::invalid_argument, "integers to negative integer powers are not allowed");
      }
      C result = 1;
      for (auto e = static_cast<std::make_unsigned_t<C>>(y); e != 0; e >>= 1) {
        if (e & 1u) result = wrapping_mul(result, x);
        x = wrapping_mul(x, x);
      }
      return result;
    }
  }
};

struct Less {
  static constexpr DTypeSet types = DTypeSet::numeric;
  template <class C> bool operator()(C x, C y) const { return x < y; }
};
struct LessEqual {
  static constexpr DTypeSet types = DTypeSet::numeric;
  template <class C> bool operator()(C x, C y) const { return x <= y; }
};
struct Greater {
  static constexpr DTypeSet types = DTypeSet::numeric;
  template <class C> bool operator()(C x, C y) const { return x > y; }
};
struct GreaterEqual {
  static constexpr DTypeSet types = DTypeSet::numeric;
  template <class C> bool operator()(C x, C y) const { return x >= y; }
};
struct Equal {
  static constexpr DTypeSet types = DTypeSet::any;
  template <class C> bool operator()(C x, C y) const { return x == y; }
};
struct NotEqual {
  static constexpr DTypeSet types = DTypeSet::any;
  template <class C> bool operator()(C x, C y) const { return x != y; }
};
struct LogicalAnd {
  static constexpr DTypeSet types = DTypeSet::boolean;
  bool operator()(bool x, bool y) const { return x && y; }
};
struct LogicalOr {
  static constexpr DTypeSet types = DTypeSet::boolean;
  bool operator()(bool x, bool y) const { return x || y; }
};

// 0 wherever the divisor is 0, whatever x is (NaN and inf too).
struct DivNoNan {
  static constexpr DTypeSet types = DTypeSet::floating;
  template <class C> C operator()(C x, C y) const { return y == C(0) ? C(0) : x / y; }
};

// Xdivy, Xlogy and Xlog1py give 0 wherever x is 0, whatever y is (0, NaN and inf too).
struct Xdivy {
  static constexpr DTypeSet types = DTypeSet::floating;
  template <class C> C operator()(C x, C y) const { return x == C(0) ? C(0) : x / y; }
};
struct Xlogy {
  static constexpr DTypeSet types = DTypeSet::floating;
  template <class C> C operator()(C x, C y) const { return x == C(0) ? C(0) : x * std::log(y); }
};
struct Xlog1py {
  static constexpr DTypeSet types = DTypeSet::floating;
  template <class C> C operator()(C x, C y) const {
    return x == C(0) ? C(0) : x * std::log1p(y);
  }
};

// TensorFlow's Atan2 takes y first: Atan2(y, x) is the angle of the point (x, y).
struct Atan2 {
  static constexpr DTypeSet types = DTypeSet::floating;
  template <class C> C operator()(C y, C x) const { return std::atan2(y, x); }
};

// The remainder of truncated division, with the dividend's sign (C's % and fmod). A zero
// integer divisor is refused, as TensorFlow does; INT_MIN % -1 is 0 instead of a trap.
struct TruncateMod {
  static constexpr DTypeSet types = DTypeSet::wide_numeric;
  template <class C> C operator()(C x, C y) const {
    if constexpr (std::is_floating_point_v<C>) {
      return std::fmod(x, y);
    } else {
      if (y == C(0)) throw Error(Errc::invalid_argument, "integer division by zero");
      return std::is_signed_v<C> && y == C(-1) ? C(0) : static_cast<C>(x % y);
    }
  }
};

struct BitwiseAnd {
  static constexpr DTypeSet types = DTypeSet::integer;
  template <class C> C operator()(C x, C y) const { return static_cast<C>(x & y); }
};
struct BitwiseOr {
  static constexpr DTypeSet types = DTypeSet::integer;
  template <class C> C operator()(C x, C y) const { return static_cast<C>(x | y); }
};
struct BitwiseXor {
  static constexpr DTypeSet types = DTypeSet::integer;
  template <class C> C operator()(C x, C y) const { return static_cast<C>(x ^ y); }
};

// C++ leaves shifts by a negative amount or by the width or more undefined; TensorFlow clamps
// the amount into [0, bits - 1] (x << 40 on int32 is x << 31, x >> -1 is x), and so does Kiln.
template <class C> int shift_amount(C y) {
  constexpr int kMaxShift = 8 * static_cast<int>(sizeof(C)) - 1;
  if (is_negative(y)) return 0;
  return y > C(kMaxShift) ? kMaxShift : static_cast<int>(y);
}

// Bits shifted out are lost and zeros come in, also into the sign bit.
struct LeftShift {
  static constexpr DTypeSet types = DTypeSet::integer;
  template <class C> C operator()(C x, C y) const {
    return static_cast<C>(static_cast<wrap_t<C>>(x) << shift_amount(y));
  }
};

// Arithmetic for signed types: copies of the sign bit come in (-16 >> 3 is -2).
struct RightShift {
  static constexpr DTypeSet types = DTypeSet::integer;
  template <class C> C operator()(C x, C y) const {
    const int s = shift_amount(y);
    return static_cast<C>(is_negative(x) ? ~(~x >> s) : x >> s);
  }
};

}  // namespace kiln::reference::fn

namespace kiln::reference {

// TruncateDiv: C's division for integers (a zero divisor refused), the quotient truncated toward
// zero for floats. A kernel of its own because a 16-bit quotient must be rounded to its type
// before truncating, as TensorFlow's 16-bit division rounds (float16 1023 / 1023.5 rounds to 1,
// which truncates to 1, where the float quotient would truncate to 0); functors see only the
// compute type.
inline void truncate_div_kernel(const Node& node, const std::vector<Tensor>& in,
                                std::vector<Tensor>& out) {
  with_node_context(node, [&] {
    dispatch_in<DTypeSet::numeric>(in[0].dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      using C = compute_t<T>;
      broadcast_apply<T, T, T>(in[0], in[1], out[0], [](T x, T y) {
        if constexpr (is_int_v<T>) {
          return fn::truncating_div(x, y);
        } else {
          return T(std::trunc(C(T(C(x) / C(y)))));
        }
      });
    });
  });
}

inline void register_elementwise_kernels(KernelTable& table) {
  table["Relu"] = unary_kernel<fn::Relu>;
  table["Relu6"] = unary_kernel<fn::Relu6>;
  table["Elu"] = unary_kernel<fn::Elu>;
  table["Selu"] = unary_kernel<fn::Selu>;
  table["LeakyRelu"] = unary_kernel<fn::LeakyRelu>;
  table["Sigmoid"] = unary_kernel<fn::Sigmoid>;
  table["Tanh"] = unary_kernel<fn::Tanh>;
  table["Softplus"] = unary_kernel<fn::Softplus>;
  table["Softsign"] = unary_kernel<fn::Softsign>;
  table["Erf"] = unary_kernel<fn::Erf>;
  table["Erfc"] = unary_kernel<fn::Erfc>;
  table["Exp"] = unary_kernel<fn::Exp>;
  table["Log"] = unary_kernel<fn::Log>;
  table["Log1p"] = unary_kernel<fn::Log1p>;
  table["Sqrt"] = unary_kernel<fn::Sqrt>;
  table["Rsqrt"] = unary_kernel<fn::Rsqrt>;
  table["Square"] = unary_kernel<fn::Square>;
  table["Abs"] = unary_kernel<fn::Abs>;
  table["Neg"] = unary_kernel<fn::Neg>;
  table["Reciprocal"] = unary_kernel<fn::Reciprocal>;
  table["Inv"] = unary_kernel<fn::Reciprocal>;
  table["Floor"] = unary_kernel<fn::Floor>;
  table["Ceil"] = unary_kernel<fn::Ceil>;
  table["Round"] = unary_kernel<fn::Round>;
  table["Sign"] = unary_kernel<fn::Sign>;
  table["LogicalNot"] = unary_kernel<fn::LogicalNot>;
  table["Sin"] = unary_kernel<fn::Sin>;
  table["Cos"] = unary_kernel<fn::Cos>;
  table["Tan"] = unary_kernel<fn::Tan>;
  table["Asin"] = unary_kernel<fn::Asin>;
  table["Acos"] = unary_kernel<fn::Acos>;
  table["Atan"] = unary_kernel<fn::Atan>;
  table["Sinh"] = unary_kernel<fn::Sinh>;
  table["Cosh"] = unary_kernel<fn::Cosh>;
  table["Asinh"] = unary_kernel<fn::Asinh>;
  table["Acosh"] = unary_kernel<fn::Acosh>;
  table["Atanh"] = unary_kernel<fn::Atanh>;
  table["Expm1"] = unary_kernel<fn::Expm1>;
  table["IsNan"] = unary_kernel<fn::IsNan>;
  table["IsInf"] = unary_kernel<fn::IsInf>;
  table["IsFinite"] = unary_kernel<fn::IsFinite>;
  table["Invert"] = unary_kernel<fn::Invert>;

  table["Add"] = binary_kernel<fn::Add>;
  table["AddV2"] = binary_kernel<fn::Add>;
  table["Sub"] = binary_kernel<fn::Sub>;
  table["Mul"] = binary_kernel<fn::Mul>;
  table["RealDiv"] = binary_kernel<fn::RealDiv>;
  table["Div"] = binary_kernel<fn::Div>;
  table["FloorDiv"] = binary_kernel<fn::FloorDiv>;
  table["FloorMod"] = binary_kernel<fn::FloorMod>;
  table["Maximum"] = binary_kernel<fn::Maximum>;
  table["Minimum"] = binary_kernel<fn::Minimum>;
  table["SquaredDifference"] = binary_kernel<fn::SquaredDifference>;
  table["Pow"] = binary_kernel<fn::Pow>;
  table["Less"] = binary_kernel<fn::Less>;
  table["LessEqual"] = binary_kernel<fn::LessEqual>;
  table["Greater"] = binary_kernel<fn::Greater>;
  table["GreaterEqual"] = binary_kernel<fn::GreaterEqual>;
  table["Equal"] = equality_kernel<fn::Equal, false>;
  table["NotEqual"] = equality_kernel<fn::NotEqual, true>;
  table["LogicalAnd"] = binary_kernel<fn::LogicalAnd>;
  table["LogicalOr"] = binary_kernel<fn::LogicalOr>;
  table["DivNoNan"] = binary_kernel<fn::DivNoNan>;
  table["Xdivy"] = binary_kernel<fn::Xdivy>;
  table["Xlogy"] = binary_kernel<fn::Xlogy>;
  table["Xlog1py"] = binary_kernel<fn::Xlog1py>;
  table["Atan2"] = binary_kernel<fn::Atan2>;
  table["TruncateDiv"] = truncate_div_kernel;
  table["TruncateMod"] = binary_kernel<fn::TruncateMod>;
  table["BitwiseAnd"] = binary_kernel<fn::BitwiseAnd>;
  table["BitwiseOr"] = binary_kernel<fn::BitwiseOr>;
  table["BitwiseXor"] = binary_kernel<fn::BitwiseXor>;
  table["LeftShift"] = binary_kernel<fn::LeftShift>;
  table["RightShift"] = binary_kernel<fn::RightShift>;
  table["AddN"] = add_n_kernel<fn::Add>;
}

}  // namespace kiln::reference
