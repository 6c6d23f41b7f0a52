// The loops behind every elementwise math kernel: one map loop for unary ops, one broadcasting
// loop for binary ops, each parametrized by a scalar functor, plus the helpers they share
// (compute types, wrapping integer arithmetic, dtype dispatch restricted to what an op accepts).
//
// A functor is a struct with `static constexpr ops::DTypeSet types` and a templated
// operator() over the compute type C: float for the 16-bit floats (TensorFlow computes them in
// float and rounds back), the element type itself otherwise. A functor that needs attributes
// takes `const Node&` in its constructor.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <type_traits>
#include <vector>

#include <kiln/core/ops/math.hpp>

#include "kernel.hpp"

namespace kiln::reference {

using ops::DTypeSet;

template <class T>
using compute_t =
    std::conditional_t<std::is_same_v<T, half> || std::is_same_v<T, bfloat16>, float, T>;

template <class T> constexpr bool is_int_v = std::is_integral_v<T> && !std::is_same_v<T, bool>;

// Signed overflow is undefined in C++, and TensorFlow's integer kernels wrap in practice, so
// integer arithmetic goes through unsigned types (at least as wide as `unsigned`, so that the
// operands are not promoted back to int) where wrapping is defined.
template <class T>
using wrap_t =
    std::conditional_t<(sizeof(T) < sizeof(unsigned)), unsigned, std::make_unsigned_t<T>>;

// op(a, b) computed in wrap_t<T> for integers, directly otherwise.
template <class T, class Op> T wrapping(T a, T b, Op op) {
  if constexpr (is_int_v<T>) {
    using U = wrap_t<T>;
    return static_cast<T>(static_cast<U>(op(static_cast<U>(a), static_cast<U>(b))));
  } else {
    return op(a, b);
  }
}
template <class T> T wrapping_add(T a, T b) { return wrapping(a, b, std::plus<>()); }
template <class T> T wrapping_sub(T a, T b) { return wrapping(a, b, std::minus<>()); }
template <class T> T wrapping_mul(T a, T b) { return wrapping(a, b, std::multiplies<>()); }
template <class T> T wrapping_neg(T a) { return wrapping_sub(T(0), a); }

// x < 0 without the "always false" warning for unsigned types.
template <class T> bool is_negative(T x) {
  if constexpr (std::is_unsigned_v<T>) {
    return false;
  } else {
    return x < T(0);
  }
}

// Calls fn(type_tag<T>{}) for the C++ type of `t`, instantiating only the types in S. Inference
// refuses the other dtypes first, so the throw is a safety net for direct kernel calls.
template <DTypeSet S, class Fn> void dispatch_in(DType t, Fn&& fn) {
  dispatch(t, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (ops::type_in<T>(S)) {
      fn(tag);
    } else {
      throw Error(Errc::unsupported, "no reference kernel for this dtype").found(dtype_name(t));
    }
  });
}

// Runs body() and stamps the node on any Error it throws (functors do not know the node).
template <class Body> void with_node_context(const Node& node, Body&& body) {
  try {
    body();
  } catch (Error& e) {
    if (e.context().node.empty()) e.node(node.name).op(node.op);
    throw;
  }
}

template <class Fn> Fn make_functor(const Node& node) {
  if constexpr (std::is_constructible_v<Fn, const Node&>) {
    return Fn(node);
  } else {
    (void)node;
    return Fn{};
  }
}

// ---------------------------------------------------------------------------------------------
// Broadcasting

// The index arithmetic of a broadcast binary op: the output's dimensions with each input's
// stride per dimension (0 where that input is broadcast). Neighbouring dimensions merge when
// both inputs allow it, so [N,H,W,C] + [C] runs as [N*H*W, C] and the inner loop is long.
struct BroadcastPlan {
  std::vector<std::int64_t> dims;
  std::vector<std::int64_t> stride_a;
  std::vector<std::int64_t> stride_b;
};

// Row-major strides of `in` aligned to the right of a rank-`rank` output, 0 where in has size 1.
inline std::vector<std::int64_t> broadcast_strides(const Shape& in, int rank) {
  std::vector<std::int64_t> strides(static_cast<std::size_t>(rank), 0);
  std::int64_t stride = 1;
  for (int i = 1; i <= in.rank(); ++i) {
    const std::int64_t d = in.dim(-i);
    strides[static_cast<std::size_t>(rank - i)] = d == 1 ? 0 : stride;
    stride *= d;
  }
  return strides;
}

inline BroadcastPlan plan_broadcast(const Shape& a, const Shape& b, const Shape& out) {
  const int rank = out.rank();
  const std::vector<std::int64_t> sa = broadcast_strides(a, rank);
  const std::vector<std::int64_t> sb = broadcast_strides(b, rank);
  BroadcastPlan plan;
  // Dimension d can join the group before it when, for each input, both are broadcast or the
  // group's stride is exactly one step of d further out (plain row-major continuation).
  auto continues = [](std::int64_t outer, std::int64_t inner, std::int64_t size) {
    return outer == 0 ? inner == 0 : inner != 0 && outer == inner * size;
  };
  for (int d = 0; d < rank; ++d) {
    const std::size_t i = static_cast<std::size_t>(d);
    const std::int64_t size = out.dim(d);
    if (size == 1) continue;  // moves no index
    if (!plan.dims.empty() && continues(plan.stride_a.back(), sa[i], size) &&
        continues(plan.stride_b.back(), sb[i], size)) {
      plan.dims.back() *= size;
      plan.stride_a.back() = sa[i];
      plan.stride_b.back() = sb[i];
      continue;
    }
    plan.dims.push_back(size);
    plan.stride_a.push_back(sa[i]);
    plan.stride_b.push_back(sb[i]);
  }
  if (plan.dims.empty()) plan = {{1}, {0}, {0}};  // a one-element output
  return plan;
}

// out[i] = f(a[ia], b[ib]) over the broadcast output. Equal shapes and scalar operands take
// flat loops; the rest walks the merged dimensions with an odometer over all but the last.
template <class A, class B, class R, class F>
void broadcast_apply(const Tensor& a, const Tensor& b, Tensor& out, F f) {
  const A* pa = a.data<A>();
  const B* pb = b.data<B>();
  R* po = out.data<R>();
  const std::int64_t n = out.num_elements();
  if (n == 0) return;
  if (a.shape() == b.shape()) {
    for (std::int64_t i = 0; i < n; ++i) po[i] = f(pa[i], pb[i]);
    return;
  }
  if (b.num_elements() == 1 && a.num_elements() == n) {
    const B y = pb[0];
    for (std::int64_t i = 0; i < n; ++i) po[i] = f(pa[i], y);
    return;
  }
  if (a.num_elements() == 1 && b.num_elements() == n) {
    const A x = pa[0];
    for (std::int64_t i = 0; i < n; ++i) po[i] = f(x, pb[i]);
    return;
  }
  const BroadcastPlan plan = plan_broadcast(a.shape(), b.shape(), out.shape());
  const std::size_t rank = plan.dims.size();
  const std::int64_t inner = plan.dims.back();
  const std::int64_t step_a = plan.stride_a.back();
  const std::int64_t step_b = plan.stride_b.back();
  std::vector<std::int64_t> index(rank, 0);
  std::int64_t ia = 0, ib = 0;
  for (std::int64_t o = 0; o < n; o += inner) {
    for (std::int64_t j = 0; j < inner; ++j) {
      po[o + j] = f(pa[ia + j * step_a], pb[ib + j * step_b]);
    }
    for (std::size_t d = rank - 1; d-- > 0;) {  // advance the odometer, innermost first
      ia += plan.stride_a[d];
      ib += plan.stride_b[d];
      if (++index[d] < plan.dims[d]) break;
      ia -= plan.stride_a[d] * plan.dims[d];
      ib -= plan.stride_b[d] * plan.dims[d];
      index[d] = 0;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Kernels

// A functor that returns bool (a comparison, IsNan) makes a bool output; any other keeps the
// dtype. Both loops below follow this.
template <class Fn>
void unary_kernel(const Node& node, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  with_node_context(node, [&] {
    const Fn fn = make_functor<Fn>(node);
    dispatch_in<Fn::types>(in[0].dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      using C = compute_t<T>;
      using R = std::conditional_t<std::is_same_v<decltype(fn(C())), bool>, bool, T>;
      const T* x = in[0].data<T>();
      R* y = out[0].data<R>();
      const std::int64_t n = in[0].num_elements();
      for (std::int64_t i = 0; i < n; ++i) y[i] = R(fn(C(x[i])));
    });
  });
}

template <class Fn>
void binary_kernel(const Node& node, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  with_node_context(node, [&] {
    const Fn fn = make_functor<Fn>(node);
    dispatch_in<Fn::types>(in[0].dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      using C = compute_t<T>;
      using R = std::conditional_t<std::is_same_v<decltype(fn(C(), C())), bool>, bool, T>;
      broadcast_apply<T, T, R>(in[0], in[1], out[0], [&](T x, T y) { return R(fn(C(x), C(y))); });
    });
  });
}

// Equal / NotEqual: with incompatible_shape_error=false, shapes that cannot broadcast compare
// as wholly unequal and the output is one bool (inference made it a scalar).
template <class Fn, bool kUnequalResult>
void equality_kernel(const Node& node, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  if (ops::known_broadcast_conflict(in[0].shape(), in[1].shape())) {
    out[0].data<bool>()[0] = kUnequalResult;
    return;
  }
  binary_kernel<Fn>(node, in, out);
}

// AddN: inputs of one shape, added left to right with T's rounding after each addition, as
// TensorFlow's pairwise adds do.
template <class Add>
void add_n_kernel(const Node& node, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  with_node_context(node, [&] {
    dispatch_in<Add::types>(in[0].dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      using C = compute_t<T>;
      const Add add;
      T* y = out[0].data<T>();
      const std::int64_t n = out[0].num_elements();
      std::copy(in[0].data<T>(), in[0].data<T>() + n, y);
      for (std::size_t k = 1; k < in.size(); ++k) {
        const T* x = in[k].data<T>();
        for (std::int64_t i = 0; i < n; ++i) y[i] = T(add(C(y[i]), C(x[i])));
      }
    });
  });
}

}  // namespace kiln::reference
