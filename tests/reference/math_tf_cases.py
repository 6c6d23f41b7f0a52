#!/usr/bin/env python3
"""Runs Kiln's math ops in TensorFlow and writes the results as test cases for Kiln.

    python tests/reference/math_tf_cases.py > tests/reference/data/math_tf_cases.txt

Every expected value in the generated file comes from TensorFlow (tf.raw_ops, CPU), never
from Kiln. Inputs are fixed or drawn from a seeded generator, so the output is reproducible.
"""

import math
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

RAW = tf.raw_ops
RNG = np.random.default_rng(20240611)

KILN_DTYPE = {
    tf.float32: "float32",
    tf.float64: "float64",
    tf.float16: "float16",
    tf.bfloat16: "bfloat16",
    tf.int8: "int8",
    tf.uint8: "uint8",
    tf.int32: "int32",
    tf.int64: "int64",
    tf.bool: "bool",
}

# Tolerances (absolute, relative) by result dtype, for ops whose results depend on how a
# library approximates a function or orders a sum: TensorFlow's vectorized float functions
# differ from the C library by a few ulps, and a 16-bit result may then round one ulp apart.
TOLERANCE = {
    tf.float32: (1e-6, 2e-6),
    tf.float64: (1e-12, 1e-12),
    tf.float16: (1e-3, 1e-3),  # one ulp of float16 is 2^-10 relative
    tf.bfloat16: (1e-2, 8e-3),  # one ulp of bfloat16 is 2^-7 relative
}
# Ops that IEEE arithmetic defines to the last bit (one correctly rounded operation, or none):
# Kiln must match these exactly, also in the 16-bit types.
EXACT = {"Relu", "Relu6", "Abs", "Neg", "Sign", "Round", "Floor", "Ceil", "Square", "Add",
         "AddV2", "Sub", "Mul", "RealDiv", "Div", "FloorDiv", "FloorMod", "Maximum", "Minimum",
         "SquaredDifference", "Less", "LessEqual", "Greater", "GreaterEqual", "Equal",
         "NotEqual", "LogicalAnd", "LogicalOr", "LogicalNot", "AddN", "Max", "Min", "All", "Any",
         "ArgMax", "ArgMin", "Cast"}


def element_text(value, dtype):
    """The shortest text that reads back exactly: for float64 through strtod, for the other
    floats through strtof (float16 and bfloat16 values are exact floats)."""
    if dtype == tf.bool:
        return "1" if value else "0"
    if dtype.is_integer:
        return str(int(value))
    v = float(value)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return repr(v) if dtype == tf.float64 else str(np.float32(v))


def tensor_text(t):
    """`dtype [d0,d1] e0 e1 ...` on one line."""
    t = tf.convert_to_tensor(t)
    flat = (tf.cast(t, tf.float32) if t.dtype == tf.bfloat16 else t).numpy().reshape(-1)
    shape = "[" + ",".join(str(d) for d in t.shape) + "]"
    return " ".join([KILN_DTYPE[t.dtype], shape] + [element_text(v, t.dtype) for v in flat])


def attr_text(name, value):
    if isinstance(value, tf.DType):
        return "attr %s type %s" % (name, KILN_DTYPE[value])
    if isinstance(value, bool):
        return "attr %s bool %d" % (name, value)
    if isinstance(value, int):
        return "attr %s int %d" % (name, value)
    if isinstance(value, float):
        return "attr %s float %s" % (name, np.float32(value))
    raise TypeError(value)


CASES = []
SKIPPED = []


def case(name, op, inputs, attrs, call):
    """Records TensorFlow's answer to `call()`; `inputs` and `attrs` are what Kiln will get."""
    try:
        result = call()
    except tf.errors.NotFoundError:  # the op allows the dtype, but TF has no CPU kernel for it
        SKIPPED.append(name)
        return
    atol, rtol = (0.0, 0.0) if op in EXACT else TOLERANCE.get(result.dtype, (0.0, 0.0))
    lines = ["case " + name, "op " + op]
    lines += [attr_text(k, v) for k, v in attrs.items()]
    lines += ["in " + tensor_text(x) for x in inputs]
    lines += ["out " + tensor_text(result), "tolerance %g %g" % (atol, rtol)]
    CASES.append("\n".join(lines))


def const(values, dtype, shape=None):
    return tf.constant(values, dtype=dtype, shape=shape)


# ---------------------------------------------------------------------------------------------
# Unary

WIDE = [-100.0, -20.0, -3.5, -1.0, -0.5, -0.0, 0.0, 0.25, 0.5, 1.0, 2.5, 3.0, 20.0, 100.0]
HALVES = [-3.5, -2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 2.4, 2.6, -2.6, -0.4, 1e6 + 0.5]
UNARY = {
    "Relu": lambda x: RAW.Relu(features=x),
    "Relu6": lambda x: RAW.Relu6(features=x),
    "Elu": lambda x: RAW.Elu(features=x),
    "Selu": lambda x: RAW.Selu(features=x),
    "Sigmoid": lambda x: RAW.Sigmoid(x=x),
    "Tanh": lambda x: RAW.Tanh(x=x),
    "Softplus": lambda x: RAW.Softplus(features=x),
    "Softsign": lambda x: RAW.Softsign(features=x),
    "Erf": lambda x: RAW.Erf(x=x),
    "Exp": lambda x: RAW.Exp(x=x),
    "Log": lambda x: RAW.Log(x=x),
    "Log1p": lambda x: RAW.Log1p(x=x),
    "Sqrt": lambda x: RAW.Sqrt(x=x),
    "Rsqrt": lambda x: RAW.Rsqrt(x=x),
    "Square": lambda x: RAW.Square(x=x),
    "Abs": lambda x: RAW.Abs(x=x),
    "Neg": lambda x: RAW.Neg(x=x),
    "Reciprocal": lambda x: RAW.Reciprocal(x=x),
    "Inv": lambda x: RAW.Inv(x=x),
    "Floor": lambda x: RAW.Floor(x=x),
    "Ceil": lambda x: RAW.Ceil(x=x),
    "Round": lambda x: RAW.Round(x=x),
    "Sign": lambda x: RAW.Sign(x=x),
}

for dtype in (tf.float32, tf.float64):
    for op, f in UNARY.items():
        values = HALVES if op == "Round" else WIDE
        x = const(values, dtype)
        case("%s %s" % (op, dtype.name), op, [x], {"T": dtype}, lambda: f(x))
    x = const(WIDE + [float("nan")], dtype)
    for op in ("Relu", "Sign", "Sigmoid", "Tanh", "Softplus", "Round", "Floor"):
        case("%s %s with NaN" % (op, dtype.name), op, [x], {"T": dtype}, lambda: UNARY[op](x))
    for alpha in (0.2, 0.01, 1.5, -0.5):
        x = const(WIDE, dtype)
        case("LeakyRelu %s alpha %g" % (dtype.name, alpha), "LeakyRelu", [x],
             {"T": dtype, "alpha": alpha}, lambda: RAW.LeakyRelu(features=x, alpha=alpha))

# LeakyRelu without alpha: TensorFlow's default 0.2 must come from Kiln's catalogue.
x = const(WIDE, tf.float32)
case("LeakyRelu default alpha", "LeakyRelu", [x], {"T": tf.float32},
     lambda: RAW.LeakyRelu(features=x))

# The tails of Sigmoid and Softplus in float64, where float32 would underflow.
x = const([-745.0, -700.0, -40.0, -36.0, -30.0, -15.0, 15.0, 30.0, 36.0, 40.0, 700.0, 745.0],
          tf.float64)
for op in ("Sigmoid", "Softplus"):
    case("%s float64 tails" % op, op, [x], {"T": tf.float64}, lambda: UNARY[op](x))

for dtype in (tf.float16, tf.bfloat16):
    x = const([-8.0, -2.5, -1.0, -0.5, 0.0, 0.3, 0.5, 1.5, 2.5, 7.0], dtype)
    for op in ("Relu6", "Elu", "Sigmoid", "Tanh", "Softplus", "Exp", "Round", "Square", "Abs",
               "Sign", "Floor", "Erf"):
        case("%s %s" % (op, dtype.name), op, [x], {"T": dtype}, lambda: UNARY[op](x))
    x = const([0.0, 0.3, 0.5, 1.5, 2.5, 7.0, 100.0], dtype)
    for op in ("Sqrt", "Rsqrt", "Log", "Log1p", "Reciprocal"):
        case("%s %s" % (op, dtype.name), op, [x], {"T": dtype}, lambda: UNARY[op](x))

# Integer Round is left out: TensorFlow 2.21's CPU kernel answers 0 for every int32 and int64
# element (a bug; rounding an integer leaves it unchanged). test_math_unary.cpp covers it.
for dtype in (tf.int8, tf.int32, tf.int64):
    lo = {tf.int8: -128, tf.int32: -2**31, tf.int64: -2**63}[dtype]
    x = const([lo, -100, -7, -1, 0, 1, 5, 6, 7, 100], dtype)
    for op in ("Relu", "Relu6", "Square", "Abs", "Neg", "Sign"):
        case("%s %s" % (op, dtype.name), op, [x], {"T": dtype}, lambda: UNARY[op](x))
x = const([0, 1, 6, 7, 16, 200], tf.uint8)
for op in ("Relu", "Relu6", "Square"):
    case("%s uint8" % op, op, [x], {"T": tf.uint8}, lambda: UNARY[op](x))

# ---------------------------------------------------------------------------------------------
# Binary

BINARY = {
    "Add": RAW.Add,
    "AddV2": RAW.AddV2,
    "Sub": RAW.Sub,
    "Mul": RAW.Mul,
    "RealDiv": RAW.RealDiv,
    "Div": RAW.Div,
    "FloorDiv": RAW.FloorDiv,
    "FloorMod": RAW.FloorMod,
    "Maximum": RAW.Maximum,
    "Minimum": RAW.Minimum,
    "SquaredDifference": RAW.SquaredDifference,
    "Pow": RAW.Pow,
    "Less": RAW.Less,
    "LessEqual": RAW.LessEqual,
    "Greater": RAW.Greater,
    "GreaterEqual": RAW.GreaterEqual,
    "Equal": RAW.Equal,
    "NotEqual": RAW.NotEqual,
}

# Shape pairs covering every broadcasting pattern: equal, scalar on either side, different
# ranks, size-1 dimensions on both sides, and a 4-D case whose middle dimensions merge.
SHAPE_PAIRS = [
    ([2, 3], [2, 3]),
    ([2, 3], []),
    ([], [4]),
    ([2, 3], [3]),
    ([3, 1], [1, 4]),
    ([2, 1, 3], [4, 1]),
    ([1], [5]),
    ([2, 3, 4, 5], [3, 1, 5]),
    ([2, 1, 1, 3], [2, 4, 5, 1]),
    ([0, 3], [3]),
]


def float_values(shape, positive=False):
    # Quarter steps make ties in comparisons and exact halves in divisions likely.
    v = RNG.integers(-12, 13, size=shape).astype(np.float64) / 4.0
    if positive:
        v = np.abs(v) + 0.25
    return v


def int_values(shape, low=-9, high=10, nonzero=False):
    v = RNG.integers(low, high, size=shape)
    if nonzero:
        v[v == 0] = 3
    return v


for index, (op, f) in enumerate(BINARY.items()):
    # Add meets every pattern; the other ops three each, in turn, to keep the header small.
    pairs = SHAPE_PAIRS if op == "Add" else [SHAPE_PAIRS[(3 * index + k) % len(SHAPE_PAIRS)]
                                             for k in range(3)]
    for xs, ys in pairs:
        positive_base = op == "Pow"
        x = const(float_values(xs, positive_base), tf.float32)
        y = const(float_values(ys, op in ("RealDiv", "Div", "FloorDiv", "FloorMod")) *
                  (np.where(RNG.random(ys) < 0.5, -1, 1) if op != "Pow" else 1), tf.float32)
        case("%s float32 %s %s" % (op, xs, ys), op, [x, y], {"T": tf.float32},
             lambda: f(x=x, y=y))

INT_OPS = ["Add", "Sub", "Mul", "Div", "FloorDiv", "FloorMod", "Maximum", "Minimum",
           "SquaredDifference", "Pow", "Less", "LessEqual", "Greater", "GreaterEqual", "Equal",
           "NotEqual"]
for dtype in (tf.int32, tf.int64):
    for op in INT_OPS:
        for xs, ys in ([2, 4], [2, 4]), ([2, 1, 3], [4, 1]):
            if op == "Pow":
                x, y = const(int_values(xs, -4, 5), dtype), const(int_values(ys, 0, 6), dtype)
            else:
                nz = op in ("Div", "FloorDiv", "FloorMod")
                x, y = const(int_values(xs), dtype), const(int_values(ys, nonzero=nz), dtype)
            case("%s %s %s %s" % (op, dtype.name, xs, ys), op, [x, y], {"T": dtype},
                 lambda: BINARY[op](x=x, y=y))

# Integer division's corner cases: every sign combination, exact and inexact.
xv = [-7, 7, -7, 7, -6, 6, -6, 6, 0, 0, 1, -1]
yv = [2, 2, -2, -2, 3, 3, -3, -3, 5, -5, 1, 1]
for dtype in (tf.int8, tf.int32, tf.int64):
    for op in ("Div", "FloorDiv", "FloorMod"):
        x, y = const(xv, dtype), const(yv, dtype)
        case("%s %s signs" % (op, dtype.name), op, [x, y], {"T": dtype},
             lambda: BINARY[op](x=x, y=y))
for op in ("Div", "FloorDiv", "FloorMod"):
    x, y = const([7, 200, 255, 0], tf.uint8), const([2, 3, 16, 9], tf.uint8)
    case("%s uint8" % op, op, [x, y], {"T": tf.uint8}, lambda: BINARY[op](x=x, y=y))
x = const([-7.5, 7.5, -7.5, 7.5, 1.0, -1.0, 0.0], tf.float32)
y = const([2.0, 2.0, -2.0, -2.0, 0.0, 0.0, 3.0], tf.float32)
for op in ("FloorDiv", "FloorMod", "Div", "RealDiv"):
    case("%s float32 signs and zero" % op, op, [x, y], {"T": tf.float32},
         lambda: BINARY[op](x=x, y=y))

# Wrapping integer arithmetic.
x, y = const([100, -100, 127, -128, 16], tf.int8), const([100, -100, 1, -1, 16], tf.int8)
for op in ("Add", "Sub", "Mul"):
    case("%s int8 wraps" % op, op, [x, y], {"T": tf.int8}, lambda: BINARY[op](x=x, y=y))
x, y = const([200, 3, 16], tf.uint8), const([100, 5, 16], tf.uint8)
for op in ("Add", "Sub", "Mul", "Maximum", "Minimum"):
    case("%s uint8" % op, op, [x, y], {"T": tf.uint8}, lambda: BINARY[op](x=x, y=y))

# NaN through Maximum, Minimum and the comparisons.
nan = float("nan")
x, y = const([nan, 1.0, nan, 2.0], tf.float32), const([1.0, nan, nan, 2.0], tf.float32)
for op in ("Maximum", "Minimum", "Less", "Equal", "NotEqual", "GreaterEqual"):
    case("%s float32 NaN" % op, op, [x, y], {"T": tf.float32}, lambda: BINARY[op](x=x, y=y))

# 16-bit floats compute in float and round once.
for dtype in (tf.float16, tf.bfloat16):
    x, y = const(float_values([2, 3]), dtype), const(float_values([3], True), dtype)
    for op in ("Add", "Sub", "Mul", "RealDiv", "Pow", "Maximum", "SquaredDifference", "Less"):
        xx = tf.abs(x) if op == "Pow" else x
        case("%s %s" % (op, dtype.name), op, [xx, y], {"T": dtype},
             lambda: BINARY[op](x=xx, y=y))

# bool: Equal / NotEqual and the logical ops.
bx = const([[True, False, True], [False, False, True]], tf.bool)
by = const([True, False, False], tf.bool)
for op in ("Equal", "NotEqual"):
    case("%s bool" % op, op, [bx, by], {"T": tf.bool}, lambda: BINARY[op](x=bx, y=by))
case("LogicalAnd", "LogicalAnd", [bx, by], {}, lambda: RAW.LogicalAnd(x=bx, y=by))
case("LogicalOr", "LogicalOr", [bx, by], {}, lambda: RAW.LogicalOr(x=bx, y=by))
case("LogicalNot", "LogicalNot", [bx], {}, lambda: RAW.LogicalNot(x=bx))

# Equal / NotEqual on shapes that cannot broadcast, with incompatible_shape_error=false.
x, y = const([1.0, 2.0, 3.0], tf.float32), const([1.0, 2.0, 3.0, 4.0], tf.float32)
for op in ("Equal", "NotEqual"):
    case("%s incompatible shapes" % op, op, [x, y],
         {"T": tf.float32, "incompatible_shape_error": False},
         lambda: BINARY[op](x=x, y=y, incompatible_shape_error=False))

# AddN
for dtype in (tf.float32, tf.int32, tf.float16):
    xs = [const(float_values([2, 3]) if dtype.is_floating else int_values([2, 3]), dtype)
          for _ in range(3)]
    case("AddN %s" % dtype.name, "AddN", xs, {"T": dtype, "N": 3}, lambda: RAW.AddN(inputs=xs))

# ---------------------------------------------------------------------------------------------
# Reductions

REDUCE = {"Sum": RAW.Sum, "Mean": RAW.Mean, "Prod": RAW.Prod, "Max": RAW.Max, "Min": RAW.Min}
AXES = [[], 0, 1, -1, [0, 2], [-3, -1], [2, 0], [0, 1, 2], [1, 2]]
v = float_values([2, 3, 4])
x3 = const(np.where(v >= 0, v + 0.5, v - 0.5), tf.float32)  # no zeros, so Prod stays informative
for op, f in REDUCE.items():
    for axes in AXES:
        for keep in (False, True):
            a = const(axes, tf.int32)
            case("%s float32 axes %s keep_dims %s" % (op, axes, keep), op, [x3, a],
                 {"T": tf.float32, "keep_dims": keep},
                 lambda: f(input=x3, axis=a, keep_dims=keep))
    a = const([1], tf.int64)
    case("%s float32 int64 axes" % op, op, [x3, a], {"T": tf.float32, "Tidx": tf.int64},
         lambda: f(input=x3, axis=a))
    for dtype in (tf.int32, tf.int8, tf.float64, tf.float16):
        xi = const(int_values([3, 4], -9, 10), dtype)
        a = const([0], tf.int32)
        case("%s %s" % (op, dtype.name), op, [xi, a], {"T": dtype}, lambda: f(input=xi, axis=a))
    # Reducing an empty dimension yields each reducer's identity.
    xe = tf.zeros([0, 3], tf.float32)
    a = const([0], tf.int32)
    case("%s over an empty axis" % op, op, [xe, a], {"T": tf.float32}, lambda: f(input=xe, axis=a))
    xe = tf.zeros([0, 3], tf.int32)
    case("%s int32 over an empty axis" % op, op, [xe, a], {"T": tf.int32},
         lambda: f(input=xe, axis=a))
    xn = const([[1.0, nan, 3.0], [4.0, 5.0, 6.0]], tf.float32)
    a = const([1], tf.int32)
    case("%s float32 with NaN" % op, op, [xn, a], {"T": tf.float32}, lambda: f(input=xn, axis=a))

# Integer wrap-around and truncating integer Mean.
xi = const([[100, 100, 100], [-100, -100, -27]], tf.int8)
for op in ("Sum", "Mean", "Prod"):
    a = const([1], tf.int32)
    case("%s int8 wraps" % op, op, [xi, a], {"T": tf.int8}, lambda: REDUCE[op](input=xi, axis=a))
xi = const([[-7, 2], [7, 2], [-1, 0]], tf.int32)
case("Mean int32 truncates", "Mean", [xi, const([1], tf.int32)], {"T": tf.int32},
     lambda: RAW.Mean(input=xi, axis=[1]))

xb = const([[True, True, False], [True, True, True]], tf.bool)
for op, f in (("All", RAW.All), ("Any", RAW.Any)):
    for axes in ([], 0, 1, [0, 1], -1):
        for keep in (False, True):
            a = const(axes, tf.int32)
            case("%s axes %s keep_dims %s" % (op, axes, keep), op, [xb, a], {"keep_dims": keep},
                 lambda: f(input=xb, axis=a, keep_dims=keep))
    xe = tf.zeros([2, 0], tf.bool)
    a = const([1], tf.int32)
    case("%s over an empty axis" % op, op, [xe, a], {}, lambda: f(input=xe, axis=a))

# ArgMax / ArgMin: ties go to the first index; NaN is passed over.
xt = const([[1.0, 3.0, 3.0, -2.0], [2.0, 2.0, 1.0, 2.0], [0.5, -4.0, 7.0, 7.0]], tf.float32)
for op, f in (("ArgMax", RAW.ArgMax), ("ArgMin", RAW.ArgMin)):
    for axis in (0, 1, -1, -2):
        d = const(axis, tf.int32)
        case("%s axis %d" % (op, axis), op, [xt, d], {"T": tf.float32},
             lambda: f(input=xt, dimension=d))
    d = const(1, tf.int64)
    case("%s int32 output, int64 axis" % op, op, [xt, d],
         {"T": tf.float32, "Tidx": tf.int64, "output_type": tf.int32},
         lambda: f(input=xt, dimension=d, output_type=tf.int32))
    x4 = const(int_values([2, 3, 4], -3, 4), tf.int32)
    for axis in (0, 1, 2):
        d = const(axis, tf.int32)
        case("%s int32 rank 3 axis %d" % (op, axis), op, [x4, d], {"T": tf.int32},
             lambda: f(input=x4, dimension=d))
    xn = const([[nan, 5.0, 3.0], [1.0, nan, 3.0], [nan, nan, nan]], tf.float32)
    d = const(1, tf.int32)
    case("%s with NaN" % op, op, [xn, d], {"T": tf.float32}, lambda: f(input=xn, dimension=d))
    xbool = const([[False, True, True], [False, False, False]], tf.bool)
    case("%s bool" % op, op, [xbool, d], {"T": tf.bool}, lambda: f(input=xbool, dimension=d))

# ---------------------------------------------------------------------------------------------
# Cast (values inside every target's range; Kiln's behaviour outside it is its own, tested by
# hand in test_math_cast.cpp)

ALL = [tf.float32, tf.float16, tf.bfloat16, tf.float64, tf.int8, tf.uint8, tf.int32, tf.int64,
       tf.bool]
SOURCES = {
    tf.float32: [0.0, -0.0, 1.0, 2.75, -2.75, 0.3, 100.9, -100.9, 126.5, 3.0e-3],
    tf.float64: [0.0, 1.0, 2.75, -2.75, 0.1, 100.9, -100.9, 126.5, 1.0 + 2.0**-30],
    tf.float16: [0.0, 1.0, 2.75, -2.75, 0.1, 100.9, -100.9, 126.5],
    tf.bfloat16: [0.0, 1.0, 2.75, -2.75, 0.1, 100.5, -100.5, 126.0],
    tf.int8: [0, 1, -1, 127, -128, 42],
    tf.uint8: [0, 1, 127, 128, 255, 42],
    tf.int32: [0, 1, -1, 127, 2049, -2049, 16777217, -2147483648, 2147483647, 300],
    tf.int64: [0, 1, -1, 2049, 16777217, 9007199254740993, -2**63, 2**63 - 1, 300],
    tf.bool: [True, False, True],
}
for src in ALL:
    x = const(SOURCES[src], src)
    for dst in ALL:
        if dst in (tf.int8, tf.uint8) and src.is_floating:
            x_in = const([v for v in SOURCES[src] if (0 if dst == tf.uint8 else -128) <= v < 127],
                         src)
        else:
            x_in = x
        case("Cast %s to %s" % (src.name, dst.name), "Cast", [x_in], {"SrcT": src, "DstT": dst},
             lambda: RAW.Cast(x=x_in, DstT=dst))

# Truncate=True rounds toward zero for the pairs TensorFlow applies it to.
# 1 + 0.75 ulp of bfloat16 (2^-7) and of float16 (2^-10): nearest rounds up, truncation down.
x = const([1.0 + 2**-8 + 2**-9, -(1.0 + 2**-8 + 2**-9), 1.0 + 2**-11 + 2**-12,
           -(1.0 + 2**-11 + 2**-12), 3.3e38, 65519.0, float("nan")], tf.float32)
for dst in (tf.bfloat16, tf.float16):
    for truncate in (False, True):
        case("Cast float32 to %s Truncate %s" % (dst.name, truncate), "Cast", [x],
             {"SrcT": tf.float32, "DstT": dst, "Truncate": truncate},
             lambda: RAW.Cast(x=x, DstT=dst, Truncate=truncate))
x = const([1.0 + 2**-24 + 2**-25, 1.0 + 2**-11 + 2**-12, 1.0 + 2**-8 + 2**-9, 1.0 / 3.0],
          tf.float64)
for dst in (tf.float32, tf.float16, tf.bfloat16):
    case("Cast float64 to %s Truncate" % dst.name, "Cast", [x],
         {"SrcT": tf.float64, "DstT": dst, "Truncate": True},
         lambda: RAW.Cast(x=x, DstT=dst, Truncate=True))

# ---------------------------------------------------------------------------------------------

def main():
    out = sys.stdout
    out.write("# Generated by tests/reference/math_tf_cases.py with TensorFlow %s and NumPy %s.\n"
              % (tf.__version__, np.__version__))
    out.write("# Do not edit: change the script and run it again. Every `out` line is\n"
              "# TensorFlow's answer (tf.raw_ops on CPU) for the `in` and `attr` lines before\n"
              "# it. Each float is the shortest text that reads back exactly; tf_cases.hpp\n"
              "# reads the format.\n\n")
    out.write("\n\n".join(CASES))
    # The count lets the reader tell a complete file from a truncated one.
    out.write("\n\ncases %d\n" % len(CASES))
    sys.stderr.write("%d cases; TensorFlow has no CPU kernel for: %s\n"
                     % (len(CASES), ", ".join(SKIPPED) or "-"))


if __name__ == "__main__":
    main()
