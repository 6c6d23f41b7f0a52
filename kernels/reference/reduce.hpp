// Reductions (Sum, Mean, Prod, Max, Min, All, Any) through one loop parametrized by a reducer,
// and ArgMax/ArgMin.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <type_traits>
#include <vector>

#include "math_functions.hpp"

namespace kiln::reference {

// What a reduction accumulates in. Floating types: double, rounded once at the end. Integers:
// 64 bits, wrapping; the final narrowing gives the same bits as wrapping in T all along, and
// Mean divides the wide sum as TensorFlow does for int8, uint8 and int32. bool: bool.
template <class T>
using acc_t = std::conditional_t<
    std::is_same_v<T, bool>, bool,
    std::conditional_t<!is_int_v<T>, double,
                       std::conditional_t<std::is_signed_v<T>, std::int64_t, std::uint64_t>>>;

template <class T> acc_t<T> to_acc(T x) { return static_cast<acc_t<T>>(compute_t<T>(x)); }

template <class T> T from_acc(acc_t<T> a) {
  if constexpr (std::is_same_v<compute_t<T>, T>) {
    return static_cast<T>(a);
  } else {
    return T(static_cast<float>(a));  // the 16-bit floats convert from float
  }
}

// A reducer: the scalar functor that folds one more element in, the fold's starting value
// (also what an empty reduction yields), and the step from accumulator to result.
template <class CombineFn, int kIdentity> struct FoldReducer {
  static constexpr DTypeSet types = DTypeSet::numeric;
  using Combine = CombineFn;
  template <class T> static acc_t<T> identity() { return kIdentity; }
  template <class T> static T finish(acc_t<T> a, std::int64_t) { return from_acc<T>(a); }
};
using SumReducer = FoldReducer<fn::Add, 0>;
using ProdReducer = FoldReducer<fn::Mul, 1>;

// The mean of nothing is NaN for floats (0 / 0) and 0 for integers, as in TensorFlow.
struct MeanReducer : FoldReducer<fn::Add, 0> {
  template <class T> static T finish(acc_t<T> a, std::int64_t count) {
    using A = acc_t<T>;
    if constexpr (std::is_floating_point_v<A>) {
      return from_acc<T>(a / static_cast<A>(count));
    } else {
      return count == 0 ? T(0) : from_acc<T>(static_cast<A>(a / static_cast<A>(count)));
    }
  }
};

// Max and Min propagate NaN; over nothing they give -inf / +inf (integers: T's extremes).
template <class CombineFn, bool kMax> struct ExtremeReducer {
  static constexpr DTypeSet types = DTypeSet::numeric;
  using Combine = CombineFn;
  template <class T> static acc_t<T> identity() {
    if constexpr (is_int_v<T>) {
      return kMax ? std::numeric_limits<T>::lowest() : std::numeric_limits<T>::max();
    } else {
      const double inf = std::numeric_limits<double>::infinity();
      return kMax ? -inf : inf;
    }
  }
  template <class T> static T finish(acc_t<T> a, std::int64_t) { return from_acc<T>(a); }
};
using MaxReducer = ExtremeReducer<fn::Maximum, true>;
using MinReducer = ExtremeReducer<fn::Minimum, false>;

struct AllReducer {
  static constexpr DTypeSet types = DTypeSet::boolean;
  using Combine = fn::LogicalAnd;
  template <class T> static bool identity() { return true; }
  template <class T> static T finish(bool a, std::int64_t) { return a; }
};

struct AnyReducer {
  static constexpr DTypeSet types = DTypeSet::boolean;
  using Combine = fn::LogicalOr;
  template <class T> static bool identity() { return false; }
  template <class T> static T finish(bool a, std::int64_t) { return a; }
};

// The input walked in row-major order as groups of neighbouring dimensions that are all reduced
// or all kept, with each group's stride in the output (0 for reduced groups). Reducing axes
// {1, 2} of [N,H,W,C] runs as [N, H*W, C].
struct ReducePlan {
  std::vector<std::int64_t> dims;
  std::vector<std::int64_t> out_stride;
};

inline ReducePlan plan_reduce(const Shape& in, const std::vector<bool>& reduced) {
  const int rank = in.rank();
  std::vector<std::int64_t> out_stride(static_cast<std::size_t>(rank), 0);
  std::int64_t stride = 1;
  for (int d = rank - 1; d >= 0; --d) {
    if (reduced[static_cast<std::size_t>(d)]) continue;
    out_stride[static_cast<std::size_t>(d)] = stride;
    stride *= in.dim(d);
  }
  ReducePlan plan;
  for (int d = 0; d < rank; ++d) {
    const std::int64_t size = in.dim(d);
    const std::int64_t s = out_stride[static_cast<std::size_t>(d)];
    if (size == 1) continue;  // moves no index
    if (!plan.dims.empty() && (plan.out_stride.back() == 0) == (s == 0)) {
      plan.dims.back() *= size;  // kept groups are contiguous in the output too
      plan.out_stride.back() = s;
      continue;
    }
    plan.dims.push_back(size);
    plan.out_stride.push_back(s);
  }
  if (plan.dims.empty()) plan = {{1}, {1}};  // a one-element input
  return plan;
}

// acc[o] = combine(acc[o], x) for every input element x and the output element o it folds into.
template <class T, class A, class Combine>
void reduce_apply(const T* in, const ReducePlan& plan, A* acc, Combine combine) {
  const std::size_t rank = plan.dims.size();
  const std::int64_t inner = plan.dims.back();
  const bool inner_reduced = plan.out_stride.back() == 0;
  std::int64_t total = 1;
  for (std::int64_t d : plan.dims) total *= d;
  std::vector<std::int64_t> index(rank, 0);
  std::int64_t o = 0;
  for (std::int64_t i = 0; i < total; i += inner) {
    const T* row = in + i;
    if (inner_reduced) {
      A a = acc[o];
      for (std::int64_t j = 0; j < inner; ++j) a = combine(a, row[j]);
      acc[o] = a;
    } else {  // the innermost kept group has output stride 1
      for (std::int64_t j = 0; j < inner; ++j) acc[o + j] = combine(acc[o + j], row[j]);
    }
    for (std::size_t d = rank - 1; d-- > 0;) {  // advance the odometer, innermost first
      o += plan.out_stride[d];
      if (++index[d] < plan.dims[d]) break;
      o -= plan.out_stride[d] * plan.dims[d];
      index[d] = 0;
    }
  }
}

template <class Reducer>
void reduce_kernel(const Node& node, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  with_node_context(node, [&] {
    const Tensor& x = in[0];
    const InferContext ctx(node, {}, {});
    const std::vector<bool> reduced = ops::reduced_axes(ctx, in[1].to_int64_vector(), x.rank());
    // Elements folded into each output; zero when the input is empty (a product of the reduced
    // dimensions alone could then overflow: [0, 2^40, 2^40] is a valid empty shape).
    std::int64_t count = x.num_elements() == 0 ? 0 : 1;
    for (int d = 0; d < x.rank() && count > 0; ++d) {
      if (reduced[static_cast<std::size_t>(d)]) count *= x.dim(d);
    }
    dispatch_in<Reducer::types>(x.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      using A = acc_t<T>;
      const auto n = static_cast<std::size_t>(out[0].num_elements());
      std::unique_ptr<A[]> acc(new A[n]);  // not a vector: vector<bool> has no data()
      std::fill(acc.get(), acc.get() + n, Reducer::template identity<T>());
      if (x.num_elements() > 0) {
        const typename Reducer::Combine combine;
        reduce_apply(x.data<T>(), plan_reduce(x.shape(), reduced), acc.get(),
                     [&](A a, T v) { return combine(a, to_acc(v)); });
      }
      T* y = out[0].data<T>();
      for (std::size_t i = 0; i < n; ++i) y[i] = Reducer::template finish<T>(acc[i], count);
    });
  });
}

// ArgMax / ArgMin: the index of the first extreme along the axis. NaNs are passed over, as
// TensorFlow does (index 0 if all are NaN); unlike Max and Min, which propagate them.
template <bool kMax>
void arg_reduce_kernel(const Node& node, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  with_node_context(node, [&] {
    const Tensor& x = in[0];
    if (x.num_elements() == 0) return;  // inference refuses an empty axis; nothing else to do
    const InferContext ctx(node, {}, {});
    const int axis = normalize_axis(ctx, in[1].to_int64_vector().at(0), x.rank());
    std::int64_t outer = 1, inner = 1;
    for (int d = 0; d < x.rank(); ++d) {
      if (d < axis) outer *= x.dim(d);
      if (d > axis) inner *= x.dim(d);
    }
    const std::int64_t n = x.dim(axis);
    dispatch_in<DTypeSet::any>(x.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      using C = compute_t<T>;
      auto better = [](C v, C best) {
        if constexpr (std::is_floating_point_v<C>) {
          if (std::isnan(v)) return false;
          if (std::isnan(best)) return true;
        }
        return kMax ? best < v : v < best;
      };
      auto run = [&](auto* result) {
        using I = std::remove_pointer_t<decltype(result)>;
        std::vector<C> best(static_cast<std::size_t>(inner));
        for (std::int64_t o = 0; o < outer; ++o) {
          const T* slab = x.data<T>() + o * n * inner;
          I* res = result + o * inner;
          for (std::int64_t i = 0; i < inner; ++i) {
            best[static_cast<std::size_t>(i)] = C(slab[i]);
            res[i] = 0;
          }
          for (std::int64_t k = 1; k < n; ++k) {  // row by row, so memory is read in order
            const T* row = slab + k * inner;
            for (std::int64_t i = 0; i < inner; ++i) {
              const C v = C(row[i]);
              if (better(v, best[static_cast<std::size_t>(i)])) {
                best[static_cast<std::size_t>(i)] = v;
                res[i] = static_cast<I>(k);
              }
            }
          }
        }
      };
      if (out[0].dtype() == DType::int32) {
        run(out[0].data<std::int32_t>());
      } else {
        run(out[0].data<std::int64_t>());
      }
    });
  });
}

}  // namespace kiln::reference
