#!/usr/bin/env python3
"""`kiln report` in a real browser: headless Chromium loads the page of fixture models, clicks
through it (report_check.js), and what it saw is compared with facts about the models that come
from elsewhere: node counts per pass from `kiln opt --json`, the imported node names from the IR
printer (`kiln opt --print-ir-before-all`), the input and output names from `kiln show --json`.
A console message or an uncaught error on the page fails the test too.

    python3 tests/browser/check_report.py --kiln build/bin/kiln --work build/tests/browser
    python3 tests/browser/check_report.py --kiln build/bin/kiln --work /tmp/pages --model DIR
        (any SavedModel with a serving_default signature instead of the fixtures, such as a
        keras.applications export)

Chromium is the Debian package `chromium` (tests/run.sh installs it through examples/setup.sh
--tests). Without it this test fails: it never passes by skipping. Python's standard library only.
"""

import argparse
import html
import json
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
MODELS = os.path.join(ROOT, "tests", "fixtures", "models")

# Each case: a fixture, the extra flags of `kiln report`, and what the page must show beyond
# the common checks.
CASES = [
    {"name": "digits_cnn", "flags": [], "fused": True},
    # Fewer nodes per band than the graph has: the page must draw it in several bands, and
    # still show every node.
    {"name": "transformer_block", "flags": ["--page-nodes", "30"], "fused": True, "paged": True},
    {"name": "digits_cnn", "flags": ["-O1", "--profile", "--runs", "2"], "fused": False,
     "profiled": True, "tag": "profile"},
    # A loop: its node owns regions, and fuse-lstm-gates works inside them.
    {"name": "keras_lstm", "flags": ["--batch", "2", "--passes", "fold-constants,simplify,fuse"],
     "fused": True, "loop": True, "path": os.path.join(ROOT, "tests", "fixtures", "control_flow", "keras_lstm",
                                         "saved_model")},
]


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def run(command):
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise Failure("%s failed (%d):\n%s%s" % (" ".join(command), result.returncode,
                                                result.stdout, result.stderr))
    return result


def find_chromium():
    for name in (os.environ.get("KILN_CHROMIUM", ""), "chromium", "chromium-browser"):
        if name and shutil.which(name):
            return shutil.which(name)
    sys.exit("check_report: headless Chromium is needed and was not found. Install the Debian "
             "package `chromium` (bash examples/setup.sh --tests does), or point KILN_CHROMIUM "
             "at a Chromium binary.")


def model_facts(kiln, model, flags):
    """What the page must agree with, from commands that share no code with the report page."""
    pipeline = []  # the flags kiln opt shares with kiln report
    for i, flag in enumerate(flags):
        if flag.startswith("-O"):
            pipeline.append(flag)
        elif flag in ("--passes", "--batch"):
            pipeline += flags[i:i + 2]
    report = json.loads(run([kiln, "opt", model, "--json"] + pipeline).stdout)
    counts = [report["passes"][0]["nodes_before"]] + [p["nodes_after"] for p in report["passes"]]
    printed = run([kiln, "opt", model, "--passes", "simplify", "--print-ir-before-all"]).stdout
    imported = set(re.findall(r"^  %(\S+) = ", printed, re.M))
    # Every name any stage had: a fused node may replace a node an earlier pass made.
    printed = run([kiln, "opt", model, "--print-ir-before-all", "--print-ir-after-all"] + pipeline).stdout
    ever = set(re.findall(r"^  %(\S+) = ", printed, re.M))
    # The loop body of the final graph: the nodes printed inside its "body: graph {".
    last = printed[printed.rfind("IR Dump After"):]
    body = re.search(r"^( +)body: graph \{\n(.*?)^\1\}", last, re.M | re.S)
    body_nodes = len(re.findall(r"^ +%\S+ = ", body.group(2), re.M)) if body else None
    show = json.loads(run([kiln, "show", model, "--json"]).stdout)
    signature = show["signatures"]["serving_default"]
    first_input = sorted(signature["inputs"].values(), key=lambda i: i["name"])[0]
    return {"counts": counts, "passes": [p["name"] for p in report["passes"]],
            "imported": imported, "ever": ever, "body_nodes": body_nodes, "input": first_input, "outputs": len(signature["outputs"])}


def load_in_chromium(chromium, page, profile_dir):
    """The DOM after the page and report_check.js ran, and Chromium's console lines."""
    result = subprocess.run(
        # As root (CI) Chromium needs --no-sandbox; containers often have a small /dev/shm.
        [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-dev-shm-usage",
         "--user-data-dir=" + profile_dir, "--window-size=1400,900", "--enable-logging=stderr",
         "--v=0", "--virtual-time-budget=10000", "--dump-dom", "file://" + page],
        capture_output=True, text=True, timeout=300)
    console = [line for line in result.stderr.splitlines() if ":CONSOLE" in line]
    # The last match: the check script's own text mentions the element too.
    found = re.findall(r'<pre id="kiln-check">(.*?)</pre>', result.stdout, re.S)
    if not found:
        raise Failure("the check script wrote nothing (exit %d); Chromium said:\n%s" %
                      (result.returncode, result.stderr[-3000:]))
    return json.loads(html.unescape(found[-1])), console


def check_case(kiln, chromium, work, case):
    name = case["name"]
    tag = case.get("tag", "")
    model = case.get("path") or os.path.join(MODELS, name, "saved_model")
    facts = model_facts(kiln, model, case["flags"])
    page = os.path.join(work, name + ("_" + tag if tag else "") + ".html")
    run([kiln, "report", model, "-o", page] + case["flags"])

    input_node = facts["input"]["name"].split(":")[0]
    with open(page, encoding="utf-8") as f:
        text = f.read()
    check("<script src" not in text and "http://" not in text.replace("http://www.w3.org", ""),
          "the page refers to something outside itself")
    # An error hook that runs before the page's own script, and the check script after it.
    hook = ("<script>window.__kilnCheckErrors = []; window.addEventListener('error', "
            "(e) => window.__kilnCheckErrors.push(String(e.message)));</script>")
    with open(os.path.join(HERE, "report_check.js"), encoding="utf-8") as f:
        checker = "<script>" + f.read() + "</script>"
    text = text.replace("<head>", "<head>" + hook, 1)
    text = text.replace("<body>", '<body data-check-node="%s">' % html.escape(input_node), 1)
    text = text.replace("</body>", checker + "</body>", 1)
    checked = page.replace(".html", ".checked.html")
    with open(checked, "w", encoding="utf-8") as f:
        f.write(text)
    seen, console = load_in_chromium(chromium, checked, os.path.join(work, "chromium-profile"))

    check(not console, "console messages: %s" % console)
    check(not seen["errors"] and not seen["error_banner"],
          "errors on the page: %s %s" % (seen["errors"], seen["error_banner"]))
    stages = seen["stages"]
    check(len(stages) == len(facts["counts"]),
          "%d stages shown, %d expected (input + %d passes)" %
          (len(stages), len(facts["counts"]), len(facts["passes"])))
    for k, (stage, count) in enumerate(zip(stages, facts["counts"])):
        title = "input" if k == 0 else facts["passes"][k - 1]
        check(title in stage["title"], "stage %d is titled %r, not %r" % (k, stage["title"], title))
        check(stage["selected"], "clicking stage %d did not select it" % k)
        check(stage["nodes"] == count,
              "stage %d (%s) draws %d nodes; kiln opt --json says %d" % (k, title, stage["nodes"], count))
        check(stage["outputs"] == facts["outputs"],
              "stage %d draws %d outputs, the signature has %d" % (k, stage["outputs"], facts["outputs"]))
        if k > 0:
            before = facts["counts"][k - 1]
            check(stage["before_nodes"] == before, "the before view of %s draws %d nodes, not %d" %
                  (title, stage["before_nodes"], before))
            check(stage["gone"] >= before - count,
                  "%s: %d nodes marked removed or fused away, but %d -> %d nodes" %
                  (title, stage["gone"], before, count))
    check(set(stages[0]["names"]) == facts["imported"],
          "the input graph's names differ from the imported IR's: %s" %
          sorted(set(stages[0]["names"]) ^ facts["imported"])[:10])
    if case.get("paged"):
        check(stages[0]["pages"] > 1, "the input graph was not paged")

    check(seen.get("input_node_found"), "no node named %r on the input page" % input_node)
    check(seen.get("input_node_selected"), "clicking %r did not select it" % input_node)
    details = seen["input_details"]
    for part in ("Placeholder", input_node, facts["input"]["dtype"]):
        check(part in details, "the details of %r lack %r: %s" % (input_node, part, details))

    if case["fused"]:
        check(seen.get("fused_name"), "no node of the final graph lists what it replaced")
        replaced = seen["fused_replaced"]
        check(replaced, "the details of %s list no replaced nodes" % seen["fused_name"])
        unknown = [r for r in replaced if r not in facts["ever"]]
        check(not unknown, "fused node %s lists names no stage had: %s" % (seen["fused_name"], unknown))
        check("Replaces %d original nodes" % len(replaced) in seen["fused_details"],
              "the details do not count the replaced nodes")

    if case.get("loop"):
        check(facts["body_nodes"], "kiln opt printed no loop body")
        check(seen.get("body_nodes") == facts["body_nodes"],
              "the loop body draws %s nodes; the printed IR has %d" % (seen.get("body_nodes"), facts["body_nodes"]))
        check("body of" in seen["body_heading"], "the heading does not say it shows a body: %s" % seen["body_heading"])
        check(seen["after_up_nodes"] == facts["counts"][-1] and "body" not in seen["after_up_heading"],
              "up did not lead back to the graph")
    check(seen["zoomed"], "the wheel did not zoom")
    check(seen["panned"], "dragging did not pan")
    check(seen["ir_visible"] and seen["ir_added"] + seen["ir_removed"] > 0,
          "the IR diff of the last pass that changed something shows no line")
    check(seen["pass_rows"] == len(facts["passes"]) + 2, "the pass table has %d rows" % seen["pass_rows"])
    check(seen["memory_chart"] > 1, "no memory plan chart")
    if case.get("profiled"):
        distinct = len(set(facts["passes"]))
        check(seen.get("timed_nodes", 0) > 0, "the time button coloured no node")
        check(seen["leave_one_out_rows"] == distinct + 2,
              "leave-one-out table has %d rows for %d passes" % (seen["leave_one_out_rows"], distinct))
    return "%s %s: %d stages, %d -> %d nodes, %d pages for the input" % (
        name, " ".join(case["flags"]), len(stages), facts["counts"][0], facts["counts"][-1],
        stages[0]["pages"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kiln", required=True, help="the kiln program")
    parser.add_argument("--work", required=True, help="a folder for the pages")
    parser.add_argument("--model", action="append", default=[],
                        help="check this SavedModel instead of the fixtures (repeatable)")
    args = parser.parse_args()
    cases = CASES
    if args.model:
        def name_of(path):
            path = os.path.normpath(path)
            return os.path.basename(os.path.dirname(path) if path.endswith("saved_model") else path)
        cases = [{"name": name_of(m), "path": m, "flags": [],
                  "fused": True} for m in args.model]
    chromium = find_chromium()
    os.makedirs(args.work, exist_ok=True)
    failures = 0
    for case in cases:
        try:
            print("ok:", check_case(args.kiln, chromium, os.path.abspath(args.work), case))
        except Failure as e:
            failures += 1
            print("FAILED: %s %s: %s" % (case["name"], " ".join(case["flags"]), e))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
