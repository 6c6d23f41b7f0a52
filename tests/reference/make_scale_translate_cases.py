#!/usr/bin/env python3
"""Computes the expected results of Kiln's ScaleAndTranslate tests with TensorFlow: every
sampling kernel with and without antialiasing, down- and upsampling, translations that move
samples across and off the image edge, several image dtypes, NaN and infinite pixels, and the
inputs TensorFlow refuses.

ScaleAndTranslate is what tf.image.resize emits for antialias=True and for the kernels only it
has (lanczos3, lanczos5, gaussian, mitchellcubic). Each case runs tf.raw_ops.ScaleAndTranslate
eagerly and records its inputs, attributes and output, or the fact that TensorFlow refused it,
as text (the format tests/reference/tf_cases.hpp reads); tests/reference/test_scale_translate_tf.cpp
replays them on Kiln's reference kernel. Run it from the repository root with a Python that has
TensorFlow and commit the result:

    python tests/reference/make_scale_translate_cases.py \\
        > tests/reference/data/scale_translate_tf_cases.txt

Kiln refuses one input TensorFlow takes, an infinite scale (TensorFlow then samples every output
at the image's first pixel); the replay test checks that refusal on its own.

Inputs are multiples of 1/8 drawn from a seeded generator (integers for integer images): short
to write and exact in every float type. The weights are float32 sums of sines and exponentials,
so results are compared with a float32 tolerance.
"""

import math
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

RNG = np.random.default_rng(20250214)

F32, F16, F64, I8, U8, I32, I64 = (np.float32, np.float16, np.float64, np.int8, np.uint8,
                                   np.int32, np.int64)
BF16 = tf.bfloat16.as_numpy_dtype

KILN_DTYPES = {
    np.dtype(F32): "float32", np.dtype(F16): "float16", np.dtype(BF16): "bfloat16",
    np.dtype(F64): "float64", np.dtype(I8): "int8", np.dtype(U8): "uint8",
    np.dtype(I32): "int32", np.dtype(I64): "int64",
}

KERNELS = ("lanczos1", "lanczos3", "lanczos5", "gaussian", "box", "triangle", "keyscubic",
           "mitchellcubic")

# (absolute, relative): the output is float32 whatever the image type, and Kiln's sums run in
# TensorFlow's order, so only the last bits of a weight (a sine, an exponential) may differ.
FLOAT = (1e-5, 1e-5)

REFUSALS = (tf.errors.InvalidArgumentError, ValueError, TypeError)

CASES = []


def values(shape, dtype=F32, low=-16, high=16):
    """Seeded multiples of 1/8 in [low/8, high/8] (integers in [low, high] for integer types)."""
    v = RNG.integers(low, high + 1, size=shape)
    if np.issubdtype(np.dtype(dtype), np.integer):
        return v.astype(dtype)
    return (v / 8.0).astype(dtype)


def run(inputs, attrs):
    """tf.raw_ops.ScaleAndTranslate on the inputs, as a numpy array, or None when refused."""
    kwargs = {k: tf.constant(v) for k, v in inputs}
    kwargs.update(attrs)
    try:
        return np.asarray(tf.raw_ops.ScaleAndTranslate(**kwargs).numpy())
    except REFUSALS:
        return None


def case(name, image, size, scale, translation, **attrs):
    """Records one case; attrs are kernel_type and antialias when the case sets them (a case
    without them checks that Kiln's defaults are TensorFlow's)."""
    inputs = [("images", image), ("size", np.array(size, np.int32)),
              ("scale", np.array(scale, np.float32)),
              ("translation", np.array(translation, np.float32))]
    output = run(inputs, attrs)
    if (output is None) != ("error:" in name):
        sys.exit("case '%s': TensorFlow %s" % (name, "refused it" if output is None
                                                 else "accepted it, but it is named an error"))
    kiln_attrs = dict(attrs, T=image.dtype.type)
    CASES.append((name, [v for _, v in inputs], kiln_attrs, output))


def resize_scale(size, image):
    """What tf.image.resize passes: output size over input size, per axis."""
    return [size[0] / image.shape[1], size[1] / image.shape[2]]


def kernel_cases():
    """Every kernel, with and without antialias, down- and upsampling and off-ratio."""
    image = values([1, 5, 7, 2])
    for kernel in KERNELS:
        for antialias in (True, False):
            tag = "%s antialias=%d" % (kernel, antialias)
            attrs = {"kernel_type": kernel, "antialias": antialias}
            case(tag + " down 5x7 -> 3x4", image, [3, 4], resize_scale([3, 4], image), [0, 0],
                 **attrs)
            case(tag + " up 5x7 -> 8x11, translated", image, [8, 11],
                 resize_scale([8, 11], image), [0.25, -0.5], **attrs)
        # The scale need not be the ratio of the sizes: downsample the rows and stretch the
        # columns, moved so that some samples fall off the image.
        case(kernel + " scale (0.45, 1.3) translation (0.7, -1.2)", image, [3, 9], [0.45, 1.3],
             [0.7, -1.2], kernel_type=kernel)


def other_cases():
    image = values([2, 4, 6, 3])
    case("defaults (lanczos3, antialias) batch 2, 3 channels", image, [3, 9],
         resize_scale([3, 9], image), [0, 0])
    case("kernel_type in capitals", image, [6, 4], resize_scale([6, 4], image), [0, 0],
         kernel_type="KeysCubic")
    case("kernel_type in mixed case", image, [2, 3], resize_scale([2, 3], image), [0, 0],
         kernel_type="Lanczos5", antialias=False)

    # Image dtypes: the output is float32 for each.
    small = values([1, 5, 4, 2])
    for dtype, low, high in ((U8, 0, 255), (F16, -16, 16), (F64, -16, 16), (I8, -128, 127),
                             (I32, -1000, 1000), (I64, -1000, 1000), (BF16, -16, 16)):
        image = values([1, 5, 4, 2], dtype, low, high)
        name = KILN_DTYPES[np.dtype(dtype)]
        case(name + " image, lanczos3 down", image, [3, 3], resize_scale([3, 3], image), [0, 0])
        case(name + " image, triangle up", image, [7, 6], resize_scale([7, 6], image),
             [0.5, 0], kernel_type="triangle", antialias=False)

    case("same size, scale 1: the identity but for Lanczos' rounding", small, [5, 4], [1, 1],
         [0, 0])
    case("same size, box: exactly the identity", small, [5, 4], [1, 1], [0, 0],
         kernel_type="box")
    case("shift by one pixel, triangle", small, [5, 4], [1, 1], [1, -1], kernel_type="triangle")
    case("half-pixel shift, box: ties weigh 0.5", small, [5, 4], [1, 1], [0.5, 0.5],
         kernel_type="box")
    case("a 1x1 image upsampled", values([1, 1, 1, 2]), [3, 4], [3, 4], [0, 0])
    case("a 1-pixel-wide image, gaussian", values([1, 6, 1, 1]), [3, 2], [0.5, 2], [0, 0],
         kernel_type="gaussian")
    case("strong downsampling, antialias: every pixel in every span", values([1, 9, 12, 1]),
         [1, 2], [0.1, 0.15], [0, 0])
    case("strong downsampling without antialias", values([1, 9, 12, 1]), [1, 2], [0.1, 0.15],
         [0, 0], antialias=False)
    case("4x upsampling, mitchellcubic", values([1, 2, 3, 1]), [8, 12], [4, 4], [0, 0],
         kernel_type="mitchellcubic")
    case("output larger than the scaled image: edge samples off the image give 0", small,
         [7, 6], [1, 1], [0, 0])
    case("translation moves every sample off the image", small, [3, 3], [0.6, 0.75], [-20, 9])
    case("negative translation, lanczos5", small, [4, 4], [0.8, 1], [-0.75, -1.5],
         kernel_type="lanczos5")
    case("infinite translation: zeros", small, [3, 3], [0.6, 0.75], [np.inf, -np.inf])
    case("NaN translation: zeros", small, [3, 3], [0.6, 0.75], [np.nan, 0])
    case("tiny scale, samples off the image: zeros", small, [2, 2], [1e-30, 1], [0, 0])
    case("huge scale", small, [3, 3], [1e30, 1e30], [0, 0])
    case("empty batch", values([0, 4, 4, 2]), [2, 3], [0.5, 0.75], [0, 0])

    # A NaN or infinite pixel spreads through its span, and TensorFlow also multiplies zero
    # weights with the pixels up to the widest span, so it reaches outputs that skip it.
    special = values([1, 6, 6, 1])
    special[0, 2, 3, 0] = np.nan
    special[0, 4, 0, 0] = np.inf
    case("NaN and infinite pixels, lanczos3", special, [3, 3], [0.5, 0.5], [0, 0])
    case("NaN and infinite pixels, triangle up", special, [9, 8], [1.5, 1.25], [0, 0],
         kernel_type="triangle", antialias=False)
    case("NaN and infinite pixels, samples off the image", special, [4, 4], [0.5, 0.5],
         [2, -1], kernel_type="box")


def refused_cases():
    image = values([1, 4, 5, 2])
    ok = dict(size=[2, 3], scale=[0.5, 0.6], translation=[0, 0])

    def refused(name, image=image, **overrides):
        args = dict(ok, **{k: v for k, v in overrides.items() if k in ok})
        attrs = {k: v for k, v in overrides.items() if k not in ok}
        case("error: " + name, image, args["size"], args["scale"], args["translation"], **attrs)

    refused("unknown kernel_type", kernel_type="cubic")
    refused("kernel_type bilinear (Resize's name, not a kernel)", kernel_type="bilinear")
    refused("a zero output height", size=[0, 3])
    refused("a negative output width", size=[2, -1])
    refused("size of three entries", size=[2, 3, 4])
    refused("size of one entry", size=[2])
    refused("a zero scale", scale=[0, 0.6])
    refused("a negative scale", scale=[0.5, -0.6])
    refused("a NaN scale", scale=[np.nan, 0.6])
    refused("scale of three entries", scale=[0.5, 0.6, 0.7])
    refused("translation of one entry", translation=[0])
    refused("a 2-D scale", scale=[[0.5, 0.6]])
    refused("no channels", image=values([1, 4, 5, 0]))
    refused("an image of no rows", image=values([1, 0, 5, 2]))
    refused("an image of no columns", image=values([1, 4, 0, 2]))
    refused("a 3-D image", image=values([4, 5, 2]))
    refused("empty batch and a zero scale", image=values([0, 4, 5, 2]), scale=[0, 1])


# ---- Output ----------------------------------------------------------------------------------

def number_text(value, dtype, digits=None):
    """Integers as they are; floats as the shortest text that reads back as the same value in
    their own precision (strtof for the 32- and 16-bit floats, strtod for float64), or with
    `digits` significant digits where the case's tolerance is far wider than that rounding."""
    if dtype.kind in "iu":
        return str(int(value))
    if not np.isfinite(value):
        return "nan" if np.isnan(value) else ("inf" if value > 0 else "-inf")
    if digits is not None:
        return "%.*g" % (digits, float(value))
    if dtype == np.dtype(F64):
        return repr(float(value))
    text = str(np.float32(value))
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
    return "attr %s string %s" % (key, value)


def main():
    kernel_cases()
    other_cases()
    refused_cases()
    records = []
    for name, inputs, attrs, output in CASES:
        lines = ["case " + name, "op ScaleAndTranslate"]
        lines += [attr_text(k, v) for k, v in sorted(attrs.items())]
        lines += ["in " + tensor_text(a) for a in inputs]
        if output is None:
            lines.append("fails")
        else:
            # 8 significant digits: far finer than the tolerance.
            lines += ["out " + tensor_text(output, 8), "tolerance %g %g" % FLOAT]
        records.append("\n".join(lines))
    out = sys.stdout
    out.write("# Generated by tests/reference/make_scale_translate_cases.py with TensorFlow %s: "
              "do not edit.\n" % tf.__version__)
    out.write("# Each case: tf.raw_ops.ScaleAndTranslate, its inputs and attributes, and what\n"
              "# TensorFlow returned (or that it refused the inputs). tf_cases.hpp reads the "
              "format.\n\n")
    out.write("\n\n".join(records))
    out.write("\n\ncases %d\n" % len(records))
    refused = sum(1 for c in CASES if c[3] is None)
    sys.stderr.write("ScaleAndTranslate: %d cases, %d refused\n" % (len(CASES), refused))


if __name__ == "__main__":
    main()
