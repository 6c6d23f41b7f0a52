#!/usr/bin/env python3
"""Computes the expected results of Kiln's array-op tests with TensorFlow.

Each case runs one raw TensorFlow op eagerly and records its inputs, its attributes and its
outputs, or the fact that TensorFlow refused it, as lines of text (the format tf_cases.hpp
reads) that tests/reference/test_array_tf.cpp replays on Kiln's reference kernels. Run it from
the repository root with a Python that has TensorFlow and commit the result:

    python tests/reference/make_array_cases.py > tests/reference/data/array_tf_cases.txt
"""

import math
import sys

import numpy as np
import tensorflow as tf

F32, F16, F64, I8, U8, I32, I64, BOOL = (np.float32, np.float16, np.float64, np.int8, np.uint8,
                                         np.int32, np.int64, np.bool_)
BF16 = tf.bfloat16.as_numpy_dtype

KILN_DTYPES = {
    np.dtype(F32): "float32", np.dtype(F16): "float16", np.dtype(BF16): "bfloat16",
    np.dtype(F64): "float64", np.dtype(I8): "int8", np.dtype(U8): "uint8",
    np.dtype(I32): "int32", np.dtype(I64): "int64", np.dtype(BOOL): "bool",
}

# Kiln spells attributes as the GraphDef does; a few raw_ops keywords differ.
PYTHON_KEYWORD = {"squeeze_dims": "axis"}

CASES = []


def iota(shape, dtype=F32, start=0):
    """0, 1, 2, ... in the given shape: every element tells where it came from."""
    return (np.arange(int(np.prod(shape))) + start).reshape(shape).astype(dtype)


def vec(values, dtype=I32):
    return np.array(values, dtype=dtype)


def case(name, op, inputs, attrs=None, types=None, kiln_only=None):
    """Runs tf.raw_ops.<op> and records the case.

    inputs: (keyword, array or list of arrays) in the op's input order.
    attrs: attributes both TensorFlow and Kiln take (numpy dtypes become type attributes).
    types: Kiln type attributes, each taken from the dtype of the numbered input.
    kiln_only: attributes TensorFlow infers from the call but a GraphDef spells out (N).
    """
    attrs = attrs or {}
    kwargs = {}
    for keyword, value in inputs:
        kwargs[keyword] = [tf.constant(v) for v in value] if isinstance(value, list) \
            else tf.constant(value)
    for key, value in attrs.items():
        kwargs[PYTHON_KEYWORD.get(key, key)] = tf.as_dtype(value) if isinstance(value, type) \
            else value
    try:
        result = getattr(tf.raw_ops, op)(**kwargs)
        outputs = [t.numpy() for t in (result if isinstance(result, list) else [result])]
    except (tf.errors.InvalidArgumentError, ValueError):
        outputs = None
    flat_inputs = []
    for _, value in inputs:
        flat_inputs.extend(value if isinstance(value, list) else [value])
    kiln_attrs = dict(attrs)
    for key, index in (types or {}).items():
        value = inputs[index][1]
        kiln_attrs[key] = (value[0] if isinstance(value, list) else value).dtype.type
    kiln_attrs.update(kiln_only or {})
    CASES.append((name, op, flat_inputs, kiln_attrs, outputs))


# One helper per op, so that the cases below read like the Python they stand for.
def reshape(name, x, shape):
    case(name, "Reshape", [("tensor", x), ("shape", shape)], types={"T": 0, "Tshape": 1})


def squeeze(name, x, dims=None):
    attrs = {} if dims is None else {"squeeze_dims": dims}
    case(name, "Squeeze", [("input", x)], attrs, types={"T": 0})


def expand_dims(name, x, dim):
    case(name, "ExpandDims", [("input", x), ("axis", dim)], types={"T": 0, "Tdim": 1})


def transpose(name, x, perm):
    case(name, "Transpose", [("x", x), ("perm", perm)], types={"T": 0, "Tperm": 1})


def concat(name, values, axis):
    case(name, "ConcatV2", [("values", values), ("axis", axis)], types={"T": 0, "Tidx": 1},
         kiln_only={"N": len(values)})


def pack(name, values, **attrs):
    case(name, "Pack", [("values", values)], attrs, types={"T": 0}, kiln_only={"N": len(values)})


def unpack(name, x, num, **attrs):
    case(name, "Unpack", [("value", x)], dict(num=num, **attrs), types={"T": 0})


def pad(name, x, paddings):
    case(name, "Pad", [("input", x), ("paddings", paddings)], types={"T": 0, "Tpaddings": 1})


def pad_v2(name, x, paddings, constant):
    case(name, "PadV2", [("input", x), ("paddings", paddings), ("constant_values", constant)],
         types={"T": 0, "Tpaddings": 1})


def mirror_pad(name, x, paddings, mode):
    case(name, "MirrorPad", [("input", x), ("paddings", paddings)], {"mode": mode},
         types={"T": 0, "Tpaddings": 1})


def shape_query(op, name, x, **attrs):
    case(name, op, [("input", x)], attrs, types={"T": 0})


def strided_slice(name, x, begin, end, strides, **masks):
    case(name, "StridedSlice",
         [("input", x), ("begin", begin), ("end", end), ("strides", strides)], masks,
         types={"T": 0, "Index": 1})


def slice_op(name, x, begin, size):
    case(name, "Slice", [("input", x), ("begin", begin), ("size", size)],
         types={"T": 0, "Index": 1})


def gather(name, params, indices, axis, **attrs):
    case(name, "GatherV2", [("params", params), ("indices", indices), ("axis", axis)], attrs,
         types={"Tparams": 0, "Tindices": 1, "Taxis": 2})


def fill(name, dims, value):
    case(name, "Fill", [("dims", dims), ("value", value)], types={"index_type": 0, "T": 1})


def range_op(name, start, limit, delta):
    case(name, "Range", [("start", start), ("limit", limit), ("delta", delta)],
         types={"Tidx": 0})


def tile(name, x, multiples):
    case(name, "Tile", [("input", x), ("multiples", multiples)], types={"T": 0, "Tmultiples": 1})


def select_v2(name, condition, t, e):
    case(name, "SelectV2", [("condition", condition), ("t", t), ("e", e)], types={"T": 1})


def select(name, condition, t, e):
    case(name, "Select", [("condition", condition), ("x", t), ("y", e)], types={"T": 1})


def like(op, name, x):
    case(name, op, [("x", x)], types={"T": 0})


def split(name, axis, x, num_split):
    case(name, "Split", [("axis", axis), ("value", x)], {"num_split": num_split}, types={"T": 1})


def split_v(name, x, sizes, axis, num_split):
    case(name, "SplitV", [("value", x), ("size_splits", sizes), ("axis", axis)],
         {"num_split": num_split}, types={"T": 0, "Tlen": 1})


def broadcast_to(name, x, shape):
    case(name, "BroadcastTo", [("input", x), ("shape", shape)], types={"T": 0, "Tidx": 1})


def scalar(value, dtype=I32):
    return np.array(value, dtype=dtype)


def define_cases():
    x23, x234, x5 = iota([2, 3]), iota([2, 3, 4]), iota([5])

    reshape("reshape [2,3] to [3,2]", x23, vec([3, 2]))
    reshape("reshape infers -1", x234, vec([4, -1]))
    reshape("reshape to a vector with -1", x234, vec([-1]))
    reshape("reshape int64 shape, bool data", iota([2, 2], BOOL), vec([4], I64))
    reshape("reshape [1] to a scalar", iota([1]), vec([], I32))
    reshape("reshape [0,4] to [0,-1] infers 4", iota([0, 4]), vec([0, -1]))
    reshape("reshape [3,0] to [-1] infers 0", iota([3, 0]), vec([-1]))
    reshape("reshape [2,0,3] to [-1,3] infers 0", iota([2, 0, 3]), vec([-1, 3]))
    reshape("reshape an empty tensor to [0]", iota([0, 3]), vec([0]))
    reshape("reshape error: [2,3] to [0,-1]", x23, vec([0, -1]))
    reshape("reshape error: count mismatch", x23, vec([7]))
    reshape("reshape error: -1 not a divisor", x23, vec([4, -1]))
    reshape("reshape error: two -1", x23, vec([-1, -1]))
    reshape("reshape error: negative size", x23, vec([-2, -3]))

    squeeze("squeeze every size-1 axis", iota([1, 2, 1, 3]))
    squeeze("squeeze listed axis", iota([1, 2, 1, 3]), [0])
    squeeze("squeeze negative axis", iota([1, 2, 1, 3]), [-2])
    squeeze("squeeze to a scalar", iota([1, 1]))
    squeeze("squeeze error: axis of size 2", iota([1, 2, 1, 3]), [1])
    squeeze("squeeze error: axis out of range", iota([1, 2]), [2])

    expand_dims("expand_dims at 0", x23, scalar(0))
    expand_dims("expand_dims at the end", x23, scalar(2))
    expand_dims("expand_dims at -1", x23, scalar(-1))
    expand_dims("expand_dims at -3", x23, scalar(-3, I64))
    expand_dims("expand_dims of a scalar", scalar(5.0, F32), vec([0]))
    expand_dims("expand_dims error: 3 on rank 2", x23, scalar(3))
    expand_dims("expand_dims error: -4 on rank 2", x23, scalar(-4))

    transpose("transpose a matrix", x23, vec([1, 0]))
    transpose("transpose 3-D by [2,0,1]", x234, vec([2, 0, 1]))
    transpose("transpose 3-D by [1,0,2], int64 perm, float16", iota([2, 3, 2], F16),
              vec([1, 0, 2], I64))
    transpose("transpose identity, int8", iota([2, 2], I8), vec([0, 1]))
    transpose("transpose NHWC to NCHW", iota([2, 2, 3, 4]), vec([0, 3, 1, 2]))
    transpose("transpose a scalar", scalar(3.0, F32), vec([]))
    transpose("transpose with an empty axis", iota([0, 3]), vec([1, 0]))
    transpose("transpose error: repeated axis", x23, vec([0, 0]))
    transpose("transpose error: axis out of range", x23, vec([0, 2]))
    transpose("transpose error: too short", x234, vec([1, 0]))

    concat("concat axis 0", [x23, iota([1, 3], start=100)], scalar(0))
    concat("concat axis 1, three inputs", [x23, iota([2, 1], start=100), iota([2, 2], start=200)],
           scalar(1))
    concat("concat axis -1, int64 axis", [x234, iota([2, 3, 1], start=50)], scalar(-1, I64))
    concat("concat with an empty input, uint8", [iota([2, 0], U8), iota([2, 2], U8)], scalar(1))
    concat("concat float16 along the middle axis", [iota([2, 1, 2], F16), iota([2, 2, 2], F16, 9)],
           scalar(1))
    concat("concat error: other dims differ", [x23, iota([3, 3])], scalar(1))
    concat("concat error: axis out of range", [x23, x23], scalar(2))
    concat("concat error: scalars", [scalar(1.0, F32), scalar(2.0, F32)], scalar(0))

    pack("pack vectors", [vec([1, 2, 3]), vec([4, 5, 6])])
    pack("pack along axis 1", [vec([1, 2, 3]), vec([4, 5, 6])], axis=1)
    pack("pack along axis -1 of matrices", [x23, iota([2, 3], start=10)], axis=-1)
    pack("pack scalars", [scalar(1.5, F32), scalar(2.5, F32), scalar(3.5, F32)])
    pack("pack one input", [x23], axis=1)
    pack("pack error: shapes differ", [vec([1, 2]), vec([1, 2, 3])])
    pack("pack error: axis out of range", [vec([1, 2]), vec([3, 4])], axis=2)

    unpack("unpack rows", x23, 2)
    unpack("unpack columns", x23, 3, axis=1)
    unpack("unpack along axis -1", x234, 4, axis=-1)
    unpack("unpack a single row", iota([1, 3]), 1)
    unpack("unpack error: num differs", x23, 3)

    pad("pad a matrix", x23, vec([[1, 0], [2, 1]]))
    pad("pad int64 paddings, int32 data", iota([2, 2], I32, 1), vec([[0, 1], [1, 0]], I64))
    pad("pad an empty axis", iota([0, 2]), vec([[1, 1], [0, 0]]))
    pad("pad a scalar", scalar(7.0, F32), np.zeros([0, 2], I32))
    pad("pad 3-D int8", iota([2, 1, 2], I8, 1), vec([[0, 1], [1, 1], [2, 0]]))
    pad("pad error: negative", x23, vec([[0, -1], [0, 0]]))
    pad("pad error: wrong row count", x23, vec([[1, 1]]))
    pad_v2("pad_v2 with a constant", x23, vec([[1, 1], [0, 2]]), scalar(-1.5, F32))
    pad_v2("pad_v2 bool", iota([2], BOOL), vec([[2, 1]]), scalar(True, BOOL))
    mirror_pad("mirror_pad reflect 1-D", vec([1, 2, 3], F32), vec([[2, 2]]), "REFLECT")
    mirror_pad("mirror_pad symmetric 1-D", vec([1, 2, 3], F32), vec([[2, 3]]), "SYMMETRIC")
    mirror_pad("mirror_pad reflect 2-D", x23, vec([[1, 1], [2, 1]]), "REFLECT")
    mirror_pad("mirror_pad symmetric 2-D int64", iota([2, 3], I64), vec([[2, 0], [0, 3]], I64),
               "SYMMETRIC")
    mirror_pad("mirror_pad without padding", x23, vec([[0, 0], [0, 0]]), "REFLECT")
    mirror_pad("mirror_pad error: reflect as long as the axis", vec([1, 2, 3], F32),
               vec([[3, 0]]), "REFLECT")
    mirror_pad("mirror_pad error: symmetric longer than the axis", vec([1, 2, 3], F32),
               vec([[0, 4]]), "SYMMETRIC")

    shape_query("Shape", "shape of a 3-D tensor", x234)
    shape_query("Shape", "shape as int64", x23, out_type=I64)
    shape_query("Shape", "shape of a scalar", scalar(1.0, F32))
    shape_query("Size", "size of a 3-D tensor", x234)
    shape_query("Size", "size as int64 of an empty tensor", iota([3, 0]), out_type=I64)
    shape_query("Rank", "rank of a 3-D tensor", x234)
    shape_query("Rank", "rank of a scalar", scalar(True, BOOL))

    # StridedSlice: x[begin:end:stride] per spec item, with TensorFlow's five masks.
    ss = strided_slice
    ss("x[1:3]", x5, vec([1]), vec([3]), vec([1]))
    ss("x[::-1]", x5, vec([0]), vec([0]), vec([-1]), begin_mask=1, end_mask=1)
    ss("x[::2]", x5, vec([0]), vec([0]), vec([2]), begin_mask=1, end_mask=1)
    ss("x[1::3]", x5, vec([1]), vec([0]), vec([3]), end_mask=1)
    ss("x[-3:-1]", x5, vec([-3]), vec([-1]), vec([1]))
    ss("x[4:1:-1]", x5, vec([4]), vec([1]), vec([-1]))
    ss("x[::-2]", x5, vec([0]), vec([0]), vec([-2]), begin_mask=1, end_mask=1)
    ss("x[-1:-6:-2]", x5, vec([-1]), vec([-6]), vec([-2]))
    ss("x[10:] clamps to empty", x5, vec([10]), vec([0]), vec([1]), end_mask=1)
    ss("x[-10:2] clamps the begin", x5, vec([-10]), vec([2]), vec([1]))
    ss("x[2:100] clamps the end", x5, vec([2]), vec([100]), vec([1]))
    ss("x[100:-100:-1] clamps both", x5, vec([100]), vec([-100]), vec([-1]))
    ss("x[3:1] is empty", x5, vec([3]), vec([1]), vec([1]))
    ss("x[1:3:-1] is empty", x5, vec([1]), vec([3]), vec([-1]))
    ss("x[2] shrinks", x5, vec([2]), vec([3]), vec([1]), shrink_axis_mask=1)
    ss("x[-1] shrinks from the end", x5, vec([-1]), vec([0]), vec([1]), shrink_axis_mask=1)
    ss("m[1] takes a row", x23, vec([1]), vec([2]), vec([1]), shrink_axis_mask=1)
    ss("m[:, 1] takes a column", x23, vec([0, 1]), vec([0, 2]), vec([1, 1]),
       begin_mask=1, end_mask=1, shrink_axis_mask=2)
    ss("m[1, 2] takes an element", x23, vec([1, 2]), vec([2, 3]), vec([1, 1]),
       shrink_axis_mask=3)
    ss("m[:, ::-1] (begin and end masked)", x23, vec([0, 0]), vec([0, 0]), vec([1, -1]),
       begin_mask=3, end_mask=3)
    ss("m[1:, :2]", x23, vec([1, 0]), vec([0, 2]), vec([1, 1]), begin_mask=2, end_mask=1)
    ss("t[..., 1] (ellipsis then shrink)", x234, vec([0, 1]), vec([0, 2]), vec([1, 1]),
       ellipsis_mask=1, shrink_axis_mask=2)
    ss("t[1, ..., ::-1]", x234, vec([1, 0, 0]), vec([2, 0, 0]), vec([1, 1, -1]),
       ellipsis_mask=2, shrink_axis_mask=1, begin_mask=4, end_mask=4)
    ss("t[..., 1:3] on 3-D", x234, vec([0, 1]), vec([0, 3]), vec([1, 1]), ellipsis_mask=1)
    ss("t[...] is the identity", x234, vec([0]), vec([0]), vec([1]), ellipsis_mask=1)
    ss("x[tf.newaxis, 1:]", x5, vec([0, 1]), vec([0, 0]), vec([1, 1]),
       new_axis_mask=1, end_mask=2)
    ss("m[:, tf.newaxis]", x23, vec([0, 0]), vec([0, 0]), vec([1, 1]),
       begin_mask=1, end_mask=1, new_axis_mask=2)
    ss("m[..., tf.newaxis]", x23, vec([0, 0]), vec([0, 0]), vec([1, 1]),
       ellipsis_mask=1, new_axis_mask=2)
    ss("m[tf.newaxis, ..., tf.newaxis]", x23, vec([0, 0, 0]), vec([0, 0, 0]), vec([1, 1, 1]),
       new_axis_mask=5, ellipsis_mask=2)
    ss("m[1, tf.newaxis, :] (shrink and new axis)", x23, vec([1, 0, 0]), vec([2, 0, 0]),
       vec([1, 1, 1]), shrink_axis_mask=1, new_axis_mask=2, begin_mask=4, end_mask=4)
    ss("new axis wins over shrink on one item", x23, vec([0, 1]), vec([0, 2]), vec([1, 1]),
       new_axis_mask=1, shrink_axis_mask=1)
    ss("t[:, 1:2, ...] on 3-D", x234, vec([0, 1, 0]), vec([0, 2, 0]), vec([1, 1, 1]),
       begin_mask=1, end_mask=1, ellipsis_mask=4)
    ss("mask bits past the spec are ignored", x23, vec([1]), vec([2]), vec([1]),
       begin_mask=0xfe, end_mask=0xfe)
    ss("shrink with a stride of 2", x5, vec([3]), vec([4]), vec([2]), shrink_axis_mask=1)
    ss("int64 indices, float64 data", iota([4], F64), vec([-3], I64), vec([4], I64),
       vec([2], I64))
    ss("keras flatten: shape(x)[0]", vec([8, 7, 7, 32]), vec([0]), vec([1]), vec([1]),
       shrink_axis_mask=1)
    ss("shape(x)[1:]", vec([8, 7, 7, 32]), vec([1]), vec([0]), vec([1]), end_mask=1)
    ss("slice of an empty axis", iota([0, 3]), vec([0, 1]), vec([0, 2]), vec([1, 1]),
       begin_mask=1, end_mask=1)
    x2345 = iota([2, 3, 4, 5])
    ss("q[tf.newaxis, ..., ::-2, 1] on 4-D", x2345, vec([0, 0, 0, 1]), vec([0, 0, 0, 2]),
       vec([1, 1, -2, 1]), new_axis_mask=1, ellipsis_mask=2, begin_mask=4, end_mask=4,
       shrink_axis_mask=8)
    ss("q[1, :, -1:0:-1, ...] on 4-D", x2345, vec([1, 0, -1, 0]), vec([2, 0, 0, 0]),
       vec([1, 1, -1, 1]), shrink_axis_mask=1, begin_mask=2, end_mask=2, ellipsis_mask=8)
    ss("masked begin ignores its value", x5, vec([3]), vec([4]), vec([1]), begin_mask=1)
    ss("masked end ignores its value, going backwards", x5, vec([3]), vec([4]), vec([-1]),
       end_mask=1)
    ss("m[::-1, ::-2] with explicit ends", x23, vec([-1, 2]), vec([-3, -4]), vec([-1, -2]))
    ss("q[..., 0] keeps three axes", x2345, vec([0, 0]), vec([0, 1]), vec([1, 1]),
       ellipsis_mask=1, shrink_axis_mask=2)
    ss("error: shrink index out of range", x5, vec([5]), vec([6]), vec([1]), shrink_axis_mask=1)
    ss("error: shrink index below -dim", x5, vec([-6]), vec([0]), vec([1]), shrink_axis_mask=1)
    ss("error: zero stride", x5, vec([0]), vec([5]), vec([0]))
    ss("error: shrink with a negative stride", x5, vec([1]), vec([0]), vec([-1]),
       shrink_axis_mask=1)
    ss("error: more items than axes", x5, vec([0, 0]), vec([1, 1]), vec([1, 1]))
    ss("error: two ellipses", x234, vec([0, 0]), vec([0, 0]), vec([1, 1]), ellipsis_mask=3)
    ss("error: begin and strides lengths differ", x23, vec([0, 0]), vec([1, 1]), vec([1]))

    slice_op("slice a block", iota([3, 4]), vec([1, 1]), vec([2, 2]))
    slice_op("slice to the end with -1", iota([3, 4]), vec([1, 2]), vec([-1, -1]))
    slice_op("slice int64, empty size", iota([3, 4], I64), vec([3, 0], I64), vec([0, 4], I64))
    slice_op("slice a whole scalar", scalar(4.0, F32), vec([]), vec([]))
    slice_op("slice error: past the end", iota([3, 4]), vec([2, 0]), vec([2, 4]))
    slice_op("slice error: negative begin", iota([3, 4]), vec([-1, 0]), vec([1, 1]))
    slice_op("slice error: begin past the end", iota([3, 4]), vec([4, 0]), vec([0, 1]))
    slice_op("slice error: size below -1", iota([3, 4]), vec([0, 0]), vec([-2, 1]))

    gather("gather rows", iota([4, 2]), vec([3, 0, 3]), scalar(0))
    gather("gather a scalar index", iota([4, 2]), scalar(2), scalar(0))
    gather("gather columns with 2-D indices", iota([2, 3]), vec([[2, 0], [1, 1]]), scalar(1))
    gather("gather along -1, int64 indices", x234, vec([3, 1], I64), scalar(-1, I64))
    gather("gather with batch_dims 1", iota([2, 3, 2]), vec([[2, 0], [1, 1]]), scalar(1),
           batch_dims=1)
    gather("gather with batch_dims -1", iota([2, 3]), vec([[2, 0], [1, 1]]), scalar(1),
           batch_dims=-1)
    gather("gather with batch_dims 1 below axis 2", iota([2, 3, 4]), vec([[3, 0], [1, 1]]),
           scalar(2), batch_dims=1)
    gather("gather bool rows", iota([3, 2], BOOL), vec([2, 0]), scalar(0))
    gather("gather from an empty axis with no index", iota([0, 2]), vec([], I32), scalar(0))
    gather("gather error: index too large", iota([4, 2]), vec([0, 4]), scalar(0))
    gather("gather error: negative index", iota([4, 2]), vec([-1]), scalar(0))
    gather("gather error: axis out of range", iota([4, 2]), vec([0]), scalar(2))
    gather("gather error: batch_dims above axis", iota([2, 3]), vec([[0], [1]]), scalar(0),
           batch_dims=1)

    fill("fill a matrix", vec([2, 3]), scalar(7.5, F32))
    fill("fill int64 dims, int8 value", vec([3], I64), scalar(-4, I8))
    fill("fill a scalar", vec([], I32), scalar(True, BOOL))
    fill("fill an empty shape", vec([0, 5]), scalar(1.0, F32))
    fill("fill error: negative dim", vec([2, -1]), scalar(1.0, F32))

    range_op("range 0..10 by 3", scalar(0), scalar(10), scalar(3))
    range_op("range downwards", scalar(10), scalar(0), scalar(-3))
    range_op("range empty", scalar(5), scalar(5), scalar(1))
    range_op("range int64", scalar(-2, I64), scalar(3, I64), scalar(2, I64))
    range_op("range float 0..1 by 0.1", scalar(0, F32), scalar(1, F32), scalar(0.1, F32))
    range_op("range float64 downwards", scalar(1, F64), scalar(-1, F64), scalar(-0.25, F64))
    range_op("range float16", scalar(0.5, F16), scalar(3, F16), scalar(0.75, F16))
    range_op("range float32, long enough for rounding to show", scalar(-3.3, F32),
             scalar(40, F32), scalar(1.1, F32))
    range_op("range bfloat16, long enough for rounding to show", scalar(0.5, BF16),
             scalar(60, BF16), scalar(0.7, BF16))
    range_op("range error: zero delta", scalar(0), scalar(10), scalar(0))
    range_op("range error: delta points away", scalar(0), scalar(10), scalar(-1))
    range_op("range error: negative delta points away", scalar(10), scalar(0), scalar(1))

    tile("tile rows", x23, vec([2, 1]))
    tile("tile both axes", iota([2, 2]), vec([2, 3]))
    tile("tile zero times", x23, vec([1, 0]))
    tile("tile 3-D, int64 multiples, bool", iota([1, 2, 1], BOOL), vec([2, 1, 3], I64))
    tile("tile a scalar", scalar(2.0, F32), vec([], I32))
    tile("tile bfloat16", iota([3], BF16), vec([2]))
    tile("tile error: negative multiple", x23, vec([1, -1]))
    tile("tile error: wrong length", x23, vec([2]))

    cond = vec([[True], [False], [True]], BOOL)
    select_v2("select_v2 broadcasting all three", cond, iota([1, 4]), scalar(-1.0, F32))
    select_v2("select_v2 same shapes", vec([True, False, False], BOOL), vec([1, 2, 3], I32),
              vec([4, 5, 6], I32))
    select_v2("select_v2 scalar condition", scalar(False, BOOL), iota([2]), iota([2], start=5))
    select_v2("select_v2 error: shapes do not broadcast", vec([True, False], BOOL), iota([3]),
              iota([3]))
    select("select scalar condition", scalar(True, BOOL), x23, iota([2, 3], start=10))
    select("select vector condition picks rows", vec([False, True], BOOL), x23,
           iota([2, 3], start=10))
    select("select same shape", vec([[True, False, True], [False, True, False]], BOOL), x23,
           iota([2, 3], start=10))
    select("select error: vector of the wrong length", vec([True, False, True], BOOL), x23,
           iota([2, 3], start=10))
    select("select error: branches differ", scalar(True, BOOL), x23, iota([3, 2]))

    like("ZerosLike", "zeros_like float", x23)
    like("ZerosLike", "zeros_like bool", iota([3], BOOL))
    like("OnesLike", "ones_like int64", iota([2, 2], I64))
    like("OnesLike", "ones_like bfloat16", iota([3], BF16))
    like("OnesLike", "ones_like bool", iota([2], BOOL))

    split("split in two along axis 1", scalar(1), iota([2, 4]), 2)
    split("split in three along axis -2", scalar(-2), iota([3, 2]), 3)
    split("split into one", scalar(0), x23, 1)
    split("split error: uneven", scalar(1), x23, 2)
    split("split error: axis out of range", scalar(2), x23, 2)
    split_v("split_v sizes 1, -1, 2", iota([6]), vec([1, -1, 2], I64), scalar(0), 3)
    split_v("split_v along axis 1, int32 sizes", iota([2, 5]), vec([2, 3]), scalar(-1), 2)
    split_v("split_v with an empty part", iota([3]), vec([0, 3]), scalar(0), 2)
    split_v("split_v error: sizes too small", iota([6]), vec([1, 2]), scalar(0), 2)
    split_v("split_v error: two -1", iota([6]), vec([-1, -1]), scalar(0), 2)
    split_v("split_v error: -1 leaves a negative part", iota([6]), vec([7, -1]), scalar(0), 2)

    broadcast_to("broadcast_to a new leading axis", vec([1, 2, 3], F32), vec([2, 3]))
    broadcast_to("broadcast_to a size-1 axis", iota([2, 1]), vec([2, 4], I64))
    broadcast_to("broadcast_to from a scalar", scalar(9, U8), vec([2, 2]))
    broadcast_to("broadcast_to an empty shape", iota([1]), vec([0, 1]))
    broadcast_to("broadcast_to error: 2 to 3", iota([2]), vec([3]))
    broadcast_to("broadcast_to error: lower rank", iota([2, 2]), vec([4]))


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
    if isinstance(value, str):
        return "attr %s string %s" % (key, value)
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
    out.write("# Generated by tests/reference/make_array_cases.py with TensorFlow %s: do not edit.\n"
              % tf.__version__)
    out.write("# Each case: a raw TensorFlow op, its inputs and attributes, and what TensorFlow\n"
              "# returned (or that it refused the inputs). tf_cases.hpp reads the format.\n\n")
    out.write("\n\n".join(records))
    # The count lets the reader tell a complete file from a truncated one.
    out.write("\n\ncases %d\n" % len(records))
    sys.stderr.write("%d cases, %d expected to fail\n"
                     % (len(CASES), sum(1 for c in CASES if c[4] is None)))


if __name__ == "__main__":
    main()
