"""Tables, bench/RESULTS.md and the latency chart of compare_peers.py (no plotting library)."""

from html import escape
from pathlib import Path

ENGINE_ORDER = ("kiln", "tensorflow", "onnxruntime", "openvino")
ENGINE_LABEL = {"kiln": "Kiln", "tensorflow": "TensorFlow", "onnxruntime": "ONNX Runtime",
                "openvino": "OpenVINO"}
ENGINE_COLOR = {"kiln": "#d1495b", "tensorflow": "#edae49", "onnxruntime": "#00798c",
                "openvino": "#30638e"}
LOADED_CORES = 0.3  # other processes' average use, in cores, above which a run is "loaded"
COLUMNS = ("model", "engine", "median ms", "vs Kiln", "load+compile ms", "first run ms",
           "peak RSS MiB", "max abs diff vs TF")


def _ms(value):
    if value is None:
        return "–"
    return f"{value:.0f}" if value >= 100 else f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def _configs(run):
    seen = []
    for r in run["results"]:
        key = (r["threads"], r["batch"])
        if key not in seen:
            seen.append(key)
    return sorted(seen)


def _models(run):
    return list(dict.fromkeys(r["model"] for r in run["results"]))


def _row_results(run, threads, batch, model):
    rows = [r for r in run["results"]
            if (r["threads"], r["batch"], r["model"]) == (threads, batch, model)]
    return sorted(rows, key=lambda r: ENGINE_ORDER.index(r["engine"]))


def _fastest(rows):
    timed = [r for r in rows if r.get("median_ms") is not None and "error" not in r]
    return min(timed, key=lambda r: r["median_ms"]) if timed else None


def _diff_text(r):
    if "diff_error" in r:
        return "wrong shape"
    if r.get("outputs_error"):
        return "no outputs"
    if r["engine"] == "tensorflow" and "max_abs_diff" in r:
        return "(reference)"
    value = r.get("max_abs_diff")
    return "–" if value is None else f"{value:.1e}"


def _cells(r, kiln):
    """The table cells of one engine's result."""
    label = ENGINE_LABEL[r["engine"]]
    if "error" in r:
        return [r["model"], label, "failed", "–", "–", "–", "–", "–"]
    ratio = "–"
    if kiln and kiln.get("median_ms") and "error" not in kiln:
        ratio = f"{r['median_ms'] / kiln['median_ms']:.2f}"
    return [r["model"], label, _ms(r["median_ms"]), ratio, _ms(r.get("load_ms")),
            _ms(r.get("first_run_ms")), f"{r['peak_rss_bytes'] / 2**20:.0f}", _diff_text(r)]


def _table_rows(run, threads, batch):
    """[(cells, is_fastest, result)] for one configuration."""
    out = []
    for model in _models(run):
        rows = _row_results(run, threads, batch, model)
        kiln = next((r for r in rows if r["engine"] == "kiln"), None)
        fastest = _fastest(rows)
        for r in rows:
            out.append((_cells(r, kiln), r is fastest, r))
    return out


def progress_line(r):
    if "error" in r:
        return f"{ENGINE_LABEL[r['engine']]:<13} FAILED: {r['error'].splitlines()[-1][:160]}"
    return (f"{ENGINE_LABEL[r['engine']]:<13} median {_ms(r['median_ms']):>7} ms, "
            f"load+compile {_ms(r['load_ms']):>6} ms, peak RSS "
            f"{r['peak_rss_bytes'] / 2**20:.0f} MiB")


def text_tables(run):
    """The console tables: one per (threads, batch)."""
    blocks = []
    for threads, batch in _configs(run):
        rows = [cells for cells, _, _ in _table_rows(run, threads, batch)]
        widths = [max(len(str(c)) for c in column) for column in zip(COLUMNS, *rows)]
        line = lambda cells: "  ".join(
            str(c).ljust(w) if i < 2 else str(c).rjust(w) for i, (c, w) in
            enumerate(zip(cells, widths)))
        blocks.append("\n".join([f"{threads} thread(s), batch {batch}  (vs Kiln = engine / Kiln:"
                                 " > 1 means Kiln is faster)", line(COLUMNS),
                                 line(["-" * w for w in widths])] + [line(r) for r in rows]))
    return "\n\n".join(blocks)


def _markdown_table(run, threads, batch):
    lines = ["| " + " | ".join(COLUMNS) + " |",
             "|" + "|".join(["---", "---"] + ["--:"] * (len(COLUMNS) - 2)) + "|"]
    previous = None
    for cells, fastest, _ in _table_rows(run, threads, batch):
        cells = list(cells)
        if cells[0] == previous:
            cells[0] = ""
        else:
            previous = cells[0]
        if fastest:
            cells[2] = f"**{cells[2]}**"
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _summary(run):
    """Who was fastest, per model and configuration, and how far Kiln was from it."""
    lines = ["| model | threads | batch | fastest | its median ms | Kiln median ms | "
             "Kiln / fastest |", "|---|--:|--:|---|--:|--:|--:|"]
    for model in _models(run):
        for threads, batch in _configs(run):
            rows = _row_results(run, threads, batch, model)
            if not rows:
                continue
            fastest = _fastest(rows)
            kiln = next((r for r in rows if r["engine"] == "kiln"), None)
            kiln_ok = kiln is not None and "error" not in kiln
            ratio = (f"{kiln['median_ms'] / fastest['median_ms']:.2f}"
                     if kiln_ok and fastest else "–")
            lines.append(f"| {model} | {threads} | {batch} | "
                         f"{ENGINE_LABEL[fastest['engine']] if fastest else '–'} | "
                         f"{_ms(fastest['median_ms']) if fastest else '–'} | "
                         f"{_ms(kiln['median_ms']) if kiln_ok else 'failed'} | {ratio} |")
    return "\n".join(lines)


def _failures(run):
    lines = []
    for r in run["results"]:
        for key in ("error", "outputs_error", "diff_error"):
            if r.get(key):
                message = " ".join(r[key].split())
                lines.append(f"- {r['model']}, {ENGINE_LABEL[r['engine']]}, {r['threads']} "
                             f"thread(s), batch {r['batch']}: `{message[:400]}`")
    return lines


def _kiln_plans(run):
    lines = []
    for model in _models(run):
        r = next((r for r in run["results"] if r["model"] == model and r["engine"] == "kiln"
                  and "plan_steps" in r), None)
        if r:
            lines.append(f"- {model}: {r['plan_steps']} steps, {r['reference_steps']} on "
                         f"reference kernels")
    return lines


def _loaded_configs(run):
    """'model at T threads, batch B' for every configuration others used the machine in."""
    seen = []
    for r in run["results"]:
        text = f"{r['model']} at {r['threads']} thread(s), batch {r['batch']}"
        if r.get("other_cores", 0) >= LOADED_CORES and text not in seen:
            seen.append(text)
    return seen


def _other_load(run, threads, batch):
    parts = []
    for model in _models(run):
        rows = _row_results(run, threads, batch, model)
        if rows and "other_cores" in rows[0]:
            parts.append(f"{model} {rows[0]['other_cores']:.2f}")
    return ", ".join(parts)


def _output_scales(run):
    scales = {}
    for r in run["results"]:
        if r["engine"] == "tensorflow" and "output_scale" in r:
            scales[r["model"]] = max(scales.get(r["model"], 0), r["output_scale"])
    return scales


def markdown(run, svg_name):
    m, v = run["machine"], run["versions"]
    load_before = run.get("load_before")
    others = run.get("other_cores")
    busy_configs = _loaded_configs(run)
    loaded = (load_before and load_before[0] >= 1.5) or (others or 0) >= LOADED_CORES or (
        busy_configs)
    scales = _output_scales(run)
    baseline = run.get("python_numpy_rss_bytes")
    out = [
        "# Kiln beside TensorFlow, ONNX Runtime and OpenVINO"
        + (" on a CUDA device" if run.get("device") == "cuda" else ""),
        "",
        "Written by `bench/peers/compare_peers.py` (run it with `bash bench/peers/run.sh`; see "
        "[peers/README.md](peers/README.md)). Every number comes from one run of that script on "
        "the machine below.",
        "",
        "## Machine and versions",
        "",
        f"- **CPU:** {m['cpu']} ({m.get('cpu_model', '?')}), {m['logical_cpus']} logical CPUs "
        f"({m['threads_per_core']} thread(s) per core), {', '.join(m['isa']) or 'no AVX'}; "
        f"caches {m.get('caches', '?')}",
        f"- **Memory:** {m['memory_gib']} GiB; **OS:** {m['os']}; **Python** {m['python']}",
        f"- **Kiln** {v['kiln']}; **TensorFlow** {v['tensorflow']}; **ONNX Runtime** "
        f"{v['onnxruntime']} (model converted by tf2onnx {v['tf2onnx']}, onnx {v['onnx']}); "
        f"**OpenVINO** {v['openvino']}; NumPy {v['numpy']}",
        f"- **Date:** {run['date']}; {run['runs']} timed runs after {run['warmup']} warm-up "
        f"runs per engine and configuration; the whole run took "
        f"{run.get('seconds', 0) / 60:.0f} min",
    ]
    if load_before:
        out.append(f"- **Load:** 1-minute load average {load_before[0]:.2f} when the run began"
                   + (f"; other processes used {others:.2f} of the {m['logical_cpus']} cores "
                      f"on average during it (machine busy time minus the benchmark's own "
                      f"CPU time; per configuration above each table)" if others is not None
                      else ""))
    if loaded:
        where = (f" during {', '.join(busy_configs)}" if busy_configs else "")
        out += ["", f"> **The machine was loaded**{where}: other work (compilers of the "
                f"engineers who share it; {LOADED_CORES} cores or more on average) ran during "
                "those measurements. Such times are pessimistic and noisy, "
                "the 2-thread ones most (an engine with 2 threads on 2 shared cores waits for "
                "a descheduled thread at every synchronisation), and engines measured in the "
                "same configuration did not necessarily see the same load: read ratios with "
                "the per-configuration load beside them."]
    out += [
        "",
        "## How it was measured",
        "",
        "- The same SavedModel for TensorFlow (loaded with `tf.saved_model.load`, the "
        "`serving_default` signature), OpenVINO (`Core.read_model` on the SavedModel folder, "
        "reshaped to the static input shape, `PERFORMANCE_HINT=LATENCY`, "
        "`INFERENCE_PRECISION_HINT=f32`: on this CPU it would otherwise run in bf16) and Kiln "
        f"(`kiln bench`, `-O2`, {run.get('device', 'cpu')} backend); ONNX Runtime runs the "
        "tf2onnx conversion of it (opset 17, `ORT_ENABLE_ALL`)"
        + (" on its CUDA execution provider; TensorFlow runs on its GPU (`/GPU:0`); OpenVINO "
           "has no NVIDIA GPU plugin" if run.get("device") == "cuda" else "") + ".",
        "- Threads: TensorFlow intra-op = T, inter-op = 1; ONNX Runtime `intra_op_num_threads` = "
        "T, inter-op 1, sequential; OpenVINO `INFERENCE_NUM_THREADS` = T; Kiln `--threads T`; "
        "`OMP_NUM_THREADS` = T for every process.",
        "- Every engine runs in a fresh process per configuration. **median ms** is the median "
        "of the timed runs (the fastest of each model in bold); **vs Kiln** = engine median / "
        "Kiln median, so above 1 means Kiln is faster. **load+compile** is reading the model "
        "and preparing it to run (Kiln: import + optimize + compile; TensorFlow: "
        "`tf.saved_model.load`; ONNX Runtime: `InferenceSession`; OpenVINO: read + reshape + "
        "compile), without importing the Python package. **first run** is the first inference "
        "after that. **peak RSS** is the whole process's maximum resident memory (VmHWM); "
        "the Python engines' includes the interpreter and their imports"
        + (f" (Python with NumPy alone: {baseline / 2**20:.0f} MiB)" if baseline else "") + ".",
        "- **max abs diff vs TF** compares each engine's outputs with TensorFlow's on the same "
        "input (saved .npy files, fixed seed). Largest |output| of TensorFlow per model: "
        + ", ".join(f"{k} {scales[k]:.3g}" for k in scales) + ".",
        "- Models (`bench/peers/models.py`, random weights from a fixed seed, BatchNorm "
        "statistics randomized): MobileNetV2, ResNet50 and EfficientNetB0 from "
        "`keras.applications` (224×224, logits), a 4-layer BERT-style encoder "
        "(sequence 128, width 256, 4 heads, int32 `input_ids`) and an LSTM text classifier "
        "(Embedding 128 -> Keras `LSTM(256)` as a While loop over 64 steps, not unrolled -> 16 "
        "logits; tf2onnx turns the loop into ONNX's `LSTM` op, OpenVINO reads the loop itself).",
    ]
    for threads, batch in _configs(run):
        out += ["", f"## {threads} thread{'s' if threads > 1 else ''}, batch {batch}", ""]
        load = _other_load(run, threads, batch)
        if load:
            out += [f"Cores used by other processes meanwhile: {load}.", ""]
        out.append(_markdown_table(run, threads, batch))
    out += ["", "## Fastest engine per model and configuration", "", _summary(run)]
    plans = _kiln_plans(run)
    if plans:
        out += ["", "## Kiln's compiled plans", "",
                "Steps of each compiled plan, and how many of them run on reference "
                "(plain loop) kernels instead of oneDNN, as `kiln bench` printed them in "
                "each model's first configuration:", ""] + plans
    failures = _failures(run)
    out += ["", "## Failures", ""] + (failures or ["None: every engine ran every configuration."])
    out += ["", "## Chart", "", f"![median latency per model and engine]({svg_name})", ""]
    return "\n".join(out)


def svg(run):
    """Small multiples: one bar chart per (configuration, model), bars per engine, each chart
    on its own linear scale from zero so that short and long models are both readable."""
    configs, model_names = _configs(run), _models(run)
    engines = [e for e in ENGINE_ORDER if any(r["engine"] == e for r in run["results"])]
    cell_w, cell_h, left, top, gap = 230, 170, 110, 70, 18
    plot_h = cell_h - 58
    bar_w = min(36, (cell_w - 40) / max(1, len(engines)) - 6)
    width = left + len(model_names) * (cell_w + gap) + 10
    height = top + len(configs) * (cell_h + gap) + 20
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
             f'<rect width="{width}" height="{height}" fill="white"/>',
             f'<text x="{left}" y="22" font-size="15" font-weight="bold">Median latency per '
             f'inference (ms, lower is better)</text>']
    x = left
    for engine in engines:  # legend
        parts.append(f'<rect x="{x}" y="36" width="12" height="12" '
                     f'fill="{ENGINE_COLOR[engine]}"/>')
        parts.append(f'<text x="{x + 16}" y="46">{ENGINE_LABEL[engine]}</text>')
        x += 24 + 7 * len(ENGINE_LABEL[engine])
    for row, (threads, batch) in enumerate(configs):
        y0 = top + row * (cell_h + gap)
        parts.append(f'<text x="8" y="{y0 + cell_h / 2}" font-weight="bold">{threads} '
                     f'thread{"s" if threads > 1 else ""}</text>')
        parts.append(f'<text x="8" y="{y0 + cell_h / 2 + 15}" font-weight="bold">batch '
                     f'{batch}</text>')
        for col, model in enumerate(model_names):
            x0 = left + col * (cell_w + gap)
            rows = {r["engine"]: r for r in _row_results(run, threads, batch, model)}
            times = [r["median_ms"] for r in rows.values() if "error" not in r]
            scale = max(times) if times else 1
            base = y0 + 20 + plot_h
            parts.append(f'<rect x="{x0}" y="{y0}" width="{cell_w}" height="{cell_h}" '
                         f'fill="#f7f7f7" stroke="#ddd"/>')
            parts.append(f'<text x="{x0 + cell_w / 2}" y="{y0 + 14}" text-anchor="middle" '
                         f'font-weight="bold">{escape(model)}</text>')
            parts.append(f'<line x1="{x0 + 10}" y1="{base}" x2="{x0 + cell_w - 10}" '
                         f'y2="{base}" stroke="#888"/>')
            span = len(engines) * (bar_w + 6)
            for i, engine in enumerate(engines):
                bx = x0 + (cell_w - span) / 2 + i * (bar_w + 6) + 3
                r = rows.get(engine)
                if r is None:
                    continue
                if "error" in r:
                    parts.append(f'<text x="{bx + bar_w / 2}" y="{base - 4}" '
                                 f'text-anchor="middle" fill="{ENGINE_COLOR[engine]}">fail</text>')
                    continue
                h = max(1.0, plot_h * r["median_ms"] / scale * 0.85)
                parts.append(f'<rect x="{bx:.1f}" y="{base - h:.1f}" width="{bar_w:.1f}" '
                             f'height="{h:.1f}" fill="{ENGINE_COLOR[engine]}">'
                             f'<title>{ENGINE_LABEL[engine]}: {_ms(r["median_ms"])} ms</title>'
                             f'</rect>')
                parts.append(f'<text x="{bx + bar_w / 2:.1f}" y="{base - h - 3:.1f}" '
                             f'text-anchor="middle" font-size="10">{_ms(r["median_ms"])}</text>')
            kiln = rows.get("kiln")
            if kiln and "error" not in kiln and times:
                best = min(times)
                parts.append(f'<text x="{x0 + cell_w / 2}" y="{base + 16}" text-anchor="middle" '
                             f'fill="#555">Kiln / fastest = {kiln["median_ms"] / best:.2f}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def write_all(run, results_md, svg_file):
    results_md, svg_file = Path(results_md), Path(svg_file)
    results_md.parent.mkdir(parents=True, exist_ok=True)
    svg_file.parent.mkdir(parents=True, exist_ok=True)
    svg_file.write_text(svg(run))
    try:
        svg_name = svg_file.resolve().relative_to(results_md.resolve().parent).as_posix()
    except ValueError:
        svg_name = svg_file.name if svg_file.parent == results_md.parent else str(svg_file)
    results_md.write_text(markdown(run, svg_name))
