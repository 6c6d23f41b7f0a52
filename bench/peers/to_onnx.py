"""tf2onnx's command line, plus a converter for TensorFlow's Erfc, and GELU and LayerNorm
rewrites.

    python bench/peers/to_onnx.py --saved-model DIR --opset 17 --output model.onnx

TensorFlow 2.21 computes the exact GELU of Keras as 0.5 * x * erfc(-x * 0.70710677), and tf2onnx
1.17 has no handler for Erfc. ONNX has Erf, and erfc(x) = 1 - erf(x), so Erfc becomes Erf
followed by a subtraction from one. Everything else is tf2onnx's own `tf2onnx.convert`.

That is correct but is not the pattern ONNX Runtime's GELU fusion looks for, so after the
conversion `canonical_gelu` rewrites every 1 - erf(-x * 0.70710677) into 1 + erf(x / sqrt(2)):
with the 0.5 * x beside it that is `0.5 * x * (1 + Erf(x / sqrt(2)))`, which ONNX Runtime fuses
into one Gelu kernel. `fuse_layer_norm` turns tf2onnx's thirteen-node form of Keras'
LayerNormalization into ONNX's LayerNormalization, which ONNX Runtime then fuses with the
residual Add before it (SkipLayerNormalization). `fix_batch` writes a copy with a static batch
size, as Kiln (`--batch`) and OpenVINO (`reshape`) get it.
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


def fuse_layer_norm(model):
    """Rewrites tf2onnx's form of Keras' LayerNormalization over the last axis of a rank-3
    tensor into one ONNX LayerNormalization (opset 17) in place; returns how many.

    tf2onnx writes it as GlobalAveragePool (the mean over the last axis of [N, C, L]),
    Sub, Mul, GlobalAveragePool, Add eps, Sqrt, Reciprocal, Mul gamma, then
    x * s + (beta - mean * s): thirteen nodes that ONNX Runtime's LayerNorm fusion does not
    recognize (it looks for ReduceMean ... Div), so without this it runs them one by one."""
    from onnx import helper, numpy_helper
    graph = model.graph
    constants = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    producer = {out: n for n in graph.node for out in n.output}
    consumers = {}
    for n in graph.node:
        for name in set(n.input):
            consumers.setdefault(name, []).append(n)

    def only(name, op_type):
        users = consumers.get(name, [])
        return users[0] if len(users) == 1 and users[0].op_type == op_type else None

    def other_input(node, name):
        rest = [i for i in node.input if i != name]
        return rest[0] if len(rest) == 1 else None

    fused, dead, new_nodes = 0, set(), {}
    for mean in graph.node:
        if mean.op_type != "GlobalAveragePool":
            continue
        x = mean.input[0]
        users = {n.op_type: n for n in consumers.get(mean.output[0], [])}
        sub, neg = users.get("Sub"), users.get("Neg")
        if len(users) != 2 or sub is None or neg is None or list(sub.input) != [x,
                                                                                mean.output[0]]:
            continue
        square = only(sub.output[0], "Mul")
        if square is None or list(square.input) != [sub.output[0]] * 2:
            continue
        variance = only(square.output[0], "GlobalAveragePool")
        add_eps = variance and only(variance.output[0], "Add")
        sqrt = add_eps and only(add_eps.output[0], "Sqrt")
        reciprocal = sqrt and only(sqrt.output[0], "Reciprocal")
        scale = reciprocal and only(reciprocal.output[0], "Mul")
        if scale is None:
            continue
        eps = constants.get(other_input(add_eps, variance.output[0]))
        gamma_name = other_input(scale, reciprocal.output[0])
        gamma = constants.get(gamma_name)
        if eps is None or eps.size != 1 or gamma is None or gamma.ndim != 3:
            continue
        scaled = {n.input[0] if n.input[1] == scale.output[0] else n.input[1]: n
                  for n in consumers.get(scale.output[0], []) if n.op_type == "Mul"}
        mul_x, mul_mean = scaled.get(x), scaled.get(neg.output[0])
        if len(consumers.get(scale.output[0], [])) != 2 or mul_x is None or mul_mean is None:
            continue
        add_beta = only(mul_mean.output[0], "Add")
        beta = add_beta and constants.get(other_input(add_beta, mul_mean.output[0]))
        if beta is None or beta.shape != gamma.shape or only(neg.output[0], "Mul") is None:
            continue
        total = only(add_beta.output[0], "Add")
        if total is None or set(total.input) != {mul_x.output[0], add_beta.output[0]} or (
                only(mul_x.output[0], "Add") is None):
            continue
        base = mean.name + "_layer_norm"
        graph.initializer.extend([
            numpy_helper.from_array(gamma.reshape(-1), base + "_gamma"),
            numpy_helper.from_array(beta.reshape(-1), base + "_beta")])
        norm = helper.make_node("LayerNormalization", [x, base + "_gamma", base + "_beta"],
                                [total.output[0]], name=base, axis=-1,
                                epsilon=float(eps.reshape(-1)[0]))
        group = [mean, sub, neg, square, variance, add_eps, sqrt, reciprocal, scale, mul_x,
                 mul_mean, add_beta, total]
        dead.update(id(n) for n in group)
        new_nodes[id(total)] = norm
        fused += 1
    if not fused:
        return 0
    nodes = []
    for n in graph.node:  # the LayerNormalization takes the place of the final Add
        if id(n) in new_nodes:
            nodes.append(new_nodes[id(n)])
        elif id(n) not in dead:
            nodes.append(n)
    del graph.node[:]
    graph.node.extend(nodes)
    used = {name for n in graph.node for name in n.input}
    for initializer in [i for i in graph.initializer if i.name not in used]:
        graph.initializer.remove(initializer)
    return fused


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
        gelus, norms = canonical_gelu(converted), fuse_layer_norm(converted)
        if gelus or norms:
            onnx.save(converted, output)
        print(f"to_onnx: {gelus} GELU(s) rewritten as 0.5*x*(1+Erf(x/sqrt(2))), {norms} "
              f"LayerNormalization(s) fused")
