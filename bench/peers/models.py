"""The models of the peer comparison, exported as SavedModels and converted to ONNX.

    python bench/peers/models.py [--work DIR] [--models bert_encoder,resnet50] [--opset 17]

Each model lands in WORK/<name>/ as saved_model/ (one `serving_default` signature with the
input and output names below) and model.onnx (tf2onnx). A model whose folder already holds
both is skipped, so a second run costs only the imports. Weights are random from a fixed
seed: speed and agreement between engines do not need trained weights.

| model           | input (signature name, dtype, shape)  | output                        |
|-----------------|---------------------------------------|-------------------------------|
| mobilenet_v2    | images, float32, [batch, 224, 224, 3] | logits, float32 [batch, 1000] |
| resnet50        | images, float32, [batch, 224, 224, 3] | logits, float32 [batch, 1000] |
| efficientnet_b0 | images, float32, [batch, 224, 224, 3] | logits, float32 [batch, 1000] |
| bert_encoder    | input_ids, int32, [batch, 128]        | encoded, float32 [batch, 128, 256] |
| lstm_text       | input_ids, int32, [batch, 64]         | logits, float32 [batch, 16]   |
| bert_base       | token_ids, int32, [batch, 128]        | sequence_output [batch, 128, 768], pooled_output [batch, 768] |

The classifiers end in logits (`classifier_activation=None`): a softmax over 1000 classes of
random weights squeezes every output towards 1/1000 and would hide differences between
engines. `bert_encoder()` is importable by other scripts (`from models import bert_encoder`)
and works with Keras 2 (tf_keras) and Keras 3.

`bert_base` is a standard BERT that Kiln was not tuned on: keras-hub's `BertBackbone` with the
configuration of its bert_base_en preset (12 layers, width 768, 12 heads, feed-forward 3072,
vocabulary 30522, keras-hub's tanh GELU), built from that configuration with random weights
(no download), run on sequences of 128 tokens. Its signature takes the token ids only: the
segment ids are zeros and the padding mask ones (every token real), made inside the graph.

Besides model.onnx (dynamic batch) every folder gets model_b<N>.onnx per batch size asked for:
the same graph with the batch dimension fixed, as Kiln and OpenVINO get it. export.json records
how long the SavedModel export and the tf2onnx conversion took.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

SEED = 20240605
IMAGE_SHAPE = (224, 224, 3)

# The BERT-style encoder. Another engineer tunes Kiln on exactly this model: change it only
# together with them.
BERT_VOCAB = 8000
BERT_SEQUENCE = 128
BERT_WIDTH = 256
BERT_HEADS = 4
BERT_KEY_DIM = 64
BERT_FFN = 1024
BERT_LAYERS = 4
BERT_DROPOUT = 0.1
BERT_EPSILON = 1e-12

# The LSTM text classifier: tokens of the same vocabulary as the encoder's, an embedding, one
# Keras LSTM (a While loop over the 64 steps, not unrolled) and a dense layer of logits.
LSTM_SEQUENCE = 64
LSTM_EMBEDDING = 128
LSTM_UNITS = 256
LSTM_CLASSES = 16

# The standard BERT: keras-hub's bert_base_en configuration, sequences of 128 tokens.
BERT_BASE = dict(vocabulary_size=30522, num_layers=12, num_heads=12, hidden_dim=768,
                 intermediate_dim=3072, max_sequence_length=512)
BERT_BASE_SEQUENCE = 128

MODELS = ("mobilenet_v2", "resnet50", "efficientnet_b0", "bert_encoder", "lstm_text",
          "bert_base")
# Bumped whenever the export changes, so that cached exports of an older format are redone.
EXPORT_FORMAT = 2


def default_work_dir():
    return Path(os.environ.get("KILN_BENCH_WORK",
                               Path.home() / ".cache" / "kiln" / "bench-work"))


def signature_names(name):
    """(input name, input dtype, per-sample input shape, output name) of a model's signature."""
    if name == "bert_encoder":
        return "input_ids", "int32", (BERT_SEQUENCE,), "encoded"
    if name == "lstm_text":
        return "input_ids", "int32", (LSTM_SEQUENCE,), "logits"
    if name == "bert_base":
        return "token_ids", "int32", (BERT_BASE_SEQUENCE,), None  # the backbone names them
    return "images", "float32", IMAGE_SHAPE, "logits"


def token_range(name):
    """Token ids of a text model's inputs are drawn from [0, token_range)."""
    return BERT_BASE["vocabulary_size"] if name == "bert_base" else BERT_VOCAB


def _keras():
    from tensorflow import keras  # Keras 3 or tf_keras, whichever TensorFlow hands out
    return keras


def _position_embedding_layer():
    """A layer adding a learned position embedding (Embedding(seq, width) on tf.range)."""
    import tensorflow as tf
    keras = _keras()

    class TokenAndPositionEmbedding(keras.layers.Layer):
        def __init__(self, vocab, sequence, width, **kwargs):
            super().__init__(**kwargs)
            self.sequence = sequence
            self.token = keras.layers.Embedding(vocab, width, name="token_embedding")
            self.position = keras.layers.Embedding(sequence, width, name="position_embedding")

        def call(self, input_ids):
            positions = tf.range(self.sequence)  # [seq]: broadcast over the batch
            return self.token(input_ids) + self.position(positions)

    return TokenAndPositionEmbedding


def bert_encoder(layers=BERT_LAYERS):
    """The BERT-style encoder: int32 input_ids [batch, 128] -> encoded [batch, 128, 256].

    Token + learned position embeddings, then `layers` post-LN Transformer blocks:
    MultiHeadAttention -> Dropout -> Add -> LayerNorm -> Dense(gelu) -> Dense -> Dropout -> Add
    -> LayerNorm.
    """
    keras = _keras()
    L = keras.layers
    input_ids = keras.Input(shape=(BERT_SEQUENCE,), dtype="int32", name="input_ids")
    embed = _position_embedding_layer()(BERT_VOCAB, BERT_SEQUENCE, BERT_WIDTH, name="embeddings")
    hidden = embed(input_ids)
    for i in range(layers):
        attention = L.MultiHeadAttention(num_heads=BERT_HEADS, key_dim=BERT_KEY_DIM,
                                         name=f"layer_{i}_attention")(hidden, hidden)
        attention = L.Dropout(BERT_DROPOUT, name=f"layer_{i}_attention_dropout")(attention)
        hidden = L.Add(name=f"layer_{i}_attention_add")([hidden, attention])
        hidden = L.LayerNormalization(epsilon=BERT_EPSILON, name=f"layer_{i}_attention_norm")(
            hidden)
        ffn = L.Dense(BERT_FFN, activation="gelu", name=f"layer_{i}_ffn_in")(hidden)
        ffn = L.Dense(BERT_WIDTH, name=f"layer_{i}_ffn_out")(ffn)
        ffn = L.Dropout(BERT_DROPOUT, name=f"layer_{i}_ffn_dropout")(ffn)
        hidden = L.Add(name=f"layer_{i}_ffn_add")([hidden, ffn])
        hidden = L.LayerNormalization(epsilon=BERT_EPSILON, name=f"layer_{i}_ffn_norm")(hidden)
    return keras.Model(input_ids, hidden, name="bert_encoder")


def lstm_text():
    """The LSTM text classifier: int32 input_ids [batch, 64] -> logits [batch, 16]."""
    keras = _keras()
    L = keras.layers
    input_ids = keras.Input(shape=(LSTM_SEQUENCE,), dtype="int32", name="input_ids")
    hidden = L.Embedding(BERT_VOCAB, LSTM_EMBEDDING, name="embedding")(input_ids)
    hidden = L.LSTM(LSTM_UNITS, name="lstm")(hidden)
    return keras.Model(input_ids, L.Dense(LSTM_CLASSES, name="logits")(hidden), name="lstm_text")


def bert_base():
    """keras-hub's BertBackbone in its bert_base_en configuration, random weights."""
    import keras_hub
    return keras_hub.models.BertBackbone(**BERT_BASE, name="bert_base")


def keras_model(name):
    """A freshly initialised Keras model (call after seeding)."""
    if name == "bert_base":
        return bert_base()
    if name == "bert_encoder":
        return bert_encoder()
    if name == "lstm_text":
        return lstm_text()
    apps = _keras().applications
    build = {"mobilenet_v2": apps.MobileNetV2, "resnet50": apps.ResNet50,
             "efficientnet_b0": apps.EfficientNetB0}[name]
    return build(weights=None, input_shape=IMAGE_SHAPE, classifier_activation=None)


def randomize_batch_norms(model, rng):
    """Moves BatchNorm scales and offsets away from 1/0, so folding them is exercised with
    values that matter (a fresh BatchNorm is the identity up to epsilon), then sets the
    moving statistics from random images (calibrate_batch_norms)."""
    keras = _keras()
    count = 0
    for layer in model.layers:  # keras.applications models are flat
        if not isinstance(layer, keras.layers.BatchNormalization):
            continue
        channels = layer.moving_mean.shape[-1]
        layer.moving_mean.assign(rng.normal(0.0, 0.1, channels).astype("float32"))
        layer.moving_variance.assign(rng.uniform(0.5, 1.5, channels).astype("float32"))
        if layer.gamma is not None:
            layer.gamma.assign(rng.uniform(0.8, 1.2, channels).astype("float32"))
        if layer.beta is not None:
            layer.beta.assign(rng.normal(0.0, 0.1, channels).astype("float32"))
        count += 1
    if count:
        calibrate_batch_norms(model, rng)
    return count


def calibrate_batch_norms(model, rng):
    """Sets every BatchNorm's moving mean and variance to the statistics of its input on a few
    random images, as training would leave them. Without it the activations of a random-weight
    network drift in scale layer after layer until they saturate (ReLU6 clips at 6), and the
    logits come out the same for every image: MobileNetV2's differed by 2e-7 between two
    random inputs, which would make any engine's outputs look right.

    One forward pass in training mode with momentum 0 does it: each BatchNorm normalizes with
    the batch's statistics and stores them as its moving ones, so every layer sees the
    activations it will see at inference. Dropout is switched off for that pass."""
    keras = _keras()
    low, high = (0, 255) if model.name.startswith("efficientnet") else (-1, 1)
    images = rng.uniform(low, high, (8,) + IMAGE_SHAPE).astype("float32")
    saved = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            saved.append((layer, "momentum", layer.momentum))
            layer.momentum = 0.0
        elif isinstance(layer, keras.layers.Dropout):
            saved.append((layer, "rate", layer.rate))
            layer.rate = 0.0
    model(images, training=True)
    for layer, attribute, value in saved:
        setattr(layer, attribute, value)


def save_saved_model(model, name, folder):
    """Writes a SavedModel with one serving_default signature of our own names (Keras 3's
    model.export names them after internal tensors, like keras_tensor_156 and output_0)."""
    import tensorflow as tf
    keras = _keras()
    input_name, dtype, shape, output_name = signature_names(name)
    spec = tf.TensorSpec((None,) + tuple(shape), getattr(tf, dtype), name=input_name)

    def serve(x):
        if name == "bert_base":  # one input: every token real, one segment
            import tensorflow as tf
            return model({"token_ids": x, "segment_ids": tf.zeros_like(x),
                          "padding_mask": tf.ones_like(x)}, training=False)
        return {output_name: model(x, training=False)}

    export = getattr(keras, "export", None)
    if export is not None and hasattr(export, "ExportArchive"):
        # Keras 3: its variables wrap tf.Variables, and tf.saved_model.save on a plain
        # tf.Module would checkpoint copies of them that the graph's restore op assigns instead
        # of the variables the signature reads. ExportArchive saves the real ones.
        archive = export.ExportArchive()
        archive.track(model)
        archive.add_endpoint(name="serving_default", fn=serve, input_signature=[spec])
        archive.write_out(str(folder), verbose=False)
    else:  # Keras 2 (tf_keras): the model is a trackable with ordinary variables
        signature = tf.function(serve, input_signature=[spec])
        tf.saved_model.save(model, str(folder), signatures={"serving_default": signature})


def convert_to_onnx(saved_model, onnx_file, opset):
    """tf2onnx (through to_onnx.py) on a SavedModel; returns the seconds it took."""
    start = time.perf_counter()
    command = [sys.executable, str(Path(__file__).with_name("to_onnx.py")),
               "--saved-model", str(saved_model),
               "--signature_def", "serving_default", "--opset", str(opset),
               "--output", str(onnx_file)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0 or not onnx_file.exists():
        sys.stderr.write(result.stdout + result.stderr)
        raise RuntimeError(f"tf2onnx failed on {saved_model}")
    return time.perf_counter() - start


def export_record(name, work):
    """What export() wrote in export.json, or None (not exported, or an older format)."""
    path = Path(work) / name / "export.json"
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return record if record.get("format") == EXPORT_FORMAT else None


def onnx_for_batch(name, work, batch):
    return Path(work) / name / f"model_b{batch}.onnx"


def is_exported(name, work, batches=()):
    folder = Path(work) / name
    return ((folder / "saved_model" / "saved_model.pb").exists() and (
        folder / "model.onnx").exists() and export_record(name, work) is not None
        and all(onnx_for_batch(name, work, b).exists() for b in batches))


def write_static_batches(name, work, batches):
    """model_b<N>.onnx for every batch size N not there yet: model.onnx with the GELU and
    LayerNorm rewrites of to_onnx.py and the batch fixed."""
    import onnx
    from to_onnx import canonical_gelu, fix_batch, fuse_layer_norm
    for batch in batches:
        target = onnx_for_batch(name, work, batch)
        if not target.exists():
            model = onnx.load(str(Path(work) / name / "model.onnx"))
            # Already done by to_onnx.py on a fresh conversion; these find nothing left then.
            canonical_gelu(model)
            fuse_layer_norm(model)
            model = fix_batch(model, batch)
            onnx.save(model, str(target.with_suffix(".partial")))
            target.with_suffix(".partial").rename(target)


def export(name, work, opset=17, batches=()):
    """Makes WORK/name/{saved_model/, model.onnx, model_b<N>.onnx, export.json} unless they are
    there already."""
    folder = Path(work) / name
    if is_exported(name, work):
        write_static_batches(name, work, batches)
        print(f"models: {name}: cached in {folder}")
        return folder
    if folder.exists():
        shutil.rmtree(folder)  # an earlier run stopped half-way
    import tensorflow as tf
    keras = _keras()
    keras.utils.set_random_seed(SEED)  # Python, NumPy and TensorFlow seeds at once
    model = keras_model(name)
    folded = randomize_batch_norms(model, np.random.default_rng(SEED))
    partial = folder.with_name(name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    start = time.perf_counter()
    save_saved_model(model, name, partial / "saved_model")
    saved_model_s = time.perf_counter() - start
    tf2onnx_s = convert_to_onnx(partial / "saved_model", partial / "model.onnx", opset)
    (partial / "export.json").write_text(json.dumps({
        "format": EXPORT_FORMAT, "saved_model_s": round(saved_model_s, 2),
        "tf2onnx_s": round(tf2onnx_s, 2), "opset": opset, "parameters": model.count_params()}))
    partial.rename(folder)
    write_static_batches(name, work, batches)
    print(f"models: {name}: {model.count_params():,} parameters, {folded} BatchNorms "
          f"randomized, TensorFlow {tf.__version__} -> {folder}")
    return folder


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", type=Path, default=default_work_dir())
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--opset", type=int, default=17)
    parser.add_argument("--batches", default="",
                        help="comma-separated batch sizes to write static-batch ONNX copies for")
    args = parser.parse_args()
    batches = [int(b) for b in args.batches.split(",") if b]
    for name in args.models.split(","):
        if name not in MODELS:
            parser.error(f"unknown model {name!r}; known: {', '.join(MODELS)}")
        export(name, args.work, args.opset, batches)


if __name__ == "__main__":
    main()
