#!/usr/bin/env python3
"""Does every keras.applications model load and run in Kiln, and give TensorFlow's numbers?

For each model of the installed Keras's keras.applications (ConvNeXt*, DenseNet*, EfficientNet*,
Inception*, MobileNet*, NASNet*, ResNet*, VGG*, Xception, ...) this script

  1. builds it with weights=None and logits out (classifier_activation=None: an untrained
     1000-way softmax is ~0.001 everywhere and would hide any error), gives biases and BatchNorm
     gamma/beta random values from a fixed seed (Keras's zeros and ones make BatchNorm nearly
     the identity), damps residual branches (gamma in [0.1, 0.3) on a BatchNorm that feeds an
     Add), sets each BatchNorm's moving statistics from its input on a calibration batch (then
     moved at random), and exports it with Keras 3's model.export to a
     temporary folder (in a child process, one model at a time, so memory is given back);
  2. feeds the loaded export a fixed random batch of 2 at the model's default input size
     (uniform in [0, 255) for the models that rescale pixels themselves, [-1, 1) otherwise) and
     keeps TensorFlow's output;
  3. runs the built `kiln` tool on the export: `kiln opt -O2 --json` (nodes before and after the
     O2 pipeline), `kiln run` at O0 and O2 on the reference and cpu backends (outputs compared
     with TensorFlow's), and `kiln bench` on cpu at O2 (import + compile time, latency);
  4. writes a Markdown table to RESULTS.md beside this script (and the raw results to
     results.json, so that a run of a few models updates their rows and keeps the others).

The pass criterion, for every element of every output: |kiln - tf| <= 1e-4 + 1e-4 * |tf|. The
table shows the worst ratio |kiln - tf| / (1e-4 + 1e-4 * |tf|) over the outputs: a run passes iff
it is <= 1.

Run it with a Python that has tensorflow-cpu (Keras 3), from the repository root:

    python bench/conformance/keras_applications.py --kiln build/bin/kiln \\
        --models MobileNet MobileNetV3Small ResNet50
    python bench/conformance/keras_applications.py --kiln build/bin/kiln --quick   # all models
    python bench/conformance/keras_applications.py --list

Not part of the test suite: the whole list takes hours and tens of GB of temporary files.
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
RESULTS_MD = os.path.join(HERE, "RESULTS.md")
RESULTS_JSON = os.path.join(HERE, "results.json")

SEED = 20250301
BATCH = 2
SIGNATURE = "serving_default"
ATOL = RTOL = 1e-4
# (backend, level) of every `kiln run`; the first is the ground truth: the imported graph node by
# node on the reference kernels.
RUNS = [("reference", "O0"), ("reference", "O2"), ("cpu", "O0"), ("cpu", "O2")]
QUICK_RUNS = [("reference", "O0"), ("cpu", "O2")]
# The image size fed where a model leaves height and width open.
DEFAULT_SIZE = 224
# Models whose first layers turn 0..255 pixels into what the network wants.
PIXEL_INPUT = re.compile(r"^(ConvNeXt|EfficientNet|EfficientNetV2|MobileNetV3)")


def tf_environment():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # plain Eigen kernels: repeatable numbers
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def application_names():
    tf_environment()
    import keras
    return sorted(n for n in dir(keras.applications)
                  if n[:1].isupper() and callable(getattr(keras.applications, n)))


# --------------------------------------------------------------------------------------------
# Step 1 and 2, in a child process: export one model and record TensorFlow's answer.


def randomize_initial_weights(model, rng):
    """Random biases and BatchNorm gamma/beta (Keras's zeros and ones would make BatchNorm
    nearly the identity and hide a wrong scale or shift)."""
    import numpy as np
    for weight in model.weights:
        value = np.asarray(weight.numpy())
        name = getattr(weight, "path", None) or weight.name
        if not np.issubdtype(value.dtype, np.floating) or "moving_" in name:
            continue
        if np.all(value == 0):
            new = rng.normal(0.0, 0.3, value.shape)
        elif np.all(value == 1):
            new = rng.uniform(0.5, 1.5, value.shape)
        else:
            continue
        weight.assign(new.astype(value.dtype))


def batch_norm_layers(layer):
    import keras
    if isinstance(layer, keras.layers.BatchNormalization):
        yield layer
    for child in getattr(layer, "layers", []):
        yield from batch_norm_layers(child)


def keras_source(tensor):
    """The layer that made a Keras tensor."""
    return tensor._keras_history.operation


def damp_residual_branches(model, rng):
    """Residual branches that add a little, as trained networks' do: every BatchNorm whose output
    goes into an Add (through a Dropout at most) gets gamma in [0.1, 0.3). With gamma near 1 each
    block adds as much as the skip path carries, so activations double block after block
    (ResNet152's logits grew past 1e4, where float32 rounding alone exceeds the criterion)."""
    import keras
    for layer in model.layers:
        if not isinstance(layer, keras.layers.Add):
            continue
        for tensor in layer.input:
            source = keras_source(tensor)
            if isinstance(source, keras.layers.Dropout):
                source = keras_source(source.input)
            if isinstance(source, keras.layers.BatchNormalization) and source.scale:
                gamma = source.gamma
                gamma.assign(rng.uniform(0.1, 0.3, gamma.shape).astype("float32"))


def calibrate_batch_norm(model, image, rng):
    """Moving statistics like a trained network's: each BatchNorm gets the mean and variance of
    its own input on a calibration batch, then moved by a random fraction. Statistics drawn at
    random instead let activations grow layer after layer (EfficientNetB0's logits reached
    +-300, where two correct float32 implementations differ by more than the pass criterion).

    The layers are calibrated in order, each on the input it sees in inference mode once the
    layers before it have their final statistics; a single training-mode pass would measure
    every layer on activations that the random moves of earlier layers then change."""
    import keras
    import numpy as np
    inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
    for layer in batch_norm_layers(model):
        probe = keras.Model(inputs, layer.input)
        x = np.asarray(probe(image, training=False), dtype=np.float64)
        channel = layer.axis if isinstance(layer.axis, int) else layer.axis[0]
        axes = tuple(a for a in range(x.ndim) if a != channel % x.ndim)
        mean, var = x.mean(axis=axes), x.var(axis=axes)
        std = np.sqrt(var + layer.epsilon)
        dtype = np.asarray(layer.moving_mean.numpy()).dtype
        layer.moving_mean.assign((mean + rng.normal(0.0, 0.1, mean.shape) * std).astype(dtype))
        layer.moving_variance.assign((var * rng.uniform(0.7, 1.4, var.shape)).astype(dtype))


def input_batch(name, model_or_spec_shape, rng, batch):
    """A random batch at the model's input size: 0..255 pixels for the models that rescale
    them themselves, [-1, 1) otherwise."""
    import numpy as np
    # MobileNetV3 leaves height and width open by default; Keras documents 224x224 for it.
    shape = [batch] + [DEFAULT_SIZE if d is None else d for d in model_or_spec_shape[1:]]
    low, high = (0.0, 255.0) if PIXEL_INPUT.match(name) else (-1.0, 1.0)
    return rng.uniform(low, high, shape).astype(np.float32)


def export_one(name, folder):
    """Writes folder/saved_model, folder/inputs/<key>.npy, folder/outputs/<key>.npy and
    folder/export.json (input size, export time, TensorFlow's latency)."""
    tf_environment()
    import numpy as np
    import tensorflow as tf
    import keras

    tf.get_logger().setLevel("ERROR")
    keras.utils.set_random_seed(SEED)
    rng = np.random.default_rng(SEED)
    start = time.perf_counter()
    model = getattr(keras.applications, name)(weights=None, classifier_activation=None)
    randomize_initial_weights(model, rng)
    damp_residual_branches(model, rng)
    calibrate_batch_norm(model, input_batch(name, list(model.inputs[0].shape), rng, 4), rng)
    saved_model_dir = os.path.join(folder, "saved_model")
    model.export(saved_model_dir, verbose=False)
    export_s = time.perf_counter() - start
    del model
    keras.backend.clear_session()

    fn = tf.saved_model.load(saved_model_dir).signatures[SIGNATURE]
    (key, spec), = fn.structured_input_signature[1].items()
    image = input_batch(name, spec.shape.as_list(), rng, BATCH)
    shape = list(image.shape)
    outputs = {k: v.numpy() for k, v in fn(**{key: tf.constant(image)}).items()}
    runs = []
    for _ in range(3):  # TensorFlow's own latency on the loaded export, for scale
        t = time.perf_counter()
        fn(**{key: tf.constant(image)})
        runs.append(time.perf_counter() - t)

    for sub, arrays in (("inputs", {key: image}), ("outputs", outputs)):
        os.makedirs(os.path.join(folder, sub), exist_ok=True)
        for k, v in arrays.items():
            np.save(os.path.join(folder, sub, k + ".npy"), v)
    with open(os.path.join(folder, "export.json"), "w") as f:
        json.dump({"input_key": key, "input_shape": shape, "export_s": export_s,
                   "tf_latency_ms": 1000 * min(runs), "tensorflow": tf.__version__,
                   "tf_max_abs": max(float(np.abs(v).max()) for v in outputs.values()),
                   "keras": keras.__version__}, f)


def second_opinion(folder):
    """TensorFlow's answer again, from its oneDNN kernels instead of Eigen's (the parent sets
    TF_ENABLE_ONEDNN_OPTS=1): how far two correct float32 implementations drift apart on this
    model, the yardstick for a Kiln result that fails the criterion."""
    tf_environment()
    import numpy as np
    import tensorflow as tf

    info = json.load(open(os.path.join(folder, "export.json")))
    fn = tf.saved_model.load(os.path.join(folder, "saved_model")).signatures[SIGNATURE]
    image = np.load(os.path.join(folder, "inputs", info["input_key"] + ".npy"))
    out_dir = os.path.join(folder, "outputs_onednn")
    os.makedirs(out_dir, exist_ok=True)
    for k, v in fn(**{info["input_key"]: tf.constant(image)}).items():
        np.save(os.path.join(out_dir, k + ".npy"), v.numpy())


# --------------------------------------------------------------------------------------------
# Step 3: the kiln tool.


def run_tool(args, timeout, env=None):
    """(returncode, stdout, stderr, seconds); a timeout is returncode None."""
    start = time.perf_counter()
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=env)
        return done.returncode, done.stdout, done.stderr, time.perf_counter() - start
    except subprocess.TimeoutExpired:
        return None, "", f"timed out after {timeout} s", time.perf_counter() - start


def first_error(stderr):
    """The first line of what kiln said on stderr, shortened for a table cell."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    text = lines[0] if lines else "no message"
    return text if len(text) <= 300 else text[:297] + "..."


def worst_ratio(kiln_dir, tf_dir):
    """max |k - t| / (atol + rtol |t|) over every output (inf when one is missing or its shape
    differs, or when NaNs do not match)."""
    import numpy as np
    worst = 0.0
    for file in sorted(os.listdir(tf_dir)):
        want = np.load(os.path.join(tf_dir, file)).astype(np.float64)
        path = os.path.join(kiln_dir, file)
        if not os.path.exists(path):
            return float("inf"), f"no output {file}"
        got = np.load(path).astype(np.float64)
        if got.shape != want.shape:
            return float("inf"), f"{file}: shape {got.shape}, TensorFlow's {want.shape}"
        nan_mismatch = np.isnan(got) != np.isnan(want)
        if nan_mismatch.any():
            return float("inf"), f"{file}: NaN where TensorFlow has none, or the reverse"
        ok = ~np.isnan(want)
        ratio = np.abs(got[ok] - want[ok]) / (ATOL + RTOL * np.abs(want[ok]))
        if ratio.size:
            worst = max(worst, float(ratio.max()))
    return worst, ""


def kiln_checks(kiln, folder, runs, bench_runs, timeout, keep=False):
    info = json.load(open(os.path.join(folder, "export.json")))
    saved_model = os.path.join(folder, "saved_model")
    feed = f"{info['input_key']}={os.path.join(folder, 'inputs', info['input_key'] + '.npy')}"
    result = {"runs": {}, "notes": []}

    code, out, err, seconds = run_tool(
        [kiln, "opt", saved_model, "--signature_def", SIGNATURE, "-O2", "--json"], timeout)
    try:  # a pass that failed was undone: kiln opt still writes its report, and exits with 1
        passes = json.loads(out)["passes"] if code is not None else None
    except ValueError:
        passes = None
    if passes:
        result["nodes_O0"] = passes[0]["nodes_before"]
        result["nodes_O2"] = passes[-1]["nodes_after"]
    result["import"] = "ok" if passes is not None else "fail"
    if code != 0:
        result["notes"].append("kiln opt: " + first_error(err))

    for backend, level in runs:
        label = f"{backend} {level}"
        outdir = os.path.join(folder, f"kiln_{backend}_{level}")
        code, out, err, seconds = run_tool(
            [kiln, "run", saved_model, "--signature_def", SIGNATURE, "--inputs", feed,
             "--outdir", outdir, f"-{level}", "--backend", backend], timeout)
        if code != 0:
            result["runs"][label] = {"status": "timeout" if code is None else "error",
                                     "seconds": seconds}
            result["notes"].append(f"{label}: " + first_error(err))
            continue
        ratio, why = worst_ratio(outdir, os.path.join(folder, "outputs"))
        result["runs"][label] = {"status": "pass" if ratio <= 1 else "FAIL", "ratio": ratio,
                                 "seconds": seconds}
        if why:
            result["notes"].append(f"{label}: {why}")
        if not keep:
            shutil.rmtree(outdir, ignore_errors=True)

    if bench_runs:
        bench_json = os.path.join(folder, "bench.json")
        code, out, err, seconds = run_tool(
            [kiln, "bench", saved_model, "--signature_def", SIGNATURE, "--inputs", feed,
             "--backend", "cpu", "-O2", "--runs", str(bench_runs), "--warmup", "1",
             "--json", bench_json], timeout)
        if code == 0:
            bench = json.load(open(bench_json))
            result["load_compile_ms"] = bench["import_ms"] + bench["compile_ms"]
            result["latency_ms"] = bench["modes"]["optimized"]["median_ms"]
            result["threads"] = bench["threads"]
        else:
            result["notes"].append("kiln bench: " + first_error(err))
    return result


# --------------------------------------------------------------------------------------------
# Step 4: the table.


def cell_for(run):
    if run is None:
        return "–"
    if run["status"] in ("error", "timeout"):
        return run["status"]
    return f"{run['status']} ({run['ratio']:.3g})"


def number(value, digits=0):
    return "–" if value is None else f"{value:,.{digits}f}"


def write_results(results, environment):
    with open(RESULTS_JSON, "w") as f:
        json.dump({"environment": environment, "models": results}, f, indent=1, sort_keys=True)
    lines = [
        "# keras.applications in Kiln",
        "",
        "Written by `bench/conformance/keras_applications.py` (see README.md beside it); do not "
        "edit by hand.",
        "",
        f"Last run: {environment['date']}, Kiln commit `{environment['commit']}`, TensorFlow "
        f"{environment['tensorflow']}, Keras {environment['keras']}, {environment['machine']}.",
        "Each row says when its model was last run, if that was earlier.",
        "",
        "Every model: `weights=None`, logits out, biases and BatchNorm gamma/beta random, "
        "residual branches damped, BatchNorm moving statistics calibrated layer by layer on a "
        "batch of 4 then moved at random (see "
        f"README.md; seed {SEED}), the default input size, batch {BATCH}, exported with Keras 3 "
        "`model.export`. A run **passes iff |kiln − tf| ≤ 1e-4 + 1e-4·|tf| for every element** of "
        "every output; the number in brackets is the worst |kiln − tf| / (1e-4 + 1e-4·|tf|) "
        "(≤ 1 passes); *max |tf|* is the largest output magnitude, to show the logits are not "
        "all tiny. *TF oneDNN*: the same ratio between TensorFlow's own oneDNN and Eigen kernels "
        "on the same export, how far two correct float32 implementations drift apart on this "
        "model (above 1, the criterion is stricter than float32 allows there). *import*: "
        "`kiln opt -O2` read and optimized the export. *nodes*: the imported graph → after the "
        f"O2 pipeline. *load + compile* and *latency* (median, batch {BATCH}) are `kiln bench` "
        "on the cpu backend at O2; *TF* is TensorFlow's best of 3 on the loaded export, for "
        "scale. – : not run.",
        "",
        "| model | input | max \\|tf\\| | TF oneDNN | import | nodes O0 → O2 | reference O0 "
        "| reference O2 | cpu O0 | cpu O2 | load + compile ms | latency ms | TF ms |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    notes = []
    for name in sorted(results):
        r = results[name]
        if "export_error" in r:
            lines.append(f"| {name} | – | – | – | TF export failed | – | – | – | – | – | – | – |"
                         " – |")
            notes.append(f"- **{name}**: TensorFlow export failed: {r['export_error']}")
            continue
        nodes = (f"{r['nodes_O0']:,} → {r['nodes_O2']:,}" if r.get("nodes_O2") is not None
                 else "–")
        shape = "×".join(str(d) for d in r["input_shape"][1:])
        cells = [cell_for(r["runs"].get(f"{b} {lvl}")) for b, lvl in RUNS]
        ratio = r.get("tf_onednn_ratio")
        lines.append(f"| {name} | {shape} | {number(r.get('tf_max_abs'), 1)} "
                     f"| {'–' if ratio is None else f'{ratio:.3g}'} | {r['import']} "
                     f"| {nodes} | " + " | ".join(cells) +
                     f" | {number(r.get('load_compile_ms'))} | {number(r.get('latency_ms'), 1)} "
                     f"| {number(r.get('tf_latency_ms'), 1)} |")
        when = "" if r.get("date") == environment["date"] else f" (run {r.get('date')})"
        failed = [k for k, v in r["runs"].items() if v["status"] == "FAIL"]
        if failed and r.get("tf_onednn_ratio", 0) > 1:
            notes.append(f"- **{name}**{when}: {', '.join(failed)} out of tolerance, but "
                         f"TensorFlow's oneDNN and Eigen kernels are {r['tf_onednn_ratio']:.3g} "
                         "times the tolerance apart on this model too: float32 rounding grows "
                         "through it beyond what the criterion allows, in TensorFlow as in Kiln")
        for note in r["notes"]:
            notes.append(f"- **{name}**{when}: {note}")
    if notes:
        lines += ["", "## What went wrong", ""] + notes
    with open(RESULTS_MD, "w") as f:
        f.write("\n".join(lines) + "\n")


def git_commit():
    try:
        return subprocess.run(["git", "-C", REPO_ROOT, "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kiln", help="the built kiln tool (build/bin/kiln)")
    parser.add_argument("--models", nargs="*", metavar="NAME",
                        help="only these models (exact names, or regular expressions matched "
                             "against the whole name, e.g. 'EfficientNetB[0-3]')")
    parser.add_argument("--quick", action="store_true",
                        help="run only reference O0 (the ground truth) and cpu O2 (what users "
                             "run), and time 3 runs instead of 10")
    parser.add_argument("--workdir", help="where exports go (default: a temporary folder, "
                                          "removed model by model)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the exports and kiln's outputs (kiln_<backend>_<level>/)")
    parser.add_argument("--timeout", type=int, default=3600,
                        help="seconds for each export and each kiln command (default 3600)")
    parser.add_argument("--list", action="store_true", help="print the model names and stop")
    parser.add_argument("--export-one", nargs=2, metavar=("NAME", "DIR"),
                        help=argparse.SUPPRESS)  # the child process of step 1
    parser.add_argument("--second-opinion", metavar="DIR", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.export_one:
        export_one(*args.export_one)
        return
    if args.second_opinion:
        second_opinion(args.second_opinion)
        return
    names = application_names()
    if args.list:
        print("\n".join(names))
        return
    if not args.kiln or not os.access(args.kiln, os.X_OK):
        sys.exit("give the built kiln tool with --kiln (e.g. build/bin/kiln)")
    if args.models:
        patterns = [re.compile(p) for p in args.models]
        chosen = [n for n in names if any(p.fullmatch(n) for p in patterns)]
        unmatched = [p.pattern for p in patterns if not any(p.fullmatch(n) for n in names)]
        if unmatched:
            sys.exit(f"no keras.applications model matches {unmatched} (see --list)")
    else:
        chosen = names

    tf_environment()
    import keras
    import tensorflow as tf
    environment = {
        "date": datetime.date.today().isoformat(), "commit": git_commit(),
        "tensorflow": tf.__version__, "keras": keras.__version__,
        "machine": f"{platform.machine()} Linux, {os.cpu_count()} cores, load average "
                   f"{os.getloadavg()[0]:.1f} at the start (timings on a busy machine are slower)",
    }
    previous = {}
    if os.path.exists(RESULTS_JSON):
        previous = json.load(open(RESULTS_JSON)).get("models", {})

    workdir = args.workdir or tempfile.mkdtemp(prefix="kiln_keras_apps_")
    runs = QUICK_RUNS if args.quick else RUNS
    for name in chosen:
        folder = os.path.join(workdir, name)
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        print(f"{name}: exporting", flush=True)
        code, out, err, seconds = run_tool(
            [sys.executable, os.path.abspath(__file__), "--export-one", name, folder],
            args.timeout)
        result = {"date": environment["date"]}
        if code != 0:
            result["export_error"] = first_error(err.splitlines()[-1] if err else "")
        else:
            info = json.load(open(os.path.join(folder, "export.json")))
            result.update(input_shape=info["input_shape"], export_s=info["export_s"],
                          tf_latency_ms=info["tf_latency_ms"], tf_max_abs=info["tf_max_abs"])
            code, out, err, seconds = run_tool(
                [sys.executable, os.path.abspath(__file__), "--second-opinion", folder],
                args.timeout, env=dict(os.environ, TF_ENABLE_ONEDNN_OPTS="1"))
            if code == 0:
                result["tf_onednn_ratio"], _ = worst_ratio(
                    os.path.join(folder, "outputs_onednn"), os.path.join(folder, "outputs"))
            print(f"{name}: exported; running kiln", flush=True)
            result.update(kiln_checks(args.kiln, folder, runs, 3 if args.quick else 10,
                                      args.timeout, args.keep))
            summary = ", ".join(f"{k}: {cell_for(v)}" for k, v in result["runs"].items())
            print(f"{name}: import {result['import']}; {summary}", flush=True)
            for note in result["notes"]:
                print(f"  {note}", flush=True)
        previous[name] = result
        write_results(previous, environment)  # after every model, so a long run can be watched
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    if not args.workdir and not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"wrote {RESULTS_MD}")


if __name__ == "__main__":
    main()
