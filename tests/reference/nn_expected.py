#!/usr/bin/env python3
"""Writes the TensorFlow-computed expectations of test_nn_tensorflow.cpp.

For every case it stores the inputs and TensorFlow's outputs as .npy files under
tests/reference/data/nn/: <case>_in<i>.npy and <case>_out<i>.npy. The C++ test runs the same
op with the same attributes on Kiln's reference kernels and compares. Inputs are seeded random
numbers, so running the script again reproduces the files.

Run from the repository root with a Python that has tensorflow and numpy:
    python tests/reference/nn_expected.py
"""

import os

import numpy as np
import tensorflow as tf

raw = tf.raw_ops
OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "nn")
rng = np.random.default_rng(20240601)


def rand(*shape):
    return rng.uniform(-1.0, 1.0, size=shape).astype(np.float32)


def save(case, inputs, outputs):
    for i, x in enumerate(inputs):
        np.save(os.path.join(OUT_DIR, f"{case}_in{i}.npy"), np.asarray(x))
    for i, y in enumerate(outputs):
        np.save(os.path.join(OUT_DIR, f"{case}_out{i}.npy"), np.asarray(y))


def nhwc_to_nchw(x):
    return np.ascontiguousarray(np.transpose(x, (0, 3, 1, 2)))


def conv_cases():
    # SAME, stride 2, odd height and even width: padding splits with the extra pixel after.
    x, w = rand(2, 7, 6, 3), rand(3, 3, 3, 4)
    y = raw.Conv2D(input=x, filter=w, strides=[1, 2, 2, 1], padding="SAME")
    save("conv_same_stride2", [x, w], [y])
    # The same numbers laid out NCHW; TensorFlow's CPU kernel computes NHWC, so transpose.
    save("conv_same_stride2_nchw", [nhwc_to_nchw(x), w], [nhwc_to_nchw(y.numpy())])

    x, w = rand(1, 9, 8, 2), rand(3, 2, 2, 3)
    y = raw.Conv2D(input=x, filter=w, strides=[1, 1, 1, 1], padding="VALID",
                   dilations=[1, 2, 3, 1])
    save("conv_valid_dilated", [x, w], [y])

    x, w = rand(1, 5, 5, 2), rand(2, 3, 2, 2)
    y = raw.Conv2D(input=x, filter=w, strides=[1, 2, 1, 1], padding="EXPLICIT",
                   explicit_paddings=[0, 0, 1, 2, 2, 0, 0, 0])
    save("conv_explicit", [x, w], [y])

    x, w = rand(1, 5, 5, 4), rand(3, 3, 2, 6)  # 2 groups of 2 input and 3 output channels
    y = raw.Conv2D(input=x, filter=w, strides=[1, 1, 1, 1], padding="SAME")
    save("conv_grouped", [x, w], [y])

    x, w = rand(2, 7, 6, 3), rand(3, 3, 3, 2)
    y = raw.DepthwiseConv2dNative(input=x, filter=w, strides=[1, 2, 2, 1], padding="SAME")
    save("depthwise_same_stride2", [x, w], [y])
    save("depthwise_same_stride2_nchw", [nhwc_to_nchw(x), w], [nhwc_to_nchw(y.numpy())])

    # TensorFlow's depthwise kernel has no dilation of its own; tf.nn.depthwise_conv2d gets the
    # same result through space-to-batch.
    x, w = rand(1, 8, 9, 2), rand(3, 2, 2, 1)
    y = tf.nn.depthwise_conv2d(x, w, strides=[1, 1, 1, 1], padding="VALID", dilations=[2, 3])
    save("depthwise_valid_dilated", [x, w], [y])


def pool_cases():
    x = rand(2, 7, 6, 3)
    save("max_pool_same", [x], [raw.MaxPool(input=x, ksize=[1, 3, 3, 1], strides=[1, 2, 2, 1],
                                            padding="SAME")])
    save("avg_pool_same", [x], [raw.AvgPool(value=x, ksize=[1, 3, 2, 1], strides=[1, 2, 1, 1],
                                            padding="SAME")])
    y = raw.AvgPool(value=x, ksize=[1, 2, 3, 1], strides=[1, 1, 2, 1], padding="VALID")
    save("avg_pool_valid_nchw", [nhwc_to_nchw(x)], [nhwc_to_nchw(y.numpy())])


def batch_norm_cases():
    x = rand(2, 4, 3, 5) * 3 + 1
    scale, offset = rand(5), rand(5)
    mean, variance = rand(5), np.abs(rand(5)) + 0.5
    out = raw.FusedBatchNormV3(x=x, scale=scale, offset=offset, mean=mean, variance=variance,
                               epsilon=0.001, is_training=False)
    save("batch_norm_inference", [x, scale, offset, mean, variance], out[:3])
    empty = np.zeros(0, np.float32)
    out = raw.FusedBatchNormV3(x=x, scale=scale, offset=offset, mean=empty, variance=empty,
                               epsilon=0.001, is_training=True)
    save("batch_norm_training", [x, scale, offset, empty, empty], out[:5])


def matmul_cases():
    a, b = rand(5, 7), rand(3, 7)
    save("matmul_transpose_b", [a, b], [raw.MatMul(a=a, b=b, transpose_b=True)])
    a, b = rand(2, 1, 4, 3), rand(5, 2, 4)
    save("batch_matmul_broadcast_adj", [a, b],
         [raw.BatchMatMulV2(x=a, y=b, adj_x=True, adj_y=True)])


EINSUM_CASES = [
    # name, equation, operand shapes (Keras MultiHeadAttention and EinsumDense equations)
    ("einsum_mha_query", "abc,cde->abde", [(2, 5, 8), (8, 2, 4)]),
    ("einsum_mha_output", "abcd,cde->abe", [(2, 5, 2, 4), (2, 4, 8)]),
    ("einsum_mha_scores", "aecd,abcd->acbe", [(2, 6, 2, 4), (2, 5, 2, 4)]),
    ("einsum_mha_context", "acbe,aecd->abcd", [(2, 2, 5, 6), (2, 6, 2, 4)]),
    ("einsum_dense_3d", "abc,cd->abd", [(2, 5, 8), (8, 3)]),
    ("einsum_dense_ellipsis", "...b,bc->...c", [(2, 3, 5, 8), (8, 3)]),
    ("einsum_broadcast_batch", "...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]),
    ("einsum_diagonal_sum", "bii,bij->bj", [(2, 3, 3), (2, 3, 4)]),
]


def einsum_cases():
    for name, equation, shapes in EINSUM_CASES:
        inputs = [rand(*s) for s in shapes]
        save(name, inputs, [raw.Einsum(inputs=inputs, equation=equation)])


def softmax_cases():
    x = rand(3, 7) * 20
    save("softmax", [x], [raw.Softmax(logits=x)])
    save("log_softmax", [x], [raw.LogSoftmax(logits=x)])


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    conv_cases()
    pool_cases()
    batch_norm_cases()
    matmul_cases()
    einsum_cases()
    softmax_cases()
    print("wrote", len(os.listdir(OUT_DIR)), "files to", OUT_DIR)


if __name__ == "__main__":
    main()
