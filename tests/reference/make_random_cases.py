#!/usr/bin/env python3
"""Records what TensorFlow's random and check ops return, for Kiln's bit-exact random tests.

Stateless ops (StatelessRandomUniform and friends, the V2 ops that take a key and a counter,
StatelessRandomGetKeyCounter) run eagerly through tf.raw_ops: their outputs are a function of
their inputs. Stateful ops (RandomUniform, RandomStandardNormal, TruncatedNormal,
RandomUniformInt) run in graph mode, each in a fresh tf.compat.v1.Session, so that the recorded
output is the op's first run for its seed and seed2: what Kiln reproduces on every run.
CheckNumerics and CheckNumericsV2 are recorded too (passing their input on, or refusing it).

Each case is written in the text format tests/reference/tf_cases.hpp reads;
tests/reference/test_random_tf.cpp replays them on Kiln's reference kernels. TensorFlow's uint64
keys and counters are written as the int64 with the same bits, which is how Kiln carries them.
Run it from the repository root with a Python that has TensorFlow and commit the result:

    python tests/reference/make_random_cases.py > tests/reference/data/random_tf_cases.txt
"""

import math
import sys

import numpy as np
import tensorflow as tf
from tensorflow.python.framework import op_def_registry

F32, F16, F64, I32, I64, U64 = np.float32, np.float16, np.float64, np.int32, np.int64, np.uint64
BF16 = tf.bfloat16.as_numpy_dtype
FLOATS = [F32, F64, F16, BF16]

KILN_DTYPES = {
    np.dtype(F32): "float32", np.dtype(F16): "float16", np.dtype(BF16): "bfloat16",
    np.dtype(F64): "float64", np.dtype(I32): "int32", np.dtype(I64): "int64",
    np.dtype(np.bool_): "bool",
}

CASES = []  # (name, op, inputs, attrs, outputs or None)

# The errors that mean "TensorFlow refused this op or these inputs".
REFUSED = (tf.errors.OpError, ValueError, TypeError)


def vec(values, dtype=I32):
    return np.array(values, dtype=dtype)


def scalar(value, dtype):
    return np.array(value, dtype=dtype)


def as_kiln(array):
    """uint64 (keys and counters) becomes int64 with the same bits; the rest stays."""
    array = np.asarray(array)
    return array.view(I64) if array.dtype == np.dtype(U64) else array


def record(name, op, inputs, attrs, outputs):
    CASES.append((name, op, [as_kiln(a) for a in inputs], attrs,
                  None if outputs is None else [as_kiln(o) for o in outputs]))


def raw_op_arguments(op, inputs, attrs):
    """The keywords of tf.raw_ops.<op>: the inputs, and the attributes TensorFlow does not infer
    from them (a GraphDef spells out every attribute; raw_ops refuses the inferred ones)."""
    inferred = {arg.type_attr for arg in op_def_registry.get(op).input_arg}
    kwargs = {k: tf.constant(v) for k, v in inputs}
    kwargs.update({k: tf.as_dtype(v) if isinstance(v, type) else v
                   for k, v in attrs.items() if k not in inferred})
    return kwargs


def eager(name, op, inputs, attrs):
    """Runs tf.raw_ops.<op> eagerly. inputs: (keyword, array) in order; attrs: all of them."""
    kwargs = raw_op_arguments(op, inputs, attrs)
    try:
        result = getattr(tf.raw_ops, op)(**kwargs)
        outputs = [t.numpy() for t in (result if isinstance(result, (list, tuple)) else [result])]
    except REFUSED:
        outputs = None
    record(name, op, [v for _, v in inputs], attrs, outputs)


def first_run(name, op, inputs, attrs):
    """Builds the op in a new graph and runs it once in a new session: its first output."""
    graph = tf.Graph()
    try:
        with graph.as_default():
            kwargs = raw_op_arguments(op, inputs, attrs)
            output = getattr(tf.raw_ops, op)(**kwargs)
            with tf.compat.v1.Session(graph=graph) as session:
                outputs = [session.run(output)]
    except REFUSED:
        outputs = None
    record(name, op, [v for _, v in inputs], attrs, outputs)


def type_name(t):
    return KILN_DTYPES[np.dtype(t)]


# ---- The cases -------------------------------------------------------------------------------

def stateless_float_cases():
    ops = ["StatelessRandomUniform", "StatelessRandomNormal", "StatelessTruncatedNormal"]
    for op in ops:
        for dtype in FLOATS:
            for shape, seed in [([2, 3], vec([1, 2], I64)), ([7], vec([-3, 12345], I32)),
                                ([], vec([0, 0], I64))]:
                eager("%s %s shape %s seed %s" % (op, type_name(dtype), shape, seed.tolist()), op,
                      [("shape", vec(shape)), ("seed", seed)],
                      {"dtype": dtype, "T": I32, "Tseed": seed.dtype.type})
        # Longer outputs: several generator blocks, partial last groups, and for the truncated
        # normal enough samples that some fall outside two standard deviations and are redrawn.
        for dtype in FLOATS:
            eager("%s %s 61 elements, int64 shape" % (op, type_name(dtype)), op,
                  [("shape", vec([61], I64)), ("seed", vec([2**40 + 7, -(2**62)], I64))],
                  {"dtype": dtype, "T": I64, "Tseed": I64})
        eager(op + " empty output", op, [("shape", vec([3, 0])), ("seed", vec([1, 2], I64))],
              {"dtype": F32, "T": I32, "Tseed": I64})
        eager(op + " error: seed of three", op,
              [("shape", vec([2])), ("seed", vec([1, 2, 3], I64))],
              {"dtype": F32, "T": I32, "Tseed": I64})
        eager(op + " error: scalar seed", op, [("shape", vec([2])), ("seed", scalar(1, I64))],
              {"dtype": F32, "T": I32, "Tseed": I64})
        for what, shape in [("negative size", vec([2, -1])), ("scalar shape", scalar(2, I32)),
                            ("matrix shape", vec([[2, 1]]))]:
            eager(op + " error: " + what, op, [("shape", shape), ("seed", vec([1, 2], I64))],
                  {"dtype": F32, "T": I32, "Tseed": I64})
        eager(op + " error: int32 dtype", op, [("shape", vec([2])), ("seed", vec([1, 2], I64))],
              {"dtype": I32, "T": I32, "Tseed": I64})


def stateless_int_cases():
    op = "StatelessRandomUniformInt"
    for dtype, lo, hi in [(I32, 0, 10), (I32, -5, 5), (I32, -2**31, 2**31 - 1), (I32, 7, 8),
                          (I64, 0, 1000), (I64, -2**63, 2**63 - 1), (I64, -3, 2**40)]:
        for shape, seed in [([3, 5], vec([4, 5], I64)), ([9], vec([-1, 77], I32))]:
            eager("%s %s [%d, %d) shape %s" % (op, type_name(dtype), lo, hi, shape), op,
                  [("shape", vec(shape)), ("seed", seed), ("minval", scalar(lo, dtype)),
                   ("maxval", scalar(hi, dtype))],
                  {"dtype": dtype, "T": I32, "Tseed": seed.dtype.type})
    base = {"dtype": I32, "T": I32, "Tseed": I64}
    seed = vec([1, 2], I64)
    eager(op + " error: minval == maxval", op, [("shape", vec([2])), ("seed", seed),
          ("minval", scalar(3, I32)), ("maxval", scalar(3, I32))], base)
    eager(op + " error: minval > maxval", op, [("shape", vec([2])), ("seed", seed),
          ("minval", scalar(3, I32)), ("maxval", scalar(-3, I32))], base)
    eager(op + " empty output with minval > maxval", op, [("shape", vec([0])), ("seed", seed),
          ("minval", scalar(3, I32)), ("maxval", scalar(-3, I32))], base)
    eager(op + " error: vector minval", op, [("shape", vec([2])), ("seed", seed),
          ("minval", vec([0])), ("maxval", scalar(3, I32))], base)
    eager(op + " error: float dtype", op, [("shape", vec([2])), ("seed", seed),
          ("minval", scalar(0, F32)), ("maxval", scalar(1, F32))],
          {"dtype": F32, "T": I32, "Tseed": I64})


def key_counter_cases():
    for op in ["StatelessRandomGetKeyCounter", "StatelessRandomGetKeyCounterAlg"]:
        for seed in [vec([1, 2], I64), vec([0, 0], I64), vec([-1, -2**31], I32),
                     vec([2**62 + 5, -9], I64)]:
            eager("%s seed %s %s" % (op, seed.tolist(), type_name(seed.dtype.type)), op,
                  [("seed", seed)], {"Tseed": seed.dtype.type})
        eager(op + " error: seed of one", op, [("seed", vec([1], I64))], {"Tseed": I64})
        eager(op + " error: matrix seed", op, [("seed", vec([[1, 2]], I64))], {"Tseed": I64})


def v2_cases():
    key_a = vec([0x0123456789ABCDEF], U64)
    counter_a = vec([0xFFFFFFFFFFFFFFFE, 0x8000000000000001], U64)  # the low word carries over
    key_b = vec([10413732777507651514], U64)  # StatelessRandomGetKeyCounter of seed [1, 2]
    counter_b = vec([0, 17830669156045600267], U64)
    for op in ["StatelessRandomUniformV2", "StatelessRandomNormalV2", "StatelessTruncatedNormalV2"]:
        for dtype in FLOATS:
            for shape, key, counter, alg in [([2, 5], key_a, counter_a, 1),
                                             ([3, 3], key_b, counter_b, 3)]:
                eager("%s %s shape %s alg %d" % (op, type_name(dtype), shape, alg), op,
                      [("shape", vec(shape)), ("key", key), ("counter", counter),
                       ("alg", scalar(alg, I32))], {"dtype": dtype, "Tshape": I32})
        base = {"dtype": F32, "Tshape": I32}
        eager(op + " a longer counter: the first two words count", op,
              [("shape", vec([6], I64)), ("key", key_a),
               ("counter", vec([5, 6, 7], U64)), ("alg", scalar(1, I32))],
              {"dtype": F32, "Tshape": I64})
        eager(op + " error: ThreeFry", op, [("shape", vec([2])), ("key", key_a),
              ("counter", counter_a), ("alg", scalar(2, I32))], base)
        eager(op + " error: unknown algorithm", op, [("shape", vec([2])), ("key", key_a),
              ("counter", counter_a), ("alg", scalar(9, I32))], base)
        eager(op + " error: key of two", op, [("shape", vec([2])), ("key", vec([1, 2], U64)),
              ("counter", counter_a), ("alg", scalar(1, I32))], base)
        eager(op + " error: vector alg", op, [("shape", vec([2])), ("key", key_a),
              ("counter", counter_a), ("alg", vec([1], I32))], base)
    op = "StatelessRandomUniformIntV2"
    for dtype, lo, hi in [(I32, -100, 100), (I64, -2**62, 2**62), (I32, -2**31, 2**31 - 1)]:
        eager("%s %s [%d, %d)" % (op, type_name(dtype), lo, hi), op,
              [("shape", vec([11])), ("key", key_a), ("counter", counter_a),
               ("alg", scalar(1, I32)), ("minval", scalar(lo, dtype)),
               ("maxval", scalar(hi, dtype))], {"dtype": dtype, "Tshape": I32})
    eager(op + " error: minval > maxval", op,
          [("shape", vec([2])), ("key", key_a), ("counter", counter_a), ("alg", scalar(1, I32)),
           ("minval", scalar(5, I32)), ("maxval", scalar(1, I32))], {"dtype": I32, "Tshape": I32})


def stateful_cases():
    seeds = [(5, 7), (1, 0), (0, 3), (-8, 2**40), (87654321, 11)]
    for op in ["RandomUniform", "RandomStandardNormal", "TruncatedNormal"]:
        for i, dtype in enumerate(FLOATS):
            for j, shape in enumerate([[2, 3], [9]]):
                seed, seed2 = seeds[(i + j) % len(seeds)]
                first_run("%s %s shape %s seeds %d %d" % (op, type_name(dtype), shape, seed, seed2),
                          op, [("shape", vec(shape))],
                          {"seed": seed, "seed2": seed2, "dtype": dtype, "T": I32})
        first_run(op + " float32 37 elements, int64 shape", op, [("shape", vec([37], I64))],
                  {"seed": 4, "seed2": 4, "dtype": F32, "T": I64})
        first_run(op + " error: negative size", op, [("shape", vec([-2]))],
                  {"seed": 1, "seed2": 2, "dtype": F32, "T": I32})
    op = "RandomUniformInt"
    for dtype, lo, hi, seed, seed2 in [(I32, 0, 10, 5, 7), (I32, -2**31, 2**31 - 1, 3, 0),
                                       (I64, -50, 2**33, 0, 9), (I64, -2**63, 2**63 - 1, 6, 6)]:
        first_run("%s %s [%d, %d) seeds %d %d" % (op, type_name(dtype), lo, hi, seed, seed2), op,
                  [("shape", vec([2, 5])), ("minval", scalar(lo, dtype)),
                   ("maxval", scalar(hi, dtype))],
                  {"seed": seed, "seed2": seed2, "Tout": dtype, "T": I32})
    first_run(op + " empty output with minval > maxval", op,
              [("shape", vec([0, 4])), ("minval", scalar(4, I32)), ("maxval", scalar(1, I32))],
              {"seed": 1, "seed2": 1, "Tout": I32, "T": I32})
    first_run(op + " error: scalar shape", op,
              [("shape", scalar(3, I32)), ("minval", scalar(0, I32)), ("maxval", scalar(4, I32))],
              {"seed": 1, "seed2": 1, "Tout": I32, "T": I32})
    first_run(op + " error: minval == maxval", op,
              [("shape", vec([2])), ("minval", scalar(4, I32)), ("maxval", scalar(4, I32))],
              {"seed": 1, "seed2": 1, "Tout": I32, "T": I32})


def check_numerics_cases():
    for op in ["CheckNumerics", "CheckNumericsV2"]:
        for dtype in FLOATS:
            eager("%s %s finite" % (op, type_name(dtype)), op,
                  [("tensor", vec([[1.5, -2.0], [0.0, 3.25]], dtype))],
                  {"message": "finite", "T": dtype})
        for bad in [math.nan, math.inf, -math.inf]:
            eager("%s error: %s" % (op, bad), op, [("tensor", vec([1.0, bad, 2.0], F32))],
                  {"message": "bad_value", "T": F32})
        eager(op + " empty tensor", op, [("tensor", vec([], F32))], {"message": "empty", "T": F32})


def define_cases():
    stateless_float_cases()
    stateless_int_cases()
    key_counter_cases()
    v2_cases()
    stateful_cases()
    check_numerics_cases()


# ---- The text format -------------------------------------------------------------------------

def number_text(value, dtype):
    """Integers as they are; floats so that strtof (strtod for float64) reads back the same
    value: float32 as its shortest text, the 16-bit floats through their exact float value."""
    if dtype == np.dtype(np.bool_):
        return "1" if value else "0"
    if dtype.kind in "iu":
        return str(int(value))
    if math.isnan(float(value)):
        return "nan"
    if math.isinf(float(value)):
        return "inf" if value > 0 else "-inf"
    if dtype == np.dtype(F32):
        if abs(float(value)) >= 1e-4 or value == 0:
            return np.format_float_positional(value, unique=True, trim="-")
        return np.format_float_scientific(value, unique=True)
    return repr(float(value))


def tensor_text(array):
    """`dtype [d0,d1] e0 e1 ...` on one line."""
    array = np.asarray(array)
    dtype = np.dtype(array.dtype)
    shape = "[" + ",".join(str(d) for d in array.shape) + "]"
    values = [number_text(v, dtype) for v in array.reshape(-1)]
    return " ".join([KILN_DTYPES[dtype], shape] + values)


def attr_text(key, value):
    if isinstance(value, type):
        return "attr %s type %s" % (key, type_name(value))
    if isinstance(value, str):
        return "attr %s string %s" % (key, value)
    return "attr %s int %d" % (key, value)


def main():
    define_cases()
    records = []
    for name, op, inputs, attrs, outputs in CASES:
        lines = ["case " + name, "op " + op]
        lines += [attr_text(k, v) for k, v in sorted(attrs.items())]
        lines += ["in " + tensor_text(a) for a in inputs]
        lines += ["fails"] if outputs is None else ["out " + tensor_text(a) for a in outputs]
        records.append("\n".join(lines))
    out = sys.stdout
    out.write("# Generated by tests/reference/make_random_cases.py with TensorFlow %s: "
              "do not edit.\n" % tf.__version__)
    out.write("# Each case: a TensorFlow random or check op, its inputs and attributes, and what\n"
              "# TensorFlow returned (stateful ops: their first run in a fresh session) or that\n"
              "# it refused. uint64 keys and counters appear as int64 with the same bits.\n\n")
    out.write("\n\n".join(records))
    out.write("\n\ncases %d\n" % len(records))
    sys.stderr.write("%d cases, %d expected to fail\n"
                     % (len(CASES), sum(1 for c in CASES if c[4] is None)))


if __name__ == "__main__":
    main()
