#!/usr/bin/env python3
"""Computes the expected results of Kiln's tests of the less common array ops with TensorFlow.

SpaceToBatchND, BatchToSpaceND, DepthToSpace, SpaceToDepth, ReverseV2, ReverseSequence, Roll,
OneHot, DenseBincount, Gather, GatherNd, ScatterNd, TensorScatter{Update,Add,Sub,Max,Min}, MatrixBandPart, the
MatrixDiag, MatrixSetDiag and MatrixDiagPart families (V1 to V3), TopKV2, Concat and EnsureShape.

Each case runs one raw TensorFlow op eagerly on the CPU and records its inputs, its attributes
and its outputs, or the fact that TensorFlow refused it, as lines of text (the format
tf_cases.hpp reads) that tests/reference/test_array_tail_tf.cpp replays on Kiln's reference
kernels. Two kinds of case are not TensorFlow's CPU output verbatim, and say so in their names:

  * DepthToSpace and SpaceToDepth in NCHW, which TensorFlow runs only on a GPU: the expected
    output is the NHWC op between two transposes, which is what the GPU kernel computes.
  * TopKV2 with sorted=false, whose order TensorFlow leaves open: the generator checks that
    TensorFlow returned the same (value, index) pairs as the sorted op and records them sorted,
    which is the order Kiln returns.

Run it from the repository root with a Python that has TensorFlow and commit the result:

    python tests/reference/make_array_tail_cases.py > tests/reference/data/array_tail_tf_cases.txt
"""

import math
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

F32, F16, F64, I8, U8, I32, I64, BOOL = (np.float32, np.float16, np.float64, np.int8, np.uint8,
                                         np.int32, np.int64, np.bool_)
BF16 = tf.bfloat16.as_numpy_dtype

KILN_DTYPES = {
    np.dtype(F32): "float32", np.dtype(F16): "float16", np.dtype(BF16): "bfloat16",
    np.dtype(F64): "float64", np.dtype(I8): "int8", np.dtype(U8): "uint8",
    np.dtype(I32): "int32", np.dtype(I64): "int64", np.dtype(BOOL): "bool",
}

# What TensorFlow raises when it refuses a case: bad values, no kernel for the attributes
# (NotFoundError), or attributes its op registry rejects before running anything.
REFUSALS = (tf.errors.InvalidArgumentError, tf.errors.NotFoundError, tf.errors.UnimplementedError,
            ValueError, TypeError)

CASES = []


class ShapeAttr:
    """A `shape` attribute: a list of dims (None for unknown ones), or None for unknown rank."""

    def __init__(self, dims):
        self.dims = dims

    def tf_value(self):
        return tf.TensorShape(self.dims)


def iota(shape, dtype=F32, start=0):
    """0, 1, 2, ... in the given shape: every element tells where it came from."""
    return (np.arange(int(np.prod(shape))) + start).reshape(shape).astype(dtype)


def vec(values, dtype=I32):
    return np.array(values, dtype=dtype)


def scalar(value, dtype=I32):
    return np.array(value, dtype=dtype)


def run(op, inputs, attrs):
    kwargs = {}
    for keyword, value in inputs:
        kwargs[keyword] = [tf.constant(v) for v in value] if isinstance(value, list) \
            else tf.constant(value)
    for key, value in attrs.items():
        if isinstance(value, type):
            value = tf.as_dtype(value)
        elif isinstance(value, ShapeAttr):
            value = value.tf_value()
        kwargs[key] = value
    with tf.device("/CPU:0"):
        result = getattr(tf.raw_ops, op)(**kwargs)
    return [np.asarray(t) for t in (result if isinstance(result, (list, tuple)) else [result])]


def record(name, op, inputs, attrs, types, kiln_only, outputs):
    flat_inputs = []
    for _, value in inputs:
        flat_inputs.extend(value if isinstance(value, list) else [value])
    kiln_attrs = dict(attrs)
    for key, index in (types or {}).items():
        value = inputs[index][1]
        kiln_attrs[key] = (value[0] if isinstance(value, list) else value).dtype.type
    kiln_attrs.update(kiln_only or {})
    CASES.append((name, op, flat_inputs, kiln_attrs, outputs))


def case(name, op, inputs, attrs=None, types=None, kiln_only=None):
    """Runs tf.raw_ops.<op> and records the case.

    inputs: (keyword, array or list of arrays) in the op's input order.
    attrs: attributes both TensorFlow and Kiln take (numpy dtypes become type attributes).
    types: Kiln type attributes, each taken from the dtype of the numbered input.
    kiln_only: attributes TensorFlow infers from the call but a GraphDef spells out (N).
    """
    attrs = attrs or {}
    try:
        outputs = run(op, inputs, attrs)
    except REFUSALS:
        outputs = None
    record(name, op, inputs, attrs, types, kiln_only, outputs)


# ---- One helper per op, so that the cases below read like the Python they stand for ----------

def space_to_batch(name, x, block, paddings):
    case(name, "SpaceToBatchND", [("input", x), ("block_shape", block), ("paddings", paddings)],
         types={"T": 0, "Tblock_shape": 1, "Tpaddings": 2})


def batch_to_space(name, x, block, crops):
    case(name, "BatchToSpaceND", [("input", x), ("block_shape", block), ("crops", crops)],
         types={"T": 0, "Tblock_shape": 1, "Tcrops": 2})


def depth_space(op, name, x, block_size, data_format=None):
    attrs = {"block_size": block_size}
    if data_format:
        attrs["data_format"] = data_format
    if data_format != "NCHW":
        case(name, op, [("input", x)], attrs, types={"T": 0})
        return
    # TensorFlow's CPU kernels know NHWC only: the NCHW result is the NHWC op between transposes.
    try:
        nhwc = run(op, [("input", np.transpose(x, [0, 2, 3, 1]))], {"block_size": block_size})
        outputs = [np.transpose(nhwc[0], [0, 3, 1, 2])]
    except REFUSALS:
        outputs = None
    record(name, op, [("input", x)], attrs, {"T": 0}, None, outputs)


def reverse(name, x, axis):
    case(name, "ReverseV2", [("tensor", x), ("axis", axis)], types={"T": 0, "Tidx": 1})


def reverse_sequence(name, x, lengths, seq_dim, batch_dim=None):
    attrs = {"seq_dim": seq_dim}
    if batch_dim is not None:
        attrs["batch_dim"] = batch_dim
    case(name, "ReverseSequence", [("input", x), ("seq_lengths", lengths)], attrs,
         types={"T": 0, "Tlen": 1})


def roll(name, x, shift, axis):
    case(name, "Roll", [("input", x), ("shift", shift), ("axis", axis)],
         types={"T": 0, "Tshift": 1, "Taxis": 2})


def one_hot(name, indices, depth, on, off, **attrs):
    case(name, "OneHot", [("indices", indices), ("depth", depth), ("on_value", on),
                          ("off_value", off)], attrs, types={"TI": 0, "T": 2})


def bincount(name, values, size, weights, **attrs):
    case(name, "DenseBincount", [("input", values), ("size", size), ("weights", weights)],
         attrs, types={"Tidx": 0, "T": 2})


def gather(name, params, indices, **attrs):
    case(name, "Gather", [("params", params), ("indices", indices)], attrs,
         types={"Tparams": 0, "Tindices": 1})


def gather_nd(name, params, indices, **attrs):
    case(name, "GatherNd", [("params", params), ("indices", indices)], attrs,
         types={"Tparams": 0, "Tindices": 1})


def scatter_nd(name, indices, updates, shape, **attrs):
    case(name, "ScatterNd", [("indices", indices), ("updates", updates), ("shape", shape)], attrs,
         types={"T": 1, "Tindices": 0})


def tensor_scatter(op, name, tensor, indices, updates, **attrs):
    case(name, "TensorScatter" + op, [("tensor", tensor), ("indices", indices),
                                      ("updates", updates)], attrs, types={"T": 0, "Tindices": 1})


def band_part(name, x, lower, upper):
    case(name, "MatrixBandPart", [("input", x), ("num_lower", lower), ("num_upper", upper)],
         types={"T": 0, "Tindex": 1})


def matrix_diag(name, diagonal):
    case(name, "MatrixDiag", [("diagonal", diagonal)], types={"T": 0})


def matrix_diag_v(version, name, diagonal, k, rows=-1, cols=-1, padding=0, **attrs):
    pad = np.array(padding, dtype=diagonal.dtype)
    case(name, "MatrixDiagV%d" % version,
         [("diagonal", diagonal), ("k", np.array(k, I32)), ("num_rows", scalar(rows)),
          ("num_cols", scalar(cols)), ("padding_value", pad)], attrs, types={"T": 0})


def set_diag(name, x, diagonal):
    case(name, "MatrixSetDiag", [("input", x), ("diagonal", diagonal)], types={"T": 0})


def set_diag_v(version, name, x, diagonal, k, **attrs):
    case(name, "MatrixSetDiagV%d" % version,
         [("input", x), ("diagonal", diagonal), ("k", np.array(k, I32))], attrs, types={"T": 0})


def diag_part(name, x):
    case(name, "MatrixDiagPart", [("input", x)], types={"T": 0})


def diag_part_v(version, name, x, k, padding=0, **attrs):
    pad = np.array(padding, dtype=x.dtype)
    case(name, "MatrixDiagPartV%d" % version,
         [("input", x), ("k", np.array(k, I32)), ("padding_value", pad)], attrs, types={"T": 0})


def top_k(name, x, k, **attrs):
    inputs = [("input", x), ("k", k)]
    types = {"T": 0, "Tk": 1}
    if attrs.get("sorted", True):
        case(name, "TopKV2", inputs, attrs, types=types)
        return
    # TensorFlow leaves the unsorted order open: record its pairs in sorted order, after
    # checking that they are the sorted op's.
    try:
        values, indices = run("TopKV2", inputs, attrs)
        sorted_values, sorted_indices = run("TopKV2", inputs, dict(attrs, sorted=True))
        k = values.shape[-1]
        for r in range(values.size // k if k else 0):
            pairs = sorted(zip(values.reshape(-1, k)[r].tolist(),
                               indices.reshape(-1, k)[r].tolist()), key=lambda p: (-p[0], p[1]))
            want = list(zip(sorted_values.reshape(-1, k)[r].tolist(),
                            sorted_indices.reshape(-1, k)[r].tolist()))
            if pairs != want:
                sys.exit("TopKV2 sorted=false picked other elements than sorted=true: " + name)
        outputs = [sorted_values, sorted_indices]
    except REFUSALS:
        outputs = None
    record(name, "TopKV2", inputs, attrs, types, None, outputs)


def concat(name, axis, values):
    case(name, "Concat", [("concat_dim", axis), ("values", values)], types={"T": 1},
         kiln_only={"N": len(values)})


def ensure_shape(name, x, dims):
    case(name, "EnsureShape", [("input", x)], {"shape": ShapeAttr(dims)}, types={"T": 0})


def define_cases():
    define_block_cases()
    define_reversing_cases()
    define_one_hot_cases()
    define_bincount_cases()
    define_gather_scatter_cases()
    define_diagonal_cases()
    define_top_k_cases()
    define_concat_and_ensure_shape_cases()


def define_bincount_cases():
    no_weights = vec([], F32)
    bincount("bincount counts, 4 and 7 beyond size are dropped", vec([1, 1, 3, 0, 4, 7]),
             scalar(4), no_weights)
    bincount("bincount rows of a matrix", vec([[0, 1, 1], [2, 2, 2]], I64), scalar(3, I64),
             vec([], F32))
    bincount("bincount binary_output (multi-hot)", vec([[0, 1, 1], [3, 3, 0]]), scalar(4),
             no_weights, binary_output=True)
    bincount("bincount with float weights", vec([2, 0, 2, 1]), scalar(3),
             vec([0.5, 1.0, 0.25, 2.0], F32))
    bincount("bincount with int64 weights on rows", vec([[1, 1], [0, 2]]), scalar(3),
             vec([[5, 6], [7, 8]], I64))
    bincount("bincount with float64 weights, binary output", vec([1, 1, 2]), scalar(3),
             vec([0.5, 1.5, 2.5], F64), binary_output=True)
    bincount("bincount int32 counts", vec([0, 0, 2]), scalar(3), vec([], I32))
    bincount("bincount size 0", vec([0, 1]), scalar(0), no_weights)
    bincount("bincount of an empty input", vec([], I32), scalar(2), no_weights)
    bincount("bincount refuses a negative value", vec([1, -1]), scalar(3), no_weights)
    bincount("bincount refuses a negative size", vec([1]), scalar(-1), no_weights)
    bincount("bincount refuses weights of another shape", vec([1, 2]), scalar(3),
             vec([1.0, 2.0, 3.0], F32))
    bincount("bincount refuses float16 weights", vec([1]), scalar(3), vec([1.0], F16))


def define_block_cases():
    s2b, b2s = space_to_batch, batch_to_space
    no_pad = vec([[0, 0], [0, 0]])
    s2b("s2b 2x2 blocks of a 4x4 image", iota([1, 4, 4, 1]), vec([2, 2]), no_pad)
    s2b("s2b padded, batch 2, 3 channels", iota([2, 2, 4, 3]), vec([2, 2]),
        vec([[1, 1], [0, 2]]))
    s2b("s2b one spatial axis, padding before", iota([2, 5, 2]), vec([3]), vec([[1, 0]]))
    s2b("s2b one spatial axis of a rank-4 input", iota([1, 4, 2, 3]), vec([2]), vec([[0, 0]]))
    s2b("s2b three spatial axes", iota([1, 2, 4, 3, 2]), vec([2, 2, 3]),
        vec([[0, 0], [1, 1], [0, 0]]))
    s2b("s2b no spatial axis (M = 0)", iota([2, 3]), np.zeros([0], I32), np.zeros([0, 2], I32))
    s2b("s2b block 1 is the identity", iota([2, 2, 3, 1]), vec([1, 1]), no_pad)
    s2b("s2b int64 block and paddings, int8 data", iota([1, 3, 4, 1], I8), vec([2, 2], I64),
        vec([[1, 0], [0, 0]], I64))
    s2b("s2b float16, mixed index types", iota([1, 4, 1], F16), vec([2]), vec([[1, 1]], I64))
    s2b("s2b empty batch", iota([0, 4, 1]), vec([2]), vec([[0, 0]]))
    s2b("s2b empty spatial axis", iota([2, 0, 1]), vec([2]), vec([[0, 0]]))
    s2b("s2b all padding", iota([1, 0, 2]), vec([2]), vec([[1, 1]]))
    s2b("s2b dilation 2 for a 3x3 SAME conv", iota([1, 5, 5, 2]), vec([2, 2]),
        vec([[2, 3], [2, 3]]))
    s2b("s2b error: not a multiple of the block", iota([1, 2, 4, 1]), vec([1, 3]), no_pad)
    s2b("s2b error: negative padding", iota([1, 2, 4, 1]), vec([1, 2]), vec([[0, 0], [-2, 2]]))
    s2b("s2b error: block 0", iota([1, 2, 4, 1]), vec([1, 0]), no_pad)
    s2b("s2b error: no batch axis", iota([4]), vec([2]), vec([[0, 0]]))
    s2b("s2b error: paddings rows differ from block", iota([1, 2, 2, 1]), vec([2, 2]),
        vec([[0, 0]]))
    s2b("s2b error: scalar block_shape", iota([2, 4]), scalar(2), vec([[0, 0]]))
    s2b("s2b error: bool (TensorFlow has no kernel)", iota([1, 2, 2, 1], BOOL), vec([2, 1]),
        no_pad)

    b2s("b2s 4 batches into 2x2 blocks", iota([4, 2, 2, 1]), vec([2, 2]), no_pad)
    b2s("b2s cropped, 3 channels", iota([8, 2, 3, 3]), vec([2, 2]), vec([[1, 1], [0, 2]]))
    b2s("b2s one spatial axis, crop before", iota([6, 2, 2]), vec([3]), vec([[1, 0]]))
    b2s("b2s three spatial axes", iota([12, 1, 3, 1, 2]), vec([2, 2, 3]),
        vec([[0, 0], [1, 1], [0, 0]]))
    b2s("b2s no spatial axis (M = 0)", iota([2, 3]), np.zeros([0], I32), np.zeros([0, 2], I32))
    b2s("b2s int64 block and crops, float16", iota([4, 1, 2, 1], F16), vec([2, 2], I64),
        vec([[0, 1], [1, 0]], I64))
    b2s("b2s uint8", iota([2, 3, 1], U8), vec([2]), vec([[0, 0]]))
    b2s("b2s empty batch", iota([0, 2, 1]), vec([2]), vec([[0, 0]]))
    b2s("b2s crops take the whole axis", iota([2, 2, 1]), vec([2]), vec([[2, 2]]))
    b2s("b2s dilation 2 after a 3x3 SAME conv", iota([4, 4, 4, 2]), vec([2, 2]),
        vec([[2, 1], [2, 1]]))
    b2s("b2s error: batch not a multiple of the blocks", iota([3, 2, 1]), vec([2]),
        vec([[0, 0]]))
    b2s("b2s error: crops longer than the axis", iota([2, 2, 1]), vec([2]), vec([[2, 3]]))
    b2s("b2s error: negative crop", iota([2, 2, 1]), vec([2]), vec([[-1, 0]]))
    b2s("b2s error: block 0", iota([2, 2, 1]), vec([0]), vec([[0, 0]]))
    b2s("b2s error: bool (TensorFlow has no kernel)", iota([2, 2, 1], BOOL), vec([2]),
        vec([[0, 0]]))

    d2s = lambda *a, **k: depth_space("DepthToSpace", *a, **k)  # noqa: E731
    s2d = lambda *a, **k: depth_space("SpaceToDepth", *a, **k)  # noqa: E731
    d2s("d2s one pixel of depth 4", iota([1, 1, 1, 4]), 2)
    d2s("d2s 2x3 image of depth 8", iota([2, 2, 3, 8]), 2)
    d2s("d2s block 3", iota([1, 2, 1, 18]), 3)
    d2s("d2s int64", iota([1, 1, 2, 4], I64), 2)
    d2s("d2s bool", iota([1, 1, 1, 4], BOOL), 2)
    d2s("d2s empty batch", iota([0, 1, 1, 4]), 2)
    d2s("d2s NCHW (the NHWC op between transposes)", iota([1, 8, 2, 3]), 2, "NCHW")
    d2s("d2s NCHW block 3 (the NHWC op between transposes)", iota([2, 9, 1, 2], F16), 3, "NCHW")
    d2s("d2s error: depth not a multiple of block^2", iota([1, 1, 1, 6]), 2)
    d2s("d2s error: rank 3", iota([1, 1, 4]), 2)
    d2s("d2s error: block 1", iota([1, 1, 1, 4]), 1)
    s2d("s2d 4x4 image", iota([1, 4, 4, 1]), 2)
    s2d("s2d batch 2, 4x6 image, 3 channels", iota([2, 4, 6, 3]), 2)
    s2d("s2d block 3", iota([1, 3, 6, 2]), 3)
    s2d("s2d uint8", iota([1, 2, 2, 2], U8), 2)
    s2d("s2d empty image", iota([1, 0, 2, 1]), 2)
    s2d("s2d NCHW (the NHWC op between transposes)", iota([1, 2, 4, 6]), 2, "NCHW")
    s2d("s2d NCHW bfloat16 (the NHWC op between transposes)", iota([2, 1, 2, 2], BF16), 2,
        "NCHW")
    s2d("s2d error: height not a multiple of the block", iota([1, 3, 2, 1]), 2)
    s2d("s2d error: rank 5", iota([1, 2, 2, 1, 1]), 2)


def define_reversing_cases():
    x234 = iota([2, 3, 4])
    reverse("reverse axis 0", x234, vec([0]))
    reverse("reverse axis 1", x234, vec([1]))
    reverse("reverse axis -1, int64 axis", x234, vec([-1], I64))
    reverse("reverse axes 0 and 2", x234, vec([0, 2]))
    reverse("reverse every axis", x234, vec([2, 0, 1]))
    reverse("reverse no axis", x234, np.zeros([0], I32))
    reverse("reverse a scalar by no axis", scalar(3.5, F32), np.zeros([0], I32))
    reverse("reverse bool", iota([5], BOOL), vec([0]))
    reverse("reverse float16", iota([2, 3], F16), vec([1]))
    reverse("reverse an empty tensor", iota([0, 3]), vec([1]))
    reverse("reverse error: an axis twice", iota([4]), vec([0, -1]))
    reverse("reverse error: axis out of range", iota([4]), vec([1]))
    reverse("reverse error: scalar axis", iota([4]), scalar(0))

    rs = reverse_sequence
    rs("reverse_sequence lengths 4, 2, 0", iota([3, 4]), vec([4, 2, 0], I64), 1)
    rs("reverse_sequence batch after seq", iota([3, 2]), vec([1, 3], I64), 0, 1)
    rs("reverse_sequence 3-D, batch last", iota([2, 4, 3]), vec([2, 4, 3], I64), 1, 2)
    rs("reverse_sequence 3-D, trailing axis", iota([3, 4, 2]), vec([3, 1, 4], I64), 1, 0)
    rs("reverse_sequence int32 lengths", iota([2, 3]), vec([2, 3]), 1)
    rs("reverse_sequence bool", iota([2, 3], BOOL), vec([3, 2], I64), 1)
    rs("reverse_sequence length 1 changes nothing", iota([2, 3]), vec([1, 1], I64), 1)
    rs("reverse_sequence empty sequence axis", iota([2, 0]), vec([0, 0], I64), 1)
    rs("reverse_sequence error: length above the axis", iota([2, 3]), vec([2, 4], I64), 1)
    rs("reverse_sequence error: negative length", iota([2, 3]), vec([2, -1], I64), 1)
    rs("reverse_sequence error: seq_dim = batch_dim", iota([2, 3]), vec([2, 3], I64), 0)
    rs("reverse_sequence error: negative seq_dim", iota([2, 3]), vec([2, 3], I64), -1)
    rs("reverse_sequence error: one length too many", iota([2, 3]), vec([2, 1, 1], I64), 1)
    rs("reverse_sequence error: seq_dim out of range", iota([2, 3]), vec([2, 3], I64), 2)
    rs("reverse_sequence error: scalar lengths", iota([2, 3]), scalar(2, I64), 1)

    x5, x23 = iota([5]), iota([2, 3])
    roll("roll by 2", x5, scalar(2), scalar(0))
    roll("roll by -1", x5, scalar(-1), scalar(0))
    roll("roll by more than the axis", x5, scalar(12), scalar(0))
    roll("roll two axes", x23, vec([1, -1]), vec([1, 0]))
    roll("roll one axis twice adds the shifts", x5, vec([1, 2]), vec([0, 0]))
    roll("roll by extreme int64 shifts", x5, vec([-2**63, 2**62], I64), vec([0, 0]))
    roll("roll keeps the low 32 bits of an int64 shift", x5, scalar(2**32 + 1, I64), scalar(0))
    roll("roll int64 shift, int32 axis, axis -1", x23, scalar(1, I64), scalar(-1))
    roll("roll bool", iota([3], BOOL), scalar(1), scalar(0))
    roll("roll an empty axis", iota([0, 3]), scalar(1), scalar(0))
    roll("roll 3-D, middle axis, int8", iota([2, 3, 2], I8), vec([4]), vec([1], I64))
    roll("roll error: axis out of range", x5, scalar(1), scalar(1))
    roll("roll error: shift and axis lengths differ", x5, vec([1, 2]), scalar(0))
    roll("roll error: a scalar", scalar(3.0, F32), np.zeros([0], I32), np.zeros([0], I32))
    roll("roll error: matrix shift", x5, vec([[1]]), vec([[0]]))


def define_one_hot_cases():
    on, off = scalar(1.0, F32), scalar(0.0, F32)
    one_hot("one_hot with an index out of range on each side", vec([0, 2, -1, 5], I64),
            scalar(3), on, off)
    one_hot("one_hot axis 0", vec([0, 2], I64), scalar(3), scalar(5.0, F32), scalar(-1.0, F32),
            axis=0)
    one_hot("one_hot 2-D indices, axis 1", vec([[0, 1, 2], [2, 2, 0]], I64), scalar(4), on, off,
            axis=1)
    one_hot("one_hot 2-D indices, axis -1, int32 indices", vec([[0, 3], [1, 2]]), scalar(4), on,
            off, axis=-1)
    one_hot("one_hot 2-D indices, axis 0", vec([[1, 0], [0, 3]]), scalar(3), on, off, axis=0)
    one_hot("one_hot uint8 indices (255 is out of range)", vec([255, 1], U8), scalar(3), on, off)
    one_hot("one_hot int8 indices (-1 is out of range)", vec([-1, 1], I8), scalar(3), on, off)
    one_hot("one_hot bool values", vec([0, 2], I64), scalar(3), scalar(True, BOOL),
            scalar(False, BOOL))
    one_hot("one_hot int32 values", vec([1, 0]), scalar(2), scalar(7), scalar(-7))
    one_hot("one_hot float16 values", vec([1, 0]), scalar(2), scalar(0.5, F16), scalar(0.25, F16))
    one_hot("one_hot depth 0", vec([0, 2], I64), scalar(0), on, off)
    one_hot("one_hot scalar index", scalar(1, I64), scalar(3), scalar(5.0, F32), off)
    one_hot("one_hot scalar index, axis 0", scalar(1, I64), scalar(3), scalar(5.0, F32), off,
            axis=0)
    one_hot("one_hot no indices", np.zeros([0, 2], I64), scalar(3), on, off, axis=1)
    one_hot("one_hot error: axis -2", vec([0, 2], I64), scalar(3), on, off, axis=-2)
    one_hot("one_hot error: axis past the rank", vec([0, 2], I64), scalar(3), on, off, axis=2)
    one_hot("one_hot error: negative depth", vec([0, 2], I64), scalar(-1), on, off)
    one_hot("one_hot error: on_value a vector", vec([0, 2], I64), scalar(3), vec([1.0], F32), off)
    one_hot("one_hot error: depth a vector", vec([0, 2], I64), vec([3]), on, off)
    one_hot("one_hot error: int64 depth", vec([0, 2], I64), scalar(3, I64), on, off)


def define_gather_scatter_cases():
    p32 = iota([3, 2])
    gather("gather v1 rows", p32, vec([2, 0, 2]))
    gather("gather v1 2-D indices", p32, vec([[2], [0]]))
    gather("gather v1 scalar index", p32, scalar(1))
    gather("gather v1 int64 indices, bool params", iota([3], BOOL), vec([1, 2], I64))
    gather("gather v1 no indices from an empty axis", iota([0, 2]), np.zeros([0], I32))
    gather("gather v1 validate_indices false", iota([4, 2, 2], I64), vec([3, 1]),
           validate_indices=False)
    gather("gather v1 error: index too large", p32, vec([3]))
    gather("gather v1 error: negative index", p32, vec([-1]))
    gather("gather v1 error: validate_indices false does not skip the check", p32, vec([5]),
           validate_indices=False)
    gather("gather v1 error: scalar params", scalar(3.0, F32), vec([0]))

    gnd = gather_nd
    gnd("gather_nd elements", p32, vec([[1, 0], [2, 1]]))
    gnd("gather_nd rows", p32, vec([[1], [2]]))
    gnd("gather_nd a single tuple (rank-1 indices)", p32, vec([2, 1]))
    gnd("gather_nd depth 0 copies params", p32, np.zeros([2, 0], I32))
    gnd("gather_nd batch of tuples, 3-D params", iota([2, 3, 4]), vec([[[0, 1], [1, 2]],
                                                                       [[1, 0], [0, 0]]]))
    gnd("gather_nd int64 indices, int8 params", iota([2, 2, 2], I8), vec([[1, 1, 0], [0, 1, 1]],
                                                                        I64))
    gnd("gather_nd bool params", iota([2, 2], BOOL), vec([[1, 1], [0, 0]]))
    gnd("gather_nd float16, depth 7", iota([1, 1, 1, 2, 1, 1, 1], F16),
        vec([[0, 0, 0, 1, 0, 0, 0]]))
    gnd("gather_nd IGNORE reads zeros for bad tuples", p32, vec([[3, 0], [1, 1], [-1, 0]]),
        bad_indices_policy="IGNORE")
    gnd("gather_nd ERROR policy, good tuples", p32, vec([[2, 1]]), bad_indices_policy="ERROR")
    gnd("gather_nd no tuples from an empty params", iota([0, 2]), np.zeros([0, 1], I32))
    gnd("gather_nd error: index too large", p32, vec([[3, 0]]))
    gnd("gather_nd error: negative index", p32, vec([[-1, 0]]))
    gnd("gather_nd error: ERROR policy", p32, vec([[0, 2]]), bad_indices_policy="ERROR")
    gnd("gather_nd error: DEFAULT policy", p32, vec([[0, 2]]), bad_indices_policy="DEFAULT")
    gnd("gather_nd error: unknown policy", p32, vec([[0, 1]]), bad_indices_policy="FOO")
    gnd("gather_nd error: tuples longer than the rank", p32, vec([[1, 0, 0]]))
    gnd("gather_nd error: scalar indices", p32, scalar(1))
    gnd("gather_nd error: scalar params", scalar(5.0, F32), np.zeros([0], I32))
    gnd("gather_nd error: tuples from an empty params", iota([0, 2]), vec([[0]]))
    gnd("gather_nd error: depth 0 from an empty params", iota([0, 2]), np.zeros([3, 0], I32))
    gnd("gather_nd error: depth 8", iota([1] * 8), np.zeros([1, 8], I32))

    snd = scatter_nd
    snd("scatter_nd repeated indices add up", vec([[1], [1], [0]]), vec([1, 2, 3], F32), vec([3]))
    snd("scatter_nd slices of a matrix", vec([[2], [0]]), iota([2, 3], start=1), vec([4, 3]))
    snd("scatter_nd elements of a matrix, int64 indices", vec([[0, 1], [2, 2], [0, 1]], I64),
        vec([5, 6, 7], I64), vec([3, 3], I64))
    snd("scatter_nd 2-D batch of tuples", vec([[[0], [2]], [[1], [2]]]), iota([2, 2, 2], I32, 1),
        vec([3, 2]))
    snd("scatter_nd uint8 sums wrap", vec([[1], [1]]), vec([200, 100], U8), vec([3]))
    snd("scatter_nd int8 sums wrap", vec([[1], [1]]), vec([100, 100], I8), vec([3]))
    snd("scatter_nd bool ors", vec([[1], [1], [2]]), vec([True, True, False], BOOL), vec([3]))
    snd("scatter_nd float16 rounds after each add", vec([[0], [0], [0]]),
        vec([1000, 0.3, 0.3], F16), vec([1]))
    snd("scatter_nd IGNORE skips bad tuples", vec([[3], [0], [-1]]), vec([1, 2, 4], F32),
        vec([3]), bad_indices_policy="IGNORE")
    snd("scatter_nd no updates", np.zeros([0, 1], I32), iota([0, 2]), vec([3, 2]))
    snd("scatter_nd depth 0 into an empty output", np.zeros([0, 0], I32), iota([0, 0]), vec([0]))
    snd("scatter_nd error: index too large", vec([[3]]), vec([1], F32), vec([3]))
    snd("scatter_nd error: negative index", vec([[-1]]), vec([1], F32), vec([3]))
    snd("scatter_nd error: updates too long", vec([[1]]), vec([1, 2], F32), vec([3]))
    snd("scatter_nd error: rank-1 indices", vec([2]), vec([1, 2, 3], F32), vec([4, 3]))
    snd("scatter_nd error: scalar updates", vec([1]), scalar(1.0, F32), vec([3]))
    snd("scatter_nd error: updates into an empty output", vec([[0]]), vec([1], F32), vec([0]))
    snd("scatter_nd error: depth 0 into a non-empty output", np.zeros([0, 0], I32), iota([0, 2]),
        vec([2]))
    snd("scatter_nd error: negative shape", vec([[1]]), vec([1], F32), vec([-3]))
    snd("scatter_nd error: scalar shape", vec([[0]]), vec([1], F32), scalar(3))
    snd("scatter_nd error: int32 updates of an empty slice", vec([[1]]), np.zeros([1, 0], I32),
        vec([2, 0]))

    ts = tensor_scatter
    z4 = np.zeros([4], F32)
    ts("Update", "tensor_scatter_update elements", z4, vec([[1], [3]]), vec([1, 2], F32))
    ts("Update", "tensor_scatter_update repeated index: the last wins", z4, vec([[1], [1]]),
       vec([1, 2], F32))
    ts("Update", "tensor_scatter_update rows, int64 indices", iota([3, 2]), vec([[2], [0]], I64),
       iota([2, 2], start=10))
    ts("Update", "tensor_scatter_update bool", iota([4], BOOL), vec([[0], [2]]),
       vec([True, True], BOOL))
    ts("Update", "tensor_scatter_update uint8", iota([3], U8), vec([[1]]), vec([7], U8))
    ts("Update", "tensor_scatter_update IGNORE", z4, vec([[4], [2]]), vec([1, 2], F32),
       bad_indices_policy="IGNORE")
    ts("Update", "tensor_scatter_update of an empty tensor", iota([0]), np.zeros([0, 1], I32),
       iota([0]))
    ts("Add", "tensor_scatter_add repeated indices add up", z4, vec([[1], [1], [3]]),
       vec([1, 2, 4], F32))
    ts("Add", "tensor_scatter_add slices, float16", iota([2, 3], F16), vec([[1], [1]]),
       iota([2, 3], F16))
    ts("Add", "tensor_scatter_add int64 elements", iota([2, 2], I64), vec([[0, 1], [1, 0]]),
       vec([10, 20], I64))
    ts("Add", "tensor_scatter_add IGNORE", z4, vec([[-1], [1]]), vec([1, 2], F32),
       bad_indices_policy="IGNORE")
    ts("Sub", "tensor_scatter_sub bfloat16", iota([4], BF16), vec([[1], [1]]), vec([1, 1], BF16))
    ts("Sub", "tensor_scatter_sub int32 matrix elements", iota([2, 2], I32), vec([[1, 1]]),
       vec([5]))
    ts("Max", "tensor_scatter_max", vec([1, 5, 3], F32), vec([[0], [1], [0]]),
       vec([4, 2, 9], F32))
    ts("Max", "tensor_scatter_max uint8", vec([1, 5, 3], U8), vec([[2]]), vec([4], U8))
    ts("Min", "tensor_scatter_min int8", vec([1, 5, -3], I8), vec([[0], [2], [1]]),
       vec([-4, 2, 0], I8))
    ts("Min", "tensor_scatter_min rows, float64", iota([2, 2], F64), vec([[1]]),
       vec([[9, 0]], F64))
    ts("Update", "tensor_scatter_update error: index too large", z4, vec([[4]]), vec([1], F32))
    ts("Add", "tensor_scatter_add error: negative index", z4, vec([[-1]]), vec([1], F32))
    ts("Sub", "tensor_scatter_sub error: index too large", z4, vec([[9]]), vec([1], F32))
    ts("Max", "tensor_scatter_max error: index too large", z4, vec([[4]]), vec([1], F32))
    ts("Min", "tensor_scatter_min error: ERROR policy", z4, vec([[4]]), vec([1], F32),
       bad_indices_policy="ERROR")
    ts("Add", "tensor_scatter_add error: bool", iota([4], BOOL), vec([[1]]), vec([True], BOOL))
    ts("Max", "tensor_scatter_max error: bool", iota([4], BOOL), vec([[1]]), vec([True], BOOL))
    ts("Update", "tensor_scatter_update error: updates of the wrong shape", iota([4, 2]),
       vec([[1]]), vec([1, 2], F32))
    ts("Update", "tensor_scatter_update error: tuples too long", z4, vec([[1, 1]]),
       vec([1], F32))
    ts("Update", "tensor_scatter_update error: scalar indices", z4, scalar(1), vec([1], F32))
    ts("Update", "tensor_scatter_update error: scalar tensor", scalar(1.0, F32),
       np.zeros([0], I32), scalar(2.0, F32))
    ts("Update", "tensor_scatter_update error: indices but no update", iota([2]),
       np.zeros([1, 0], I32), vec([[5, 6]], F32))
    ts("Update", "tensor_scatter_update error: into an empty tensor", iota([0]), vec([[0]]),
       vec([1], F32))
    ts("Update", "tensor_scatter_update error: depth 8", np.zeros([1] * 8, F32),
       np.zeros([1, 8], I32), vec([1], F32))


def define_diagonal_cases():
    x34, x43 = iota([3, 4]), iota([4, 3])
    bp = band_part
    bp("band_part lower 1, upper all", x34, scalar(1, I64), scalar(-1, I64))
    bp("band_part the diagonal", x43, scalar(0, I64), scalar(0, I64))
    bp("band_part lower triangle", x34, scalar(-1, I64), scalar(0, I64))
    bp("band_part -2 keeps everything too", x34, scalar(-2, I64), scalar(1, I64))
    bp("band_part counts up to the matrix size", x34, scalar(3, I64), scalar(4, I64))
    bp("band_part batch, int32 counts", iota([2, 3, 3]), scalar(0), scalar(1))
    bp("band_part bool", iota([2, 2], BOOL, 1), scalar(0, I64), scalar(0, I64))
    bp("band_part empty", iota([0, 3]), scalar(0, I64), scalar(1, I64))
    bp("band_part error: num_lower above the rows", x34, scalar(4, I64), scalar(0, I64))
    bp("band_part error: num_upper above the columns", x34, scalar(0, I64), scalar(5, I64))
    bp("band_part error: vector count", x34, vec([0], I64), scalar(0, I64))
    bp("band_part error: vector input", iota([3]), scalar(0, I64), scalar(0, I64))

    matrix_diag("matrix_diag v1 vector", vec([1, 2, 3], F32))
    matrix_diag("matrix_diag v1 batch", iota([2, 3], I64, 1))
    matrix_diag("matrix_diag v1 bool", vec([True, False], BOOL))
    matrix_diag("matrix_diag v1 empty", iota([0]))
    matrix_diag("matrix_diag v1 error: scalar", scalar(1.0, F32))

    band = iota([2, 3], F32, 1)  # diagonals 0 and -1 of a 3x3 matrix
    band3 = iota([3, 3], F32, 1)  # diagonals 1, 0, -1
    for version in (2, 3):
        md = lambda *a, **k: matrix_diag_v(version, *a, **k)  # noqa: E731
        v = "matrix_diag v%d " % version
        md(v + "superdiagonal 1", vec([1, 2], F32), 1)
        md(v + "subdiagonal -1, 4 rows", vec([1, 2], F32), -1, rows=4)
        md(v + "subdiagonal -1, 4 columns", vec([1, 2], F32), -1, cols=4)
        md(v + "diagonal 0 of a 3x2 matrix", vec([1, 2], F32), 0, rows=3, cols=2)
        md(v + "band [-1, 0], padding 9", band, [-1, 0], padding=9)
        md(v + "band [-1, 1]", band3, [-1, 1])
        md(v + "far superdiagonal", vec([1, 2], F32), 5, rows=2)
        md(v + "empty diagonal", iota([0]), 0)
        md(v + "empty diagonal 1", iota([0]), 1)
        md(v + "error: too few rows", vec([1, 2], F32), 0, rows=1)
        md(v + "error: neither size the smallest", vec([1, 2], F32), 0, rows=3, cols=3)
        md(v + "error: k reversed", vec([[1, 2]], F32), [1, 0])
        md(v + "error: three k values", vec([1, 2], F32), [0, 0, 0])
        md(v + "error: band of the wrong count", vec([[1, 2]], F32), [0, 1])
        md(v + "error: empty k", vec([1, 2], F32), np.zeros([0], I32))
        md(v + "error: rows -2", vec([1, 2], F32), 0, rows=-2)
    md3 = lambda *a, **k: matrix_diag_v(3, *a, **k)  # noqa: E731
    for align in ("LEFT_LEFT", "LEFT_RIGHT", "RIGHT_LEFT", "RIGHT_RIGHT"):
        md3("matrix_diag v3 band [-1, 1] of a 3x4 matrix, " + align, band3, [-1, 1], cols=4,
            padding=-1, align=align)
        md3("matrix_diag v3 band [-2, 0], " + align, iota([3, 3], F32, 1), [-2, 0], align=align)
    md3("matrix_diag v3 batch of bands, int8", iota([2, 2, 2], I8, 1), [0, 1], padding=7)
    md3("matrix_diag v3 bool", vec([True, True], BOOL), 1)
    md3("matrix_diag v3 band [1, 2], int64", iota([2, 2], I64, 1), [1, 2], rows=2)
    md3("matrix_diag v3 error: unknown align", vec([1, 2], F32), 0, align="CENTER")
    md3("matrix_diag v3 error: padding_value a vector", vec([1, 2], F32), 0,
        padding=np.zeros([1], F32))

    set_diag("set_diag v1 wide matrix", np.zeros([2, 3], F32), vec([1, 2], F32))
    set_diag("set_diag v1 tall matrix, batch", iota([2, 3, 2]), iota([2, 2], start=-4))
    set_diag("set_diag v1 bool", np.zeros([2, 2], BOOL), vec([True, True], BOOL))
    set_diag("set_diag v1 error: diagonal too long", np.zeros([2, 3], F32), vec([1, 2, 3], F32))
    set_diag("set_diag v1 error: vector input", np.zeros([3], F32), vec([1], F32))
    for version in (2, 3):
        sd = lambda *a, **k: set_diag_v(version, *a, **k)  # noqa: E731
        v = "set_diag v%d " % version
        sd(v + "superdiagonal 1", iota([3, 4]), vec([-1, -2, -3], F32), 1)
        sd(v + "subdiagonal -1 of a 3x2 matrix", iota([3, 2]), vec([7, 8], F32), -1)
        sd(v + "band [-1, 1]", np.zeros([3, 4], F32), iota([3, 3], F32, 1), [-1, 1])
        sd(v + "band [0, 2], batch, int64", iota([2, 2, 3], I64), iota([2, 3, 2], I64, 100),
           [0, 2])
        sd(v + "error: k outside the matrix", np.zeros([3, 4], F32), vec([1], F32), 4)
        sd(v + "error: band diagonal of rank 1", np.zeros([3, 2], F32), vec([7, 8], F32),
           [-1, 0])
        sd(v + "error: diagonal too short", np.zeros([3, 4], F32), vec([1, 2], F32), 0)
    for align in ("LEFT_LEFT", "LEFT_RIGHT", "RIGHT_LEFT", "RIGHT_RIGHT"):
        set_diag_v(3, "set_diag v3 band [-1, 2] of a 3x4 matrix, " + align, np.zeros([3, 4], F32),
                   iota([4, 3], F32, 1), [-1, 2], align=align)

    diag_part("diag_part v1 wide", x34)
    diag_part("diag_part v1 tall, batch", iota([2, 4, 3]))
    diag_part("diag_part v1 bool", iota([2, 2], BOOL, 1))
    diag_part("diag_part v1 empty", iota([0, 3]))
    diag_part("diag_part v1 error: vector", iota([3]))
    for version in (2, 3):
        dp = lambda *a, **k: diag_part_v(version, *a, **k)  # noqa: E731
        v = "diag_part v%d " % version
        dp(v + "band [-1, 2], padding -1", x34, [-1, 2], padding=-1)
        dp(v + "subdiagonal -1", x43, -1)
        dp(v + "superdiagonal 3", x34, 3)
        dp(v + "batch of bands, uint8", iota([2, 3, 3], U8), [0, 1], padding=9)
        dp(v + "0x3 matrix, k 0", iota([0, 3]), 0)
        dp(v + "0x3 matrix, k 1", iota([0, 3]), 1)
        dp(v + "2x0 matrix, k -1", iota([2, 0]), -1)
        dp(v + "error: k past the columns", x34, 4)
        dp(v + "error: k past the rows", x34, -3)
        dp(v + "error: k reversed", x34, [1, -1])
        dp(v + "error: vector input", iota([3]), 0)
    for align in ("LEFT_LEFT", "LEFT_RIGHT", "RIGHT_LEFT", "RIGHT_RIGHT"):
        diag_part_v(3, "diag_part v3 band [-2, 1] of a 4x3 matrix, " + align, x43, [-2, 1],
                    padding=-1, align=align)


def define_top_k_cases():
    row = vec([1, 3, 3, 2, 3], F32)
    top_k("top_k ties keep the lower index first", row, scalar(3))
    top_k("top_k of the whole row", row, scalar(5))
    top_k("top_k 0", row, scalar(0))
    top_k("top_k rows of a matrix", vec([[4, 1, 4, 0], [-1, -1, -2, 7]], F32), scalar(2))
    top_k("top_k 3-D", iota([2, 2, 3]), scalar(2))
    top_k("top_k int64 k and index_type", row, scalar(2, I64), index_type=I64)
    top_k("top_k int8", vec([1, -3, 5, 5], I8), scalar(3))
    top_k("top_k uint8", vec([1, 255, 0, 255], U8), scalar(2))
    top_k("top_k int32", vec([7, -7, 0], I32), scalar(2))
    top_k("top_k int64", vec([2**40, -2**40, 5], I64), scalar(2))
    top_k("top_k float16", vec([0.5, -1, 2, 0.5], F16), scalar(3))
    top_k("top_k bfloat16", vec([0.5, -1, 2, 0.5], BF16), scalar(3))
    top_k("top_k float64", vec([1e-300, -1e300, 3], F64), scalar(2))
    top_k("top_k negative zero ties zero", vec([0.0, -0.0, 0.0, -0.0], F32), scalar(4))
    top_k("top_k sorted=false (recorded in sorted order)", vec([1, 3, 3, 2, 3, 5, 0, 7], F32),
          scalar(3), sorted=False)
    top_k("top_k sorted=false of 20 (recorded in sorted order)", iota([2, 20]) % 7, scalar(6),
          sorted=False)
    top_k("top_k sorted=true explicitly", row, scalar(1), sorted=True)
    top_k("top_k of no rows", iota([0, 3]), scalar(2))
    top_k("top_k 0 of empty rows", iota([2, 0]), scalar(0))
    top_k("top_k error: k above the row length", vec([1, 3], F32), scalar(3))
    top_k("top_k error: negative k", vec([1, 3], F32), scalar(-1))
    top_k("top_k error: scalar input", scalar(1.0, F32), scalar(1))
    top_k("top_k error: vector k", vec([1, 3], F32), vec([1]))
    top_k("top_k error: bool", vec([True, False], BOOL), scalar(1))


def define_concat_and_ensure_shape_cases():
    x23 = iota([2, 3])
    concat("concat v1 axis 0", scalar(0), [x23, iota([1, 3], start=100)])
    concat("concat v1 axis 1, three inputs", scalar(1),
           [x23, iota([2, 1], start=100), iota([2, 2], start=200)])
    concat("concat v1 axis -1", scalar(-1), [iota([2, 1, 2]), iota([2, 1, 1], start=9)])
    concat("concat v1 with an empty input, float16", scalar(0), [iota([0, 2], F16),
                                                                 iota([2, 2], F16)])
    concat("concat v1 bool", scalar(0), [iota([2], BOOL), iota([1], BOOL)])
    concat("concat v1 error: scalars", scalar(0), [scalar(1.0, F32), scalar(2.0, F32)])
    concat("concat v1 error: axis out of range", scalar(2), [x23, x23])
    concat("concat v1 error: other dims differ", scalar(1), [x23, iota([3, 3])])
    concat("concat v1 error: int64 axis", scalar(0, I64), [x23, x23])

    ensure_shape("ensure_shape exact", x23, [2, 3])
    ensure_shape("ensure_shape with an unknown dim", x23, [None, 3])
    ensure_shape("ensure_shape of unknown rank", iota([2, 0], F16), None)
    ensure_shape("ensure_shape of a scalar", scalar(True, BOOL), [])
    ensure_shape("ensure_shape error: a dim differs", x23, [2, 4])
    ensure_shape("ensure_shape error: the rank differs", x23, [2, 3, 1])


def number_text(value, dtype):
    """Integers as they are, floats as the shortest text that reads back as the same double
    (their values are exact float32, float16 or bfloat16 values)."""
    if dtype == np.dtype(BOOL):
        return "1" if value else "0"
    if dtype.kind in "iu":
        return str(int(value))
    value = float(value)
    if not math.isfinite(value):
        sys.exit("non-finite values are not supported here")
    return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)


def tensor_text(array):
    """`dtype [d0,d1] e0 e1 ...` on one line."""
    array = np.asarray(array)
    dtype = np.dtype(array.dtype)
    shape = "[" + ",".join(str(d) for d in array.shape) + "]"
    return " ".join([KILN_DTYPES[dtype], shape] + [number_text(v, dtype) for v in array.reshape(-1)])


def attr_text(key, value):
    if isinstance(value, type):
        return "attr %s type %s" % (key, KILN_DTYPES[np.dtype(value)])
    if isinstance(value, bool):
        return "attr %s bool %d" % (key, value)
    if isinstance(value, str):
        return "attr %s string %s" % (key, value)
    if isinstance(value, ShapeAttr):
        if value.dims is None:
            return "attr %s shape ?" % key
        return "attr %s shape [%s]" % (key, ",".join("-1" if d is None else str(d)
                                                     for d in value.dims))
    if isinstance(value, list):
        return "attr %s ints [%s]" % (key, ",".join(str(v) for v in value))
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
    out.write("# Generated by tests/reference/make_array_tail_cases.py with TensorFlow %s: "
              "do not edit.\n" % tf.__version__)
    out.write("# Each case: a raw TensorFlow op, its inputs and attributes, and what TensorFlow\n"
              "# returned (or that it refused the inputs). tf_cases.hpp reads the format.\n"
              "# NCHW DepthToSpace/SpaceToDepth cases are the NHWC op between transposes, and\n"
              "# TopKV2 sorted=false cases are recorded in sorted order (see the generator).\n\n")
    out.write("\n\n".join(records))
    # The count lets the reader tell a complete file from a truncated one.
    out.write("\n\ncases %d\n" % len(records))
    sys.stderr.write("%d cases, %d expected to fail\n"
                     % (len(CASES), sum(1 for c in CASES if c[4] is None)))


if __name__ == "__main__":
    main()
