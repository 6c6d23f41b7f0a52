"""tf2onnx's command line, plus a converter for TensorFlow's Erfc.

    python bench/peers/to_onnx.py --saved-model DIR --opset 17 --output model.onnx

TensorFlow 2.21 computes the exact GELU of Keras as 0.5 * x * erfc(-x / sqrt(2)), and tf2onnx
1.17 has no handler for Erfc. ONNX has Erf, and erfc(x) = 1 - erf(x), so Erfc becomes Erf
followed by a subtraction from one. Everything else is tf2onnx's own `tf2onnx.convert`.
"""

import numpy as np
from tf2onnx import convert, utils
from tf2onnx.handler import tf_op


@tf_op("Erfc")
class Erfc:
    @classmethod
    def version_9(cls, ctx, node, **kwargs):  # Erf entered ONNX in opset 9
        node.type = "Erf"
        dtype = utils.map_onnx_to_numpy_type(ctx.get_dtype(node.input[0]))
        one = ctx.make_const(utils.make_name(node.name + "_one"), np.array(1, dtype=dtype))
        erf_output = node.output[0]
        minus = ctx.insert_new_node_on_output("Sub", erf_output, name=utils.make_name(node.name),
                                              inputs=[one.output[0], erf_output])
        ctx.copy_shape(erf_output, minus.output[0])
        ctx.copy_dtype(erf_output, minus.output[0])


if __name__ == "__main__":
    convert.main()
