"""Kiln beside TensorFlow, ONNX Runtime and OpenVINO: same models, inputs, threads and batch.

    python bench/peers/compare_peers.py [--models resnet50,bert_encoder] [--runs 20] [--quick]
    python bench/peers/compare_peers.py --device cuda   # the same table on an NVIDIA GPU

For every model x threads x batch, each engine runs in a fresh process of its own (clean peak
RSS and thread settings) that loads the model, compiles it, runs it once (first run), warms up,
then times `--runs` runs and saves its outputs. This process compares the outputs with
TensorFlow's, prints one table per (threads, batch) and writes bench/RESULTS.md and
bench/peers/latency.svg. The models come from models.py (exported on first use).

With --device cuda every engine runs on the first CUDA device instead (Kiln's cuda backend,
ONNX Runtime's CUDA execution provider, TensorFlow on its GPU) and the report goes to
bench/RESULTS-cuda.md. An engine that cannot reach a CUDA device gets a row saying why; it never
quietly runs on the CPU instead. OpenVINO has no plugin for NVIDIA GPUs, so its row says so.

Run it inside the venv that run.sh makes; run.sh is the one-step way.
"""

import argparse
import datetime
import importlib.metadata
import json
import os
import platform
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
SEED = 7


# --------------------------------------------------------------------------------------------
# The workers: one engine, one configuration, in a process of their own.

def _timed_runs(run, warmup, runs):
    """(first run ms, sorted list of timed run ms, outputs of the first run)."""
    start = time.perf_counter()
    outputs = run()
    first_ms = (time.perf_counter() - start) * 1e3
    for _ in range(warmup):
        run()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1e3)
    return first_ms, sorted(times), outputs


class DeviceUnavailable(RuntimeError):
    """The engine cannot run on the requested device here; its row says why."""


def _worker_tensorflow(spec, x):
    import contextlib
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(spec["threads"])
    tf.config.threading.set_inter_op_parallelism_threads(1)
    placement = contextlib.nullcontext()
    if spec["device"] == "cpu":
        tf.config.set_visible_devices([], "GPU")  # a CPU table stays on the CPU
    else:
        if not tf.config.list_physical_devices("GPU"):
            raise DeviceUnavailable("TensorFlow sees no GPU (tensorflow-cpu, or no CUDA device)")
        placement = tf.device("/GPU:0")
    with placement:
        start = time.perf_counter()
        signature = tf.saved_model.load(spec["saved_model"]).signatures["serving_default"]
        load_ms = (time.perf_counter() - start) * 1e3
        feed = {spec["input"]: tf.constant(x)}
        # .numpy() waits for the device, so each timed run includes the copy back.
        first_ms, times, out = _timed_runs(
            lambda: {k: v.numpy() for k, v in signature(**feed).items()},
            spec["warmup"], spec["runs"])
    return load_ms, first_ms, times, out


def _worker_onnxruntime(spec, x):
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = spec["threads"]
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    provider = {"cpu": "CPUExecutionProvider", "cuda": "CUDAExecutionProvider"}[spec["device"]]
    if provider not in ort.get_available_providers():
        raise DeviceUnavailable(f"this ONNX Runtime has no {provider} (the onnxruntime-gpu "
                                f"package has it)")
    start = time.perf_counter()
    session = ort.InferenceSession(spec["onnx"], options, providers=[provider])
    load_ms = (time.perf_counter() - start) * 1e3
    if session.get_providers()[0] != provider:  # ONNX Runtime falls back to the CPU silently
        raise DeviceUnavailable(f"ONNX Runtime did not start {provider} (no CUDA device?)")
    inputs = session.get_inputs()
    name = spec["input"] if spec["input"] in [i.name for i in inputs] else inputs[0].name
    names = [o.name for o in session.get_outputs()]
    first_ms, times, out = _timed_runs(lambda: session.run(names, {name: x}),
                                       spec["warmup"], spec["runs"])
    return load_ms, first_ms, times, dict(zip(names, out))


def _worker_openvino(spec, x):
    if spec["device"] == "cuda":
        raise DeviceUnavailable("OpenVINO has no plugin for NVIDIA GPUs (its GPU plugin is "
                                "for Intel graphics)")
    import openvino as ov
    core = ov.Core()
    start = time.perf_counter()
    model = core.read_model(spec["saved_model"])  # its TensorFlow front end: no TensorFlow
    model.reshape({model.inputs[0].get_any_name(): list(x.shape)})  # static: OpenVINO's best
    config = {
        "INFERENCE_NUM_THREADS": spec["threads"],
        "PERFORMANCE_HINT": "LATENCY",
        # On CPUs with AMX or AVX512_BF16 OpenVINO runs in bf16 unless told otherwise; everyone
        # else here computes in f32.
        "INFERENCE_PRECISION_HINT": "f32",
    }
    compiled = core.compile_model(model, "CPU", config)
    request = compiled.create_infer_request()
    load_ms = (time.perf_counter() - start) * 1e3
    port_names = [o.get_any_name() for o in compiled.outputs]

    def run():
        request.infer({0: x})
        return [request.get_output_tensor(i).data for i in range(len(port_names))]

    first_ms, times, out = _timed_runs(run, spec["warmup"], spec["runs"])
    return load_ms, first_ms, times, {n: np.array(v) for n, v in zip(port_names, out)}


def worker_main(spec_file):
    spec = json.loads(Path(spec_file).read_text())
    x = np.load(spec["input_file"])
    work = {"tensorflow": _worker_tensorflow, "onnxruntime": _worker_onnxruntime,
            "openvino": _worker_openvino}[spec["engine"]]
    outdir = Path(spec["outdir"])
    try:
        load_ms, first_ms, times, outputs = work(spec, x)
    except DeviceUnavailable as e:
        (outdir / "result.json").write_text(json.dumps({"error": f"not on {spec['device']}: {e}"}))
        return
    for name, value in outputs.items():
        np.save(outdir / (_file_stem(name) + ".npy"), value)
    result = {"load_ms": load_ms, "first_run_ms": first_ms, "median_ms": statistics.median(times),
              "p90_ms": times[min(len(times) - 1, int(0.9 * len(times)))], "runs": len(times),
              "peak_rss_bytes": vm_hwm_bytes()}
    (outdir / "result.json").write_text(json.dumps(result))


def _file_stem(tensor_name):
    """How `kiln run` names an output file (model_files.hpp: '/' -> '__', ':' -> '_')."""
    return tensor_name.replace("/", "__").replace(":", "_")


# --------------------------------------------------------------------------------------------
# The parent: inputs, child processes, comparison.

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


def run_child(command, env, log_file, timeout):
    """Runs a command; returns (exit code, peak RSS bytes of that child alone, seconds).

    The peak is the child's VmHWM, sampled every 20 ms while it runs (it only grows, and the
    last sample comes just before the exit); os.wait4's ru_maxrss of exactly this child is the
    fallback where /proc is missing."""
    start = time.perf_counter()
    peak = 0
    with open(log_file, "w") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = start + timeout
        while True:
            peak = max(peak, vm_hwm_bytes(process.pid))
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                process.kill()
                pid, status, usage = os.wait4(process.pid, 0)
                status = -1
                break
            time.sleep(0.02)
    process.returncode = 0  # reaped above; keep Popen from waiting on it again
    code = os.waitstatus_to_exitcode(status) if status != -1 else -1
    return code, peak or usage.ru_maxrss * 1024, time.perf_counter() - start


def last_lines(log_file, count=6):
    lines = [l for l in Path(log_file).read_text(errors="replace").splitlines() if l.strip()]
    interesting = [l for l in lines if "oneDNN custom operations" not in l
                   and "absl::InitializeLog" not in l]
    return "\n".join(interesting[-count:])


def child_env(threads):
    env = dict(os.environ)
    env["OMP_NUM_THREADS"] = str(threads)
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    return env


def export_model(model, work):
    """models.export in a process of its own: TensorFlow must not grow this one, whose size
    every child's ru_maxrss would inherit (Linux carries it across fork and exec)."""
    if not models.is_exported(model, work):
        subprocess.run([sys.executable, str(HERE / "models.py"), "--work", str(work),
                        "--models", model], check=True, env=child_env(2))
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


def make_input(model, signature, batch, work):
    """The same input for every engine: fixed seed per (model, batch), saved as .npy."""
    path = work / "inputs" / f"{model}_b{batch}.npy"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    shape = [batch if d == -1 else d for d in signature["shape"]]
    rng = np.random.default_rng([SEED, batch, sum(map(ord, model))])
    if signature["dtype"].startswith("int"):
        x = rng.integers(0, models.BERT_VOCAB, shape).astype(signature["dtype"])
    elif model == "efficientnet_b0":  # rescales [0, 255] pixels itself
        x = rng.uniform(0, 255, shape).astype(signature["dtype"])
    else:  # MobileNetV2's preprocessing gives [-1, 1]; ResNet50's is of the same order
        x = rng.uniform(-1, 1, shape).astype(signature["dtype"])
    np.save(path, x)
    return path


def run_engine(engine, cfg, args):
    """One engine on one (model, threads, batch): a result dict, with 'error' on failure."""
    outdir = cfg["outdir"] / engine
    if outdir.exists():
        shutil.rmtree(outdir)
    outdir.mkdir(parents=True)
    env = child_env(cfg["threads"])
    log = outdir / "log.txt"
    common = {"engine": engine, "threads": cfg["threads"], "batch": cfg["batch"]}
    if engine == "kiln":
        return dict(common, **run_kiln(cfg, args, outdir, env))
    spec = {"engine": engine, "device": args.device, "threads": cfg["threads"],
            "warmup": args.warmup,
            "runs": args.runs, "saved_model": str(cfg["folder"] / "saved_model"),
            "onnx": str(cfg["folder"] / "model.onnx"), "input": cfg["signature"]["input"],
            "input_file": str(cfg["input_file"]), "outdir": str(outdir)}
    (outdir / "spec.json").write_text(json.dumps(spec))
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", str(outdir / "spec.json")]
    code, rss, _ = run_child(command, env, log, args.timeout)
    if code != 0:
        return dict(common, error=f"exit {code}: " + last_lines(log))
    result = json.loads((outdir / "result.json").read_text())
    if "error" in result:
        return dict(common, error=result["error"])
    return dict(common, load_ms=result["load_ms"], first_run_ms=result["first_run_ms"],
                median_ms=result["median_ms"], p90_ms=result["p90_ms"], runs=result["runs"],
                peak_rss_bytes=result["peak_rss_bytes"] or rss, outputs=str(outdir))


def run_kiln(cfg, args, outdir, env):
    model_dir = str(cfg["folder"] / "saved_model")
    feed = f"{cfg['signature']['input']}={cfg['input_file']}"
    threads = str(cfg["threads"])
    backend = ["--backend", "cuda"] if args.device == "cuda" else []
    bench = [args.kiln, "bench", model_dir, "--batch", str(cfg["batch"]), "--threads", threads,
             "--runs", str(args.runs), "--warmup", str(args.warmup), "--inputs", feed,
             "--json", str(outdir / "bench.json")] + backend
    code, rss, _ = run_child(bench, env, outdir / "log.txt", args.timeout)
    if code != 0:
        return {"error": f"kiln bench exit {code}: " + last_lines(outdir / "log.txt"),
                "command": shlex.join(bench)}
    report_json = json.loads((outdir / "bench.json").read_text())
    optimized = report_json["modes"]["optimized"]
    result = {"load_ms": report_json["import_ms"] + report_json["compile_ms"],
              "import_ms": report_json["import_ms"], "compile_ms": report_json["compile_ms"],
              "first_run_ms": report_json["first_run_ms"], "median_ms": optimized["median_ms"],
              "p90_ms": optimized.get("p90_ms"), "runs": optimized.get("runs"),
              "peak_rss_bytes": rss}
    # Steps that run on reference (plain loop) kernels: printed, not in the JSON.
    plan = re.search(r"Plan: (\d+) steps, (\d+) on reference",
                     (outdir / "log.txt").read_text(errors="replace"))
    if plan:
        result["plan_steps"], result["reference_steps"] = int(plan[1]), int(plan[2])
    run = [args.kiln, "run", model_dir, "--inputs", feed, "--outdir", str(outdir / "out"),
           "--threads", threads] + backend
    code, _, _ = run_child(run, env, outdir / "run_log.txt", args.timeout)
    if code != 0:
        result["outputs_error"] = f"kiln run exit {code}: " + last_lines(outdir / "run_log.txt")
    else:
        result["outputs"] = str(outdir / "out")
    return result


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


def compare_outputs(results, names):
    """Adds max_abs_diff (vs TensorFlow) to each result of one configuration."""
    reference = next((r for r in results if r["engine"] == "tensorflow" and "outputs" in r), None)
    if reference is None:
        return
    expected = load_outputs(reference["outputs"], names)
    for r in results:
        if "outputs" not in r:
            continue
        got = load_outputs(r["outputs"], names)
        diffs = []
        for name, want in expected.items():
            have = got.get(name)
            if have is None or have.shape != want.shape:
                r["diff_error"] = f"output {name}: shape " + (
                    "missing" if have is None else f"{list(have.shape)} vs {list(want.shape)}")
                break
            diffs.append(float(np.max(np.abs(have.astype(np.float64) - want))))
        else:
            r["max_abs_diff"] = max(diffs)
        if r["engine"] == "tensorflow":
            r["output_scale"] = max(float(np.max(np.abs(v))) for v in expected.values())


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


def engine_versions(kiln):
    versions = {}
    for engine, package in (("tensorflow", "tensorflow-cpu"), ("onnxruntime", "onnxruntime"),
                            ("openvino", "openvino"), ("tf2onnx", "tf2onnx"), ("onnx", "onnx"),
                            ("numpy", "numpy")):
        try:
            versions[engine] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[engine] = "not installed"
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain",
                            "--untracked-files=no"], capture_output=True, text=True).stdout.strip()
    versions["kiln"] = (f"commit {commit}" + (" + local changes" if dirty else "")
                        if commit else "unknown")
    onednn = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "libdnnl-dev"],
                            capture_output=True, text=True).stdout.strip()
    if onednn:
        versions["kiln"] += f", oneDNN {onednn}"
    return versions


def python_baseline_rss():
    """Peak RSS of a Python process that only imports NumPy: part of every Python engine's."""
    code = ("import numpy, compare_peers\n"
            "print(compare_peers.vm_hwm_bytes())")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=HERE)
    return int(result.stdout.split()[-1]) if result.returncode == 0 else None


def load_average():
    return os.getloadavg()


def cpu_clock():
    """(CPU seconds the whole machine was busy, CPU seconds of this process and its reaped
    children, wall seconds): two readings give how many cores *other* processes used between
    them. The load average cannot say that: it counts this benchmark's own threads too."""
    with open("/proc/stat") as stat:
        ticks = [int(v) for v in stat.readline().split()[1:8]]
    user, nice, system, _idle, _iowait, irq, softirq = ticks
    busy = (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")
    mine = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        mine += usage.ru_utime + usage.ru_stime
    return busy, mine, time.monotonic()


def other_cores(before, after):
    """Average number of cores used by other processes between two cpu_clock() readings."""
    wall = after[2] - before[2]
    if wall <= 0:
        return 0.0
    return max(0.0, ((after[0] - before[0]) - (after[1] - before[1])) / wall)


# --------------------------------------------------------------------------------------------

def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, default=models.default_work_dir(),
                        help="exports, inputs and outputs (default $KILN_BENCH_WORK or "
                             "~/.cache/kiln/bench-work)")
    parser.add_argument("--models", default=",".join(models.MODELS))
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    parser.add_argument("--batches", default="1,8", help="comma-separated batch sizes")
    parser.add_argument("--runs", type=int, default=20, help="timed runs per engine (>= 20)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed runs before them")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                        help="where every engine runs (cuda: the first NVIDIA GPU; report in "
                             "bench/RESULTS-cuda.md)")
    parser.add_argument("--quick", action="store_true",
                        help="one configuration (2 threads, batch 1), 5 runs, 1 warm-up; "
                             "writes its report into the work folder")
    parser.add_argument("--kiln", default=str(REPO / "build" / "bin" / "kiln"))
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per child")
    parser.add_argument("--results", type=Path, help="markdown report (default bench/RESULTS.md)")
    parser.add_argument("--svg", type=Path, help="chart (default bench/peers/latency.svg)")
    parser.add_argument("--render-only", action="store_true",
                        help="rewrite the report and chart from the last run's results.json")
    args = parser.parse_args(argv)
    if args.quick:
        args.threads, args.batches, args.runs, args.warmup = "2", "1", 5, 1
    report_dir = args.work / "quick" if args.quick else None
    suffix = "" if args.device == "cpu" else "-" + args.device
    args.results = args.results or (report_dir / f"RESULTS{suffix}.md" if report_dir
                                    else REPO / "bench" / f"RESULTS{suffix}.md")
    args.svg = args.svg or (report_dir / f"latency{suffix}.svg" if report_dir
                            else HERE / f"latency{suffix}.svg")
    args.model_list = args.models.split(",")
    args.engine_list = args.engines.split(",")
    for name in args.model_list:
        if name not in models.MODELS:
            parser.error(f"unknown model {name!r}; known: {', '.join(models.MODELS)}")
    for name in args.engine_list:
        if name not in ENGINES:
            parser.error(f"unknown engine {name!r}; known: {', '.join(ENGINES)}")
    args.thread_list = [int(t) for t in args.threads.split(",")]
    args.batch_list = [int(b) for b in args.batches.split(",")]
    if min(args.thread_list + args.batch_list) < 1 or args.runs < 1 or args.warmup < 0:
        parser.error("threads, batches and runs must be >= 1, warmup >= 0")
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.worker:
        worker_main(args.worker)
        return 0
    args.work.mkdir(parents=True, exist_ok=True)
    suffix = "" if args.device == "cpu" else "-" + args.device
    results_json = args.work / (("quick-results" if args.quick else "results") + suffix + ".json")
    if args.render_only:
        run = json.loads(results_json.read_text())
        report.write_all(run, args.results, args.svg)
        return 0
    if "kiln" in args.engine_list and not os.access(args.kiln, os.X_OK):
        sys.exit(f"compare_peers: no Kiln at {args.kiln} (build it, or pass --kiln or "
                 f"--engines without kiln)")

    started = datetime.datetime.now(datetime.timezone.utc)
    run = {"date": started.strftime("%Y-%m-%d %H:%M UTC"), "device": args.device,
           "machine": machine_description(),
           "versions": engine_versions(args.kiln), "runs": args.runs, "warmup": args.warmup,
           "load_before": load_average(), "python_numpy_rss_bytes": python_baseline_rss(),
           "models": {}, "results": []}
    run_clock = cpu_clock()
    total = len(args.model_list) * len(args.thread_list) * len(args.batch_list)
    done = 0
    for model in args.model_list:
        folder = export_model(model, args.work)
        signature = describe_signature(folder)
        run["models"][model] = signature
        for threads in args.thread_list:
            for batch in args.batch_list:
                done += 1
                cfg = {"model": model, "folder": folder, "signature": signature,
                       "threads": threads, "batch": batch,
                       "input_file": make_input(model, signature, batch, args.work),
                       "outdir": args.work / "runs" / model / f"t{threads}_b{batch}"}
                print(f"[{done}/{total}] {model}, {threads} thread(s), batch {batch}", flush=True)
                results = []
                clock = cpu_clock()
                for engine in args.engine_list:
                    result = run_engine(engine, cfg, args)
                    result["model"] = model
                    results.append(result)
                    print("    " + report.progress_line(result), flush=True)
                others = other_cores(clock, cpu_clock())
                print(f"    (other processes used {others:.2f} cores meanwhile)", flush=True)
                for result in results:
                    result["other_cores"] = others
                compare_outputs(results, signature["outputs"])
                run["results"].extend(results)
                results_json.write_text(json.dumps(run, indent=1, default=str))
    run["load_after"] = load_average()
    run["other_cores"] = other_cores(run_clock, cpu_clock())
    run["seconds"] = (datetime.datetime.now(datetime.timezone.utc) - started).total_seconds()
    results_json.write_text(json.dumps(run, indent=1, default=str))
    print()
    print(report.text_tables(run))
    report.write_all(run, args.results, args.svg)
    print(f"\nwrote {args.results} and {args.svg} ({run['seconds'] / 60:.1f} min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
