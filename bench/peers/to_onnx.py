"""tf2onnx's command line, plus a converter for TensorFlow's Erfc and a GELU rewrite.

    python bench/peers/to_onnx.py --saved-model DIR --opset 17 --output model.onnx

TensorFlow 2.21 computes the exact GELU of Keras as 0.5 * x * erfc(-x * 0.70710677), and tf2onnx
1.17 has no handler for Erfc. ONNX has Erf, and erfc(x) = 1 - erf(x), so Erfc becomes Erf
followed by a subtraction from one. Everything else is tf2onnx's own `tf2onnx.convert`.

That is correct but is not the pattern ONNX Runtime's GELU fusion looks for, so after the
conversion `canonical_gelu` rewrites every 1 - erf(-x * 0.70710677) into 1 + erf(x / sqrt(2)):
with the 0.5 * x beside it that is `0.5 * x * (1 + Erf(x / sqrt(2)))`, which ONNX Runtime fuses
into one Gelu kernel. `fix_batch` writes a copy with a static batch size, as Kiln (`--batch`) and
OpenVINO (`reshape`) get it.
"""

import math
import sys

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


def _scalar(graph_constants, name):
    """The value of a one-element constant input, or None."""
    value = graph_constants.get(name)
    return float(value.reshape(-1)[0]) if value is not None and value.size == 1 else None


def canonical_gelu(model):
    """Rewrites 1 - Erf(Neg(x) * 1/sqrt2) as 1 + Erf(x / sqrt2) in place; returns how many.

    Only that exact shape is touched (TensorFlow's exact GELU after the Erfc converter); the
    Neg, Mul and Sub it leaves unused are removed."""
    from onnx import helper, numpy_helper
    graph = model.graph
    constants = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    for node in graph.node:
        if node.op_type == "Constant":
            constants[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)
    producer = {out: n for n in graph.node for out in n.output}
    consumers = {}
    for n in graph.node:
        for name in n.input:
            consumers.setdefault(name, []).append(n)

    sqrt2 = f"gelu_sqrt2_{len(graph.initializer)}"
    one = f"gelu_one_{len(graph.initializer)}"
    rewritten, dead, new_nodes = 0, set(), {}
    for erf in graph.node:
        if erf.op_type != "Erf":
            continue
        scale = producer.get(erf.input[0])
        users = consumers.get(erf.output[0], [])
        if scale is None or scale.op_type != "Mul" or len(users) != 1:
            continue
        sub = users[0]
        if sub.op_type != "Sub" or sub.input[1] != erf.output[0] or _scalar(
                constants, sub.input[0]) != 1.0:
            continue
        neg = next((producer.get(i) for i in scale.input
                    if producer.get(i) is not None and producer[i].op_type == "Neg"), None)
        factor = next((_scalar(constants, i) for i in scale.input if i in constants), None)
        if neg is None or factor is None or abs(factor - 1 / math.sqrt(2)) > 1e-6:
            continue
        x = neg.input[0]
        base = erf.name + "_gelu"
        div = helper.make_node("Div", [x, sqrt2], [base + "_div"], name=base + "_div")
        new_erf = helper.make_node("Erf", [base + "_div"], [base + "_erf"], name=base + "_erf")
        # The Add writes the Sub's output name, so the 0.5 * x * (...) after it is untouched.
        add = helper.make_node("Add", [base + "_erf", one], [sub.output[0]], name=base + "_add")
        new_nodes[id(sub)] = [div, new_erf, add]
        dead.update({id(erf), id(sub)})
        if len(consumers.get(scale.output[0], [])) == 1:
            dead.add(id(scale))
            if len(consumers.get(neg.output[0], [])) == 1:
                dead.add(id(neg))
        rewritten += 1
    if not rewritten:
        return 0
    dtype = np.float32
    graph.initializer.extend([numpy_helper.from_array(np.array(math.sqrt(2), dtype), sqrt2),
                              numpy_helper.from_array(np.array(1, dtype), one)])
    # Rebuild the node list in order: the new nodes take the place of each Sub, whose inputs
    # (x) are all computed before it, so the list stays topologically sorted.
    nodes = []
    for n in graph.node:
        nodes.extend(new_nodes.get(id(n), []))
        if id(n) not in dead:
            nodes.append(n)
    del graph.node[:]
    graph.node.extend(nodes)
    used = {name for n in graph.node for name in n.input}
    unused = [i for i in graph.initializer if i.name not in used]  # the old 1/sqrt2 and 1
    for initializer in unused:
        graph.initializer.remove(initializer)
    return rewritten


def fix_batch(model, batch):
    """Sets the first dimension of every graph input and output to `batch`, in place, and drops
    the intermediate shapes tf2onnx recorded with an unknown batch (ONNX Runtime infers them
    again from the now static inputs, and folds the Shape arithmetic that depended on them)."""
    for value in list(model.graph.input) + list(model.graph.output):
        dims = value.type.tensor_type.shape.dim
        if dims:
            dims[0].Clear()
            dims[0].dim_value = batch
    del model.graph.value_info[:]
    return model


def _output_path(argv):
    for i, arg in enumerate(argv):
        if arg == "--output" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--output="):
            return arg.split("=", 1)[1]
    return None


if __name__ == "__main__":
    convert.main()
    output = _output_path(sys.argv[1:])
    if output:
        import onnx
        converted = onnx.load(output)
        count = canonical_gelu(converted)
        if count:
            onnx.save(converted, output)
        print(f"to_onnx: {count} GELU(s) rewritten as 0.5*x*(1+Erf(x/sqrt(2)))")
