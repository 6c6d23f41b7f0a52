"""Tables, bench/RESULTS.md, bench/RESULTS.json and the latency chart of compare_peers.py (no
plotting library).

Each row is one engine at one precision on one (model, threads, batch). Its latency is the
median of its processes' medians, with the min-max of those medians beside it. Rows are ranked
among the f32 rows that ran and passed the output check: the fastest, and every row whose
min-max range overlaps the fastest's, which is a tie with it.
"""

import json
from html import escape
from pathlib import Path

ENGINE_ORDER = ("kiln", "tensorflow", "onnxruntime", "openvino")
ENGINE_LABEL = {"kiln": "Kiln", "tensorflow": "TensorFlow", "onnxruntime": "ONNX Runtime",
                "openvino": "OpenVINO"}
ENGINE_COLOR = {"kiln": "#d1495b", "tensorflow": "#edae49", "onnxruntime": "#00798c",
                "openvino": "#30638e"}
LOADED_CORES = 0.3  # other processes' average use, in cores, above which a run is "loaded"
COLUMNS = ("model", "engine", "precision", "median ms", "min-max ms", "vs Kiln", "rank",
           "first result ms", "load ms", "peak RSS MiB", "rel err vs TF")
TIE_LEGEND = ("**rank**: *fastest* is the lowest median among the f32 rows that ran and passed "
              "the output check; *tie* marks every other such row whose min-max range over its "
              "processes overlaps the fastest's (the processes cannot tell them apart); rows "
              "that failed the check are not ranked.")


def _sci(value):
    return f"{value:.0e}".replace("e-0", "e-")  # 1e-4, not 0.0001 or 1e-04


def label(engine, precision="f32"):
    name = ENGINE_LABEL[engine]
    return name if precision == "f32" else f"{name} {precision}"


def _ms(value):
    if value is None:
        return "–"
    return f"{value:.0f}" if value >= 100 else f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def _configs(run):
    return sorted({(r["threads"], r["batch"]) for r in run["results"]})


def _models(run):
    return list(dict.fromkeys(r["model"] for r in run["results"]))


def _row_results(run, threads, batch, model):
    rows = [r for r in run["results"]
            if (r["threads"], r["batch"], r["model"]) == (threads, batch, model)]
    return sorted(rows, key=lambda r: (ENGINE_ORDER.index(r["engine"]), r["precision"] != "f32",
                                       r["precision"]))


def _timed(r):
    return r.get("median_ms") is not None and "error" not in r


def _rankable(r):
    return _timed(r) and r["precision"] == "f32" and "check_failed" not in r


def _overlap(a, b):
    return a["min_ms"] <= b["max_ms"] and b["min_ms"] <= a["max_ms"]


def ranks(rows):
    """{id(row): 'fastest' | 'tie'} over the rankable rows of one model and configuration."""
    eligible = [r for r in rows if _rankable(r)]
    if not eligible:
        return {}
    fastest = min(eligible, key=lambda r: r["median_ms"])
    found = {id(fastest): "fastest"}
    for r in eligible:
        if r is not fastest and _overlap(r, fastest):
            found[id(r)] = "tie"
    return found


def kiln_verdict(rows):
    """(verdict, Kiln row, best peer row): Kiln f32 against the fastest f32 peer, 'faster' or
    'slower' when their min-max ranges are apart, 'tie' when they overlap."""
    kiln = next((r for r in rows if r["engine"] == "kiln" and r["precision"] == "f32"), None)
    peers = [r for r in rows if r["engine"] != "kiln" and _rankable(r)]
    peer = min(peers, key=lambda r: r["median_ms"]) if peers else None
    if kiln is None or peer is None:
        return None, kiln, peer
    if not _timed(kiln):
        return "failed", kiln, peer
    if "check_failed" in kiln:
        return "check failed", kiln, peer
    if _overlap(kiln, peer):
        return "tie", kiln, peer
    return ("faster" if kiln["max_ms"] < peer["min_ms"] else "slower"), kiln, peer


def _error_text(r):
    if "rel_err" not in r:
        return "–"
    text = "nan" if r["rel_err"] != r["rel_err"] else f"{r['rel_err']:.1e}"
    if r["engine"] == "tensorflow" and r["precision"] == "f32":
        text = "(reference)"
    if "check_failed" in r:
        text = f"FAIL {text}"
    if r.get("top1_agree") is not None and r["precision"] != "f32":
        text += f", top-1 {r['top1_agree']:.0%}"
    return text


def _cells(r, kiln, rank):
    """The table cells of one row."""
    head = [r["model"], ENGINE_LABEL[r["engine"]], r["precision"]]
    if "error" in r:
        return head + ["failed"] + ["–"] * (len(COLUMNS) - 4)
    ratio = "–"
    if kiln and _timed(kiln):
        ratio = f"{r['median_ms'] / kiln['median_ms']:.2f}"
    spread = f"{_ms(r['min_ms'])}–{_ms(r['max_ms'])} ({r['processes']})"
    return head + [_ms(r["median_ms"]), spread, ratio, rank or "", _ms(r.get("ttfr_ms")),
                   _ms(r.get("load_ms")), f"{r['peak_rss_bytes'] / 2**20:.0f}", _error_text(r)]


def _table_rows(run, threads, batch):
    """[(cells, rank, row)] for one configuration."""
    out = []
    for model in _models(run):
        rows = _row_results(run, threads, batch, model)
        kiln = next((r for r in rows if r["engine"] == "kiln" and r["precision"] == "f32"),
                    None)
        ranked = ranks(rows)
        for r in rows:
            out.append((_cells(r, kiln, ranked.get(id(r))), ranked.get(id(r)), r))
    return out


def process_line(p):
    """One timed process, as the progress shows it."""
    head = f"{label(p['engine'], p['precision']):<17} #{p['index'] + 1}"
    if "error" in p:
        return f"{head} FAILED: {p['error'].splitlines()[-1][:160]}"
    return (f"{head} median {_ms(p['median_ms']):>6} ms over {p.get('runs', '?')} runs "
            f"({p.get('timed_s') or 0:.1f} s), load {_ms(p.get('load_ms'))} ms, "
            f"{p.get('cpu_s', 0) / max(p['wall_s'], 1e-9):.2f} cores busy; steal "
            f"{p['steal_s'] / max(p['wall_s'], 1e-9):.2f}, others "
            f"{p['other_cpu_s'] / max(p['wall_s'], 1e-9):.2f} cores")


def _config_note(run, threads, batch):
    """Other processes' cores, steal and TensorFlow's inter-op choice, per model."""
    parts = []
    for model in _models(run):
        rows = _row_results(run, threads, batch, model)
        if not rows:
            continue
        tf = next((r for r in rows if r["engine"] == "tensorflow" and "tf_inter_op" in r), None)
        text = (f"{model}: others {rows[0].get('other_cores', 0):.2f}, steal "
                f"{rows[0].get('steal_cores', 0):.2f}")
        if tf:
            text += f", TF inter-op {tf['tf_inter_op']}"
        parts.append(text)
    return "; ".join(parts)


def text_tables(run):
    """The console tables: one per (threads, batch)."""
    blocks = []
    for threads, batch in _configs(run):
        rows = [cells for cells, _, _ in _table_rows(run, threads, batch)]
        widths = [max(len(str(c)) for c in column) for column in zip(COLUMNS, *rows)]
        line = lambda cells: "  ".join(
            str(c).ljust(w) if i < 3 else str(c).rjust(w) for i, (c, w) in
            enumerate(zip(cells, widths)))
        blocks.append("\n".join(
            [f"{threads} thread(s), batch {batch}  (vs Kiln = engine / Kiln: > 1 means Kiln is "
             f"faster; min-max over (processes); tie = ranges overlap the fastest's)",
             f"cores used meanwhile by: {_config_note(run, threads, batch)}",
             line(COLUMNS), line(["-" * w for w in widths])] + [line(r) for r in rows]))
    return "\n\n".join(blocks + [_verdict_counts(run)])


def _markdown_table(run, threads, batch):
    lines = ["| " + " | ".join(COLUMNS) + " |",
             "|" + "|".join(["---"] * 3 + ["--:"] * (len(COLUMNS) - 3)) + "|"]
    previous = None
    for cells, rank, _ in _table_rows(run, threads, batch):
        cells = list(cells)
        if cells[0] == previous:
            cells[0] = ""
        else:
            previous = cells[0]
        if rank == "fastest":
            cells[3] = f"**{cells[3]}**"
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _verdicts(run):
    out = []
    for model in _models(run):
        for threads, batch in _configs(run):
            rows = _row_results(run, threads, batch, model)
            if rows:
                out.append((model, threads, batch) + kiln_verdict(rows))
    return out


def _verdict_counts(run):
    counts = {}
    for _, _, _, verdict, _, _ in _verdicts(run):
        if verdict:
            counts[verdict] = counts.get(verdict, 0) + 1
    total = sum(counts.values())
    if not total:
        return "Kiln against the fastest peer: no configuration with both timed"
    order = ("faster", "tie", "slower", "failed", "check failed")
    return (f"Kiln against the fastest peer, {total} configuration(s): "
            + ", ".join(f"{verdict} in {counts[verdict]}" for verdict in order
                        if verdict in counts)
            + " (tie: the min-max ranges over the processes overlap)")


def _summary(run):
    """Kiln against the fastest peer, per model and configuration."""
    lines = ["| model | threads | batch | fastest peer | its median (min-max) ms | Kiln median "
             "(min-max) ms | Kiln / peer | Kiln is |", "|---|--:|--:|---|--:|--:|--:|---|"]
    for model, threads, batch, verdict, kiln, peer in _verdicts(run):
        if kiln is None:
            continue  # Kiln was not among the engines
        span = lambda r: f"{_ms(r['median_ms'])} ({_ms(r['min_ms'])}–{_ms(r['max_ms'])})"
        kiln_ok = kiln is not None and _timed(kiln)
        ratio = f"{kiln['median_ms'] / peer['median_ms']:.2f}" if kiln_ok and peer else "–"
        lines.append(f"| {model} | {threads} | {batch} | "
                     f"{label(peer['engine']) if peer else '–'} | "
                     f"{span(peer) if peer else '–'} | "
                     f"{span(kiln) if kiln_ok else 'failed'} | {ratio} | "
                     f"{'**' + verdict + '**' if verdict == 'faster' else verdict or '–'} |")
    return "\n".join(lines)


def _failures(run):
    lines = []
    for r in run["results"]:
        where = (f"{r['model']}, {label(r['engine'], r['precision'])}, {r['threads']} "
                 f"thread(s), batch {r['batch']}")
        if r.get("error"):
            lines.append(f"- {where}: `{' '.join(r['error'].split())[:600]}`")
        if r.get("check_failed"):
            lines.append(f"- {where}: output check failed: {r['check_failed']}")
        if r.get("process_errors"):
            lines.append(f"- {where}: {r['process_errors']} timed process(es) failed: "
                         f"`{' '.join(r['process_error'].split())[:300]}`")
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
        busy = r.get("other_cores", 0) + r.get("steal_cores", 0)
        if busy >= LOADED_CORES and text not in seen:
            seen.append(text)
    return seen


def _model_lines(run):
    lines = []
    for model, info in run.get("models", {}).items():
        parts = []
        if info.get("parameters"):
            parts.append(f"{info['parameters'] / 1e6:.1f} M parameters")
        if info.get("saved_model_s") is not None:
            parts.append(f"SavedModel export {info['saved_model_s']:.1f} s")
        if info.get("tf2onnx_s") is not None:
            parts.append(f"tf2onnx conversion {info['tf2onnx_s']:.1f} s")
        lines.append(f"- {model}: " + ", ".join(parts) if parts else f"- {model}")
    return lines


def _stamp_line(v):
    stamp = v.get("kiln_stamp") or {}
    if not stamp:
        return ""
    return f" (binary SHA-256 {stamp.get('sha256', '?')}…)"


def markdown(run, svg_name, raw_name):
    m, v, s = run["machine"], run["versions"], run["settings"]
    others, steal = run.get("other_cores"), run.get("steal_cores")
    busy_configs = _loaded_configs(run)
    loaded = (others or 0) + (steal or 0) >= LOADED_CORES or busy_configs
    baseline = run.get("python_numpy_rss_bytes")
    gate = s["error_gate"].get("f32")
    out = [
        "# Kiln beside TensorFlow, ONNX Runtime and OpenVINO"
        + (" on a CUDA device" if run.get("device") == "cuda" else ""),
        "",
        "Written by `bench/peers/compare_peers.py` (run it with `bash bench/peers/run.sh`; see "
        "[peers/README.md](peers/README.md)). Every number comes from one run of that script on "
        f"the machine below; every timed process's summary is in [{raw_name}]({raw_name}).",
        "",
        f"**{_verdict_counts(run)}**",
        "",
        "## Machine and versions",
        "",
        f"- **CPU:** {m['cpu']} ({m.get('cpu_model', '?')}), {m['logical_cpus']} logical CPUs "
        f"({m['threads_per_core']} thread(s) per core), {', '.join(m['isa']) or 'no AVX'}; "
        f"caches {m.get('caches', '?')}"
        + (f"; virtual machine ({m['hypervisor']})" if m.get("hypervisor") else ""),
        f"- **Memory:** {m['memory_gib']} GiB; **OS:** {m['os']}; **Python** {m['python']}",
        f"- **Kiln** {v['kiln']}{_stamp_line(v)}; **TensorFlow** {v['tensorflow']}; **ONNX "
        f"Runtime** {v['onnxruntime']} (model converted by tf2onnx {v['tf2onnx']}, onnx "
        f"{v['onnx']}); **OpenVINO** {v['openvino']}; Keras {v.get('keras', '?')}, keras-hub "
        f"{v.get('keras_hub', '?')}; NumPy {v['numpy']}",
        f"- **Date:** {run['date']}; {s['processes']} timed processes per engine and "
        f"configuration, each timing at least {s['seconds']:g} s (and {s['min_runs']} runs) "
        f"after {s['warmup_seconds']:g} s of warm-up, all launched in one random order (seed "
        f"{s['seed']}); the whole run took {run.get('seconds', 0) / 60:.1f} min",
    ]
    if others is not None:
        out.append(f"- **Load:** other processes used {others:.2f} of the {m['logical_cpus']} "
                   f"cores on average during the run and the hypervisor took {steal or 0:.2f} "
                   f"(steal); per configuration above each table")
    if loaded:
        where = f" during {', '.join(busy_configs)}" if busy_configs else ""
        out += ["", f"> **The machine was loaded**{where}: other processes or the hypervisor "
                f"took {LOADED_CORES} cores or more on average. Such times are pessimistic and "
                "noisy, the 2-thread ones most (a thread descheduled at a synchronisation "
                "stalls the others); the random order spreads the load over all engines, and "
                "the min-max ranges show how much it moved each one."]
    out += [
        "",
        "## How it was measured",
        "",
        "- **Models** (`bench/peers/models.py`, random weights from a fixed seed, BatchNorm "
        "statistics randomized): MobileNetV2, ResNet50 and EfficientNetB0 from "
        "`keras.applications` (224×224, logits), a 4-layer BERT-style encoder Kiln was tuned on "
        "(sequence 128, width 256, 4 heads), an LSTM text classifier (a While loop over 64 "
        "steps) and `bert_base`, keras-hub's `BertBackbone` in its bert_base_en configuration "
        "(12 layers, width 768, 12 heads, sequence 128; padding mask all ones), which Kiln was "
        "not tuned on.",
    ] + ["  " + line for line in _model_lines(run)] + [
        "- **Engines**, all with a static input shape: Kiln `kiln bench` (`-O2`, "
        f"{run.get('device', 'cpu')} backend, its own C++ timer); OpenVINO "
        + ("`benchmark_app -hint latency` on the SavedModel (its TensorFlow reader), T threads "
           "and f32 through `-load_config` (`INFERENCE_NUM_THREADS`, "
           "`INFERENCE_PRECISION_HINT`); it times each request inside OpenVINO"
           if s.get("openvino_timer") == "benchmark_app" else
           "through its Python API (`benchmark_app` was missing)")
        + "; ONNX Runtime on the tf2onnx conversion (opset 17, exact GELU written so that its "
        "Gelu fusion applies, tf2onnx's LayerNorm subgraphs as ONNX `LayerNormalization`, batch "
        "fixed per configuration, `ORT_ENABLE_ALL`), timed through "
        "IOBinding with the input and outputs bound once; TensorFlow's `serving_default` "
        "concrete function called on input tensors made once, at inter-op 1 or 2, whichever "
        "was faster in a short probe of that configuration (shown per table).",
        "- **Threads:** TensorFlow intra-op T; ONNX Runtime `intra_op_num_threads` T, inter-op "
        "1, sequential; OpenVINO `INFERENCE_NUM_THREADS` T; Kiln `--threads T`; `OMP_NUM_THREADS` = T for "
        "every process.",
        "- **median ms** is the median of the process medians (the fastest of each model in "
        "bold); **min-max ms** the lowest and highest process median, with the number of "
        "processes in brackets; **vs Kiln** = engine median / Kiln median (above 1: Kiln is "
        "faster). " + TIE_LEGEND,
        "- **first result ms** is the time to first result, from the start of loading to the "
        "first output (Kiln: import + optimize + compile + first run; TensorFlow: "
        "`tf.saved_model.load` + first call; ONNX Runtime: `InferenceSession` + first run; "
        "OpenVINO: read + reshape + compile + first inference as benchmark_app reports them), "
        "without starting the process or importing the Python package; **load ms** is its "
        "loading part. Both are medians over the processes. **peak RSS** is the largest "
        "VmHWM of the timed processes; the Python engines' include the interpreter"
        + (f" (Python with NumPy alone: {baseline / 2**20:.0f} MiB)" if baseline else "") + ".",
        "- **rel err vs TF**: each engine runs two different inputs in a process of its own; "
        "for each output tensor max|engine − TensorFlow| / max|TensorFlow|, the largest over "
        f"the outputs and both inputs. An f32 row fails (FAIL) above {_sci(gate)}, or when its "
        "outputs for the two inputs differ by no more than "
        f"{_sci(s['min_input_effect'])} (same measure): an engine ignoring its input would pass "
        "a comparison on one input only.",
    ]
    for threads, batch in _configs(run):
        out += ["", f"## {threads} thread{'s' if threads > 1 else ''}, batch {batch}", "",
                f"Cores used by other processes / stolen by the hypervisor, and TensorFlow's "
                f"inter-op setting: {_config_note(run, threads, batch)}.", "",
                _markdown_table(run, threads, batch)]
    out += ["", "## Kiln against the fastest peer", "", _summary(run)]
    plans = _kiln_plans(run)
    if plans:
        out += ["", "## Kiln's compiled plans", "",
                "Steps of each compiled plan, and how many of them run on reference "
                "(plain loop) kernels instead of oneDNN, as `kiln bench` printed them:", ""] + plans
    failures = _failures(run)
    out += ["", "## Failures", ""] + (failures or ["None: every engine ran every configuration "
                                                   "and passed the output check."])
    out += ["", "## Chart", "", f"![median latency per model and engine]({svg_name})", ""]
    return "\n".join(out)


def svg(run):
    """Small multiples: one bar chart per (configuration, model), a bar per engine (the median
    of the process medians) with a whisker over the processes' min-max, each chart on its own
    linear scale from zero so that short and long models are both readable."""
    configs, model_names = _configs(run), _models(run)
    variants = list(dict.fromkeys((r["engine"], r["precision"]) for r in sorted(
        run["results"], key=lambda r: (ENGINE_ORDER.index(r["engine"]), r["precision"]))))
    cell_w, cell_h, left, top, gap = 230, 170, 110, 70, 18
    plot_h = cell_h - 58
    bar_w = min(36, (cell_w - 40) / max(1, len(variants)) - 6)
    width = left + len(model_names) * (cell_w + gap) + 10
    height = top + len(configs) * (cell_h + gap) + 20
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
             f'<rect width="{width}" height="{height}" fill="white"/>',
             f'<text x="{left}" y="22" font-size="15" font-weight="bold">Median latency per '
             f'inference (ms, lower is better; whiskers: min-max over processes)</text>']
    x = left
    for engine, precision in variants:  # legend
        opacity = 1 if precision == "f32" else 0.5
        parts.append(f'<rect x="{x}" y="36" width="12" height="12" '
                     f'fill="{ENGINE_COLOR[engine]}" fill-opacity="{opacity}"/>')
        parts.append(f'<text x="{x + 16}" y="46">{escape(label(engine, precision))}</text>')
        x += 24 + 7 * len(label(engine, precision))
    for row, (threads, batch) in enumerate(configs):
        y0 = top + row * (cell_h + gap)
        parts.append(f'<text x="8" y="{y0 + cell_h / 2}" font-weight="bold">{threads} '
                     f'thread{"s" if threads > 1 else ""}</text>')
        parts.append(f'<text x="8" y="{y0 + cell_h / 2 + 15}" font-weight="bold">batch '
                     f'{batch}</text>')
        for col, model in enumerate(model_names):
            x0 = left + col * (cell_w + gap)
            rows = {(r["engine"], r["precision"]): r
                    for r in _row_results(run, threads, batch, model)}
            scale = max([r["max_ms"] for r in rows.values() if _timed(r)] or [1])
            base = y0 + 20 + plot_h
            parts.append(f'<rect x="{x0}" y="{y0}" width="{cell_w}" height="{cell_h}" '
                         f'fill="#f7f7f7" stroke="#ddd"/>')
            parts.append(f'<text x="{x0 + cell_w / 2}" y="{y0 + 14}" text-anchor="middle" '
                         f'font-weight="bold">{escape(model)}</text>')
            parts.append(f'<line x1="{x0 + 10}" y1="{base}" x2="{x0 + cell_w - 10}" '
                         f'y2="{base}" stroke="#888"/>')
            span = len(variants) * (bar_w + 6)
            for i, variant in enumerate(variants):
                bx = x0 + (cell_w - span) / 2 + i * (bar_w + 6) + 3
                r = rows.get(variant)
                color = ENGINE_COLOR[variant[0]]
                if r is None:
                    continue
                if not _timed(r):
                    parts.append(f'<text x="{bx + bar_w / 2}" y="{base - 4}" '
                                 f'text-anchor="middle" fill="{color}">fail</text>')
                    continue
                to_px = lambda ms: plot_h * ms / scale * 0.85
                h = max(1.0, to_px(r["median_ms"]))
                opacity = 1 if variant[1] == "f32" else 0.5
                parts.append(f'<rect x="{bx:.1f}" y="{base - h:.1f}" width="{bar_w:.1f}" '
                             f'height="{h:.1f}" fill="{color}" fill-opacity="{opacity}">'
                             f'<title>{escape(label(*variant))}: {_ms(r["median_ms"])} ms '
                             f'({_ms(r["min_ms"])}–{_ms(r["max_ms"])})</title></rect>')
                cx, lo, hi = bx + bar_w / 2, base - to_px(r["min_ms"]), base - to_px(r["max_ms"])
                parts.append(f'<line x1="{cx:.1f}" y1="{lo:.1f}" x2="{cx:.1f}" y2="{hi:.1f}" '
                             f'stroke="#222"/>')
                for y in (lo, hi):
                    parts.append(f'<line x1="{cx - 4:.1f}" y1="{y:.1f}" x2="{cx + 4:.1f}" '
                                 f'y2="{y:.1f}" stroke="#222"/>')
                parts.append(f'<text x="{cx:.1f}" y="{hi - 3:.1f}" text-anchor="middle" '
                             f'font-size="10">{_ms(r["median_ms"])}</text>')
            verdict, kiln, peer = kiln_verdict(list(rows.values()))
            if verdict in ("faster", "tie", "slower"):
                parts.append(f'<text x="{x0 + cell_w / 2}" y="{base + 16}" text-anchor="middle" '
                             f'fill="#555">Kiln / fastest peer = '
                             f'{kiln["median_ms"] / peer["median_ms"]:.2f} ({verdict})</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def raw_json(run):
    """The run as JSON, one timed process per line: small enough to keep in the repository."""
    body = {k: v for k, v in run.items() if k not in ("processes", "results")}
    text = json.dumps(body, indent=1, default=str)[:-2]
    rows = ",\n".join("  " + json.dumps(r, default=str) for r in run["results"])
    procs = ",\n".join("  " + json.dumps(p, default=str) for p in run["processes"])
    return f'{text},\n "results": [\n{rows}\n ],\n "processes": [\n{procs}\n ]\n}}\n'


def write_all(run, results_md, svg_file):
    results_md, svg_file = Path(results_md), Path(svg_file)
    results_md.parent.mkdir(parents=True, exist_ok=True)
    svg_file.parent.mkdir(parents=True, exist_ok=True)
    svg_file.write_text(svg(run))
    try:
        svg_name = svg_file.resolve().relative_to(results_md.resolve().parent).as_posix()
    except ValueError:
        svg_name = svg_file.name if svg_file.parent == results_md.parent else str(svg_file)
    results_md.write_text(markdown(run, svg_name, results_md.with_suffix(".json").name))
