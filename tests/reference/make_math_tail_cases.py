#!/usr/bin/env python3
"""Runs the long tail of Kiln's math ops in TensorFlow and writes the results as test cases.

The ops: the trigonometric and hyperbolic functions and Expm1; IsNan, IsInf and IsFinite;
DivNoNan, Xdivy, Xlogy, Xlog1py, Atan2, TruncateDiv and TruncateMod; ClipByValue; the bitwise
ops and shifts; Cumsum and Cumprod. Each case runs one raw TensorFlow op eagerly (CPU) and
records its inputs, its attributes and its output, or the fact that TensorFlow refused it, in
the format tests/reference/tf_cases.hpp reads; tests/reference/test_math_tail_tf.cpp replays
them on Kiln's reference kernels. Run it from the repository root with a Python that has
TensorFlow, and commit the result:

    python tests/reference/make_math_tail_cases.py > tests/reference/data/math_tail_tf_cases.txt

Inputs are fixed or drawn from a seeded generator, so the output is reproducible. Every case
says whether TensorFlow should refuse it; the script stops if TensorFlow disagrees, so that a
mistake in a case cannot be recorded as a refusal.
"""

import math
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

RAW = tf.raw_ops
RNG = np.random.default_rng(20250305)

F32, F64, F16, BF16 = tf.float32, tf.float64, tf.float16, tf.bfloat16
I8, U8, I32, I64, BOOL = tf.int8, tf.uint8, tf.int32, tf.int64, tf.bool
FLOATS = (F32, F64, F16, BF16)
INTS = (I8, U8, I32, I64)

KILN_DTYPE = {F32: "float32", F64: "float64", F16: "float16", BF16: "bfloat16", I8: "int8",
              U8: "uint8", I32: "int32", I64: "int64", BOOL: "bool"}

# Tolerances (absolute, relative) by result dtype for the transcendental functions: TensorFlow's
# vectorized float functions differ from the C library by a few ulps, and a 16-bit result may
# then round one ulp apart (as in math_tf_cases.py).
TOLERANCE = {
    F32: (1e-6, 2e-6),
    F64: (1e-12, 1e-12),
    F16: (1e-3, 1e-3),  # one ulp of float16 is 2^-10 relative
    BF16: (1e-2, 8e-3),  # one ulp of bfloat16 is 2^-7 relative
}
TRANSCENDENTAL = {"Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh",
                  "Atanh", "Expm1", "Xlogy", "Xlog1py", "Atan2"}

nan, inf = float("nan"), float("inf")


def element_text(value, dtype):
    """The shortest text that reads back exactly: for float64 through strtod, for the other
    floats through strtof (float16 and bfloat16 values are exact floats)."""
    if dtype == BOOL:
        return "1" if value else "0"
    if dtype.is_integer:
        return str(int(value))
    v = float(value)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return repr(v) if dtype == F64 else str(np.float32(v))


def tensor_text(t):
    """`dtype [d0,d1] e0 e1 ...` on one line."""
    flat = (tf.cast(t, F32) if t.dtype == BF16 else t).numpy().reshape(-1)
    shape = "[" + ",".join(str(d) for d in t.shape) + "]"
    return " ".join([KILN_DTYPE[t.dtype], shape] + [element_text(v, t.dtype) for v in flat])


def attr_text(name, value):
    if isinstance(value, tf.DType):
        return "attr %s type %s" % (name, KILN_DTYPE[value])
    if isinstance(value, bool):
        return "attr %s bool %d" % (name, value)
    raise TypeError(value)


CASES = []
REFUSED = []
SKIPPED = []


def case(name, op, inputs, attrs, call, refused=False):
    """Records TensorFlow's answer to `call()`; `inputs` and `attrs` are what Kiln gets."""
    try:
        result = call()
    except tf.errors.NotFoundError:  # the op allows the dtype, but TF has no CPU kernel for it
        SKIPPED.append(name)
        return
    except (tf.errors.OpError, TypeError, ValueError) as error:
        if not refused:
            sys.exit("TensorFlow refused '%s', which should run: %s" % (name, error))
        result = None
    if refused and result is not None:
        sys.exit("TensorFlow ran '%s', which should be refused" % name)
    lines = ["case " + name, "op " + op]
    lines += [attr_text(k, v) for k, v in attrs.items()]
    lines += ["in " + tensor_text(x) for x in inputs]
    if result is None:
        lines.append("fails")
        REFUSED.append(name)
    else:
        lines.append("out " + tensor_text(result))
        if op in TRANSCENDENTAL and result.dtype in TOLERANCE:
            lines.append("tolerance %g %g" % TOLERANCE[result.dtype])
    CASES.append("\n".join(lines))


def const(values, dtype, shape=None):
    return tf.constant(values, dtype=dtype, shape=shape)


def one_zero(dtype):
    """[1, 0] in any dtype, bool too: the input of a case that should be refused for its dtype."""
    return const([True, False] if dtype == BOOL else [1, 0], dtype)


def grid(values, dtype):
    """The same values as a column [n,1] and a row [1,n]: broadcast together, every pair."""
    return const(values, dtype, [len(values), 1]), const(values, dtype, [1, len(values)])


# ---------------------------------------------------------------------------------------------
# Unary floating-point functions

UNARY = {
    "Sin": RAW.Sin, "Cos": RAW.Cos, "Tan": RAW.Tan, "Asin": RAW.Asin, "Acos": RAW.Acos,
    "Atan": RAW.Atan, "Sinh": RAW.Sinh, "Cosh": RAW.Cosh, "Asinh": RAW.Asinh,
    "Acosh": RAW.Acosh, "Atanh": RAW.Atanh, "Expm1": RAW.Expm1,
}
COMMON = [-inf, -100.0, -10.0, -2.0, -1.0, -0.75, -0.5, -1e-8, -0.0, 0.0, 1e-8, 0.5, 0.75, 1.0,
          2.0, 10.0, 100.0, inf, nan]
# Each function's own edges: domain ends (acos(±1), atanh(±1) = ±inf, acosh(1) = 0) and what
# lies beyond them (NaN), overflow thresholds, and arguments where cancellation would show.
EXTRA = {
    "Sin": [1.5707964, 3.1415927, -3.1415927, 6.2831855, 30.0, 1000.0],
    "Cos": [1.5707964, 3.1415927, -3.1415927, 6.2831855, 30.0, 1000.0],
    "Tan": [1.5707964, -1.5707964, 1.5, 3.1415927, 30.0, 1000.0],
    "Asin": [0.999, -0.999, 1.5, -1.5, 0.1],
    "Acos": [0.999, -0.999, 1.5, -1.5, 0.1],
    "Atan": [1e10, -1e10, 0.1, 3.0],
    "Sinh": [1e-5, 20.0, 88.0, 89.0, -89.0, 710.0, 711.0],
    "Cosh": [1e-5, 20.0, 88.0, 89.0, -89.0, 710.0, 711.0],
    "Asinh": [1e10, -1e10, 1e-5, 3.0],
    "Acosh": [1.5, 1e10, 0.999, 3.0],
    "Atanh": [0.999, -0.999, 1e-5, 1.5, -3.0],
    "Expm1": [1e-5, -1e-5, 1e-3, 20.0, 88.0, 89.0, 709.0, 710.0],
}
SMALL = [-7.0, -2.0, -1.0, -0.5, -0.0, 0.0, 0.3, 0.5, 1.0, 1.5, 2.0, 7.0, inf, nan]

for op, f in UNARY.items():
    for dtype in (F32, F64):
        x = const(COMMON + EXTRA[op], dtype)
        case("%s %s" % (op, dtype.name), op, [x], {"T": dtype}, lambda: f(x=x))
    for dtype in (F16, BF16):
        x = const(SMALL, dtype)
        case("%s %s" % (op, dtype.name), op, [x], {"T": dtype}, lambda: f(x=x))
    x = const(RNG.uniform(-0.9, 0.9, [2, 3]), F32)
    case("%s float32 [2,3]" % op, op, [x], {"T": F32}, lambda: f(x=x))
x = tf.zeros([0, 3], F32)
case("Sin of an empty tensor", "Sin", [x], {"T": F32}, lambda: RAW.Sin(x=x))
for op, dtype in (("Sin", I32), ("Acos", I64), ("Expm1", I8), ("Atanh", BOOL)):
    x = one_zero(dtype)
    case("%s %s refused" % (op, dtype.name), op, [x], {"T": dtype}, lambda: UNARY[op](x=x),
         refused=True)

# ---------------------------------------------------------------------------------------------
# IsNan, IsInf, IsFinite: floats in, bool out

CLASSIFY = {"IsNan": RAW.IsNan, "IsInf": RAW.IsInf, "IsFinite": RAW.IsFinite}
LARGEST = {F32: 3.4028235e38, F64: 1.7976931348623157e308, F16: 65504.0, BF16: 3.3895314e38}
SUBNORMAL = {F32: 1e-45, F64: 5e-324, F16: 6e-8, BF16: 1e-40}
for op, f in CLASSIFY.items():
    for dtype in FLOATS:
        values = [nan, inf, -inf, 0.0, -0.0, 1.0, -2.5, LARGEST[dtype], -LARGEST[dtype],
                  SUBNORMAL[dtype]]
        x = const(values, dtype, [2, 5])
        case("%s %s" % (op, dtype.name), op, [x], {"T": dtype}, lambda: f(x=x))
for op, dtype in (("IsNan", I32), ("IsInf", BOOL), ("IsFinite", I8)):
    x = one_zero(dtype)
    case("%s %s refused" % (op, dtype.name), op, [x], {"T": dtype}, lambda: CLASSIFY[op](x=x),
         refused=True)

# ---------------------------------------------------------------------------------------------
# Binary floating-point ops that define the awkward points

BINARY_FLOAT = {
    "DivNoNan": lambda a, b: RAW.DivNoNan(x=a, y=b),
    "Xdivy": lambda a, b: RAW.Xdivy(x=a, y=b),
    "Xlogy": lambda a, b: RAW.Xlogy(x=a, y=b),
    "Xlog1py": lambda a, b: RAW.Xlog1py(x=a, y=b),
    "Atan2": lambda a, b: RAW.Atan2(y=a, x=b),  # inputs y, x: the first is y
}
SPECIAL = [0.0, -0.0, 1.0, -1.0, 2.5, -0.5, 0.25, inf, -inf, nan]
SPECIAL_16 = [0.0, -0.0, 1.0, -1.0, 2.5, -0.5, inf, nan]


def float_values(shape, low=-3.0, high=3.0):
    return RNG.uniform(low, high, size=shape)


for op, f in BINARY_FLOAT.items():
    for dtype in (F32, F64):
        a, b = grid(SPECIAL, dtype)
        case("%s %s every pair of special values" % (op, dtype.name), op, [a, b], {"T": dtype},
             lambda: f(a, b))
    for dtype in (F16, BF16):
        a, b = grid(SPECIAL_16, dtype)
        case("%s %s every pair of special values" % (op, dtype.name), op, [a, b], {"T": dtype},
             lambda: f(a, b))
        a, b = const(float_values([2, 3]), dtype), const(float_values([3], 0.1, 4.0), dtype)
        case("%s %s [2,3] [3]" % (op, dtype.name), op, [a, b], {"T": dtype}, lambda: f(a, b))
    for xs, ys in (([2, 3], [3]), ([2, 1, 3], [4, 1]), ([], [4]), ([0, 3], [1, 3])):
        a, b = const(float_values(xs), F32), const(float_values(ys, -0.9, 4.0), F32)
        case("%s float32 %s %s" % (op, xs, ys), op, [a, b], {"T": F32}, lambda: f(a, b))
    a, b = const([1, 2], I32), const([1, 0], I32)
    case("%s int32 refused" % op, op, [a, b], {"T": I32}, lambda: f(a, b), refused=True)
    a, b = const([1.0, 2.0], F32), const([3.0, 4.0, 5.0], F32)
    case("%s refused: [2] and [3] do not broadcast" % op, op, [a, b], {"T": F32},
         lambda: f(a, b), refused=True)
a, b = const([1.0], F32), const([2.0], F64)
case("DivNoNan refused: float32 and float64", "DivNoNan", [a, b], {"T": F32},
     lambda: RAW.DivNoNan(x=a, y=b), refused=True)
# Near 0 and -1, where x * log(y) and x * log1p(y) show whether log1p keeps its precision.
x = const([1.0, 2.0, -3.0, 1e-8, 1.0, 1.0], F64)
y = const([1e-300, 1e-10, -1e-10, 1e300, -0.999999, 1e-16], F64)
case("Xlog1py float64 tiny and large", "Xlog1py", [x, y], {"T": F64},
     lambda: RAW.Xlog1py(x=x, y=y))
case("Xlogy float64 tiny and large", "Xlogy", [x, y], {"T": F64}, lambda: RAW.Xlogy(x=x, y=y))

# ---------------------------------------------------------------------------------------------
# TruncateDiv and TruncateMod

TRUNCATE = {"TruncateDiv": RAW.TruncateDiv, "TruncateMod": RAW.TruncateMod}
XV = [-7, 7, -7, 7, -6, 6, -6, 6, 0, 0, 1, -1, 5, -5]
YV = [2, 2, -2, -2, 3, 3, -3, -3, 5, -5, 1, 1, 7, 7]
MIN = {I8: -128, I32: -2**31, I64: -2**63}
MAX = {I8: 127, U8: 255, I32: 2**31 - 1, I64: 2**63 - 1}
for op, f in TRUNCATE.items():
    int_types = (I8, I32, I64) if op == "TruncateDiv" else (I32, I64)
    for dtype in int_types:
        x, y = const(XV, dtype), const(YV, dtype)
        case("%s %s signs" % (op, dtype.name), op, [x, y], {"T": dtype}, lambda: f(x=x, y=y))
        x, y = const([MIN[dtype], MIN[dtype], MAX[dtype], MIN[dtype]], dtype), \
            const([-1, 1, -1, MIN[dtype]], dtype)
        case("%s %s extremes (MIN / -1 wraps)" % (op, dtype.name), op, [x, y], {"T": dtype},
             lambda: f(x=x, y=y))
        x, y = const(RNG.integers(-50, 50, [2, 3]), dtype), const([3, -4, 7], dtype)
        case("%s %s [2,3] [3]" % (op, dtype.name), op, [x, y], {"T": dtype}, lambda: f(x=x, y=y))
        x, y = const([[4, 5], [6, 7]], dtype), const([2, 0], dtype)
        case("%s %s refused: division by zero" % (op, dtype.name), op, [x, y], {"T": dtype},
             lambda: f(x=x, y=y), refused=True)
    for dtype in (F32, F64):
        x, y = grid(SPECIAL + [7.5, -7.5], dtype)
        case("%s %s every pair of special values" % (op, dtype.name), op, [x, y], {"T": dtype},
             lambda: f(x=x, y=y))
        x, y = const(float_values([2, 3], -20, 20), dtype), const(float_values([3], 0.5, 4), dtype)
        case("%s %s [2,3] [3]" % (op, dtype.name), op, [x, y], {"T": dtype}, lambda: f(x=x, y=y))
    x, y = const([True], BOOL), const([True], BOOL)
    case("%s bool refused" % op, op, [x, y], {"T": BOOL}, lambda: f(x=x, y=y), refused=True)
    x, y = const([4, 5], I32), const([2, 3], I64)
    case("%s refused: int32 and int64" % op, op, [x, y], {"T": I32}, lambda: f(x=x, y=y),
         refused=True)

x, y = const([7, 200, 255, 0, 9], U8), const([2, 3, 16, 9, 10], U8)
case("TruncateDiv uint8", "TruncateDiv", [x, y], {"T": U8}, lambda: RAW.TruncateDiv(x=x, y=y))
x, y = const([7, 0], U8), const([0, 0], U8)
case("TruncateDiv uint8 refused: division by zero", "TruncateDiv", [x, y], {"T": U8},
     lambda: RAW.TruncateDiv(x=x, y=y), refused=True)
for dtype in (I8, U8):
    x, y = const([7, 9], dtype), const([2, 4], dtype)
    case("TruncateMod %s refused" % dtype.name, "TruncateMod", [x, y], {"T": dtype},
         lambda: RAW.TruncateMod(x=x, y=y), refused=True)


def rounding_quotients(dtype, count):
    """Pairs whose float quotient lies just below an integer that the quotient rounded to
    `dtype` reaches: truncating before or after that rounding tells the two apart."""
    np_type = dtype.as_numpy_dtype
    xs, ys = [], []
    while len(xs) < count:
        x = np.array(RNG.integers(1, 2000), np_type)
        y = np.array(x.astype(np.float32) / np.float32(RNG.integers(1, 20)) *
                     np.float32(1 + RNG.uniform(1e-4, 3e-3)), np_type)
        q32 = np.float32(x) / np.float32(y)
        if np.trunc(np.float32(np.array(q32, np_type))) != np.trunc(q32):
            sign = -1 if len(xs) % 2 else 1
            xs.append(sign * float(np.float32(x)))
            ys.append(float(np.float32(y)))
    return xs, ys


for dtype in (F16, BF16):
    xs, ys = rounding_quotients(dtype, 6)
    x, y = const(xs + [7.5, -7.5, 1.0, 0.0], dtype), const(ys + [2.0, 2.0, 0.0, 0.0], dtype)
    case("TruncateDiv %s rounds the quotient before truncating" % dtype.name, "TruncateDiv",
         [x, y], {"T": dtype}, lambda: RAW.TruncateDiv(x=x, y=y))
    # TensorFlow's op takes the 16-bit floats but has no CPU kernel for them. The remainder of
    # two such numbers is exactly representable in their type, so float32's answer, converted
    # back, is the answer.
    x, y = const(float_values([2, 3], -20, 20), dtype), const(float_values([3], 0.5, 4), dtype)
    case("TruncateMod %s [2,3] [3] (TensorFlow's float32 result, converted exactly)"
         % dtype.name, "TruncateMod", [x, y], {"T": dtype},
         lambda: tf.cast(RAW.TruncateMod(x=tf.cast(x, F32), y=tf.cast(y, F32)), dtype))

# ---------------------------------------------------------------------------------------------
# ClipByValue


def clip(name, t, lo, hi, refused=False):
    case(name, "ClipByValue", [t, lo, hi], {"T": t.dtype},
         lambda: RAW.ClipByValue(t=t, clip_value_min=lo, clip_value_max=hi), refused=refused)


t = const([-2.0, -1.0, 0.0, 1.0, 2.0, nan, inf, -inf, 0.5, -0.5], F32)
clip("clip float32 scalar bounds", t, const(-1.0, F32), const(1.0, F32))
clip("clip with min above max: min wins", t, const(1.0, F32), const(-1.0, F32))
clip("clip with a NaN min", t, const(nan, F32), const(1.0, F32))
clip("clip with a NaN max", t, const(-1.0, F32), const(nan, F32))
clip("clip with infinite bounds", t, const(-inf, F32), const(inf, F32))
t23 = const(float_values([2, 3]), F32)
clip("clip with bounds of t's shape", t23, const(float_values([2, 3], -3, 0), F32),
     const(float_values([2, 3], 0, 3), F32))
clip("clip with a scalar min and a max of t's shape", t23, const(-0.5, F32),
     const(float_values([2, 3], -1, 3), F32))
clip("clip with bounds of t's shape, min above max in places", t23,
     const(float_values([2, 3]), F32), const(float_values([2, 3]), F32))
clip("clip a scalar", const(5.0, F32), const(1.0, F32), const(3.0, F32))
clip("clip an empty tensor", tf.zeros([0, 3], F32), const(1.0, F32), const(3.0, F32))
clip("clip an empty tensor with bounds of its shape", tf.zeros([0, 3], F32),
     tf.zeros([0, 3], F32), tf.ones([0, 3], F32))
clip("clip a long tensor", const(float_values([40], -5, 5), F32), const(-2.5, F32),
     const(1.5, F32))
for dtype in (F64, F16, BF16):
    clip("clip %s" % dtype.name, const([-2.0, -0.75, 0.0, 0.3, 2.0, nan, inf], dtype),
         const(-0.5, dtype), const(1.0, dtype))
clip("clip int32", const([-5, 0, 5, 200, -2**31, 2**31 - 1], I32), const(-1, I32), const(3, I32))
clip("clip int64", const([-5, 0, 5, -2**63, 2**63 - 1], I64), const(-2**40, I64),
     const(2**40, I64))
clip("clip int8 bounds of t's shape", const([[-128, 0, 127], [5, -5, 9]], I8),
     const([[-100, 1, 0], [6, -6, 9]], I8), const([[100, 2, 126], [7, -4, 9]], I8))
clip("clip uint8", const([0, 5, 200, 255], U8), const(3, U8), const(100, U8))
clip("clip refused: a bound of shape [3] on [2,3]", t23, const([0.0, 0.0, 0.0], F32),
     const(1.0, F32), refused=True)
clip("clip refused: a bound of shape [1]", t23, const([0.0], F32), const(1.0, F32),
     refused=True)
clip("clip refused: a max of shape [1,1]", t23, const(0.0, F32), const([[1.0]], F32),
     refused=True)
clip("clip refused: a bound of shape [1] on a scalar", const(5.0, F32), const([1.0], F32),
     const(3.0, F32), refused=True)
clip("clip refused: bounds of another shape", t23, const(float_values([3, 2]), F32),
     const(1.0, F32), refused=True)
clip("clip refused: an int32 bound on float32", t23, const(0, I32), const(1.0, F32),
     refused=True)
clip("clip refused: bool", const([True, False], BOOL), const(False, BOOL), const(True, BOOL),
     refused=True)

# ---------------------------------------------------------------------------------------------
# Bitwise ops and shifts

BITWISE = {"BitwiseAnd": RAW.BitwiseAnd, "BitwiseOr": RAW.BitwiseOr,
           "BitwiseXor": RAW.BitwiseXor}
for dtype in INTS:
    low = MIN.get(dtype, 0)
    edges = [low, MAX[dtype], 0, 1, 85, 60] if dtype == U8 else [low, MAX[dtype], 0, -1, 85, -86]
    x = const(edges + list(RNG.integers(low if dtype != I64 else -2**40, 100, 6)), dtype,
              [3, 4])
    y = const([MAX[dtype], 0, 15 if dtype == U8 else -16, 106], dtype)
    for op, f in BITWISE.items():
        case("%s %s [3,4] [4]" % (op, dtype.name), op, [x, y], {"T": dtype}, lambda: f(x=x, y=y))
    case("Invert %s" % dtype.name, "Invert", [x], {"T": dtype}, lambda: RAW.Invert(x=x))

    # Every shift amount, in range or not, against values of both signs.
    bits = dtype.size * 8
    big = 200 if dtype == U8 else 127
    amounts = [-100 if dtype != U8 else 0, -1 if dtype != U8 else 1, 0, 1, 3, bits - 1, bits,
               bits + 1, big]
    values = [1, 5, MAX[dtype], 37] + ([] if dtype == U8 else [-1, -5, MIN[dtype], -37])
    x, y = const(values, dtype, [len(values), 1]), const(amounts, dtype, [1, len(amounts)])
    for op, f in (("LeftShift", RAW.LeftShift), ("RightShift", RAW.RightShift)):
        case("%s %s every value by every amount" % (op, dtype.name), op, [x, y], {"T": dtype},
             lambda: f(x=x, y=y))

for op, f in list(BITWISE.items()) + [("LeftShift", RAW.LeftShift),
                                      ("RightShift", RAW.RightShift)]:
    x, y = const([1.0, 2.0], F32), const([1.0, 2.0], F32)
    case("%s float32 refused" % op, op, [x, y], {"T": F32}, lambda: f(x=x, y=y), refused=True)
for op, f in (("BitwiseOr", RAW.BitwiseOr), ("LeftShift", RAW.LeftShift)):
    x, y = const([True, False], BOOL), const([True, True], BOOL)
    case("%s bool refused" % op, op, [x, y], {"T": BOOL}, lambda: f(x=x, y=y), refused=True)
x, y = const([1, 2], I32), const([1, 2], I64)
case("BitwiseXor refused: int32 and int64", "BitwiseXor", [x, y], {"T": I32},
     lambda: RAW.BitwiseXor(x=x, y=y), refused=True)
x, y = const([1, 2], I32), const([1, 2, 3], I32)
case("BitwiseAnd refused: [2] and [3] do not broadcast", "BitwiseAnd", [x, y], {"T": I32},
     lambda: RAW.BitwiseAnd(x=x, y=y), refused=True)
for dtype in (F32, BOOL):
    x = one_zero(dtype)
    case("Invert %s refused" % dtype.name, "Invert", [x], {"T": dtype}, lambda: RAW.Invert(x=x),
         refused=True)

# ---------------------------------------------------------------------------------------------
# Cumsum and Cumprod

SCANS = {"Cumsum": RAW.Cumsum, "Cumprod": RAW.Cumprod}


def scan(name, op, x, axis, refused=False, **flags):
    """flags: exclusive and reverse, passed (and recorded) only when given, as a TF2 export
    strips them when false."""
    attrs = {"T": x.dtype}
    if axis.dtype != I32:
        attrs["Tidx"] = axis.dtype
    attrs.update(flags)
    case(name, op, [x, axis], attrs, lambda: SCANS[op](x=x, axis=axis, **flags), refused=refused)


x234 = const(RNG.integers(-4, 5, [2, 3, 4]) + RNG.choice([0.5, 0.25, 1.0], [2, 3, 4]), F32)
for op in SCANS:
    for axis in (0, 1, 2, -1, -3):
        for exclusive in (False, True):
            for reverse in (False, True):
                flags = {}
                if exclusive:
                    flags["exclusive"] = True
                if reverse:
                    flags["reverse"] = True
                scan("%s float32 [2,3,4] axis %d exclusive %d reverse %d"
                     % (op, axis, exclusive, reverse), op, x234, const(axis, I32), **flags)
    scan("%s with exclusive and reverse spelled false" % op, op, x234, const(1, I32),
         exclusive=False, reverse=False)
    scan("%s int64 axis" % op, op, x234, const(-2, I64))
    scan("%s float32 in an order that rounds" % op, op,
         const(RNG.normal(1.0, 0.3, [3, 50]), F32), const(1, I32))
    scan("%s float32 in an order that rounds, along axis 0" % op, op,
         const(RNG.normal(1.0, 0.3, [40, 3]), F32), const(0, I32), reverse=True)
    scan("%s float64" % op, op, const(RNG.normal(1.0, 0.3, [2, 20]), F64), const(1, I32),
         exclusive=True)
    for dtype in (F16, BF16):
        scan("%s %s, rounded at every step" % (op, dtype.name), op,
             const([1000.0 if op == "Cumsum" else 3.0] + [0.3] * 9 + [1.7] * 6, dtype),
             const(0, I32))
        scan("%s %s [3,4] reverse" % (op, dtype.name), op,
             const(RNG.uniform(0.5, 2, [3, 4]), dtype), const(0, I32), reverse=True)
    scan("%s with NaN and inf" % op, op, const([1.0, nan, 2.0, inf, -inf, 0.0, 3.0], F32),
         const(0, I32))
    scan("%s int8 wraps" % op, op, const([100, 100, 100, -3, 7, -128], I8), const(0, I32))
    scan("%s uint8 wraps" % op, op, const([200, 100, 1, 3, 5], U8), const(0, I32),
         exclusive=True)
    scan("%s int32" % op, op, const(RNG.integers(-9, 10, [3, 4]), I32), const(-1, I32),
         reverse=True, exclusive=True)
    scan("%s int64 wraps" % op, op, const([2**62, 2**62, 2**62, -5], I64), const(0, I64))
    scan("%s of an empty tensor" % op, op, tf.zeros([0, 3], F32), const(0, I32))
    scan("%s along an empty axis" % op, op, tf.zeros([2, 0, 3], F32), const(1, I32),
         exclusive=True)
    scan("%s of one element" % op, op, const([4.0], F32), const(0, I32), exclusive=True)
    scan("%s refused: axis 2 of a matrix" % op, op, x234[0], const(2, I32), refused=True)
    scan("%s refused: axis -3 of a matrix" % op, op, x234[0], const(-3, I32), refused=True)
    scan("%s refused: a vector axis" % op, op, x234, const([1], I32), refused=True)
    scan("%s refused: a scalar has no axis" % op, op, const(3.0, F32), const(0, I32),
         refused=True)
    scan("%s refused: bool" % op, op, const([True, False], BOOL), const(0, I32), refused=True)
    case("%s refused: a float axis" % op, op, [x234, const(1.0, F32)],
         {"T": F32, "Tidx": F32}, lambda: SCANS[op](x=x234, axis=const(1.0, F32)), refused=True)

# ---------------------------------------------------------------------------------------------


def main():
    out = sys.stdout
    out.write("# Generated by tests/reference/make_math_tail_cases.py with TensorFlow %s and "
              "NumPy %s.\n" % (tf.__version__, np.__version__))
    out.write("# Do not edit: change the script and run it again. Every `out` line is\n"
              "# TensorFlow's answer (tf.raw_ops on CPU) for the `in` and `attr` lines before\n"
              "# it, `fails` that TensorFlow refused them. Each float is the shortest text that\n"
              "# reads back exactly; tf_cases.hpp reads the format.\n\n")
    out.write("\n\n".join(CASES))
    # The count lets the reader tell a complete file from a truncated one.
    out.write("\n\ncases %d\n" % len(CASES))
    sys.stderr.write("%d cases, %d refused by TensorFlow; no CPU kernel for: %s\n"
                     % (len(CASES), len(REFUSED), ", ".join(SKIPPED) or "-"))


if __name__ == "__main__":
    main()
