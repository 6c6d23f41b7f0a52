#!/usr/bin/env python3
"""Computes the expected results of Kiln's data-dependent ops with TensorFlow.

The ops whose output shape depends on their inputs' values (Where, Unique, NonMaxSuppressionV2
to V5, DynamicPartition, DynamicStitch, the segment reductions, SparseToDense,
SparseFillEmptyRows, SparseReshape, CTCGreedyDecoder): each case runs one raw TensorFlow op
eagerly and records its inputs, its attributes and its outputs, or the fact that TensorFlow
refused it, as lines of text (the format tf_cases.hpp reads) that
tests/reference/test_dynamic_tf.cpp replays on Kiln's reference kernels. Run it from the
repository root with a Python that has TensorFlow and commit the result:

    python tests/reference/make_dynamic_cases.py > tests/reference/data/dynamic_tf_cases.txt
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

# Kiln spells inputs as the GraphDef does; raw_ops names a few differently.
PYTHON_KEYWORD = {"input": "condition"}

# Results that depend on how a sum is ordered or how exp and sqrt round: averaged segments,
# Soft-NMS scores. (absolute, relative) tolerances; every other case must match exactly.
ROUNDED = {"float32": (1e-6, 2e-6), "float16": (1e-3, 1e-3), "float64": (1e-12, 1e-12)}

CASES = []


def iota(shape, dtype=F32, start=0):
    """0, 1, 2, ... in the given shape: every element tells where it came from."""
    return (np.arange(int(np.prod(shape))) + start).reshape(shape).astype(dtype)


def vec(values, dtype=I32):
    return np.array(values, dtype=dtype)


def scalar(value, dtype=I32):
    return np.array(value, dtype=dtype)


def case(name, op, inputs, attrs=None, types=None, kiln_only=None, tolerance=None):
    """Runs tf.raw_ops.<op> and records the case.

    inputs: (keyword, array or list of arrays) in the op's input order.
    attrs: attributes both TensorFlow and Kiln take (numpy dtypes become type attributes).
    types: Kiln type attributes, each taken from the dtype of the numbered input.
    kiln_only: attributes TensorFlow infers from the call but a GraphDef spells out (N).
    tolerance: the key of ROUNDED for results that need one.
    """
    attrs = attrs or {}
    kwargs = {}
    for keyword, value in inputs:
        kwargs[PYTHON_KEYWORD.get(keyword, keyword)] = \
            [tf.constant(v) for v in value] if isinstance(value, list) else tf.constant(value)
    for key, value in attrs.items():
        kwargs[key] = tf.as_dtype(value) if isinstance(value, type) else value
    try:
        result = getattr(tf.raw_ops, op)(**kwargs)
        outputs = [t.numpy() for t in (result if isinstance(result, (list, tuple)) else [result])]
    except tf.errors.UnimplementedError:
        raise  # TensorFlow lacks a kernel: no fact about the op to record
    except (tf.errors.OpError, ValueError):
        outputs = None
    flat_inputs = []
    for _, value in inputs:
        flat_inputs.extend(value if isinstance(value, list) else [value])
    kiln_attrs = dict(attrs)
    for key, index in (types or {}).items():
        value = inputs[index][1]
        kiln_attrs[key] = (value[0] if isinstance(value, list) else value).dtype.type
    kiln_attrs.update(kiln_only or {})
    CASES.append((name, op, flat_inputs, kiln_attrs, outputs, tolerance))


# One helper per op, so that the cases below read like the Python they stand for.
def where(name, x):
    case(name, "Where", [("input", x)], types={"T": 0})


def unique(name, x, out_idx=None):
    case(name, "Unique", [("x", x)], {} if out_idx is None else {"out_idx": out_idx},
         types={"T": 0})


def nms(name, version, boxes, scores, max_output, iou, score_threshold=None, sigma=None,
        pad=None, tolerance=None):
    inputs = [("boxes", boxes), ("scores", scores), ("max_output_size", scalar(max_output)),
              ("iou_threshold", iou)]
    if version >= 3:
        inputs.append(("score_threshold", score_threshold))
    if version == 5:
        inputs.append(("soft_nms_sigma", sigma))
    attrs = {} if pad is None else {"pad_to_max_output_size": pad}
    types = {"T": 0} if version == 5 else {"T": 0, "T_threshold": 3}
    case(name, "NonMaxSuppressionV%d" % version, inputs, attrs, types=types, tolerance=tolerance)


def dynamic_partition(name, data, partitions, num_partitions):
    case(name, "DynamicPartition", [("data", data), ("partitions", partitions)],
         {"num_partitions": num_partitions}, types={"T": 0})


def dynamic_stitch(name, indices, data, op="DynamicStitch"):
    case(name, op, [("indices", indices), ("data", data)], types={"T": 1},
         kiln_only={"N": len(indices)})


def segment(op, name, data, ids, tolerance=None):
    case(name, op, [("data", data), ("segment_ids", ids)], types={"T": 0, "Tindices": 1},
         tolerance=tolerance)


def unsorted_segment(op, name, data, ids, num_segments):
    case(name, op, [("data", data), ("segment_ids", ids), ("num_segments", num_segments)],
         types={"T": 0, "Tindices": 1, "Tnumsegments": 2})


def sparse_segment(op, name, data, indices, ids, tolerance=None):
    case(name, op, [("data", data), ("indices", indices), ("segment_ids", ids)],
         types={"T": 0, "Tidx": 1, "Tsegmentids": 2}, tolerance=tolerance)


def sparse_to_dense(name, indices, shape, values, default, validate=None):
    attrs = {} if validate is None else {"validate_indices": validate}
    case(name, "SparseToDense",
         [("sparse_indices", indices), ("output_shape", shape), ("sparse_values", values),
          ("default_value", default)], attrs, types={"T": 2, "Tindices": 0})


def fill_empty_rows(name, indices, values, dense_shape, default):
    case(name, "SparseFillEmptyRows",
         [("indices", vec(indices, I64).reshape(-1, len(dense_shape)) if indices else
           np.zeros([0, len(dense_shape)], I64)),
          ("values", values), ("dense_shape", vec(dense_shape, I64)), ("default_value", default)],
         types={"T": 1})


def sparse_reshape(name, indices, shape, new_shape):
    case(name, "SparseReshape",
         [("input_indices", np.array(indices, I64) if indices else np.zeros([0, len(shape)], I64)),
          ("input_shape", vec(shape, I64)), ("new_shape", vec(new_shape, I64))])


def ctc(name, inputs, lengths, **attrs):
    case(name, "CTCGreedyDecoder", [("inputs", inputs), ("sequence_length", vec(lengths))],
         attrs, types={"T": 0})


def define_where_and_unique():
    where("where bool vector", vec([True, False, True, True], BOOL))
    where("where bool matrix", vec([[True, False, False], [False, True, True]], BOOL))
    where("where float: NaN counts, -0 does not", vec([np.nan, -0.0, 1.5, 0.0, -2.0], F32))
    where("where int8 3-D", vec([[[1, 0], [0, 3]], [[0, 0], [5, 0]]], I8))
    where("where bfloat16", vec([[0, 1], [2, 0]], BF16))
    where("where uint8", vec([0, 255, 7, 0], U8))
    where("where int64", vec([0, 2**40, 0], I64))
    where("where float64", vec([[0.0, 1e-300], [0.0, 0.0]], F64))
    where("where all false", np.zeros([2, 2], BOOL))
    where("where all true", np.ones([2, 1, 2], BOOL))
    where("where empty", np.zeros([0, 3], BOOL))
    where("where rank 8", (iota([1, 2, 1, 1, 2, 1, 1, 2], I32) % 3).astype(I32))
    where("where error: rank 9", np.ones([1] * 9, BOOL))
    where("where error: scalar", scalar(True, BOOL))

    unique("unique int32, first-occurrence order", vec([4, 1, 4, 2, 1, 7]))
    unique("unique float: every NaN its own, -0 is 0",
           vec([np.nan, 1.0, np.nan, -0.0, 0.0, 1.0], F32))
    unique("unique bool", vec([True, False, True], BOOL))
    unique("unique out_idx int64", vec([3, 3, 2], I32), I64)
    unique("unique uint8", vec([200, 7, 200, 0], U8))
    unique("unique int8", vec([-1, 5, -1, -128], I8))
    unique("unique int64 beyond 2^53", vec([2**53, 2**53 + 1, 2**53], I64))
    unique("unique float16", vec([1.5, 0, 1.5, -2], F16))
    unique("unique bfloat16", vec([1, 0, 1], BF16))
    unique("unique float64", vec([0.1, 0.2, 0.1], F64))
    unique("unique empty", vec([], F32))
    unique("unique all equal", vec([9, 9, 9, 9]))
    unique("unique error: matrix", vec([[1, 2], [1, 2]]))
    unique("unique error: scalar", scalar(1))


# Six boxes: 0, 1 and 2 overlap a lot (IoU of 0 with 1 and 2 is about 0.82), 3 and 4 overlap,
# 5 stands alone. Box 2 is given with its corners swapped.
BOXES = vec([[0, 0, 1, 1], [0, 0.1, 1, 1.1], [1, 0.9, 0, -0.1], [0, 10, 1, 11],
             [0, 10.1, 1, 11.1], [0, 100, 1, 101]], F32)
SCORES = vec([0.9, 0.75, 0.6, 0.95, 0.5, 0.3], F32)
F = lambda v: scalar(v, F32)  # noqa: E731
H = lambda v: scalar(v, F16)  # noqa: E731


def define_non_max_suppression():
    nms("nms v2", 2, BOXES, SCORES, 3, F(0.5))
    nms("nms v2 takes all it may", 2, BOXES, SCORES, 10, F(0.5))
    nms("nms v2 max_output_size 0", 2, BOXES, SCORES, 0, F(0.5))
    nms("nms v2 iou_threshold 0 drops any overlap", 2, BOXES, SCORES, 6, F(0.0))
    nms("nms v2 iou_threshold 1 drops nothing", 2, BOXES, SCORES, 6, F(1.0))
    nms("nms v2 iou_threshold 0.9", 2, BOXES, SCORES, 6, F(0.9))
    nms("nms v2 equal scores go by index", 2,
        vec([[0, 0, 1, 1], [5, 5, 6, 6], [0, 0, 1, 1], [5, 5, 6, 6.5]], F32),
        vec([0.5, 0.5, 0.5, 0.5], F32), 4, F(0.5))
    nms("nms v2 empty boxes never overlap", 2,
        vec([[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 1, 1]], F32), vec([0.3, 0.2, 0.1], F32), 3, F(0.0))
    nms("nms v2 no boxes", 2, np.zeros([0, 4], F32), vec([], F32), 3, F(0.5))
    nms("nms v2 float16 boxes, float32 threshold", 2, BOXES.astype(F16), SCORES.astype(F16), 6,
        F(0.5))
    nms("nms v2 float32 boxes, float16 threshold", 2, BOXES, SCORES, 6, H(0.8))
    nms("nms v2 -inf scores never picked", 2, BOXES[:3], vec([0.5, -np.inf, 0.1], F32), 3, F(0.5))
    nms("nms v2 error: iou_threshold above 1", 2, BOXES, SCORES, 3, F(1.5))
    nms("nms v2 error: iou_threshold below 0", 2, BOXES, SCORES, 3, F(-0.1))
    nms("nms v2 error: max_output_size negative", 2, BOXES, SCORES, -1, F(0.5))
    nms("nms v2 error: three columns", 2, BOXES[:, :3], SCORES, 3, F(0.5))
    nms("nms v2 error: fewer scores than boxes", 2, BOXES, SCORES[:4], 3, F(0.5))
    case("nms v2 error: max_output_size a vector", "NonMaxSuppressionV2",
         [("boxes", BOXES), ("scores", SCORES), ("max_output_size", vec([3])),
          ("iou_threshold", F(0.5))], types={"T": 0, "T_threshold": 3})

    nms("nms v3 score_threshold", 3, BOXES, SCORES, 6, F(0.5), F(0.4))
    nms("nms v3 score_threshold keeps only higher scores", 3, BOXES, SCORES, 6, F(0.5), F(0.9))
    nms("nms v3 everything below the threshold", 3, BOXES, SCORES, 6, F(0.5), F(2.0))
    nms("nms v3 negative score_threshold", 3, BOXES, -SCORES, 6, F(0.5), F(-0.7))
    nms("nms v3 float16", 3, BOXES.astype(F16), SCORES.astype(F16), 6, H(0.5), H(0.4))

    nms("nms v4 unpadded", 4, BOXES, SCORES, 6, F(0.5), F(0.0))
    nms("nms v4 padded", 4, BOXES, SCORES, 6, F(0.5), F(0.0), pad=True)
    nms("nms v4 padded beyond the boxes", 4, BOXES[:2], SCORES[:2], 5, F(0.5), F(0.0), pad=True)
    nms("nms v4 padded to 0", 4, BOXES, SCORES, 0, F(0.5), F(0.0), pad=True)
    nms("nms v4 padded, max_output_size reached", 4, BOXES, SCORES, 2, F(0.5), F(0.0), pad=True)
    nms("nms v4 error: negative max_output_size, padded", 4, BOXES, SCORES, -2, F(0.5), F(0.0),
        pad=True)

    nms("nms v5 hard (sigma 0)", 5, BOXES, SCORES, 6, F(0.5), F(0.0), F(0.0))
    nms("nms v5 soft, sigma 0.5", 5, BOXES, SCORES, 6, F(1.0), F(0.0), F(0.5),
        tolerance="float32")
    nms("nms v5 soft with a score threshold", 5, BOXES, SCORES, 6, F(1.0), F(0.3), F(0.5),
        tolerance="float32")
    nms("nms v5 soft and hard together", 5, BOXES, SCORES, 6, F(0.7), F(0.0), F(0.25),
        tolerance="float32")
    nms("nms v5 soft, padded", 5, BOXES[:3], SCORES[:3], 5, F(1.0), F(0.0), F(0.5), pad=True,
        tolerance="float32")
    nms("nms v5 float16 soft", 5, BOXES.astype(F16), SCORES.astype(F16), 6, H(1.0), H(0.0),
        H(0.5), tolerance="float16")
    nms("nms v5 error: negative sigma", 5, BOXES, SCORES, 6, F(0.5), F(0.0), F(-0.5))


def define_partitions():
    dynamic_partition("partition a vector", vec([10, 20, 30, 40, 50]), vec([1, 0, 1, 2, 1]), 3)
    dynamic_partition("partition matrix rows", iota([3, 2]), vec([1, 0, 1]), 3)
    dynamic_partition("partition by a matrix", iota([2, 3, 2]), vec([[0, 1, 0], [1, 1, 0]]), 2)
    dynamic_partition("partition one output", vec([True, False], BOOL), vec([0, 0]), 1)
    dynamic_partition("partition float16", iota([4], F16), vec([1, 1, 0, 1]), 2)
    dynamic_partition("partition a scalar", scalar(7), scalar(1), 2)
    dynamic_partition("partition nothing", np.zeros([0, 2], F32), vec([]), 2)
    dynamic_partition("partition error: index too large", vec([1, 2]), vec([1, 3]), 3)
    dynamic_partition("partition error: negative index", vec([1, 2]), vec([0, -1]), 2)
    dynamic_partition("partition error: partitions not a prefix", iota([2, 2]), vec([0, 1, 0]), 2)

    for op in ("DynamicStitch", "ParallelDynamicStitch"):
        short = "stitch" if op == "DynamicStitch" else "parallel stitch"
        dynamic_stitch(short + " two vectors", [vec([0, 2]), vec([1, 3])],
                       [vec([1.0, 3.0], F32), vec([2.0, 4.0], F32)], op)
        dynamic_stitch(short + " rows", [vec([1, 0]), vec([2])],
                       [iota([2, 3]), iota([1, 3], start=10)], op)
        dynamic_stitch(short + " leaves gaps zero", [vec([0, 4]), vec([2])],
                       [vec([1.0, 2.0], F32), vec([3.0], F32)], op)
        dynamic_stitch(short + " matrix and scalar indices", [vec([[0, 2], [1, 3]]), scalar(4)],
                       [iota([2, 2, 2]), vec([9.0, 9.0], F32)], op)
        dynamic_stitch(short + " int64 data", [vec([1, 0])], [vec([2**40, -5], I64)], op)
        dynamic_stitch(short + " nothing", [vec([])], [vec([], F32)], op)
        dynamic_stitch(short + " error: negative index", [vec([0, -1])], [vec([1.0, 2.0], F32)],
                       op)
        dynamic_stitch(short + " error: data does not start with the indices' shape",
                       [vec([0, 1])], [iota([1, 3])], op)
        dynamic_stitch(short + " error: rows of different shapes", [vec([0]), vec([1])],
                       [iota([1, 2]), iota([1, 3])], op)
    dynamic_stitch("stitch repeated index: the last wins", [vec([0, 1]), vec([1])],
                   [vec([1.0, 2.0], F32), vec([3.0], F32)])


def define_segments():
    d = vec([[1, 2], [3, 4], [5, 6], [7, 8]], F32)
    for op in ("SegmentSum", "SegmentMean", "SegmentMax", "SegmentMin", "SegmentProd"):
        short = op[len("Segment"):].lower()
        rounded = "float32" if op == "SegmentMean" else None
        segment(op, "segment %s" % short, d, vec([0, 0, 1, 1]), rounded)
        segment(op, "segment %s with gaps" % short, d, vec([0, 2, 2, 5], I64), rounded)
        segment(op, "segment %s int32 vector" % short, vec([5, -3, 8, 2, 7]), vec([0, 0, 0, 1, 1]))
        segment(op, "segment %s float16" % short, vec([1, 2, 2, -4], F16), vec([1, 1, 1, 3]),
                "float16" if op == "SegmentMean" else None)
        segment(op, "segment %s nothing" % short, np.zeros([0, 2], F32), vec([]))
        segment(op, "segment %s error: ids not sorted" % short, d, vec([0, 2, 1, 2]))
        segment(op, "segment %s error: negative id" % short, d, vec([-1, 0, 1, 1]))
        segment(op, "segment %s error: an id per row" % short, d, vec([0, 1]))
        segment(op, "segment %s error: ids a matrix" % short, d, vec([[0, 0], [1, 1]]))
    segment("SegmentSum", "segment sum uint8 wraps", vec([200, 100, 2], U8), vec([0, 0, 1]))
    segment("SegmentSum", "segment sum bfloat16", vec([1, 2, 2], BF16), vec([0, 0, 1]))
    segment("SegmentSum", "segment sum float64 3-D", iota([3, 2, 2], F64), vec([0, 1, 1]))
    segment("SegmentMean", "segment mean int32 truncates", vec([1, 2, 4, -7, 2]),
            vec([0, 0, 1, 2, 2]))
    segment("SegmentProd", "segment prod int8", vec([3, -2, 5, 4], I8), vec([0, 0, 0, 1]))
    segment("SegmentSum", "segment sum error: scalar data", scalar(1.0, F32), vec([0]))
    segment("SegmentSum", "segment sum error: bool data", vec([True, False], BOOL), vec([0, 0]))

    for op in ("UnsortedSegmentSum", "UnsortedSegmentMax", "UnsortedSegmentMin",
               "UnsortedSegmentProd"):
        short = op[len("UnsortedSegment"):].lower()
        unsorted_segment(op, "unsorted %s" % short, d, vec([2, 0, 2, 0]), scalar(3))
        unsorted_segment(op, "unsorted %s drops negative ids" % short, d, vec([1, -1, 1, -3]),
                         scalar(2, I64))
        unsorted_segment(op, "unsorted %s by a matrix" % short, iota([2, 3, 2]),
                         vec([[0, 1, 0], [3, 1, 0]], I64), scalar(4))
        unsorted_segment(op, "unsorted %s int32" % short, vec([3, 1, 2]), vec([0, 0, 2]), scalar(4))
        unsorted_segment(op, "unsorted %s float16" % short, vec([3, 1, 2], F16), vec([0, 0, 2]),
                         scalar(4))
        unsorted_segment(op, "unsorted %s no segments" % short, d, vec([-1, -1, -1, -1]),
                         scalar(0))
        unsorted_segment(op, "unsorted %s error: id beyond num_segments" % short, d,
                         vec([0, 1, 2, 3]), scalar(3))
        unsorted_segment(op, "unsorted %s error: negative num_segments" % short, d,
                         vec([0, 0, 0, 0]), scalar(-2))
        unsorted_segment(op, "unsorted %s error: ids not a prefix" % short, d, vec([0, 1]),
                         scalar(3))
        unsorted_segment(op, "unsorted %s error: num_segments a vector" % short, d,
                         vec([0, 0, 0, 0]), vec([3]))
    unsorted_segment("UnsortedSegmentSum", "unsorted sum of a scalar id", d, scalar(1), scalar(3))
    unsorted_segment("UnsortedSegmentMax", "unsorted max bfloat16 empty segment",
                     vec([1, 2], BF16), vec([0, 0]), scalar(2))
    unsorted_segment("UnsortedSegmentMin", "unsorted min uint8 empty segment", vec([1, 2], U8),
                     vec([1, 1]), scalar(2))

    for op in ("SparseSegmentSum", "SparseSegmentMean", "SparseSegmentSqrtN"):
        short = op[len("SparseSegment"):].lower()
        rounded = None if op == "SparseSegmentSum" else "float32"
        sparse_segment(op, "sparse %s" % short, d, vec([0, 1, 2]), vec([0, 0, 1]), rounded)
        sparse_segment(op, "sparse %s repeated rows, gaps" % short, d, vec([3, 3, 0, 2]),
                       vec([1, 1, 1, 4]), rounded)
        sparse_segment(op, "sparse %s int64 indices and ids" % short, d, vec([2, 0], I64),
                       vec([0, 1], I64), rounded)
        sparse_segment(op, "sparse %s int64 ids only" % short, d, vec([2, 0, 1]),
                       vec([0, 0, 0], I64), rounded)
        sparse_segment(op, "sparse %s float16" % short, vec([1, 2, 2], F16), vec([0, 1, 2]),
                       vec([0, 0, 0]), None if rounded is None else "float16")
        sparse_segment(op, "sparse %s float64 vector" % short, vec([0.5, 1.5, 2.5], F64),
                       vec([2, 1, 0]), vec([0, 0, 1]), None if rounded is None else "float64")
        sparse_segment(op, "sparse %s nothing" % short, d, vec([]), vec([]))
        sparse_segment(op, "sparse %s error: ids not sorted" % short, d, vec([0, 2]),
                       vec([1, 0]))
        sparse_segment(op, "sparse %s error: negative id" % short, d, vec([0, 2]), vec([-1, 0]))
        sparse_segment(op, "sparse %s error: row index too large" % short, d, vec([0, 4]),
                       vec([0, 0]))
        sparse_segment(op, "sparse %s error: negative row index" % short, d, vec([0, -1]),
                       vec([0, 0]))
        sparse_segment(op, "sparse %s error: lengths differ" % short, d, vec([0, 1]),
                       vec([0, 0, 1]))
        sparse_segment(op, "sparse %s error: scalar data" % short, scalar(1.0, F32), vec([0]),
                       vec([0]))
    sparse_segment("SparseSegmentSum", "sparse sum int32", vec([1, 2, 5]), vec([0, 1, 2]),
                   vec([0, 0, 1]))
    sparse_segment("SparseSegmentMean", "sparse mean error: int32 data", vec([1, 2]),
                   vec([0, 1]), vec([0, 0]))


def define_sparse():
    sparse_to_dense("to dense 1-D", vec([[1], [3]]), vec([5]), vec([7.5, -1], F32), F(0))
    sparse_to_dense("to dense 2-D", vec([[0, 1], [2, 0]]), vec([3, 2]), vec([5, 7]), scalar(1))
    sparse_to_dense("to dense scalar index", scalar(2), vec([3]), F(5), F(1))
    sparse_to_dense("to dense vector of indices", vec([0, 2]), vec([4]), F(5), F(-1))
    sparse_to_dense("to dense one value for all", vec([[0, 0], [1, 1]], I64), vec([2, 2], I64),
                    scalar(True, BOOL), scalar(False, BOOL))
    sparse_to_dense("to dense no points", np.zeros([0, 2], I32), vec([2, 2]), vec([], F32), F(4))
    sparse_to_dense("to dense a scalar", np.zeros([1, 0], I32), vec([]), vec([5]), scalar(1))
    sparse_to_dense("to dense uint8 3-D", vec([[0, 0, 1], [1, 1, 0]]), vec([2, 2, 2]),
                    vec([9, 8], U8), scalar(1, U8))
    sparse_to_dense("to dense unvalidated, out of order", vec([[2], [0]]), vec([3]),
                    vec([5, 6], F32), F(0), False)
    sparse_to_dense("to dense unvalidated, repeated: the last wins", vec([[1], [1]]), vec([3]),
                    vec([5, 6], F32), F(0), False)
    sparse_to_dense("to dense error: out of order", vec([[2], [0]]), vec([3]), vec([5, 6], F32),
                    F(0))
    sparse_to_dense("to dense error: repeated", vec([[1, 1], [1, 1]]), vec([3, 3]),
                    vec([5, 6], F32), F(0))
    sparse_to_dense("to dense error: out of bounds", vec([[4]]), vec([3]), vec([5], F32), F(0))
    sparse_to_dense("to dense error: out of bounds, unvalidated", vec([[0, 4]]), vec([3, 3]),
                    vec([5], F32), F(0), False)
    sparse_to_dense("to dense error: negative index", vec([[-1]]), vec([3]), vec([5], F32), F(0),
                    False)
    sparse_to_dense("to dense error: negative size", vec([[0]]), vec([-3]), vec([1], F32), F(0))
    sparse_to_dense("to dense error: wrong number of sizes", vec([[0]]), vec([3, 2]),
                    vec([1], F32), F(0))
    sparse_to_dense("to dense error: wrong number of values", vec([[0], [1]]), vec([3]),
                    vec([1, 2, 3], F32), F(0))
    sparse_to_dense("to dense error: default not a scalar", vec([[0]]), vec([3]), vec([1], F32),
                    vec([0], F32))

    fill_empty_rows("fill empty rows", [[0, 1], [2, 0]], vec([1.5, 2.5], F32), [4, 3], F(-1))
    fill_empty_rows("fill empty rows out of order, repeats", [[3, 0], [1, 1], [1, 0], [3, 0]],
                    vec([1, 2, 3, 4], F32), [5, 2], F(9))
    fill_empty_rows("fill empty rows: none empty", [[0, 0], [1, 1]], vec([1, 2]), [2, 2],
                    scalar(0))
    fill_empty_rows("fill empty rows: all empty", [], vec([], F32), [3, 2], F(7))
    fill_empty_rows("fill empty rows: no rows", [], vec([], F32), [0, 2], F(7))
    fill_empty_rows("fill empty rows rank 1", [[2]], vec([1.0], F32), [4], F(9))
    fill_empty_rows("fill empty rows rank 3, bool", [[1, 0, 1]], vec([True], BOOL), [3, 2, 2],
                    scalar(False, BOOL))
    fill_empty_rows("fill empty rows: columns unchecked", [[0, 7]], vec([1.0], F32), [3, 2], F(9))
    fill_empty_rows("fill empty rows error: entries but no rows", [[0, 0]], vec([1.0], F32),
                    [0, 2], F(9))
    fill_empty_rows("fill empty rows error: row too large", [[5, 0]], vec([1.0], F32), [3, 2],
                    F(9))
    fill_empty_rows("fill empty rows error: negative row", [[-1, 0]], vec([1.0], F32), [3, 2],
                    F(9))
    fill_empty_rows("fill empty rows error: negative dense size", [], vec([], F32), [-2, 2], F(9))
    fill_empty_rows("fill empty rows error: default not a scalar", [[0, 0]], vec([1.0], F32),
                    [3, 2], vec([9], F32))
    fill_empty_rows("fill empty rows error: values and indices differ", [[0, 0]],
                    vec([1.0, 2.0], F32), [3, 2], F(9))
    case("fill empty rows error: empty dense shape", "SparseFillEmptyRows",
         [("indices", np.zeros([0, 0], I64)), ("values", vec([], F32)),
          ("dense_shape", vec([], I64)), ("default_value", F(9))], types={"T": 1})

    sparse_reshape("sparse reshape with -1", [[0, 1], [1, 2]], [2, 3], [3, -1])
    sparse_reshape("sparse reshape to 3-D", [[0, 1], [1, 2], [1, 0]], [2, 6], [3, 2, -1])
    sparse_reshape("sparse reshape to a vector", [[0, 1], [1, 2]], [2, 3], [6])
    sparse_reshape("sparse reshape unchanged", [[1, 1]], [2, 3], [2, 3])
    sparse_reshape("sparse reshape no points", [], [0, 3], [-1, 3])
    sparse_reshape("sparse reshape to a scalar", [[0]], [1], [])
    sparse_reshape("sparse reshape points unchecked", [[5, 1]], [2, 3], [6])
    sparse_reshape("sparse reshape error: two -1", [[0, 1]], [2, 3], [-1, -1])
    sparse_reshape("sparse reshape error: negative size", [[0, 1]], [2, 3], [-2, -3])
    sparse_reshape("sparse reshape error: -1 of nothing", [], [0, 3], [0, -1])
    sparse_reshape("sparse reshape error: element count differs", [[0, 1]], [2, 3], [4, -1])
    sparse_reshape("sparse reshape error: old shape too long", [[0, 1]], [2, 3, 1], [6])
    sparse_reshape("sparse reshape error: negative old size", [[0, 1]], [-2, -3], [6])


def define_ctc():
    # [max_time 4, batch 1, 3 classes]; the argmaxes are 1, 0, 0, 2 (2 is the blank).
    x = vec([[[0.1, 0.5, 0.4]], [[0.6, 0.2, 0.2]], [[0.6, 0.3, 0.1]], [[0.1, 0.2, 0.7]]], F32)
    ctc("ctc greedy", x, [4])
    ctc("ctc greedy merging repeats", x, [4], merge_repeated=True)
    ctc("ctc greedy blank 0", x, [4], blank_index=0)
    ctc("ctc greedy blank -2", x, [4], blank_index=-2, merge_repeated=True)
    ctc("ctc greedy shorter sequence", x, [2])
    ctc("ctc greedy empty sequence", x, [0])
    ctc("ctc greedy negative length decodes nothing", x, [-1])
    rng = np.random.default_rng(7)
    batch = (rng.integers(0, 8, size=[5, 3, 4]) / 4.0).astype(F32)  # exact, with ties
    ctc("ctc greedy batch of 3", batch, [5, 2, 4], merge_repeated=True)
    ctc("ctc greedy batch of 3, repeats kept", batch, [5, 0, 3])
    ctc("ctc greedy float64", batch.astype(F64), [3, 5, 1], blank_index=1)
    ctc("ctc greedy ties pick the first", vec([[[0.5, 0.5, 0.1]], [[0.25, 0.75, 0.75]]], F32),
        [2])
    ctc("ctc greedy error: blank_index too large", x, [4], blank_index=3)
    ctc("ctc greedy error: blank_index too small", x, [4], blank_index=-4)
    ctc("ctc greedy error: sequence longer than the input", x, [5])
    ctc("ctc greedy error: batch sizes differ", x, [4, 4])
    ctc("ctc greedy error: no classes", np.zeros([2, 1, 0], F32), [2])
    ctc("ctc greedy error: no steps", np.zeros([0, 2, 3], F32), [0, 0])


def number_text(value, dtype):
    """Integers as they are, floats as the shortest text that reads back as the same double
    (their values are exact float32, float16 or bfloat16 values)."""
    if dtype == np.dtype(BOOL):
        return "1" if value else "0"
    if dtype.kind in "iu":
        return str(int(value))
    value = float(value)
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
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
    return "attr %s int %d" % (key, value)


def main():
    define_where_and_unique()
    define_non_max_suppression()
    define_partitions()
    define_segments()
    define_sparse()
    define_ctc()
    records = []
    for name, op, inputs, attrs, outputs, tolerance in CASES:
        lines = ["case " + name, "op " + op]
        lines += [attr_text(k, v) for k, v in sorted(attrs.items())]
        lines += ["in " + tensor_text(a) for a in inputs]
        lines += ["fails"] if outputs is None else ["out " + tensor_text(a) for a in outputs]
        if tolerance and outputs is not None:
            lines.append("tolerance %g %g" % ROUNDED[tolerance])
        records.append("\n".join(lines))
    out = sys.stdout
    out.write("# Generated by tests/reference/make_dynamic_cases.py with TensorFlow %s: do not "
              "edit.\n" % tf.__version__)
    out.write("# Each case: a raw TensorFlow op, its inputs and attributes, and what TensorFlow\n"
              "# returned (or that it refused the inputs). tf_cases.hpp reads the format.\n\n")
    out.write("\n\n".join(records))
    # The count lets the reader tell a complete file from a truncated one.
    out.write("\n\ncases %d\n" % len(records))
    sys.stderr.write("%d cases, %d expected to fail\n"
                     % (len(CASES), sum(1 for c in CASES if c[4] is None)))


if __name__ == "__main__":
    main()
