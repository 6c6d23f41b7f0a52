// Drives a `kiln report` page the way a reader would, with real DOM events, and writes what it
// saw into a pre element (id kiln-check) as JSON. check_report.py injects this script at the end of a
// copy of the page, runs headless Chromium with --dump-dom, and compares what it saw with facts
// taken from the model by other means (kiln opt --json, the printed IR). This script judges
// nothing itself.
"use strict";

(function () {
  const seen = { stages: [], errors: [] };
  const $ = (selector) => document.querySelector(selector);
  const $$ = (selector) => Array.from(document.querySelectorAll(selector));
  const click = (target) => target.dispatchEvent(new MouseEvent("click", { bubbles: true, cancelable: true }));
  const nodesShown = () => $$("#viewport .node");

  // Every node of the shown graph, over all its pages.
  function nodesOnAllPages() {
    const names = [];
    let pages = 1;
    while ($("#page-previous") && !$("#pager").hidden && !$("#page-previous").disabled) click($("#page-previous"));
    for (;;) {
      for (const g of nodesShown()) names.push({ name: g.dataset.name, kind: g.dataset.kind, classes: g.getAttribute("class") });
      if ($("#pager").hidden || $("#page-next").disabled) break;
      click($("#page-next"));
      pages++;
    }
    return { names, pages };
  }

  function run() {
    const items = $$("#stage-list li");
    items.forEach((item, k) => {
      click(item);
      const after = nodesOnAllPages();
      const record = {
        title: item.textContent,
        selected: item.classList.contains("selected"),
        nodes: after.names.filter((n) => n.kind !== "output").length,
        outputs: after.names.filter((n) => n.kind === "output").length,
        pages: after.pages,
        names: after.names.filter((n) => n.kind !== "output").map((n) => n.name),
        made: after.names.filter((n) => /mark-(fused|new|folded)\b/.test(n.classes)).length,
      };
      if (k > 0) {
        click($("#show-before"));
        const before = nodesOnAllPages();
        record.before_nodes = before.names.filter((n) => n.kind !== "output").length;
        record.gone = before.names.filter((n) => /mark-(removed|fused-away)\b/.test(n.classes)).length;
        click($("#show-after"));
      }
      seen.stages.push(record);
    });

    // The input stage: turn to the page of the named node, click it and read its details.
    click(items[0]);
    const wanted = document.body.dataset.checkNode;
    while (!nodesShown().some((g) => g.dataset.name === wanted) && !$("#page-next").disabled) {
      click($("#page-next"));
    }
    const target = nodesShown().find((g) => g.dataset.name === wanted);
    seen.input_node_found = !!target;
    if (target) {
      click(target);
      seen.input_node_selected = target.classList.contains("selected");
      seen.input_details = $("#details").textContent;
    }

    // The last stage: a node that fusion made lists what it replaced.
    click(items[items.length - 1]);
    const fused = nodesOnAllPages().names.find((n) => /\breplaces\b/.test(n.classes));
    if (fused) {
      document.getElementById("search").value = fused.name;
      document.getElementById("search").dispatchEvent(new KeyboardEvent("keydown", { key: "Enter" }));
      seen.fused_name = fused.name;
      seen.fused_details = $("#details").textContent;
      seen.fused_replaced = $$("#details ul.replaced li").map((li) => li.textContent);
    }

    // A loop: its details open its body, drawn as a graph of its own, and "up" comes back.
    const loop = nodesShown().find((g) => /\bhas-regions\b/.test(g.getAttribute("class")));
    if (loop) {
      click(loop);
      const body = $$("#details .region-link").find((a) => a.textContent.startsWith("open body"));
      if (body) {
        click(body);
        seen.body_heading = $("#graph-heading").textContent;
        seen.body_nodes = nodesOnAllPages().names.filter((n) => n.kind !== "output").length;
        click($("#region-up"));
        seen.after_up_heading = $("#graph-heading").textContent;
        seen.after_up_nodes = nodesOnAllPages().names.filter((n) => n.kind !== "output").length;
      }
    }

    // With a profile, "time" colours the measured nodes.
    if (!$("#show-time").hidden) {
      click(items[items.length - 1]);
      click($("#show-time"));
      seen.timed_nodes = $$("#viewport .node rect").filter((r) => r.style.fill).length;
      click($("#show-time"));
    }

    // Zoom with the wheel and pan by dragging: the view's transform must change.
    const canvas = $("#canvas");
    const transform = () => $("#viewport").getAttribute("transform");
    const start = transform();
    canvas.dispatchEvent(new WheelEvent("wheel", { deltaY: -300, clientX: 200, clientY: 200, bubbles: true, cancelable: true }));
    seen.zoomed = transform() !== start;
    const zoomed = transform();
    canvas.dispatchEvent(new PointerEvent("pointerdown", { clientX: 300, clientY: 300, bubbles: true }));
    window.dispatchEvent(new PointerEvent("pointermove", { clientX: 360, clientY: 340, bubbles: true }));
    window.dispatchEvent(new PointerEvent("pointerup", { clientX: 360, clientY: 340, bubbles: true }));
    seen.panned = transform() !== zoomed;

    // The IR tab: the diff of the last stage that changed something.
    click($("#tabs button[data-view=ir]"));
    let changed = items.length - 1;
    while (changed > 0 && items[changed].classList.contains("unchanged")) changed--;
    click(items[changed]);
    seen.ir_visible = !$("#view-ir").hidden;
    seen.ir_added = $$("#ir .added").length;
    seen.ir_removed = $$("#ir .removed").length;
    click($("#tabs button[data-view=passes]"));
    seen.pass_rows = $$("#pass-table tr").length;
    click($("#tabs button[data-view=memory]"));
    seen.memory_chart = $$("#memory-chart svg rect").length;
    click($("#tabs button[data-view=profile]"));
    seen.leave_one_out_rows = $$("#leave-one-out tr").length;
    seen.profile_text = $("#profile").textContent.slice(0, 300);
  }

  try {
    run();
  } catch (e) {
    seen.errors.push("check script: " + e.message);
  }
  seen.errors.push(...(window.__kilnCheckErrors || []));
  seen.error_banner = $("#error").hidden ? "" : $("#error").textContent;
  const out = document.createElement("pre");
  out.id = "kiln-check";
  out.textContent = JSON.stringify(seen);
  document.body.append(out);
})();
