"""Kiln beside TensorFlow, ONNX Runtime and OpenVINO: same models, inputs, threads and batch.

    python bench/peers/compare_peers.py [--models resnet50,bert_base] [--processes 5] [--quick]
    python bench/peers/compare_peers.py --device cuda   # the same table on an NVIDIA GPU

For every model x threads x batch ("configuration") and every engine, three phases:

1. check: one process per engine runs the model on two different inputs and saves the outputs;
   the parent compares them with TensorFlow's (relative error, gate 1e-4) and checks that the
   two inputs gave different outputs. The same phase probes TensorFlow's inter-op setting and
   how long one Kiln run takes (to give `kiln bench` enough runs for the timed seconds).
2. time: `--processes` fresh processes per engine and configuration, all of them launched in
   one random order (seeded; the seed is printed and recorded), each timing runs for at least
   `--seconds` after warming up. Kiln is timed by `kiln bench`, OpenVINO by its own
   `benchmark_app`, ONNX Runtime through IOBinding with pre-bound inputs and outputs, and
   TensorFlow by calling the signature's concrete function on pre-made input tensors.
3. report: per engine and configuration the median of the process medians and their min-max;
   engines whose min-max ranges overlap are a tie. bench/RESULTS.md, bench/RESULTS.json (every
   process's summary) and bench/peers/latency.svg.

With --device cuda every engine runs on the first CUDA device instead (Kiln's cuda backend,
ONNX Runtime's CUDA execution provider, TensorFlow on its GPU) and the report goes to
bench/RESULTS-cuda.md. An engine that cannot reach a CUDA device gets a row saying why; it never
quietly runs on the CPU instead. OpenVINO has no plugin for NVIDIA GPUs, so its row says so.

Run it inside the venv that run.sh makes; run.sh is the one-step way.
"""

import argparse
import datetime
import hashlib
import importlib.metadata
import json
import math
import os
import platform
import random
import re
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

import models
import report

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
ENGINES = ("kiln", "tensorflow", "onnxruntime", "openvino")
# The precisions each engine can be asked for (--engines kiln,openvino:bf16,...). f32 is the
# table the others are ranked in; a row of another precision is shown beside it with its
# accuracy against TensorFlow's f32 outputs. Kiln's int8 is its `kiln quantize` of the model
# (calibrated on CALIBRATION_SAMPLES inputs of the benchmark's kind, not its timed inputs); its
# bf16 is `--precision bf16` on the export (on CPUs with AVX512_BF16 or AMX).
PRECISIONS = {"kiln": ("f32", "int8", "bf16"), "tensorflow": ("f32",), "onnxruntime": ("f32",),
              "openvino": ("f32", "bf16")}
CALIBRATION_SAMPLES = 16
# Largest relative error against TensorFlow (max |engine - TF| / max |TF|, per output) a row
# of that precision may have; precisions without a gate only report theirs.
ERROR_GATE = {"f32": 1e-4}
# Two different inputs must give outputs that differ by more than this (same measure): an
# engine that ignored its input, or returned a stale buffer, would give the same outputs.
MIN_INPUT_EFFECT = 1e-3
SEED = 7


# --------------------------------------------------------------------------------------------
# The workers: one engine, one configuration, in a process of their own.

class DeviceUnavailable(RuntimeError):
    """The engine cannot run on the requested device here; its row says why."""


class TensorFlowRunner:
    """The signature's concrete function, called on input tensors made once per input."""

    def __init__(self, spec):
        import contextlib
        import tensorflow as tf
        self.tf = tf
        tf.config.threading.set_intra_op_parallelism_threads(spec["threads"])
        tf.config.threading.set_inter_op_parallelism_threads(spec.get("inter_op", 1))
        self.placement = contextlib.nullcontext()
        if spec["device"] == "cpu":
            tf.config.set_visible_devices([], "GPU")  # a CPU table stays on the CPU
        else:
            if not tf.config.list_physical_devices("GPU"):
                raise DeviceUnavailable("TensorFlow sees no GPU (tensorflow-cpu, or no CUDA "
                                        "device)")
            self.placement = tf.device("/GPU:0")
        with self.placement:
            self.signature = tf.saved_model.load(spec["saved_model"]).signatures[
                "serving_default"]
        self.input = spec["input"]
        self.gpu_sync = spec["device"] == "cuda"

    def bind(self, x):
        with self.placement:
            self.feed = {self.input: self.tf.constant(x)}

    def run(self):
        with self.placement:
            self.result = self.signature(**self.feed)
        if self.gpu_sync:
            next(iter(self.result.values())).numpy()  # a GPU run ends when its output is back

    def outputs(self):
        return {k: v.numpy() for k, v in self.result.items()}


class OnnxRuntimeRunner:
    """An InferenceSession run through IOBinding: the input and (where their shapes are static)
    the outputs are bound once, so a timed run is one call with nothing to convert."""

    def __init__(self, spec):
        import onnxruntime as ort
        self.ort = ort
        options = ort.SessionOptions()
        options.intra_op_num_threads = spec["threads"]
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        provider = {"cpu": "CPUExecutionProvider", "cuda": "CUDAExecutionProvider"}[
            spec["device"]]
        if provider not in ort.get_available_providers():
            raise DeviceUnavailable(f"this ONNX Runtime has no {provider} (the onnxruntime-gpu "
                                    f"package has it)")
        self.session = ort.InferenceSession(spec["onnx"], options, providers=[provider])
        if self.session.get_providers()[0] != provider:  # it falls back to the CPU silently
            raise DeviceUnavailable(f"ONNX Runtime did not start {provider} (no CUDA device?)")
        self.device = "cuda" if spec["device"] == "cuda" else "cpu"
        names = [i.name for i in self.session.get_inputs()]
        self.input = spec["input"] if spec["input"] in names else names[0]
        self.binding = None

    def bind(self, x):
        ort = self.ort
        binding = self.session.io_binding()
        self.x = ort.OrtValue.ortvalue_from_numpy(x, self.device)
        binding.bind_ortvalue_input(self.input, self.x)
        self.names = []
        for output in self.session.get_outputs():
            self.names.append(output.name)
            if all(isinstance(d, int) for d in output.shape):  # static: preallocate it
                dtype = {"tensor(float)": np.float32, "tensor(int32)": np.int32,
                         "tensor(int64)": np.int64}.get(output.type, np.float32)
                value = ort.OrtValue.ortvalue_from_shape_and_type(output.shape, dtype,
                                                                  self.device)
                binding.bind_ortvalue_output(output.name, value)
            else:
                binding.bind_output(output.name, self.device)
        self.binding = binding

    def run(self):
        self.session.run_with_iobinding(self.binding)

    def outputs(self):
        return {n: v.numpy() for n, v in zip(self.names, self.binding.get_outputs())}


class OpenVinoRunner:
    """The same settings benchmark_app is given: static shape, LATENCY, T threads, the
    precision asked for. Used for the outputs, and for timing where benchmark_app is missing."""

    def __init__(self, spec):
        if spec["device"] == "cuda":
            raise DeviceUnavailable("OpenVINO has no plugin for NVIDIA GPUs (its GPU plugin is "
                                    "for Intel graphics)")
        import openvino as ov
        self.ov = ov
        core = ov.Core()
        model = core.read_model(spec["saved_model"])  # its TensorFlow front end: no TensorFlow
        model.reshape({model.inputs[0].get_any_name(): spec["shape"]})  # static: its best
        config = {"INFERENCE_NUM_THREADS": spec["threads"], "PERFORMANCE_HINT": "LATENCY",
                  # On CPUs with AMX or AVX512_BF16 OpenVINO runs in bf16 unless told f32.
                  "INFERENCE_PRECISION_HINT": spec["precision"]}
        compiled = core.compile_model(model, "CPU", config)
        self.request = compiled.create_infer_request()
        self.names = [o.get_any_name() for o in compiled.outputs]

    def bind(self, x):
        self.x = np.ascontiguousarray(x)
        self.request.set_input_tensor(0, self.ov.Tensor(self.x, shared_memory=True))

    def run(self):
        self.request.infer()

    def outputs(self):
        return {n: np.array(self.request.get_output_tensor(i).data)
                for i, n in enumerate(self.names)}


RUNNERS = {"tensorflow": TensorFlowRunner, "onnxruntime": OnnxRuntimeRunner,
           "openvino": OpenVinoRunner}


def timed_loop(runner, seconds, min_runs):
    """Runs until both `seconds` have passed and `min_runs` are done; sorted run times in ms."""
    times = []
    start = time.perf_counter()
    while len(times) < min_runs or time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        runner.run()
        times.append((time.perf_counter() - t0) * 1e3)
    return sorted(times)


def summarize(times):
    """The per-process summary every engine reports (times in ms, sorted)."""
    n = len(times)
    return {"runs": n, "median_ms": statistics.median(times), "mean_ms": sum(times) / n,
            "min_ms": times[0], "p90_ms": times[min(n - 1, math.ceil(0.9 * n) - 1)],
            "timed_s": sum(times) / 1e3}


def worker_main(spec_file):
    """check: outputs on inputs A and B (and an optional short timing, the probe);
    time: load, first run, warm-up, then timed runs for spec["seconds"]."""
    spec = json.loads(Path(spec_file).read_text())
    outdir = Path(spec["outdir"])
    if spec["precision"] != "f32" and spec["engine"] != "openvino":
        (outdir / "result.json").write_text(json.dumps(
            {"error": f"{spec['engine']} has no {spec['precision']} mode here"}))
        return
    try:
        start = time.perf_counter()
        runner = RUNNERS[spec["engine"]](spec)
        load_ms = (time.perf_counter() - start) * 1e3
    except DeviceUnavailable as e:
        (outdir / "result.json").write_text(json.dumps({"error": f"not on {spec['device']}: {e}"}))
        return
    result = {"load_ms": load_ms, "peak_rss_bytes": 0}
    if spec["mode"] == "check":
        for tag in ("a", "b"):
            runner.bind(np.load(spec[f"input_{tag}"]))
            runner.run()
            (outdir / tag).mkdir(exist_ok=True)
            for name, value in runner.outputs().items():
                np.save(outdir / tag / (_file_stem(name) + ".npy"), value)
        if spec.get("probe_seconds"):
            result.update(probe=summarize(timed_loop(runner, spec["probe_seconds"], 3)))
    else:
        runner.bind(np.load(spec["input_a"]))
        start = time.perf_counter()
        runner.run()
        result["first_run_ms"] = (time.perf_counter() - start) * 1e3
        timed_loop(runner, spec["warmup_seconds"], 1)
        result.update(summarize(timed_loop(runner, spec["seconds"], spec["min_runs"])))
    result["peak_rss_bytes"] = vm_hwm_bytes()
    (outdir / "result.json").write_text(json.dumps(result))


def _file_stem(tensor_name):
    """How `kiln run` names an output file (model_files.hpp: '/' -> '__', ':' -> '_')."""
    return tensor_name.replace("/", "__").replace(":", "_")


# --------------------------------------------------------------------------------------------
# Child processes and what the machine did meanwhile.

def vm_hwm_bytes(pid="self"):
    """Peak resident memory of a process's current program (VmHWM), or 0 where unknown.

    Unlike ru_maxrss it starts afresh at exec: ru_maxrss keeps the size the process had as a
    fork of its parent, so a child of a large parent would report the parent's size."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def cpu_clock():
    """(machine busy CPU seconds, stolen CPU seconds, CPU seconds of this process and its reaped
    children, wall seconds), from /proc/stat and getrusage. Two readings give how many cores
    *other* processes used between them (the load average would count this benchmark too)
    and how many the hypervisor took away (steal: time a virtual CPU waited for a real one)."""
    with open("/proc/stat") as stat:
        ticks = [int(v) for v in stat.readline().split()[1:9]]
    ticks += [0] * (8 - len(ticks))
    user, nice, system, _idle, _iowait, irq, softirq, steal = ticks
    hz = os.sysconf("SC_CLK_TCK")
    mine = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        mine += usage.ru_utime + usage.ru_stime
    return (user + nice + system + irq + softirq) / hz, steal / hz, mine, time.monotonic()


def load_between(before, after):
    """{'wall_s', 'other_cpu_s', 'steal_s'} between two cpu_clock() readings."""
    return {"wall_s": after[3] - before[3],
            "other_cpu_s": max(0.0, (after[0] - before[0]) - (after[2] - before[2])),
            "steal_s": after[1] - before[1]}


def run_child(command, env, log_file, timeout):
    """Runs a command; returns (exit code, peak RSS bytes of that child alone, load_between()
    with the child's CPU seconds as 'cpu_s').

    The peak is the child's VmHWM, sampled every 20 ms while it runs (it only grows, and the
    last sample comes just before the exit); os.wait4's ru_maxrss of exactly this child is the
    fallback where /proc is missing."""
    before = cpu_clock()
    peak = 0
    with open(log_file, "w") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while True:
            peak = max(peak, vm_hwm_bytes(process.pid))
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                process.kill()
                pid, status, usage = os.wait4(process.pid, 0)
                status = -1
                break
            time.sleep(0.02)
    process.returncode = 0  # reaped above; keep Popen from waiting on it again
    code = os.waitstatus_to_exitcode(status) if status != -1 else -1
    load = load_between(before, cpu_clock())
    load["cpu_s"] = usage.ru_utime + usage.ru_stime  # this child's own CPU time: its cores used
    return code, peak or usage.ru_maxrss * 1024, load


def last_lines(log_file, count=6):
    lines = [l for l in Path(log_file).read_text(errors="replace").splitlines() if l.strip()]
    interesting = [l for l in lines if "oneDNN custom operations" not in l
                   and "absl::InitializeLog" not in l and "cpu_feature_guard" not in l
                   and "rebuild TensorFlow with" not in l]
    tail = interesting[-count:]
    # A Python traceback or a tool's error line says more than whatever was printed after it.
    errors = [l for l in interesting if re.search(r"(Exception|Error)\b.*:|\[ ERROR \]", l)]
    if errors and errors[-1] not in tail:
        tail.append(errors[-1])
    return "\n".join(tail)


def child_env(threads):
    env = dict(os.environ)
    env["OMP_NUM_THREADS"] = str(threads)
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    return env


# --------------------------------------------------------------------------------------------
# Models and inputs.

def export_model(model, work, batches):
    """models.export in a process of its own: TensorFlow must not grow this one, whose size
    every child's ru_maxrss would inherit (Linux carries it across fork and exec)."""
    if not models.is_exported(model, work, batches):
        subprocess.run([sys.executable, str(HERE / "models.py"), "--work", str(work),
                        "--models", model, "--batches", ",".join(map(str, batches))],
                       check=True, env=child_env(2))
    return Path(work) / model


def describe_signature(folder):
    """The serving_default signature's input name, dtype, shape and output names, as
    TensorFlow reads them (cached in the model's folder)."""
    cache = folder / "signature.json"
    if cache.exists():
        return json.loads(cache.read_text())
    code = (
        "import json, sys, tensorflow as tf\n"
        "f = tf.saved_model.load(sys.argv[1]).signatures['serving_default']\n"
        "(_, kw) = f.structured_input_signature\n"
        "(name, spec), = kw.items()\n"
        "print(json.dumps({'input': name, 'dtype': spec.dtype.name,\n"
        "                  'shape': [d if d is not None else -1 for d in spec.shape.as_list()],\n"
        "                  'outputs': sorted(f.structured_outputs)}))\n")
    result = subprocess.run([sys.executable, "-c", code, str(folder / "saved_model")],
                            capture_output=True, text=True, env=child_env(1))
    if result.returncode != 0:
        raise RuntimeError(f"cannot read the signature of {folder}:\n{result.stderr[-2000:]}")
    signature = json.loads(result.stdout.strip().splitlines()[-1])
    cache.write_text(json.dumps(signature))
    return signature


def make_input(model, signature, batch, work, which):
    """Input `which` ('a' or 'b') for (model, batch), the same for every engine: a fixed seed
    per (model, batch, which), saved as .npy. A is timed; A and B are both checked."""
    path = work / "inputs" / f"{model}_b{batch}_{which}.npy"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    shape = [batch if d == -1 else d for d in signature["shape"]]
    rng = np.random.default_rng([SEED, batch, sum(map(ord, model)), ord(which)])
    if signature["dtype"].startswith("int"):
        x = rng.integers(0, models.token_range(model), shape).astype(signature["dtype"])
    elif model == "efficientnet_b0":  # rescales [0, 255] pixels itself
        x = rng.uniform(0, 255, shape).astype(signature["dtype"])
    else:  # MobileNetV2's preprocessing gives [-1, 1]; ResNet50's is of the same order
        x = rng.uniform(-1, 1, shape).astype(signature["dtype"])
    np.save(path, x)
    return path


# --------------------------------------------------------------------------------------------
# Phase 1: outputs on two inputs, the probes.

def variant_name(engine, precision):
    return engine if precision == "f32" else f"{engine}:{precision}"


def fresh_dir(path):
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def python_worker(mode, engine, precision, cfg, args, outdir, **extra):
    """Runs this file as a worker; returns (result dict or {'error'}, peak RSS, load)."""
    spec = {"mode": mode, "engine": engine, "precision": precision, "device": args.device,
            "threads": cfg["threads"], "batch": cfg["batch"], "shape": cfg["shape"],
            "saved_model": str(cfg["folder"] / "saved_model"), "onnx": str(cfg["onnx"]),
            "input": cfg["signature"]["input"], "input_a": str(cfg["input_a"]),
            "input_b": str(cfg["input_b"]), "outdir": str(outdir),
            "seconds": args.seconds, "warmup_seconds": args.warmup_seconds,
            "min_runs": args.min_runs, **extra}
    (outdir / "spec.json").write_text(json.dumps(spec))
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", str(outdir / "spec.json")]
    code, rss, load = run_child(command, child_env(cfg["threads"]), outdir / "log.txt",
                                args.timeout)
    if code != 0:
        return {"error": f"exit {code}: " + last_lines(outdir / "log.txt")}, rss, load
    result = json.loads((outdir / "result.json").read_text())
    if not result.get("peak_rss_bytes"):
        result["peak_rss_bytes"] = rss
    return result, rss, load


def kiln_common(cfg, args, precision):
    backend = ["--backend", "cuda"] if args.device == "cuda" else []
    bf16 = ["--precision", "bf16"] if precision == "bf16" else []  # int8 is in the model
    return ["--threads", str(cfg["threads"])] + backend + bf16


def kiln_model(cfg, args, precision):
    """The SavedModel Kiln runs for `precision`: the export, or (int8) its `kiln quantize`,
    made once per model and run. Returns (folder, None) or (None, error)."""
    if precision != "int8":
        return cfg["folder"] / "saved_model", None
    quantized = cfg["folder"] / "saved_model_int8"
    if quantized in QUANTIZED:
        return QUANTIZED[quantized]
    calibration = fresh_dir(cfg["folder"] / "calibration")
    signature = cfg["signature"]
    samples = make_input(cfg["model"], signature, CALIBRATION_SAMPLES, calibration, "c")
    shutil.move(str(samples), str(calibration / f"{signature['input']}.npy"))
    shutil.rmtree(samples.parent)  # the folder holds the one .npy per input, nothing else
    if quantized.exists():
        shutil.rmtree(quantized)
    command = [args.kiln, "quantize", str(cfg["folder"] / "saved_model"), "--calibration",
               str(calibration), "-o", str(quantized)]
    log = cfg["folder"] / "quantize.txt"
    code, _, _ = run_child(command, child_env(2), log, args.timeout)
    QUANTIZED[quantized] = (quantized, None) if code == 0 else (
        None, f"kiln quantize exit {code}: " + last_lines(log))
    return QUANTIZED[quantized]


QUANTIZED = {}  # kiln_model's int8 models of this run


def kiln_bench(cfg, args, outdir, runs, warmup, precision="f32"):
    """One `kiln bench` process; (result dict or {'error'}, load)."""
    model, error = kiln_model(cfg, args, precision)
    if error:
        return {"error": error}, {}
    feed = f"{cfg['signature']['input']}={cfg['input_a']}"
    command = [args.kiln, "bench", str(model), "--batch",
               str(cfg["batch"]), "--runs", str(runs), "--warmup", str(warmup), "--inputs", feed,
               "--json", str(outdir / "bench.json")] + kiln_common(cfg, args, precision)
    code, rss, load = run_child(command, child_env(cfg["threads"]), outdir / "log.txt",
                                args.timeout)
    if code != 0:
        return {"error": f"kiln bench exit {code}: " + last_lines(outdir / "log.txt"),
                "command": shlex.join(command)}, load
    bench = json.loads((outdir / "bench.json").read_text())
    optimized = bench["modes"]["optimized"]
    result = {"load_ms": bench["import_ms"] + bench["compile_ms"],
              "import_ms": bench["import_ms"], "compile_ms": bench["compile_ms"],
              "first_run_ms": bench["first_run_ms"], "runs": optimized.get("runs"),
              "median_ms": optimized["median_ms"], "mean_ms": optimized.get("mean_ms"),
              "min_ms": optimized.get("min_ms"), "p90_ms": optimized.get("p90_ms"),
              "peak_rss_bytes": rss}
    if result["mean_ms"] and result["runs"]:
        result["timed_s"] = result["mean_ms"] * result["runs"] / 1e3
    # Steps that run on reference (plain loop) kernels: printed, not in the JSON.
    plan = re.search(r"Plan: (\d+) steps, (\d+) on reference",
                     (outdir / "log.txt").read_text(errors="replace"))
    if plan:
        result["plan_steps"], result["reference_steps"] = int(plan[1]), int(plan[2])
    return result, load


def kiln_check(cfg, args, outdir, precision):
    """`kiln run` on inputs A and B, then a short `kiln bench` whose median sizes the timed
    processes' --runs (kiln bench counts runs; the others time for a number of seconds)."""
    model, error = kiln_model(cfg, args, precision)
    if error:
        return {"error": error}
    for tag in ("a", "b"):
        feed = f"{cfg['signature']['input']}={cfg[f'input_{tag}']}"
        command = [args.kiln, "run", str(model), "--inputs", feed,
                   "--outdir", str(outdir / tag)] + kiln_common(cfg, args, precision)
        code, _, _ = run_child(command, child_env(cfg["threads"]), outdir / f"run_{tag}.txt",
                               args.timeout)
        if code != 0:
            return {"error": f"kiln run exit {code}: " + last_lines(outdir / f"run_{tag}.txt"),
                    "command": shlex.join(command)}
    probe, _ = kiln_bench(cfg, args, fresh_dir(outdir / "probe"), runs=3, warmup=1,
                          precision=precision)
    if "error" in probe:
        return probe
    return {"probe": probe}


def check_variant(engine, precision, cfg, args):
    """Phase 1 for one engine: {'outputs': folder} plus probes, or {'error': ...}."""
    outdir = fresh_dir(cfg["outdir"] / variant_name(engine, precision) / "check")
    if engine == "kiln":
        result = kiln_check(cfg, args, outdir, precision)
    else:
        probe = args.probe_seconds if engine == "tensorflow" else 0
        result, _, _ = python_worker("check", engine, precision, cfg, args, outdir,
                                     inter_op=1, probe_seconds=probe)
    if "error" not in result:
        result["outputs"] = str(outdir)
    return result


def pick_tf_inter_op(cfg, args, check):
    """TensorFlow's inter-op thread count for this configuration: --tf-inter-op, or whichever
    of 1 and 2 gave the lower median in a short probe of each (1 was probed by the check)."""
    if args.tf_inter_op != "auto":
        return int(args.tf_inter_op), {}
    probes = {1: check.get("probe", {}).get("median_ms")}
    outdir = fresh_dir(cfg["outdir"] / "tensorflow" / "probe_inter_op_2")
    result, _, _ = python_worker("check", "tensorflow", "f32", cfg, args, outdir, inter_op=2,
                                 probe_seconds=args.probe_seconds)
    probes[2] = result.get("probe", {}).get("median_ms")
    timed = {k: v for k, v in probes.items() if v}
    return (min(timed, key=timed.get) if timed else 1), probes


def relative_error(got, want):
    """max |got - want| / max |want| over each output, the largest over the outputs; NaN when
    an output is missing or of another shape (not comparable)."""
    worst = 0.0
    for name, w in want.items():
        g = got.get(name)
        if g is None or g.shape != w.shape:
            return float("nan")
        scale = float(np.max(np.abs(w))) or 1.0
        worst = max(worst, float(np.max(np.abs(g.astype(np.float64) - w))) / scale)
    return worst


def top1_agreement(got, want):
    """Share of rows whose argmax agrees with TensorFlow's, over the [batch, classes] outputs
    (None for a model without one)."""
    agree = total = 0
    for name, w in want.items():
        g = got.get(name)
        if g is not None and g.shape == w.shape and w.ndim == 2 and w.shape[1] > 1:
            agree += int(np.sum(np.argmax(g, 1) == np.argmax(w, 1)))
            total += w.shape[0]
    return agree / total if total else None


def load_outputs(folder, names):
    """{output name: array} from a folder of .npy files named as _file_stem names them."""
    folder = Path(folder)
    found = {}
    for name in names:
        path = folder / (_file_stem(name) + ".npy")
        if path.exists():
            found[name] = np.load(path)
    if not found:  # an engine that named its outputs its own way: take them in file order
        files = sorted(p for p in folder.glob("*.npy"))
        found = {name: np.load(p) for name, p in zip(names, files)}
    return found


def accuracy(checks, names):
    """{variant: accuracy fields} against TensorFlow's outputs on the same two inputs."""
    reference = checks.get("tensorflow", {})
    if "outputs" not in reference:
        return {}
    want = {tag: load_outputs(Path(reference["outputs"]) / tag, names) for tag in ("a", "b")}
    found = {}
    for variant, check in checks.items():
        if "outputs" not in check:
            continue
        got = {tag: load_outputs(Path(check["outputs"]) / tag, names) for tag in ("a", "b")}
        error = max(relative_error(got[t], want[t]) for t in ("a", "b"))
        effect = relative_error(got["b"], got["a"])  # how much input B changed the outputs
        agree = [top1_agreement(got[t], want[t]) for t in ("a", "b")]
        precision = variant.split(":")[1] if ":" in variant else "f32"
        gate = ERROR_GATE.get(precision)
        fields = {"rel_err": error, "input_effect": effect, "gate": gate,
                  "top1_agree": None if None in agree else sum(agree) / 2}
        problems = []
        if math.isnan(error):
            problems.append("outputs missing or of another shape")
        elif gate is not None and error > gate:
            problems.append(f"relative error {error:.1e} > {gate:g}")
        if not effect > MIN_INPUT_EFFECT:
            problems.append(f"two different inputs gave the same outputs (difference "
                            f"{effect:.1e})")
        if problems:
            fields["check_failed"] = "; ".join(problems)
        found[variant] = fields
    return found


# --------------------------------------------------------------------------------------------
# Phase 2: the timed processes.

def benchmark_app_path():
    path = Path(sys.executable).with_name("benchmark_app")
    return str(path) if path.exists() else None


def openvino_benchmark_app(cfg, args, outdir, precision):
    """OpenVINO timed by its own benchmark_app: LATENCY hint (one stream, one synchronous
    request), T threads, the static shape, the same input file, `--seconds` of runs (rounded
    up: it takes whole seconds). It times
    each run inside OpenVINO (InferRequest.latency) and reports the median in 0.01 ms steps.
    Returns (result dict or {'error'}, load)."""
    shape = "[" + ",".join(map(str, cfg["shape"])) + "]"
    # benchmark_app refuses -nthreads beside -hint latency (a rule of its command line, not of
    # OpenVINO), so the threads and precision go in through a configuration file.
    config = outdir / "config.json"
    config.write_text(json.dumps({"CPU": {
        "PERFORMANCE_HINT": "LATENCY", "INFERENCE_NUM_THREADS": str(cfg["threads"]),
        "INFERENCE_PRECISION_HINT": precision}}))
    command = [args.benchmark_app, "-m", str(cfg["folder"] / "saved_model"), "-d", "CPU",
               "-hint", "latency", "-load_config", str(config), "-shape", shape,
               # Without -ip it feeds a 3-channel 4-D input as u8 images.
               "-ip", {"float32": "f32", "int32": "i32", "int64": "i64"}[
                   cfg["signature"]["dtype"]],
               # With both -t and -niter it runs until both are reached.
               "-i", str(cfg["input_a"]), "-t", str(math.ceil(args.seconds)),
               "-niter", str(args.min_runs), "-report_type",
               "no_counters", "-report_folder", str(outdir), "-json_stats"]
    code, rss, load = run_child(command, child_env(cfg["threads"]), outdir / "log.txt",
                                args.timeout)
    report_file = outdir / "benchmark_report.json"
    if code != 0 or not report_file.exists():
        return {"error": f"benchmark_app exit {code}: " + last_lines(outdir / "log.txt"),
                "command": shlex.join(command)}, load
    # It prints the compiled model's properties: make sure the settings took.
    log = (outdir / "log.txt").read_text(errors="replace")
    threads = re.search(r"INFERENCE_NUM_THREADS: (\d+)", log)
    if not threads or int(threads[1]) != cfg["threads"]:
        return {"error": f"benchmark_app ran with INFERENCE_NUM_THREADS "
                         f"{threads[1] if threads else '?'}, not {cfg['threads']}"}, load
    stats = json.loads(report_file.read_text())["execution_results"]
    number = lambda key: float(stats[key]) if key in stats else None
    load_ms = sum(number(k) or 0 for k in ("read model time (ms)", "reshape model time (ms)",
                                           "compile model time (ms)"))
    runs = int(float(stats.get("total number of iterations", 0)))
    result = {"load_ms": load_ms, "first_run_ms": number("first inference time (ms)"),
              "median_ms": number("latency (ms)"), "mean_ms": number("avg latency"),
              "min_ms": number("min latency"), "runs": runs, "peak_rss_bytes": rss}
    if result["mean_ms"] and runs:
        result["timed_s"] = result["mean_ms"] * runs / 1e3
    return result, load


def timed_process(job, args):
    """One timed process of one engine on one configuration: a per-process summary."""
    cfg, engine, precision, index = job["cfg"], job["engine"], job["precision"], job["index"]
    outdir = fresh_dir(cfg["outdir"] / variant_name(engine, precision) / f"time_{index}")
    if engine == "kiln":
        estimate = max(job["estimate_ms"], 1e-3)
        # A margin of 30% over the probe's estimate, so that runs faster than the probe's
        # still fill --seconds.
        runs = max(args.min_runs, math.ceil(1.3 * args.seconds * 1e3 / estimate))
        warmup = max(1, math.ceil(args.warmup_seconds * 1e3 / estimate))
        result, load = kiln_bench(cfg, args, outdir, runs, warmup, precision)
    elif engine == "openvino" and args.benchmark_app and args.device == "cpu":
        result, load = openvino_benchmark_app(cfg, args, outdir, precision)
    else:
        result, _, load = python_worker("time", engine, precision, cfg, args, outdir,
                                        inter_op=job.get("inter_op", 1))
    result.update(load)
    return result


# --------------------------------------------------------------------------------------------
# Phase 3: one row per engine and configuration.

def aggregate(cfg_key, variant, processes, check, fields):
    """The row of one engine on one configuration, from its processes and its check."""
    model, threads, batch = cfg_key
    engine, _, precision = variant.partition(":")
    row = {"model": model, "threads": threads, "batch": batch, "engine": engine,
           "precision": precision or "f32", **fields}
    if "error" in check:
        row["error"] = check["error"]
        return row
    done = [p for p in processes if "error" not in p and p.get("median_ms") is not None]
    failed = [p for p in processes if "error" in p]
    if failed:
        row["process_errors"] = len(failed)
        row["process_error"] = failed[0]["error"]
    if not done:
        row["error"] = failed[0]["error"] if failed else "no timed process"
        return row
    medians = [p["median_ms"] for p in done]
    ttfr = [p["load_ms"] + p["first_run_ms"] for p in done
            if p.get("load_ms") is not None and p.get("first_run_ms") is not None]
    row.update({
        "median_ms": statistics.median(medians), "min_ms": min(medians), "max_ms": max(medians),
        "processes": len(done), "runs": sum(p.get("runs") or 0 for p in done),
        "shortest_timed_s": min((p.get("timed_s") or 0) for p in done),
        "load_ms": statistics.median(p["load_ms"] for p in done if "load_ms" in p),
        "first_run_ms": statistics.median(p["first_run_ms"] for p in done
                                          if p.get("first_run_ms") is not None),
        "ttfr_ms": statistics.median(ttfr) if ttfr else None,
        "peak_rss_bytes": max(p.get("peak_rss_bytes") or 0 for p in done),
    })
    for key in ("plan_steps", "reference_steps"):
        if key in check.get("probe", {}):
            row[key] = check["probe"][key]
    return row


# What the raw results keep of a timed process, in this order: who, then what it measured.
PROCESS_KEYS = ("model", "threads", "batch", "engine", "precision", "index", "order",
                "median_ms", "mean_ms", "min_ms", "runs", "timed_s", "load_ms", "first_run_ms",
                "peak_rss_bytes", "wall_s", "cpu_s", "other_cpu_s", "steal_s", "error")


def compact(record, keys=None):
    """A record as kept in the raw results: the given keys (all if None), numbers to 4
    significant digits, so that a full run's RESULTS.json stays small."""
    def short(value):
        if isinstance(value, float):
            return float(f"{value:.4g}")
        if isinstance(value, dict):
            return {k: short(v) for k, v in value.items()}
        return value
    return {k: short(record[k]) for k in (keys or record) if k in record}


# --------------------------------------------------------------------------------------------
# What the run was made on.

def machine_description():
    text = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    fields = dict(re.findall(r"^([^:\n]+):\s*(.*)$", text, re.M))
    flags = set(fields.get("Flags", "").split())
    isa = [f for f in ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile") if f in flags]
    memory = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory = int(line.split()[1]) * 1024
    return {
        "cpu": fields.get("Model name", platform.processor() or "unknown"),
        "cpu_model": f"family {fields.get('CPU family', '?')}, model {fields.get('Model', '?')}",
        "caches": ", ".join(f"{k.split()[0]} {fields[k].split(' (')[0]}"
                            for k in ("L1d cache", "L2 cache", "L3 cache") if k in fields),
        "logical_cpus": int(fields.get("CPU(s)", os.cpu_count() or 0)),
        "threads_per_core": fields.get("Thread(s) per core", "?"),
        "hypervisor": fields.get("Hypervisor vendor", ""),
        "isa": isa,
        "memory_gib": round(memory / 2**30, 1),
        "os": _os_name(),
        "python": platform.python_version(),
    }


def _os_name():
    try:
        release = dict(re.findall(r'^(\w+)="?([^"\n]*)"?$', Path("/etc/os-release").read_text(),
                                  re.M))
        name = release.get("PRETTY_NAME", "Linux")
    except OSError:
        name = platform.system()
    return f"{name}, kernel {platform.release().split('-')[0]}"


def _git(folder, *arguments):
    result = subprocess.run(["git", "-C", str(folder), *arguments], capture_output=True,
                            text=True)
    return result.stdout.strip() if result.returncode == 0 else ""


def kiln_stamp(kiln):
    """What the kiln binary was built from: `kiln --version`, the commit checked out in the
    repository the binary lies in, whether tracked files differ from it, whether the binary is
    older than that commit (then it may not be built from it), and the binary's SHA-256."""
    stamp = {}
    binary = Path(kiln).resolve()
    version = subprocess.run([str(binary), "--version"], capture_output=True, text=True)
    stamp["version"] = version.stdout.strip() if version.returncode == 0 else "unknown"
    stamp["sha256"] = hashlib.sha256(binary.read_bytes()).hexdigest()[:16]
    top = _git(binary.parent, "rev-parse", "--show-toplevel")
    if top:
        stamp["commit"] = _git(top, "rev-parse", "HEAD")
        stamp["dirty"] = bool(_git(top, "status", "--porcelain", "--untracked-files=no"))
        commit_time = int(_git(top, "log", "-1", "--format=%ct") or 0)
        stamp["built_before_commit"] = binary.stat().st_mtime < commit_time
    return stamp


def engine_versions(kiln):
    versions = {}
    for engine, package in (("tensorflow", "tensorflow-cpu"), ("onnxruntime", "onnxruntime"),
                            ("openvino", "openvino"), ("tf2onnx", "tf2onnx"), ("onnx", "onnx"),
                            ("numpy", "numpy"), ("keras", "keras"), ("keras_hub", "keras-hub")):
        try:
            versions[engine] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[engine] = "not installed"
    stamp = kiln_stamp(kiln) if os.access(kiln, os.X_OK) else {}
    versions["kiln_stamp"] = stamp
    text = stamp.get("version", "unknown")
    if stamp.get("commit"):
        text += f", commit {stamp['commit'][:12]}" + (" + local changes" if stamp["dirty"]
                                                      else "")
        if stamp.get("built_before_commit"):
            text += " (binary older than that commit)"
    onednn = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "libdnnl-dev"],
                            capture_output=True, text=True).stdout.strip()
    if onednn:
        text += f", oneDNN {onednn}"
    versions["kiln"] = text
    return versions


def python_baseline_rss():
    """Peak RSS of a Python process that only imports NumPy: part of every Python engine's."""
    code = ("import numpy, compare_peers\n"
            "print(compare_peers.vm_hwm_bytes())")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=HERE)
    return int(result.stdout.split()[-1]) if result.returncode == 0 else None


# --------------------------------------------------------------------------------------------

def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, default=models.default_work_dir(),
                        help="exports, inputs and outputs (default $KILN_BENCH_WORK or "
                             "~/.cache/kiln/bench-work)")
    parser.add_argument("--models", default=",".join(models.MODELS))
    every_variant = [engine if precision == "f32" else f"{engine}:{precision}"
                     for engine in ENGINES for precision in PRECISIONS[engine]]
    parser.add_argument("--engines", default=",".join(every_variant),
                        help="comma-separated engines, each optionally :PRECISION (f32 if not "
                             "given); default every engine at every precision it has here: "
                             + ",".join(every_variant))
    parser.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    parser.add_argument("--batches", default="1,8", help="comma-separated batch sizes")
    parser.add_argument("--processes", type=int, default=5,
                        help="timed processes per engine and configuration (default 5)")
    parser.add_argument("--seconds", type=float, default=2.0,
                        help="timed seconds per process, after warm-up (default 2)")
    parser.add_argument("--warmup-seconds", type=float, default=0.5,
                        help="untimed seconds of runs before them, at least one run (default "
                             "0.5; benchmark_app does one run)")
    parser.add_argument("--min-runs", type=int, default=5,
                        help="timed runs per process at least, however long they take "
                             "(default 5)")
    parser.add_argument("--probe-seconds", type=float, default=0.5,
                        help="seconds of TensorFlow runs per inter-op setting in the probe")
    parser.add_argument("--tf-inter-op", choices=("auto", "1", "2"), default="auto",
                        help="TensorFlow's inter-op threads; auto: whichever of 1 and 2 was "
                             "faster in a short probe per configuration")
    parser.add_argument("--seed", type=int,
                        help="seed of the order of the timed processes (default: a fresh one, "
                             "printed and recorded)")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                        help="where every engine runs (cuda: the first NVIDIA GPU; report in "
                             "bench/RESULTS-cuda.md)")
    parser.add_argument("--quick", action="store_true",
                        help="2 threads, batch 1, 2 processes of 1 s each: a check of the "
                             "machinery; writes its report into the work folder")
    parser.add_argument("--kiln", default=str(REPO / "build" / "bin" / "kiln"))
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per child")
    parser.add_argument("--results", type=Path, help="markdown report (default bench/RESULTS.md)")
    parser.add_argument("--svg", type=Path, help="chart (default bench/peers/latency.svg)")
    parser.add_argument("--render-only", action="store_true",
                        help="rewrite the report and chart from the last run's results")
    args = parser.parse_args(argv)
    if args.quick:
        args.threads, args.batches = "2", "1"
        args.processes, args.seconds, args.warmup_seconds = 2, 1.0, 0.2
        args.probe_seconds, args.min_runs = 0.3, 3
    report_dir = args.work / "quick" if args.quick else None
    suffix = "" if args.device == "cpu" else "-" + args.device
    args.results = args.results or (report_dir / f"RESULTS{suffix}.md" if report_dir
                                    else REPO / "bench" / f"RESULTS{suffix}.md")
    args.raw = args.results.with_suffix(".json")  # every process's summary, beside the report
    args.svg = args.svg or (report_dir / f"latency{suffix}.svg" if report_dir
                            else HERE / f"latency{suffix}.svg")
    args.model_list = args.models.split(",")
    for name in args.model_list:
        if name not in models.MODELS:
            parser.error(f"unknown model {name!r}; known: {', '.join(models.MODELS)}")
    args.variants = []
    for item in args.engines.split(","):
        engine, _, precision = item.partition(":")
        precision = precision or "f32"
        if engine not in ENGINES:
            parser.error(f"unknown engine {engine!r}; known: {', '.join(ENGINES)}")
        if precision not in PRECISIONS[engine]:
            parser.error(f"{engine} has no precision {precision!r} here; it has "
                         f"{', '.join(PRECISIONS[engine])}")
        args.variants.append((engine, precision))
    args.thread_list = [int(t) for t in args.threads.split(",")]
    args.batch_list = [int(b) for b in args.batches.split(",")]
    if min(args.thread_list + args.batch_list) < 1 or args.processes < 1 or args.min_runs < 1:
        parser.error("threads, batches, processes and min-runs must be >= 1")
    if args.seconds <= 0 or args.warmup_seconds < 0:
        parser.error("--seconds must be > 0 and --warmup-seconds >= 0")
    args.benchmark_app = benchmark_app_path()
    return args


def configurations(args, run):
    """Exports the models and makes the inputs; one dict per (model, threads, batch)."""
    found = []
    for model in args.model_list:
        folder = export_model(model, args.work, args.batch_list)
        signature = describe_signature(folder)
        record = models.export_record(model, args.work) or {}
        run["models"][model] = dict(signature, **{k: record.get(k) for k in (
            "tf2onnx_s", "saved_model_s", "parameters")})
        for threads in args.thread_list:
            for batch in args.batch_list:
                found.append({
                    "model": model, "folder": folder, "signature": signature,
                    "threads": threads, "batch": batch,
                    "shape": [batch if d == -1 else d for d in signature["shape"]],
                    "onnx": models.onnx_for_batch(model, args.work, batch),
                    "input_a": make_input(model, signature, batch, args.work, "a"),
                    "input_b": make_input(model, signature, batch, args.work, "b"),
                    "outdir": args.work / "runs" / model / f"t{threads}_b{batch}",
                    "key": (model, threads, batch)})
    return found


def describe(cfg):
    return f"{cfg['model']}, {cfg['threads']} thread(s), batch {cfg['batch']}"


def main(argv=None):
    args = parse_args(argv)
    if args.worker:
        worker_main(args.worker)
        return 0
    args.work.mkdir(parents=True, exist_ok=True)
    if args.render_only:
        run = json.loads(args.raw.read_text())
        report.write_all(run, args.results, args.svg)
        return 0
    if any(e == "kiln" for e, _ in args.variants) and not os.access(args.kiln, os.X_OK):
        sys.exit(f"compare_peers: no Kiln at {args.kiln} (build it, or pass --kiln or "
                 f"--engines without kiln)")
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 10**6)
    print(f"compare_peers: order seed {seed} (--seed {seed} repeats this order)", flush=True)
    if args.benchmark_app:
        print("compare_peers: OpenVINO is timed by benchmark_app", flush=True)
    else:
        print("compare_peers: no benchmark_app beside this Python; OpenVINO is timed through "
              "its Python API", flush=True)

    started = datetime.datetime.now(datetime.timezone.utc)
    run = {"date": started.strftime("%Y-%m-%d %H:%M UTC"), "device": args.device,
           "machine": machine_description(), "versions": engine_versions(args.kiln),
           "settings": {"processes": args.processes, "seconds": args.seconds,
                        "warmup_seconds": args.warmup_seconds, "min_runs": args.min_runs,
                        "probe_seconds": args.probe_seconds, "tf_inter_op": args.tf_inter_op,
                        "seed": seed, "error_gate": ERROR_GATE,
                        "min_input_effect": MIN_INPUT_EFFECT,
                        "openvino_timer": "benchmark_app" if args.benchmark_app else "python",
                        "quick": args.quick},
           "load_before": os.getloadavg(), "python_numpy_rss_bytes": python_baseline_rss(),
           "models": {}, "results": [], "processes": []}
    run_clock = cpu_clock()
    configs = configurations(args, run)

    # Phase 1: outputs on two inputs, TensorFlow's inter-op setting, Kiln's run length.
    checks, fields, jobs = {}, {}, []
    for number, cfg in enumerate(configs, 1):
        print(f"[check {number}/{len(configs)}] {describe(cfg)}", flush=True)
        per_variant = {}
        for engine, precision in args.variants:
            variant = variant_name(engine, precision)
            per_variant[variant] = check_variant(engine, precision, cfg, args)
            if "error" in per_variant[variant]:
                message = per_variant[variant]["error"].splitlines()[-1][:200]
                print(f"    {report.label(engine, precision):<13} FAILED: {message}", flush=True)
        inter_op, probes = 1, {}
        if "outputs" in per_variant.get("tensorflow", {}):
            inter_op, probes = pick_tf_inter_op(cfg, args, per_variant["tensorflow"])
            shown = ", ".join(f"{k}: {v:.3g} ms" for k, v in probes.items() if v)
            print(f"    TensorFlow inter-op threads: {inter_op}"
                  + (f" (probe medians {shown})" if shown else " (--tf-inter-op)"), flush=True)
        scores = accuracy(per_variant, cfg["signature"]["outputs"])
        for variant, score in scores.items():
            if "check_failed" in score:
                print(f"    {variant}: CHECK FAILED: {score['check_failed']}", flush=True)
        checks[cfg["key"]] = per_variant
        for engine, precision in args.variants:
            variant = variant_name(engine, precision)
            fields[cfg["key"], variant] = dict(scores.get(variant, {}))
            if engine == "tensorflow":
                fields[cfg["key"], variant].update(tf_inter_op=inter_op, tf_probe_ms=probes)
            if "error" in per_variant[variant]:
                continue  # nothing to time: its row shows the failure
            for index in range(args.processes):
                job = {"cfg": cfg, "engine": engine, "precision": precision, "index": index,
                       "inter_op": inter_op}
                if engine == "kiln":
                    job["estimate_ms"] = per_variant[variant]["probe"]["median_ms"]
                jobs.append(job)

    # Phase 2: every timed process, in one seeded random order across engines and configs.
    random.Random(seed).shuffle(jobs)
    processes = {}
    for number, job in enumerate(jobs, 1):
        cfg = job["cfg"]
        result = timed_process(job, args)
        variant = variant_name(job["engine"], job["precision"])
        result.update(model=cfg["model"], threads=cfg["threads"], batch=cfg["batch"],
                      engine=job["engine"], precision=job["precision"], index=job["index"],
                      order=number)
        processes.setdefault((cfg["key"], variant), []).append(result)
        run["processes"].append(compact(result, PROCESS_KEYS))
        print(f"[time {number}/{len(jobs)}] {describe(cfg)}: "
              + report.process_line(result), flush=True)

    # Phase 3: rows, the load per configuration, the report.
    for cfg in configs:
        done = [p for (key, _), ps in processes.items() if key == cfg["key"] for p in ps]
        wall = sum(p["wall_s"] for p in done) or 1.0
        machine = {"other_cores": sum(p["other_cpu_s"] for p in done) / wall,
                   "steal_cores": sum(p["steal_s"] for p in done) / wall}
        for engine, precision in args.variants:
            variant = variant_name(engine, precision)
            row = aggregate(cfg["key"], variant, processes.get((cfg["key"], variant), []),
                            checks[cfg["key"]][variant], fields[cfg["key"], variant])
            run["results"].append(compact(dict(row, **machine)))
    run["load_after"] = os.getloadavg()
    overall = load_between(run_clock, cpu_clock())
    run["other_cores"] = overall["other_cpu_s"] / max(overall["wall_s"], 1e-9)
    run["steal_cores"] = overall["steal_s"] / max(overall["wall_s"], 1e-9)
    run["seconds"] = (datetime.datetime.now(datetime.timezone.utc) - started).total_seconds()
    args.raw.parent.mkdir(parents=True, exist_ok=True)
    args.raw.write_text(report.raw_json(run))
    print()
    print(report.text_tables(run))
    report.write_all(run, args.results, args.svg)
    print(f"\nwrote {args.results}, {args.raw} and {args.svg} ({run['seconds'] / 60:.1f} min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
