#!/usr/bin/env python3
"""Computes the expected results of Kiln's tests for the less common nn and image ops with
TensorFlow: the transposed and 3-D convolutions, the 3-D pools and MaxPoolV2, LRN, the four
Resize ops, CropAndResize, ExtractImagePatches and the two FakeQuant ops.

Each case runs one raw TensorFlow op eagerly and records its inputs, attributes and outputs, or
the fact that TensorFlow refused it, as text (the format tests/reference/tf_cases.hpp reads);
tests/reference/test_nn_tail_tf.cpp replays them on Kiln's reference kernels. Run it from the
repository root with a Python that has TensorFlow and commit the result:

    python tests/reference/make_nn_tail_cases.py > tests/reference/data/nn_tail_tf_cases.txt

TensorFlow's CPU kernels leave out parts of some ops that its GPU kernels (and Kiln) run:
dilations, channels-first layouts and grouped filters of the transposed and 3-D convolutions,
channels-first 3-D pooling and MaxPoolV2. Those cases still get TensorFlow's answer, computed
from what the CPU kernels do run: a dilated filter is the plain filter with zeros between its
taps, a channels-first case is the channels-last one transposed, and a grouped convolution is
one convolution per group, concatenated. Such cases say "via" in their name.

Inputs are multiples of 1/8 drawn from a seeded generator: short to write, exact in every
float type, and their products sum exactly, so most results do not depend on summation order.
"""

import math
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

RAW = tf.raw_ops
RNG = np.random.default_rng(20250107)

F32, F16, F64, I8, U8, I32, I64 = (np.float32, np.float16, np.float64, np.int8, np.uint8,
                                   np.int32, np.int64)
BF16 = tf.bfloat16.as_numpy_dtype

KILN_DTYPES = {
    np.dtype(F32): "float32", np.dtype(F16): "float16", np.dtype(BF16): "bfloat16",
    np.dtype(F64): "float64", np.dtype(I8): "int8", np.dtype(U8): "uint8",
    np.dtype(I32): "int32", np.dtype(I64): "int64",
}

# (absolute, relative) tolerances. EXACT for copies, comparisons and sums of exact products;
# FLOAT where TensorFlow's float32 arithmetic (weights, powers, sums in another order) may
# differ from Kiln's in the last bits; HALF and BFLOAT for 16-bit results, rounded once more.
EXACT = (0.0, 0.0)
FLOAT = (1e-5, 1e-5)
HALF = (2e-3, 2e-3)
BFLOAT = (2e-2, 1e-2)

# The errors by which TensorFlow refuses inputs or attributes. NotFoundError (no kernel for a
# dtype) is not among them: such a case would test nothing, so it stops the script.
REFUSALS = (tf.errors.InvalidArgumentError, tf.errors.OutOfRangeError,
            tf.errors.UnimplementedError, ValueError, TypeError)

CASES = []


def values(shape, dtype=F32, low=-16, high=16):
    """Seeded multiples of 1/8 in [low/8, high/8] (integers in [low, high] for integer types)."""
    v = RNG.integers(low, high + 1, size=shape)
    if np.issubdtype(np.dtype(dtype), np.integer):
        return v.astype(dtype)
    return (v / 8.0).astype(dtype)


def vec(items, dtype=I32):
    return np.array(items, dtype=dtype)


def scalar(value, dtype=F32):
    return np.array(value, dtype=dtype)


def run(op, inputs, attrs):
    """tf.raw_ops.<op> on the inputs, as numpy arrays, or None when TensorFlow refuses."""
    kwargs = {k: tf.constant(v) for k, v in inputs}
    kwargs.update(attrs)
    try:
        result = getattr(RAW, op)(**kwargs)
    except REFUSALS:
        return None
    return [np.asarray(t.numpy()) for t in (result if isinstance(result, list) else [result])]


def case(name, op, inputs, attrs=None, types=None, tol=EXACT, via=None):
    """Records one case.

    inputs: (keyword, array) in the op's input order.
    attrs: attributes both TensorFlow and Kiln take.
    types: Kiln's type attributes, each taken from the dtype of the numbered input.
    via: a function computing TensorFlow's answer with other TensorFlow calls, for what the CPU
         kernel of `op` does not implement; without it, `op` itself runs.
    """
    attrs = attrs or {}
    outputs = run(op, inputs, attrs) if via is None else [np.asarray(o) for o in via()]
    if (outputs is None) != ("error:" in name):
        sys.exit("case '%s': TensorFlow %s" % (name, "refused it" if outputs is None
                                                  else "accepted it, but it is named an error"))
    kiln_attrs = dict(attrs)
    for key, index in (types or {}).items():
        kiln_attrs[key] = inputs[index][1].dtype.type
    CASES.append((name, op, [v for _, v in inputs], kiln_attrs, outputs, tol))


# ---- Layout and filter rewrites for what TensorFlow's CPU kernels lack ------------------------

def to_channels_first(x):
    """NHWC -> NCHW, or NDHWC -> NCDHW."""
    return np.ascontiguousarray(np.moveaxis(np.asarray(x), -1, 1))


def list_to_channels_first(items):
    """A per-dimension list (strides, ksize, sizes) in channels-last order, moved like the data."""
    items = list(items)
    return [items[0], items[-1]] + items[1:-1]


def dilate_filter(w, rates):
    """The filter with rate - 1 zeros between its taps along each spatial dimension: a
    convolution with it equals the dilated convolution with w."""
    spatial = w.shape[:len(rates)]
    out = np.zeros([(k - 1) * r + 1 for k, r in zip(spatial, rates)] + list(w.shape[len(rates):]),
                   w.dtype)
    out[tuple(slice(None, None, r) for r in rates)] = w
    return out


# ---- Conv2DBackpropInput ---------------------------------------------------------------------

def bpi_attrs(strides, padding, explicit=None, dilations=None, fmt="NHWC"):
    a = {"strides": [1, strides[0], strides[1], 1], "padding": padding}
    if explicit is not None:
        a["explicit_paddings"] = [0, 0, explicit[0], explicit[1], explicit[2], explicit[3], 0, 0]
    if dilations is not None:
        a["dilations"] = [1, dilations[0], dilations[1], 1]
    if fmt == "NCHW":
        a["data_format"] = "NCHW"
        a["strides"] = list_to_channels_first(a["strides"])
        if "dilations" in a:
            a["dilations"] = list_to_channels_first(a["dilations"])
        if "explicit_paddings" in a:
            pairs = [a["explicit_paddings"][i:i + 2] for i in range(0, 8, 2)]
            a["explicit_paddings"] = sum(list_to_channels_first(pairs), [])
    return a


def bpi(name, sizes, w, dy, strides, padding, explicit=None, tol=EXACT):
    case(name, "Conv2DBackpropInput",
         [("input_sizes", vec(sizes)), ("filter", w), ("out_backprop", dy)],
         bpi_attrs(strides, padding, explicit), types={"T": 1}, tol=tol)


def bpi_nhwc(sizes, w, dy, strides, padding, explicit=None):
    return run("Conv2DBackpropInput",
               [("input_sizes", vec(sizes)), ("filter", w), ("out_backprop", dy)],
               bpi_attrs(strides, padding, explicit))[0]


def bpi_via(name, sizes, w, dy, strides, padding, explicit=None, dilations=(1, 1), groups=1,
            fmt="NHWC"):
    """A case TensorFlow's CPU kernel refuses (dilated, grouped or NCHW), answered through the
    rewrites above. sizes and dy are given NHWC."""
    def expected():
        wd = dilate_filter(w, dilations)
        cin, cout = sizes[3] // groups, w.shape[3] // groups
        parts = [bpi_nhwc(sizes[:3] + [cin], wd[..., g * cout:(g + 1) * cout],
                          dy[..., g * cout:(g + 1) * cout], strides, padding, explicit)
                 for g in range(groups)]
        y = np.concatenate(parts, axis=-1)
        return [to_channels_first(y) if fmt == "NCHW" else y]
    kiln_sizes = list_to_channels_first(sizes) if fmt == "NCHW" else sizes
    kiln_dy = to_channels_first(dy) if fmt == "NCHW" else dy
    case(name, "Conv2DBackpropInput",
         [("input_sizes", vec(kiln_sizes)), ("filter", w), ("out_backprop", kiln_dy)],
         bpi_attrs(strides, padding, explicit, dilations, fmt), types={"T": 1}, via=expected)


def conv2d_backprop_input_cases():
    w334 = values([3, 3, 2, 4])
    bpi("SAME stride 2, 5x5 from 3x3, batch 2", [2, 5, 5, 2], w334, values([2, 3, 3, 4]),
        (2, 2), "SAME")
    bpi("SAME stride 2 with the odd padding after: 6x7 from 3x4", [1, 6, 7, 3],
        values([3, 4, 3, 2]), values([1, 3, 4, 2]), (2, 2), "SAME")
    bpi("SAME stride 1, 1x1 filter", [2, 3, 4, 3], values([1, 1, 3, 5]), values([2, 3, 4, 5]),
        (1, 1), "SAME")
    bpi("SAME stride (3, 2), even kernel", [1, 7, 6, 2], values([2, 4, 2, 3]),
        values([1, 3, 3, 3]), (3, 2), "SAME")
    bpi("VALID stride 1", [1, 6, 7, 3], values([3, 2, 3, 4]), values([1, 4, 6, 4]), (1, 1),
        "VALID")
    bpi("VALID stride (2, 3)", [1, 7, 8, 2], values([3, 2, 2, 3]), values([1, 3, 3, 3]),
        (2, 3), "VALID")
    bpi("VALID stride 3 leaves rows no window reads", [1, 6, 6, 1], values([2, 2, 1, 2]),
        values([1, 2, 2, 2]), (3, 3), "VALID")
    bpi("VALID filter larger than the input: zeros", [1, 2, 2, 3], values([3, 3, 3, 4]),
        values([1, 0, 0, 4]), (1, 1), "VALID")
    bpi("error: VALID filter 2 larger than the input", [1, 2, 2, 1], values([4, 1, 1, 1]),
        values([1, 0, 2, 1]), (1, 1), "VALID")
    bpi("Keras Conv2DTranspose 2x: SAME stride 2, 8x8 from 4x4", [1, 8, 8, 3],
        values([3, 3, 3, 2]), values([1, 4, 4, 2]), (2, 2), "SAME")
    bpi("Keras Conv2DTranspose output_padding: SAME stride 2, 7x7 from 4x4", [1, 7, 7, 2],
        values([3, 3, 2, 2]), values([1, 4, 4, 2]), (2, 2), "SAME")
    bpi("Keras Conv2DTranspose VALID stride 2, 4x4 kernel: 10x10 from 4x4", [1, 10, 10, 1],
        values([4, 4, 1, 2]), values([1, 4, 4, 2]), (2, 2), "VALID")
    bpi("EXPLICIT asymmetric padding", [1, 5, 5, 2], values([2, 3, 2, 3]), values([1, 4, 5, 3]),
        (2, 1), "EXPLICIT", explicit=(1, 2, 2, 0))
    bpi("EXPLICIT padding wider than the filter", [1, 3, 3, 2], values([2, 2, 2, 4]),
        values([1, 6, 6, 4]), (1, 1), "EXPLICIT", explicit=(2, 2, 2, 2))
    case("input_sizes as [height, width] only", "Conv2DBackpropInput",
         [("input_sizes", vec([5, 5])), ("filter", w334), ("out_backprop", values([2, 3, 3, 4]))],
         bpi_attrs((2, 2), "SAME"), types={"T": 1})
    for dtype, tol in ((F64, EXACT), (F16, HALF), (BF16, BFLOAT)):
        bpi("SAME stride 2, %s" % KILN_DTYPES[np.dtype(dtype)], [1, 5, 5, 2],
            w334.astype(dtype), values([1, 3, 3, 4], dtype), (2, 2), "SAME", tol=tol)
    bpi("SAME stride 2, int32", [1, 5, 4, 2], values([3, 3, 2, 3], I32, -5, 5),
        values([1, 3, 2, 3], I32, -5, 5), (2, 2), "SAME")
    bpi("empty batch", [0, 5, 5, 2], w334, values([0, 3, 3, 4]), (2, 2), "SAME")

    bpi_via("NCHW via NHWC: SAME stride 2", [2, 5, 6, 2], w334, values([2, 3, 3, 4]), (2, 2),
            "SAME", fmt="NCHW")
    bpi_via("NCHW via NHWC: EXPLICIT padding", [1, 5, 5, 2], values([2, 3, 2, 3]),
            values([1, 4, 5, 3]), (2, 1), "EXPLICIT", explicit=(1, 2, 2, 0), fmt="NCHW")
    bpi_via("dilations (2, 3) via a zero-filled filter: SAME", [1, 7, 8, 2], w334,
            values([1, 7, 8, 4]), (1, 1), "SAME", dilations=(2, 3))
    bpi_via("dilation 2 via a zero-filled filter: VALID stride 2", [2, 9, 9, 2], w334,
            values([2, 3, 3, 4]), (2, 2), "VALID", dilations=(2, 2))
    bpi_via("two groups via one convolution each", [1, 5, 5, 4], values([3, 3, 2, 6]),
            values([1, 3, 3, 6]), (2, 2), "SAME", groups=2)
    bpi_via("NCHW, dilated and grouped together", [1, 6, 5, 4], values([2, 2, 2, 4]),
            values([1, 6, 5, 4]), (1, 1), "SAME", dilations=(2, 1), groups=2, fmt="NCHW")

    bpi("error: out_backprop smaller than the convolution's output", [1, 6, 6, 2], w334,
        values([1, 2, 2, 4]), (2, 2), "SAME")
    bpi("error: out_backprop channels differ from the filter's", [1, 5, 5, 2], w334,
        values([1, 3, 3, 3]), (2, 2), "SAME")
    bpi("error: batch differs from out_backprop's", [2, 5, 5, 2], w334, values([1, 3, 3, 4]),
        (2, 2), "SAME")
    bpi("error: negative input size", [1, -5, 5, 2], w334, values([1, 3, 3, 4]), (2, 2), "SAME")
    bpi("error: input_sizes of three entries", [1, 5, 5], w334, values([1, 3, 3, 4]), (2, 2),
        "SAME")
    bpi("error: input channels not a multiple of the filter's", [1, 5, 5, 3], w334,
        values([1, 3, 3, 4]), (2, 2), "SAME")
    bpi("error: unknown padding", [1, 5, 5, 2], w334, values([1, 3, 3, 4]), (2, 2), "FULL")
    case("error: stride on the batch", "Conv2DBackpropInput",
         [("input_sizes", vec([1, 5, 5, 2])), ("filter", w334),
          ("out_backprop", values([1, 3, 3, 4]))],
         {"strides": [2, 2, 2, 1], "padding": "SAME"}, types={"T": 1})
    case("error: explicit padding of the channels", "Conv2DBackpropInput",
         [("input_sizes", vec([1, 5, 5, 2])), ("filter", w334),
          ("out_backprop", values([1, 3, 3, 4]))],
         {"strides": [1, 2, 2, 1], "padding": "EXPLICIT",
          "explicit_paddings": [0, 0, 1, 1, 1, 1, 1, 0]}, types={"T": 1})
    case("error: float filter, int32 out_backprop", "Conv2DBackpropInput",
         [("input_sizes", vec([1, 5, 5, 2])), ("filter", w334),
          ("out_backprop", values([1, 3, 3, 4], I32))],
         {"strides": [1, 2, 2, 1], "padding": "SAME"}, types={"T": 1})


# ---- Conv3D and Conv3DBackpropInputV2 --------------------------------------------------------

def c3d_attrs(strides, padding, dilations=None, fmt="NDHWC"):
    a = {"strides": [1] + list(strides) + [1], "padding": padding}
    if dilations is not None:
        a["dilations"] = [1] + list(dilations) + [1]
    if fmt == "NCDHW":
        a["data_format"] = "NCDHW"
        a["strides"] = list_to_channels_first(a["strides"])
        if "dilations" in a:
            a["dilations"] = list_to_channels_first(a["dilations"])
    return a


def conv3d(name, x, w, strides, padding, tol=EXACT):
    case(name, "Conv3D", [("input", x), ("filter", w)], c3d_attrs(strides, padding),
         types={"T": 0}, tol=tol)


def conv3d_via(name, x, w, strides, padding, dilations=(1, 1, 1), groups=1, fmt="NDHWC"):
    """A Conv3D case TensorFlow's CPU kernel refuses; x is given NDHWC."""
    def expected():
        wd = dilate_filter(w, dilations)
        cin, cout = x.shape[4] // groups, w.shape[4] // groups
        parts = [run("Conv3D", [("input", np.ascontiguousarray(x[..., g * cin:(g + 1) * cin])),
                                ("filter", np.ascontiguousarray(wd[..., g * cout:(g + 1) * cout]))],
                     c3d_attrs(strides, padding))[0] for g in range(groups)]
        y = np.concatenate(parts, axis=-1)
        return [to_channels_first(y) if fmt == "NCDHW" else y]
    case(name, "Conv3D", [("input", to_channels_first(x) if fmt == "NCDHW" else x), ("filter", w)],
         c3d_attrs(strides, padding, dilations, fmt), types={"T": 0}, via=expected)


def c3d_bpi(name, sizes, w, dy, strides, padding, tol=EXACT, sizes_dtype=I32):
    case(name, "Conv3DBackpropInputV2",
         [("input_sizes", vec(sizes, sizes_dtype)), ("filter", w), ("out_backprop", dy)],
         c3d_attrs(strides, padding), types={"T": 1, "Tshape": 0}, tol=tol)


def c3d_bpi_via(name, sizes, w, dy, strides, padding, dilations=(1, 1, 1), fmt="NDHWC"):
    def expected():
        y = run("Conv3DBackpropInputV2",
                [("input_sizes", vec(sizes)), ("filter", dilate_filter(w, dilations)),
                 ("out_backprop", dy)], c3d_attrs(strides, padding))[0]
        return [to_channels_first(y) if fmt == "NCDHW" else y]
    first = fmt == "NCDHW"
    case(name, "Conv3DBackpropInputV2",
         [("input_sizes", vec(list_to_channels_first(sizes) if first else sizes)), ("filter", w),
          ("out_backprop", to_channels_first(dy) if first else dy)],
         c3d_attrs(strides, padding, dilations, fmt), types={"T": 1, "Tshape": 0}, via=expected)


def conv3d_cases():
    w = values([2, 3, 3, 2, 3])
    conv3d("SAME stride (1, 2, 2), batch 2, odd sizes", values([2, 3, 5, 4, 2]), w, (1, 2, 2),
           "SAME")
    conv3d("SAME stride 2 with the odd padding after", values([1, 4, 6, 6, 2]),
           values([3, 3, 3, 2, 2]), (2, 2, 2), "SAME")
    conv3d("VALID stride (2, 1, 3)", values([1, 5, 4, 7, 3]), values([2, 2, 3, 3, 2]),
           (2, 1, 3), "VALID")
    conv3d("VALID filter deeper than the input: empty", values([1, 2, 5, 5, 2]),
           values([3, 2, 2, 2, 3]), (1, 1, 1), "VALID")
    conv3d("1x1x1 filter, 5 output channels", values([2, 2, 3, 2, 3]), values([1, 1, 1, 3, 5]),
           (1, 1, 1), "SAME")
    conv3d("float64", values([1, 3, 4, 4, 2], F64), w.astype(F64), (1, 1, 1), "SAME")
    conv3d("float16", values([1, 3, 4, 4, 2], F16), w.astype(F16), (1, 2, 1), "SAME", tol=HALF)
    conv3d("empty batch", values([0, 3, 4, 4, 2]), w, (1, 1, 1), "SAME")
    conv3d_via("dilations (2, 1, 2) via a zero-filled filter", values([1, 4, 3, 5, 2]), w,
               (1, 1, 1), "SAME", dilations=(2, 1, 2))
    conv3d_via("NCDHW via NDHWC", values([2, 3, 5, 4, 2]), w, (1, 2, 2), "SAME", fmt="NCDHW")
    conv3d_via("two groups via one convolution each", values([1, 3, 4, 4, 4]),
               values([2, 2, 3, 2, 4]), (1, 1, 1), "VALID", groups=2)
    c3d_bpi("backprop SAME stride (1, 2, 2), batch 2", [2, 2, 5, 4, 2], w,
            values([2, 2, 3, 2, 3]), (1, 2, 2), "SAME")
    c3d_bpi("backprop VALID stride (2, 1, 3)", [1, 5, 4, 7, 3], values([2, 2, 3, 3, 2]),
            values([1, 2, 3, 2, 2]), (2, 1, 3), "VALID")
    c3d_bpi("backprop SAME stride 2, int64 input_sizes", [1, 4, 6, 5, 2],
            values([3, 3, 3, 2, 2]), values([1, 2, 3, 3, 2]), (2, 2, 2), "SAME",
            sizes_dtype=I64)
    c3d_bpi("backprop float64", [1, 3, 4, 4, 2], w.astype(F64), values([1, 3, 4, 4, 3], F64),
            (1, 1, 1), "SAME")
    c3d_bpi_via("backprop dilations (1, 2, 2) via a zero-filled filter", [1, 2, 5, 5, 2], w,
                values([1, 2, 5, 5, 3]), (1, 1, 1), "SAME", dilations=(1, 2, 2))
    c3d_bpi_via("backprop NCDHW via NDHWC", [2, 2, 5, 4, 2], w, values([2, 2, 3, 2, 3]),
                (1, 2, 2), "SAME", fmt="NCDHW")
    # The refused cases need no more than a few values.
    x, w = values([1, 2, 3, 3, 2]), values([1, 2, 2, 2, 3])
    case("error: input channels not a multiple of the filter's", "Conv3D",
         [("input", values([1, 2, 3, 3, 3])), ("filter", w)], c3d_attrs((1, 1, 1), "SAME"),
         types={"T": 0})
    case("error: stride on the batch", "Conv3D", [("input", x), ("filter", w)],
         {"strides": [2, 1, 1, 1, 1], "padding": "SAME"}, types={"T": 0})
    case("error: EXPLICIT padding", "Conv3D", [("input", x), ("filter", w)],
         c3d_attrs((1, 1, 1), "EXPLICIT"), types={"T": 0})
    case("error: filter with no output channel", "Conv3D",
         [("input", x), ("filter", values([1, 2, 2, 2, 0]))], c3d_attrs((1, 1, 1), "SAME"),
         types={"T": 0})
    case("error: strides of four entries", "Conv3D", [("input", x), ("filter", w)],
         {"strides": [1, 1, 1, 1], "padding": "SAME"}, types={"T": 0})
    case("error: VALID filter 2 deeper than the input", "Conv3D",
         [("input", x), ("filter", values([4, 1, 1, 2, 1]))], c3d_attrs((1, 1, 1), "VALID"),
         types={"T": 0})
    case("error: 4-D input", "Conv3D", [("input", values([2, 3, 3, 2])), ("filter", w)],
         c3d_attrs((1, 1, 1), "SAME"), types={"T": 0})

    c3d_bpi("error: backprop out_backprop of the wrong size", [1, 2, 5, 5, 2], w,
            values([1, 2, 2, 3, 3]), (1, 2, 2), "SAME")
    c3d_bpi("error: backprop input channels differ from the filter's", [1, 2, 5, 5, 3], w,
            values([1, 2, 3, 3, 3]), (1, 2, 2), "SAME")
    c3d_bpi("error: backprop input_sizes of four entries", [1, 2, 5, 5], w,
            values([1, 2, 3, 3, 3]), (1, 2, 2), "SAME")


# ---- MaxPool3D, AvgPool3D, MaxPoolV2 ---------------------------------------------------------

def pool3d(name, op, x, ksize, strides, padding, tol=EXACT, fmt="NDHWC"):
    attrs = {"ksize": [1] + list(ksize) + [1], "strides": [1] + list(strides) + [1],
             "padding": padding}
    if fmt == "NDHWC":
        case(name, op, [("input", x)], attrs, types={"T": 0}, tol=tol)
        return
    y = run(op, [("input", x)], attrs)[0]
    attrs = {"ksize": list_to_channels_first(attrs["ksize"]),
             "strides": list_to_channels_first(attrs["strides"]), "padding": padding,
             "data_format": "NCDHW"}
    case(name, op, [("input", to_channels_first(x))], attrs, types={"T": 0}, tol=tol,
         via=lambda: [to_channels_first(y)])


def max_pool_v2(name, x, ksize, strides, padding, fmt="NHWC"):
    inputs = [("input", x), ("ksize", vec(ksize)), ("strides", vec(strides))]
    if fmt == "NHWC":
        case(name, "MaxPoolV2", inputs, {"padding": padding}, types={"T": 0})
        return
    y = run("MaxPoolV2", inputs, {"padding": padding})[0]
    case(name, "MaxPoolV2",
         [("input", to_channels_first(x)), ("ksize", vec(list_to_channels_first(ksize))),
          ("strides", vec(list_to_channels_first(strides)))],
         {"padding": padding, "data_format": "NCHW"}, types={"T": 0},
         via=lambda: [to_channels_first(y)])


def pool_cases():
    x = values([2, 3, 5, 4, 2])
    for op, tol in (("MaxPool3D", EXACT), ("AvgPool3D", FLOAT)):
        pool3d("%s SAME 2x2x2 stride 2, batch 2, odd sizes" % op, op, x, (2, 2, 2), (2, 2, 2),
               "SAME", tol)
        pool3d("%s SAME 3x3x3 stride 2, padding on both sides" % op, op, x, (3, 3, 3),
               (2, 2, 2), "SAME", tol)
        pool3d("%s SAME window wider than the input" % op, op, values([1, 2, 3, 3, 2]),
               (3, 5, 5), (1, 1, 1), "SAME", tol)
        pool3d("%s VALID (1, 3, 2) stride (1, 1, 2)" % op, op, x, (1, 3, 2), (1, 1, 2), "VALID",
               tol)
        pool3d("%s VALID window deeper than the input: empty" % op, op, values([1, 2, 5, 5, 2]),
               (3, 2, 2), (1, 1, 1), "VALID", tol)
        pool3d("%s error: VALID window 2 deeper than the input" % op, op,
               values([1, 2, 2, 2, 1]), (4, 1, 1), (1, 1, 1), "VALID", tol)
        pool3d("%s NCDHW via NDHWC" % op, op, x, (2, 3, 2), (1, 2, 2), "SAME", tol, fmt="NCDHW")
        pool3d("%s bfloat16" % op, op, values([1, 3, 4, 4, 2], BF16), (2, 2, 2), (2, 2, 2),
               "SAME", BFLOAT)
        bad = {"ksize": [1, 2, 2, 2, 1], "strides": [1, 1, 1, 1, 1], "padding": "SAME"}
        for what, key, value in (("window across channels", "ksize", [1, 1, 2, 2, 2]),
                                 ("window across the batch", "ksize", [2, 1, 2, 2, 1]),
                                 ("stride across channels", "strides", [1, 1, 1, 1, 2]),
                                 ("zero stride", "strides", [1, 0, 1, 1, 1]),
                                 ("ksize of four entries", "ksize", [1, 2, 2, 1]),
                                 ("EXPLICIT padding", "padding", "EXPLICIT")):
            case("%s error: %s" % (op, what), op, [("input", values([1, 2, 3, 3, 2]))],
                 dict(bad, **{key: value}), types={"T": 0})
        case("%s error: 4-D input" % op, op, [("input", values([2, 3, 3, 2]))], bad,
             types={"T": 0})

    y = values([2, 5, 6, 3])
    max_pool_v2("MaxPoolV2 SAME 3x3 stride 2, batch 2", y, [1, 3, 3, 1], [1, 2, 2, 1], "SAME")
    max_pool_v2("MaxPoolV2 VALID 2x3 stride (1, 2)", y, [1, 2, 3, 1], [1, 1, 2, 1], "VALID")
    max_pool_v2("MaxPoolV2 VALID window taller than the input: empty", y, [1, 6, 2, 1],
                [1, 2, 2, 1], "VALID")
    max_pool_v2("MaxPoolV2 int32", values([1, 5, 5, 2], I32, -100, 100), [1, 2, 2, 1],
                [1, 2, 2, 1], "SAME")
    max_pool_v2("MaxPoolV2 uint8", values([1, 4, 5, 2], U8, 0, 255), [1, 3, 2, 1], [1, 1, 2, 1],
                "SAME")
    max_pool_v2("MaxPoolV2 NCHW via NHWC", y, [1, 3, 2, 1], [1, 2, 1, 1], "SAME", fmt="NCHW")
    for what, ksize, strides in (("ksize of five entries", [1, 2, 2, 1, 1], [1, 2, 2, 1]),
                                 ("window across the batch", [2, 2, 2, 1], [1, 2, 2, 1]),
                                 ("zero window", [1, 0, 2, 1], [1, 2, 2, 1]),
                                 ("stride across the batch", [1, 2, 2, 1], [2, 2, 2, 1])):
        max_pool_v2("MaxPoolV2 error: " + what, values([1, 3, 3, 2]), ksize, strides, "SAME")


# ---- LRN -------------------------------------------------------------------------------------

def lrn_cases():
    x = values([2, 3, 2, 7])
    case("LRN defaults: radius 5 over 7 channels", "LRN", [("input", x)], types={"T": 0},
         tol=FLOAT)
    case("LRN radius 0", "LRN", [("input", x)], {"depth_radius": 0}, types={"T": 0}, tol=FLOAT)
    case("LRN radius 2, bias 2, alpha 0.25, beta 0.75", "LRN", [("input", x)],
         {"depth_radius": 2, "bias": 2.0, "alpha": 0.25, "beta": 0.75}, types={"T": 0}, tol=FLOAT)
    case("LRN radius 1, beta 1", "LRN", [("input", x)],
         {"depth_radius": 1, "bias": 0.5, "alpha": 1.0, "beta": 1.0}, types={"T": 0}, tol=FLOAT)
    case("LRN radius larger than the channels", "LRN", [("input", values([1, 2, 2, 3]))],
         {"depth_radius": 10, "bias": 1.5, "alpha": 0.5, "beta": 0.4}, types={"T": 0}, tol=FLOAT)
    case("LRN float16", "LRN", [("input", values([1, 2, 2, 5], F16))], {"depth_radius": 2},
         types={"T": 0}, tol=HALF)
    case("LRN error: negative radius", "LRN", [("input", x)], {"depth_radius": -1},
         types={"T": 0})
    case("LRN error: 3-D input", "LRN", [("input", values([3, 2, 7]))], types={"T": 0})


# ---- ResizeBilinear, ResizeNearestNeighbor, ResizeBicubic, ResizeArea ------------------------

def resize(name, op, x, size, tol, **attrs):
    case(name, op, [("images", x), ("size", vec(size))], attrs, types={"T": 0}, tol=tol)


def resize_cases():
    up, down, small = values([2, 3, 4, 2]), values([1, 6, 9, 1]), values([1, 2, 2, 1])
    for op in ("ResizeBilinear", "ResizeNearestNeighbor", "ResizeBicubic", "ResizeArea"):
        tol = EXACT if op == "ResizeNearestNeighbor" else FLOAT
        modes = [("legacy", {}), ("align_corners", {"align_corners": True})]
        if op != "ResizeArea":
            modes.append(("half_pixel_centers", {"half_pixel_centers": True}))
        for mode, attrs in modes:
            resize("%s %s: 3x4 up to 5x7, batch 2" % (op, mode), op, up, [5, 7], tol, **attrs)
            resize("%s %s: 6x9 down to 3x4" % (op, mode), op, down, [3, 4], tol, **attrs)
            resize("%s %s: 6x9 to 1x1" % (op, mode), op, down, [1, 1], tol, **attrs)
            resize("%s %s: 3x4 to 3x8, width only" % (op, mode), op, up, [3, 8], tol, **attrs)
        resize("%s same size" % op, op, up, [3, 4], tol)
        resize("%s uint8 image" % op, op, values([1, 4, 5, 2], U8, 0, 255), [7, 3], tol)
        resize("%s int32 image, half-pixel" % op if op != "ResizeArea" else "%s int32 image" % op,
               op, values([1, 3, 3, 1], I32, -1000, 1000), [5, 4], tol,
               **({} if op == "ResizeArea" else {"half_pixel_centers": True}))
        resize("%s float16 image" % op, op, values([1, 3, 4, 2], F16), [5, 3],
               HALF if op == "ResizeNearestNeighbor" else tol)
        resize("%s float64 image" % op, op, values([1, 3, 4, 2], F64), [2, 6], tol)
        resize("%s 1x1 image up to 3x2" % op, op, values([1, 1, 1, 2]), [3, 2], tol,
               align_corners=True)
        resize("%s empty batch" % op, op, values([0, 3, 4, 2]), [5, 3], tol)
        if op != "ResizeArea":
            resize("%s error: align_corners with half_pixel_centers" % op, op, small, [5, 7], tol,
                   align_corners=True, half_pixel_centers=True)
        resize("%s error: zero output height" % op, op, small, [0, 7], tol)
        resize("%s error: size of three entries" % op, op, small, [5, 7, 2], tol)
        resize("%s error: empty image" % op, op, values([1, 0, 4, 2]), [5, 7], tol)
        resize("%s error: 3-D image" % op, op, values([2, 2, 1]), [5, 7], tol)


# ---- CropAndResize ---------------------------------------------------------------------------

def crop(name, image, boxes, box_ind, size, tol=FLOAT, **attrs):
    case(name, "CropAndResize",
         [("image", image), ("boxes", np.asarray(boxes, F32)), ("box_ind", vec(box_ind)),
          ("crop_size", vec(size))], attrs, types={"T": 0}, tol=tol)


def crop_and_resize_cases():
    image = values([2, 5, 6, 3])
    boxes = [[0, 0, 1, 1], [0.125, 0.25, 0.75, 0.875], [-0.25, -0.125, 1.25, 1.5],
             [0.875, 0.75, 0.125, 0.25], [0.5, 0.5, 0.5, 0.5]]
    ind = [0, 1, 1, 0, 1]
    for method in ("bilinear", "nearest"):
        tol = FLOAT if method == "bilinear" else EXACT
        crop("%s: inside, partial, outside, flipped and point boxes" % method, image, boxes, ind,
             [3, 4], tol, method=method)
        crop("%s: extrapolation value -1" % method, image, boxes, ind, [4, 3], tol,
             method=method, extrapolation_value=-1.0)
        crop("%s: 1x1 crops sample the box centre" % method, image, boxes, ind, [1, 1], tol,
             method=method)
        crop("%s: 1x5 crops" % method, image, boxes, ind, [1, 5], tol, method=method)
        crop("%s: uint8 image" % method, values([1, 4, 4, 2], U8, 0, 255),
             [[0.1, 0.2, 0.9, 0.7], [0.3, 0, 0.6, 1]], [0, 0], [3, 3], tol, method=method)
    crop("bilinear: default method", image, boxes, ind, [2, 2])
    crop("float16 image", values([1, 4, 4, 2], F16), [[0, 0, 1, 1], [0.2, 0.3, 0.8, 0.6]],
         [0, 0], [3, 2])
    crop("1x1 image", values([1, 1, 1, 2]), [[0, 0, 1, 1], [-0.5, -0.5, 0.5, 0.5]], [0, 0],
         [2, 3])
    crop("no boxes", image, np.zeros([0, 4]), [], [3, 4])
    small = values([2, 2, 2, 1])
    crop("error: box_ind outside the batch", small, boxes, [0, 2, 1, 0, 1], [3, 4])
    crop("error: negative box_ind", small, boxes, [0, -1, 1, 0, 1], [3, 4])
    crop("error: zero crop height", small, boxes, ind, [0, 4])
    crop("error: crop_size of three entries", small, boxes, ind, [3, 4, 1])
    crop("error: boxes with 3 coordinates", small, [[0, 0, 1]], [0], [3, 4])
    crop("error: box_ind of another length", small, boxes, [0, 1], [3, 4])
    crop("error: empty image", values([1, 0, 6, 3]), boxes[:1], [0], [3, 4])
    crop("error: NaN box coordinate", small, [[0, 0, float("nan"), 1]], [0], [3, 4])
    crop("error: unknown method", small, boxes, ind, [3, 4], method="bicubic")


# ---- ExtractImagePatches ---------------------------------------------------------------------

def patches(name, x, ksize, strides, rates, padding, tol=EXACT):
    case(name, "ExtractImagePatches", [("images", x)],
         {"ksizes": [1] + ksize + [1], "strides": [1] + strides + [1],
          "rates": [1] + rates + [1], "padding": padding}, types={"T": 0}, tol=tol)


def extract_image_patches_cases():
    x = values([2, 4, 5, 2])
    patches("SAME 2x3, stride (2, 1)", x, [2, 3], [2, 1], [1, 1], "SAME")
    patches("SAME 3x3, stride 2, rate 2", x, [3, 3], [2, 2], [2, 2], "SAME")
    patches("SAME 2x2, rates (2, 3)", x, [2, 2], [1, 1], [2, 3], "SAME")
    patches("VALID 3x2, stride (1, 3)", x, [3, 2], [1, 3], [1, 1], "VALID")
    patches("VALID 2x2, rate 2", x, [2, 2], [1, 1], [2, 2], "VALID")
    patches("VALID window one row taller than the image: empty", x, [5, 3], [1, 1], [1, 1],
            "VALID")
    patches("VALID window 3 rows taller, stride 2: empty", x, [7, 1], [2, 1], [1, 1], "VALID")
    patches("1x1 patches, stride 2", x, [1, 1], [2, 2], [1, 1], "SAME")
    patches("uint8", values([1, 4, 4, 2], U8, 0, 255), [2, 2], [2, 2], [1, 1], "VALID")
    patches("int64", values([1, 4, 3, 1], I64, -50, 50), [2, 2], [1, 1], [1, 1], "SAME")
    patches("float16", values([1, 3, 4, 2], F16), [2, 2], [1, 2], [1, 1], "SAME")
    patches("empty image rows", values([1, 0, 6, 2]), [2, 2], [1, 1], [1, 1], "SAME")
    for what, key, value in (("window across the batch", "ksizes", [2, 2, 2, 1]),
                             ("stride across channels", "strides", [1, 1, 1, 2]),
                             ("rate across the batch", "rates", [2, 1, 1, 1]),
                             ("zero window", "ksizes", [1, 0, 2, 1])):
        attrs = {"ksizes": [1, 2, 2, 1], "strides": [1, 1, 1, 1], "rates": [1, 1, 1, 1],
                 "padding": "SAME"}
        attrs[key] = value
        case("error: " + what, "ExtractImagePatches", [("images", values([1, 3, 3, 1]))], attrs,
             types={"T": 0})


# ---- FakeQuantWithMinMaxArgs and FakeQuantWithMinMaxVars -------------------------------------

def fake_quant_cases():
    # Levels, ties between levels, values outside the range, both signs.
    x = np.concatenate([np.linspace(-8, 8, 33), [-0.0235294, 0.0235294, 0.01176, 1e-7, -6.0,
                                                 6.0, 5.999, 0.375, 0.1]]).astype(F32)
    ranges = [(-6.0, 6.0), (-1.0, 1.0), (-0.1, 1.0), (0.5, 2.0), (-3.0, -1.0), (-2.7, 3.3),
              (0.0, 1.0), (-10.0, 0.0)]
    # Every range in 8 bits, both ways; the other widths on every other range.
    for i, (lo, hi) in enumerate(ranges):
        widths = ((8, False), (8, True)) + (((2, False), (4, True), (16, False)) if i % 2 else
                                            ((3, False), (16, True)))
        for bits, narrow in widths:
            name = "[%g, %g], %d bits%s" % (lo, hi, bits, ", narrow" if narrow else "")
            common = {"num_bits": bits, "narrow_range": narrow}
            case("Args " + name, "FakeQuantWithMinMaxArgs", [("inputs", x)],
                 dict(common, min=lo, max=hi))
            case("Vars " + name, "FakeQuantWithMinMaxVars",
                 [("inputs", x), ("min", scalar(lo)), ("max", scalar(hi))], common)
    case("Args defaults", "FakeQuantWithMinMaxArgs", [("inputs", values([2, 3, 4], F32, -64, 64))])
    few = vec([-1.5, 0.25, 2.0], F32)
    for lo, hi, what in ((1.0, 1.0, "equal"), (2.0, -2.0, "reversed")):
        case("Args error: %s min and max" % what, "FakeQuantWithMinMaxArgs", [("inputs", few)],
             {"min": lo, "max": hi})
    for bits in (1, 17):
        case("Args error: %d bits" % bits, "FakeQuantWithMinMaxArgs", [("inputs", few)],
             {"num_bits": bits})
        case("Vars error: %d bits" % bits, "FakeQuantWithMinMaxVars",
             [("inputs", few), ("min", scalar(-1.0)), ("max", scalar(1.0))], {"num_bits": bits})
    # Vars takes whatever range it is given: zeros for [0, 0], the formula for the rest.
    for lo, hi, what in ((0.0, 0.0, "min == max == 0 gives zeros"),
                         (3.0, -5.0, "min above max"),
                         (1.0, 1.0, "min == max == 1 gives NaN")):
        case("Vars " + what, "FakeQuantWithMinMaxVars",
             [("inputs", x), ("min", scalar(lo)), ("max", scalar(hi))])
    case("Vars error: min is a vector", "FakeQuantWithMinMaxVars",
         [("inputs", few), ("min", vec([-1.0], F32)), ("max", scalar(1.0))])


# ---- Output ----------------------------------------------------------------------------------

def number_text(value, dtype, digits=None):
    """Integers as they are; floats as the shortest text that reads back as the same value in
    their own precision (strtof for the 32- and 16-bit floats, strtod for float64), or with
    `digits` significant digits where the case's tolerance is far wider than that rounding."""
    if dtype.kind in "iu":
        return str(int(value))
    if digits is not None and np.isfinite(value):
        return "%.*g" % (digits, float(value))
    if dtype == np.dtype(F64):
        v = float(value)
        return repr(v) if math.isfinite(v) else str(v)
    v = np.float32(value)
    if not np.isfinite(v):
        return "nan" if np.isnan(v) else ("inf" if v > 0 else "-inf")
    text = str(v)
    return text[:-2] if text.endswith(".0") else text


def tensor_text(array, digits=None):
    """`dtype [d0,d1] e0 e1 ...` on one line."""
    array = np.asarray(array)
    dtype = np.dtype(array.dtype)
    shape = "[" + ",".join(str(d) for d in array.shape) + "]"
    return " ".join([KILN_DTYPES[dtype], shape] +
                    [number_text(v, dtype, digits) for v in array.reshape(-1)])


def attr_text(key, value):
    if isinstance(value, type):
        return "attr %s type %s" % (key, KILN_DTYPES[np.dtype(value)])
    if isinstance(value, bool):
        return "attr %s bool %d" % (key, value)
    if isinstance(value, str):
        return "attr %s string %s" % (key, value)
    if isinstance(value, list):
        return "attr %s ints [%s]" % (key, ",".join(str(v) for v in value))
    if isinstance(value, float):
        return "attr %s float %s" % (key, number_text(value, np.dtype(F32)))
    return "attr %s int %d" % (key, value)


def main():
    conv2d_backprop_input_cases()
    conv3d_cases()
    pool_cases()
    lrn_cases()
    resize_cases()
    crop_and_resize_cases()
    extract_image_patches_cases()
    fake_quant_cases()
    records = []
    for name, op, inputs, attrs, outputs, tol in CASES:
        lines = ["case " + name, "op " + op]
        lines += [attr_text(k, v) for k, v in sorted(attrs.items())]
        lines += ["in " + tensor_text(a) for a in inputs]
        if outputs is None:
            lines.append("fails")
        else:
            # 7 significant digits are 50 times finer than the loosest relative tolerance.
            digits = None if tol == EXACT else 7
            lines += ["out " + tensor_text(a, digits) for a in outputs]
            if tol != EXACT:
                lines.append("tolerance %g %g" % tol)
        records.append("\n".join(lines))
    out = sys.stdout
    out.write("# Generated by tests/reference/make_nn_tail_cases.py with TensorFlow %s: do not "
              "edit.\n" % tf.__version__)
    out.write("# Each case: a raw TensorFlow op, its inputs and attributes, and what TensorFlow\n"
              "# returned (or that it refused the inputs). tf_cases.hpp reads the format.\n\n")
    out.write("\n\n".join(records))
    out.write("\n\ncases %d\n" % len(records))
    counts = {}
    for name, op, _, _, outputs, _ in CASES:
        total, refused = counts.get(op, (0, 0))
        counts[op] = (total + 1, refused + (outputs is None))
    for op, (total, refused) in sorted(counts.items()):
        sys.stderr.write("%-24s %3d cases, %2d refused\n" % (op, total, refused))
    sys.stderr.write("%d cases, %d refused\n" % (len(CASES), sum(1 for c in CASES if c[4] is None)))


if __name__ == "__main__":
    main()
