// The script of `kiln report`'s page: reads the data the tool wrote into #kiln-data and draws
// it. Layouts come computed (examples/kiln/report_layout.hpp); this file only draws, pans,
// zooms, pages and explains. Plain DOM and SVG, no libraries.
"use strict";

const data = JSON.parse(document.getElementById("kiln-data").textContent);
const SVG = "http://www.w3.org/2000/svg";
const state = {
  stage: 0,        // the selected stage: 0 the input, k the graph after pass k
  side: "after",   // of the selected pass: "before" (stage k-1) or "after" (stage k)
  page: 0,         // for graphs drawn a band of layers at a time
  view: { x: 0, y: 0, k: 1 },
  selected: null,  // the selected node's name
  region: [],      // inside loop or branch bodies: [node name, region index] from the top down
  time: false,     // nodes coloured by their measured time
};

// ---- Small helpers -------------------------------------------------------------------------

function element(tag, attributes, text) {
  const e = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes || {})) e.setAttribute(key, value);
  if (text !== undefined) e.textContent = text;
  return e;
}

function svgElement(tag, attributes) {
  const e = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes || {})) e.setAttribute(key, value);
  return e;
}

function bytes(n) {
  if (n === null || n === undefined) return "–";
  const units = ["B", "KiB", "MiB", "GiB"];
  let value = n, unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
  return unit === 0 ? n + " B" : value.toPrecision(3) + " " + units[unit];
}

function ms(value) {
  if (value === null || value === undefined) return "–";
  return value < 0.1 ? value.toFixed(3) : value < 10 ? value.toFixed(2) : value.toFixed(1);
}

function difference(value) {
  return value === null || value === undefined ? "not comparable" : value === 0 ? "0" : value.toExponential(2);
}

function deltaClass(before, after) { return after > before ? "grow" : after < before ? "shrink" : ""; }

// The stage whose graph a stage shows (a pass that changed nothing shows the one before).
function drawnStage(k) {
  const s = data.stages[k];
  return s.same_as === null ? k : s.same_as;
}

// ---- The pipeline list ---------------------------------------------------------------------

function buildStageList() {
  const list = document.getElementById("stage-list");
  data.stages.forEach((stage, k) => {
    const pass = k > 0 ? data.passes[k - 1] : null;
    const item = element("li", { "data-stage": k });
    const name = k === 0 ? "input" : k + ". " + stage.title;
    item.append(element("span", {}, name));
    const count = pass ? pass.nodes_before + " → " + pass.nodes_after : String(stage.nodes);
    item.append(element("span", { class: "count" }, count + " nodes"));
    if (pass && !pass.changed && stage.same_as !== null) {
      item.classList.add("unchanged");
      item.title = stage.title + " changed nothing";
    }
    if (pass && pass.failure) item.title = "failed and undone: " + pass.failure;
    item.addEventListener("click", () => selectStage(k));
    list.append(item);
  });
}

function selectStage(k) {
  state.stage = k;
  state.side = k === 0 ? "before" : "after";
  state.page = 0;
  state.selected = null;
  for (const li of document.querySelectorAll("#stage-list li")) {
    li.classList.toggle("selected", Number(li.dataset.stage) === k);
  }
  drawGraph(true);
  drawIR();
}

// ---- The graph -----------------------------------------------------------------------------

// What the marks mean, in the legend and in the details panel.
const MARKS = {
  fused: "fused", folded: "folded into a constant", new: "new", changed: "changed",
  removed: "removed", "fused-away": "fused into another node",
};

// The graph on screen and its marks: the stage after the selected pass, marked with what the
// pass made; or the stage before it, marked with what the pass does to it.
function shownGraph() {
  const k = state.stage;
  let shown;
  if (state.side === "before" && k > 0) {
    const before = data.stages[k - 1];
    shown = { stage: k - 1, graph: data.stages[drawnStage(k - 1)].graph, marks: fateMarks(before),
              pass: data.passes[k - 1] };
  } else {
    const stage = data.stages[k];
    shown = { stage: k, graph: data.stages[drawnStage(k)].graph, marks: stage.origin,
              pass: k > 0 ? data.passes[k - 1] : null };
  }
  return insideRegions(shown);
}

// Descends into the bodies on state.region; a body this stage lacks (a pass removed its loop)
// takes the view back up. Marks are kept for the top-level graph only.
function insideRegions(shown) {
  let graph = shown.graph;
  const roles = [];
  for (let depth = 0; depth < state.region.length; depth++) {
    const [name, r] = state.region[depth];
    const owner = findNode(graph, name);
    if (!owner || !owner.region_graphs[r]) {
      state.region.length = depth;
      break;
    }
    roles.push(owner.regions[r].split(":")[0] + " of " + shortName(owner.name));
    graph = owner.region_graphs[r];
  }
  if (state.region.length === 0) return Object.assign(shown, { where: "" });
  return Object.assign(shown, { graph: graph, marks: {}, where: roles.join(" › ") });
}

function openRegion(name, r) {
  state.region.push([name, r]);
  state.page = 0;
  state.selected = null;
  drawGraph(true);
}

function fateMarks(stage) {
  const marks = {};
  for (const [name, fate] of Object.entries(stage.fate)) {
    marks[name] = fate === "fused" && stage.fused_into[name] !== name ? "fused-away" : fate;
  }
  return marks;
}

// Bands of whole layers with at most data.page_nodes nodes each (a layer larger than that is a
// band of its own), so that large models stay quick to draw.
function pagesOf(graph) {
  const perLayer = new Array(graph.layers).fill(0);
  for (const n of graph.nodes) perLayer[n.layer]++;
  const pages = [];
  let first = 0, count = 0;
  for (let layer = 0; layer < graph.layers; layer++) {
    if (count > 0 && count + perLayer[layer] > data.page_nodes) {
      pages.push({ first, last: layer - 1 });
      first = layer;
      count = 0;
    }
    count += perLayer[layer];
  }
  pages.push({ first, last: Math.max(first, graph.layers - 1) });
  return pages;
}

function routePath(points, dy) {
  let d = "M" + points[0] + " " + points[1];
  for (let i = 2; i < points.length; i += 2) {
    const x0 = points[i - 2], y0 = points[i - 1], x1 = points[i], y1 = points[i + 1];
    const bend = Math.min(dy, (y1 - y0) / 2);
    d += " C" + x0 + " " + (y0 + bend) + " " + x1 + " " + (y1 - bend) + " " + x1 + " " + y1;
  }
  return d;
}

function shortName(name) {
  const parts = name.split("/");
  const tail = parts.slice(-2).join("/");
  return tail.length > 28 ? "…" + tail.slice(-27) : tail;
}

function drawGraph(refit) {
  const shown = shownGraph();
  const graph = shown.graph;
  const pages = pagesOf(graph);
  state.page = Math.min(state.page, pages.length - 1);
  const page = pages[state.page];
  const inPage = (n) => n.layer >= page.first && n.layer <= page.last;

  const heading = document.getElementById("graph-heading");
  const k = state.stage;
  heading.textContent = (k === 0 ? "input: the graph as imported"
    : (state.side === "before" ? "before " : "after ") + data.stages[k].title +
      (shown.pass && !shown.pass.changed ? " (no change)" : "")) + (shown.where ? " › " + shown.where : "");
  document.getElementById("region-up").hidden = state.region.length === 0;
  document.getElementById("show-before").disabled = k === 0;
  document.getElementById("show-after").disabled = k === 0;
  document.getElementById("show-before").classList.toggle("active", state.side === "before" && k > 0);
  document.getElementById("show-after").classList.toggle("active", state.side === "after" || k === 0);
  const pager = document.getElementById("pager");
  pager.hidden = pages.length < 2;
  document.getElementById("page-label").textContent =
    "layers " + page.first + "–" + page.last + " (page " + (state.page + 1) + " of " + pages.length + ")";
  document.getElementById("page-previous").disabled = state.page === 0;
  document.getElementById("page-next").disabled = state.page === pages.length - 1;
  drawLegend(shown.marks);
  fillNameList(graph);
  const times = state.time ? nodeTimes(graph) : null;

  const viewport = document.getElementById("viewport");
  viewport.replaceChildren();
  const edgeLayer = svgElement("g", { class: "edges" });
  const nodeLayer = svgElement("g", { class: "nodes" });
  viewport.append(edgeLayer, nodeLayer);

  graph.edges.forEach((edge, e) => {
    const from = graph.nodes[edge.from], to = graph.nodes[edge.to];
    const fromIn = inPage(from), toIn = inPage(to);
    if (!fromIn && !toIn) return;
    if (fromIn && toIn) {
      const path = svgElement("path", { class: "edge" + (edge.control ? " control" : ""),
                                        d: routePath(edge.points, 24), "data-edge": e });
      const title = svgElement("title");
      title.textContent = from.name + " → " + to.name + (edge.label ? "\n" + edge.label : "");
      path.append(title);
      edgeLayer.append(path);
      if (edge.label) {  // halfway along, where edges into one node have not met yet
        const n = edge.points.length;
        const label = svgElement("text", { class: "edge-label", x: (edge.points[0] + edge.points[n - 2]) / 2 + 4,
                                           y: (edge.points[1] + edge.points[n - 1]) / 2 });
        label.textContent = edge.label;
        edgeLayer.append(label);
      }
      return;
    }
    // An edge to or from another page: a short stub that leads there when clicked.
    const here = fromIn ? from : to, there = fromIn ? to : from;
    const x = here.x, y = fromIn ? here.y + here.h / 2 : here.y - here.h / 2;
    const y2 = fromIn ? y + 22 : y - 22;
    edgeLayer.append(svgElement("line", { class: "stub-line", x1: x, y1: y, x2: x, y2: y2 }));
    const stub = svgElement("text", { class: "stub", x: x + 4, y: fromIn ? y2 + 4 : y2 });
    stub.textContent = (fromIn ? "to " : "from ") + shortName(there.name);
    stub.addEventListener("click", (event) => { event.stopPropagation(); selectNode(there.name, true); });
    edgeLayer.append(stub);
  });

  graph.nodes.forEach((node, i) => {
    if (!inPage(node)) return;
    const mark = shown.marks[node.name];
    let classes = "node kind-" + node.kind;
    if (mark) classes += " mark-" + mark;
    if (node.replaced.length) classes += " replaces";
    if (node.regions.length) classes += " has-regions";
    if (node.name === state.selected && node.kind !== "output") classes += " selected";
    const g = svgElement("g", { class: classes, "data-index": i, "data-name": node.name,
                                "data-kind": node.kind,
                                transform: "translate(" + (node.x - node.w / 2) + "," + (node.y - node.h / 2) + ")" });
    const rect = svgElement("rect", { width: node.w, height: node.h, rx: node.kind === "const" ? 3 : 5 });
    if (times && times.ms[node.name] !== undefined) rect.style.fill = heat(times.ms[node.name] / times.largest);
    g.append(rect);
    node.label.forEach((line, l) => {
      const text = svgElement("text", { x: node.w / 2, y: node.kind === "const" ? 13.5 : 16 + 14 * l,
                                        "text-anchor": "middle", class: l === 0 && node.kind !== "const" ? "op" : "" });
      text.textContent = line;
      g.append(text);
    });
    const title = svgElement("title");
    title.textContent = node.name + " (" + node.op + ")" + (mark ? ": " + MARKS[mark] : "") +
      (times && times.ms[node.name] !== undefined ? "\n" + ms(times.ms[node.name]) + " ms per run (" + times.mode + ")" : "");
    g.append(title);
    g.addEventListener("click", (event) => {
      event.stopPropagation();
      if (!panning.moved) selectNode(node.name, false);
    });
    nodeLayer.append(g);
  });

  if (refit) fit();
  else applyView();
  if (state.selected) showDetails(state.selected);
  else clearDetails();
}

// The measured times that fit the shown graph: the optimized plan's steps carry the final
// graph's names, the eager run's the imported graph's. Null when neither fits.
function nodeTimes(graph) {
  if (!data.profile || state.region.length) return null;
  for (const [mode, label] of [["optimized", "optimized run"], ["eager", "eager run"]]) {
    const byNode = data.profile[mode].by_node;
    const ops = graph.nodes.filter((n) => n.kind === "op");
    const found = ops.filter((n) => byNode[n.name] !== undefined).length;
    if (ops.length && found >= 0.9 * ops.length) {
      const largest = Math.max(...Object.values(byNode), 1e-9);
      return { ms: byNode, largest: largest, mode: label };
    }
  }
  return null;
}

function heat(share) {  // white to deep orange
  return "hsl(24, 95%, " + (97 - 45 * Math.min(1, Math.sqrt(share))).toFixed(1) + "%)";
}

function drawLegend(marks) {
  const legend = document.getElementById("legend");
  legend.replaceChildren();
  const used = new Set(Object.values(marks));
  const colours = { fused: "--fused", folded: "--folded", new: "--new", changed: "--changed",
                    removed: "--removed", "fused-away": "--fused" };
  for (const mark of Object.keys(MARKS)) {
    if (!used.has(mark)) continue;
    const count = Object.values(marks).filter((m) => m === mark).length;
    const item = element("span", { class: "legend-" + mark });
    const swatch = element("span", { class: "swatch" });
    swatch.style.borderColor = "var(" + colours[mark] + ")";
    item.append(swatch, document.createTextNode(MARKS[mark] + " (" + count + ")"));
    legend.append(item);
  }
}

function fillNameList(graph) {
  const list = document.getElementById("node-names");
  list.replaceChildren();
  if (graph.nodes.length > 3000) return;  // browsers slow down on huge lists; typing still finds
  for (const n of graph.nodes) list.append(element("option", { value: n.name }));
}

// ---- Pan and zoom --------------------------------------------------------------------------

const panning = { active: false, moved: false, x: 0, y: 0 };

function applyView() {
  const v = state.view;
  document.getElementById("viewport").setAttribute("transform",
    "translate(" + v.x.toFixed(1) + "," + v.y.toFixed(1) + ") scale(" + v.k.toFixed(4) + ")");
  document.getElementById("graph").classList.toggle("small", v.k < 0.7);
}

function zoomAt(factor, cx, cy) {
  const v = state.view;
  const k = Math.min(4, Math.max(0.05, v.k * factor));
  v.x = cx - (cx - v.x) * (k / v.k);
  v.y = cy - (cy - v.y) * (k / v.k);
  v.k = k;
  applyView();
}

function fit() {
  const viewport = document.getElementById("viewport");
  const canvas = document.getElementById("canvas");
  const box = viewport.getBBox();
  const width = canvas.clientWidth || 800, height = canvas.clientHeight || 600;
  if (box.width === 0 || box.height === 0) return applyView();
  // The whole page if it fits at a readable size; otherwise its width, from the top (pan down).
  const k = Math.min(1.5, (width - 20) / box.width, Math.max((height - 20) / box.height, 0.6));
  state.view.k = Math.max(0.05, k);
  state.view.x = (width - box.width * state.view.k) / 2 - box.x * state.view.k;
  state.view.y = 10 - box.y * state.view.k;
  applyView();
}

function centreOn(node) {
  const canvas = document.getElementById("canvas");
  const v = state.view;
  v.k = Math.max(v.k, 0.8);
  v.x = canvas.clientWidth / 2 - node.x * v.k;
  v.y = canvas.clientHeight / 2 - node.y * v.k;
  applyView();
}

function setUpPanZoom() {
  const canvas = document.getElementById("canvas");
  canvas.addEventListener("wheel", (event) => {
    event.preventDefault();
    const r = canvas.getBoundingClientRect();
    zoomAt(Math.exp(-event.deltaY * 0.0015), event.clientX - r.left, event.clientY - r.top);
  }, { passive: false });
  canvas.addEventListener("pointerdown", (event) => {
    panning.active = true;
    panning.moved = false;
    panning.x = event.clientX;
    panning.y = event.clientY;
  });
  window.addEventListener("pointermove", (event) => {
    if (!panning.active) return;
    const dx = event.clientX - panning.x, dy = event.clientY - panning.y;
    if (!panning.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
    panning.moved = true;
    canvas.classList.add("dragging");
    state.view.x += dx;
    state.view.y += dy;
    panning.x = event.clientX;
    panning.y = event.clientY;
    applyView();
  });
  window.addEventListener("pointerup", () => {
    panning.active = false;
    canvas.classList.remove("dragging");
    setTimeout(() => { panning.moved = false; }, 0);  // after the click this drag would make
  });
  const middle = () => [canvas.clientWidth / 2, canvas.clientHeight / 2];
  document.getElementById("zoom-in").addEventListener("click", () => zoomAt(1.25, ...middle()));
  document.getElementById("zoom-out").addEventListener("click", () => zoomAt(0.8, ...middle()));
  document.getElementById("fit").addEventListener("click", fit);
}

// ---- Selecting a node, and its details -----------------------------------------------------

function findNode(graph, name) {
  return graph.nodes.find((n) => n.name === name && n.kind !== "output") ||
         graph.nodes.find((n) => n.name === name);
}

// Selects `name` in the shown graph, turning to its page; `centre` also moves it into view.
function selectNode(name, centre) {
  const graph = shownGraph().graph;
  const node = findNode(graph, name);
  if (!node) return;
  state.selected = name;
  const pages = pagesOf(graph);
  const page = pages.findIndex((p) => node.layer >= p.first && node.layer <= p.last);
  if (page !== state.page) {
    state.page = page;
    drawGraph(false);
    centre = true;
  }
  for (const g of document.querySelectorAll("#viewport .node")) {
    g.classList.toggle("selected", g.dataset.name === name && g.dataset.kind === node.kind);
  }
  const index = graph.nodes.indexOf(node);
  for (const path of document.querySelectorAll("#viewport .edge")) {
    const edge = graph.edges[Number(path.dataset.edge)];
    path.classList.toggle("highlight", edge.from === index || edge.to === index);
  }
  if (centre) centreOn(node);
  showDetails(name);
}

function clearDetails() {
  const details = document.getElementById("details");
  details.replaceChildren(element("p", { class: "hint" },
    "Click a node for its op, attributes, shapes and original TensorFlow names. Drag to pan, scroll to zoom."));
}

function nodeLink(name) {
  const link = element("a", { class: "node-link" }, name);
  link.addEventListener("click", () => selectNode(name.replace(/:\d+$/, ""), true));
  return link;
}

function linkList(names) {
  const list = element("ul");
  for (const name of names) {
    const item = element("li");
    item.append(nodeLink(name));
    list.append(item);
  }
  return list;
}

function showDetails(name) {
  const shown = shownGraph();
  const graph = shown.graph;
  const node = findNode(graph, name);
  const details = document.getElementById("details");
  details.replaceChildren();
  if (!node) return clearDetails();
  const index = graph.nodes.indexOf(node);
  details.append(element("h3", { class: "op" }, node.kind === "output" ? "graph output" : node.op));
  details.append(element("div", { class: "name" }, node.name));

  const mark = shown.marks[node.name];
  const pass = shown.pass ? shown.pass.name : "";
  if (mark) {
    const text = state.side === "before"
      ? (mark === "fused-away" ? pass + " fuses it into " + data.stages[shown.stage].fused_into[node.name]
         : mark === "fused" ? pass + " fuses other nodes into it"
         : pass + (mark === "removed" ? " removes it" : mark === "folded" ? " folds it into a constant"
                   : " changes it"))
      : pass + (mark === "fused" ? " made it by fusing the nodes it replaces"
                : mark === "folded" ? " computed it: now a constant"
                : mark === "new" ? " added it" : " changed it (its inputs or attributes)");
    const box = element("div", { class: "mark mark-" + mark }, text);
    box.style.borderColor = "var(--" + (mark === "fused-away" ? "fused" : mark) + ")";
    details.append(box);
    if (mark === "fused-away") {
      box.append(document.createTextNode(" "));
      box.append(nodeLink(data.stages[shown.stage].fused_into[node.name]));
    }
  }

  if (node.replaced.length) {
    details.append(element("h3", {}, "Replaces " + node.replaced.length + " original nodes"));
    const list = element("ul", { class: "replaced" });
    for (const r of node.replaced) list.append(element("li", {}, r));
    details.append(list);
  }

  const rows = element("table");
  const row = (key, value) => {
    const tr = element("tr");
    tr.append(element("td", {}, key));
    const td = element("td");
    if (typeof value === "string") td.textContent = value; else td.append(value);
    tr.append(td);
    rows.append(tr);
  };
  row("kind", node.kind);
  row(node.kind === "output" ? "type" : "outputs", node.types || "–");
  if (node.inputs.length) row("inputs", linkList(node.inputs));
  if (node.controls.length) row("after (control)", linkList(node.controls));
  const readers = [];
  graph.edges.forEach((e) => { if (e.from === index) readers.push(graph.nodes[e.to].name); });
  if (readers.length) row("read by", linkList([...new Set(readers)]));
  const times = nodeTimes(graph);
  if (times && times.ms[node.name] !== undefined) row("time", ms(times.ms[node.name]) + " ms per run (" + times.mode + ", median)");
  for (const [key, value] of node.attrs) row(key, value);
  if (node.regions.length) {
    const list = element("ul");
    node.regions.forEach((text, r) => {
      const item = element("li");
      const open = element("a", { class: "node-link region-link" }, "open " + text);
      open.addEventListener("click", () => openRegion(node.name, r));
      item.append(open);
      list.append(item);
    });
    row("regions", list);
  }
  details.append(rows);

}

function setUpSearch() {
  const search = document.getElementById("search");
  const find = () => {
    const text = search.value.trim().toLowerCase();
    if (!text) return;
    const graph = shownGraph().graph;
    const node = graph.nodes.find((n) => n.name.toLowerCase() === text) ||
                 graph.nodes.find((n) => n.name.toLowerCase().includes(text)) ||
                 graph.nodes.find((n) => n.op.toLowerCase() === text);
    if (node) selectNode(node.name, true);
  };
  search.addEventListener("change", find);
  search.addEventListener("keydown", (event) => { if (event.key === "Enter") find(); });
}

// ---- IR text and its diff ------------------------------------------------------------------

const CONTEXT = 3;  // unchanged lines shown around each change

function drawIR() {
  const k = state.stage;
  const stage = data.stages[k];
  const pre = document.getElementById("ir");
  const diff = document.getElementById("ir-diff");
  diff.disabled = k === 0;
  document.getElementById("ir-heading").textContent =
    (k === 0 ? "input" : "after " + stage.title) + ": " + stage.ir.length + " lines";
  pre.replaceChildren();
  if (k === 0 || !diff.checked) {
    pre.textContent = stage.ir.map((id) => data.lines[id]).join("\n");
    return;
  }
  const before = data.stages[k - 1].ir;
  const pass = data.passes[k - 1];
  if (pass.diff.length === 1 && pass.diff[0][0] === 0) {
    pre.append(element("span", { class: "skipped" }, stage.title + " changed no line of the IR"));
    return;
  }
  pass.diff.forEach((entry, i) => {
    if (entry[0] === 0) {
      const [, first, count] = entry;
      const head = i > 0 ? CONTEXT : 0, tail = i < pass.diff.length - 1 ? CONTEXT : 0;
      const kept = (j) => pre.append("  " + data.lines[before[first + j]] + "\n");  // beside "- " and "+ "
      if (count <= head + tail + 1) {
        for (let j = 0; j < count; j++) kept(j);
        return;
      }
      for (let j = 0; j < head; j++) kept(j);
      pre.append(element("span", { class: "skipped" }, "  ⋯ " + (count - head - tail) + " unchanged lines"));
      for (let j = count - tail; j < count; j++) kept(j);
    } else if (entry[0] === 1) {
      pre.append(element("span", { class: "removed" }, "- " + data.lines[before[entry[1]]]));
    } else {
      pre.append(element("span", { class: "added" }, "+ " + data.lines[stage.ir[entry[1]]]));
    }
  });
}

// ---- Passes --------------------------------------------------------------------------------

function drawPasses() {
  const table = document.getElementById("pass-table");
  table.className = "data";
  const slowest = Math.max(...data.passes.map((p) => p.ms || 0), 1e-9);
  const head = element("tr");
  for (const h of ["#", "pass", "nodes", "weights", "arena", "naive", "ms", "", "what it did"]) {
    head.append(element("th", { class: h === "pass" || h === "what it did" ? "text" : "" }, h));
  }
  table.append(head);
  const cell = (tr, text, cls) => tr.append(element("td", cls ? { class: cls } : {}, text));
  const change = (before, after, format) => {
    const td = element("td", { class: deltaClass(before, after) });
    td.textContent = before === after ? format(after) : format(before) + " → " + format(after);
    return td;
  };
  data.passes.forEach((pass, i) => {
    const before = data.stages[i], after = data.stages[i + 1];
    const tr = element("tr", { class: pass.changed ? "" : "unchanged" });
    cell(tr, String(i + 1));
    cell(tr, pass.name, "text");
    tr.append(change(pass.nodes_before, pass.nodes_after, (n) => String(n)));
    tr.append(change(before.constant_bytes, after.constant_bytes, bytes));
    const arena = (s) => (s.memory ? s.memory.arena_bytes : null);
    const naive = (s) => (s.memory ? s.memory.naive_bytes : null);
    tr.append(change(arena(before), arena(after), bytes));
    tr.append(change(naive(before), naive(after), bytes));
    cell(tr, ms(pass.ms));
    const bar = element("td");
    const span = element("span", { class: "bar" });
    span.style.width = Math.max(1, 80 * (pass.ms || 0) / slowest) + "px";
    bar.append(span);
    tr.append(bar);
    const what = Object.entries(pass.stats).filter(([, v]) => v !== 0).map(([k, v]) => v + " " + k);
    if (pass.failure) what.push("FAILED and undone: " + pass.failure);
    cell(tr, what.join(", ") + (pass.notes.length ? " (" + pass.notes.length + " notes below)" : ""), "text");
    table.append(tr);
  });
  const total = element("tr");
  const first = data.stages[0], last = data.stages[data.stages.length - 1];
  cell(total, "");
  cell(total, "total", "text");
  total.append(change(first.nodes, last.nodes, (n) => String(n)));
  total.append(change(first.constant_bytes, last.constant_bytes, bytes));
  total.append(change(first.memory ? first.memory.arena_bytes : null,
                      last.memory ? last.memory.arena_bytes : null, bytes));
  total.append(change(first.memory ? first.memory.naive_bytes : null,
                      last.memory ? last.memory.naive_bytes : null, bytes));
  cell(total, ms(data.total_ms));
  table.append(total);

  const notes = document.getElementById("pass-notes");
  notes.append(element("p", {}, "Weights: the bytes of all constants. Arena and naive: the memory plan of " +
    "each stage's graph (for " + data.planned_for + "), so the columns show what each pass does to memory."));
  data.passes.forEach((pass, i) => {
    if (!pass.notes.length) return;
    notes.append(element("h3", {}, (i + 1) + ". " + pass.name));
    const list = element("ul");
    for (const note of pass.notes) list.append(element("li", {}, note));
    notes.append(list);
  });
}

// ---- Memory plan ---------------------------------------------------------------------------

function drawMemory() {
  const summary = document.getElementById("memory-summary");
  const m = data.memory;
  if (!m) {
    summary.append(element("p", {}, "No memory plan: " + data.planned_for));
    return;
  }
  summary.append(element("p", {}, "The final graph planned for " + data.planned_for + ": " +
    m.tensors + " intermediate tensors (" + m.in_place + " in place) in one arena" +
    (m.dynamic_steps ? "; " + m.dynamic_steps + " dynamic steps are sized at run time" : "") + "."));
  const largest = Math.max(m.naive_bytes, m.arena_bytes, 1);
  for (const [label, value] of [["arena (what a run allocates)", m.arena_bytes],
                                ["lower bound (most bytes alive at once)", m.lower_bound_bytes],
                                ["naive (one buffer per tensor)", m.naive_bytes]]) {
    const row = element("div", { class: "bytes-row" });
    const bar = element("span", { class: "bar" });
    bar.style.width = Math.max(1, 100 * value / largest) + "%";
    row.append(element("span", {}, label), bar, element("span", {}, bytes(value)));
    summary.append(row);
  }
  summary.append(element("p", {}, "Below: steps left to right, arena offsets top to bottom, one box per " +
    "buffer (hover for its tensors); the dashed red line is the lower bound."));
  // The chart is SVG that Kiln's memory planner wrote (opt::memory_plan_svg).
  const chart = document.getElementById("memory-chart");
  const svg = new DOMParser().parseFromString(data.memory_svg, "image/svg+xml").documentElement;
  chart.append(document.importNode(svg, true));
}

// ---- Profile -------------------------------------------------------------------------------

function opTable(title, mode) {
  const box = element("div");
  box.append(element("h3", {}, title + ": " + ms(mode.median_ms) + " ms per run (median), " + mode.steps + " steps"));
  const table = element("table", { class: "data" });
  const head = element("tr");
  for (const h of ["op", "kernel", "count", "ms/run", ""]) head.append(element("th", { class: h === "op" || h === "kernel" ? "text" : "" }, h));
  table.append(head);
  const largest = Math.max(...mode.by_op.map((g) => g.ms), 1e-9);
  for (const g of mode.by_op) {
    const tr = element("tr");
    tr.append(element("td", { class: "text" }, g.op), element("td", { class: "text" }, g.implementation),
              element("td", {}, String(g.count)), element("td", {}, ms(g.ms)));
    const bar = element("span", { class: "bar" });
    bar.style.width = Math.max(1, 120 * g.ms / largest) + "px";
    const td = element("td");
    td.append(bar);
    tr.append(td);
    table.append(tr);
  }
  box.append(table);
  box.append(element("p", {}, "Slowest steps: " + mode.slowest.slice(0, 5)
    .map((s) => shortName(s.node) + " (" + s.op + ", " + ms(s.ms) + " ms)").join("; ")));
  return box;
}

function drawProfile() {
  const box = document.getElementById("profile");
  const p = data.profile;
  if (!p) {
    box.append(element("p", {}, "Not measured. Run `kiln report MODEL -o FILE --profile` (generated inputs) " +
      "or with --inputs name=file.npy to add per-op times of the eager and optimized runs and what each pass buys."));
    return;
  }
  const speedup = p.optimized.median_ms > 0 ? p.eager.median_ms / p.optimized.median_ms : null;
  box.append(element("p", {}, "Backend " + p.backend + ", " + p.threads + " threads, " + p.runs +
    " timed runs each. Inputs: " + p.inputs.map((i) => i.name + " " + i.type + " (" + i.source + ")").join(", ") + "."));
  const faster = speedup === null ? "" : speedup >= 1 ? " (" + speedup.toFixed(2) + "× faster)"
    : " (" + (1 / speedup).toFixed(2) + "× slower)";
  box.append(element("p", {}, "Median run: eager " + ms(p.eager.median_ms) + " ms, optimized " +
    ms(p.optimized.median_ms) + " ms" + faster + "; largest |eager − optimized| over the outputs: " +
    difference(p.max_abs_difference) + ". Times per op are medians over the runs."));
  box.append(opTable("Eager (the imported graph, node by node)", p.eager));
  box.append(opTable("Optimized (the compiled plan)", p.optimized));

  box.append(element("h3", {}, "What each pass buys: the pipeline without it"));
  const table = element("table", { class: "data", id: "leave-one-out" });
  const head = element("tr");
  for (const h of ["left out", "ms/run", "vs full", "arena", "steps", "max |Δ output|"]) {
    head.append(element("th", { class: h === "left out" ? "text" : "" }, h));
  }
  table.append(head);
  const full = p.optimized;
  const fullRow = element("tr");
  fullRow.append(element("td", { class: "text" }, "(nothing: the full pipeline)"), element("td", {}, ms(full.median_ms)),
                 element("td", {}, ""), element("td", {}, bytes(full.arena_bytes)), element("td", {}, String(full.steps)),
                 element("td", {}, "0"));
  table.append(fullRow);
  for (const r of p.leave_one_out) {
    const tr = element("tr");
    tr.append(element("td", { class: "text" }, r.pass));
    if (r.error) {
      tr.append(element("td", { class: "text", colspan: 5 }, "does not compile without it: " + r.error));
    } else {
      const ratio = full.median_ms > 0 ? r.median_ms / full.median_ms : null;
      tr.append(element("td", {}, ms(r.median_ms)),
                element("td", { class: ratio > 1.05 ? "grow" : ratio < 0.95 ? "shrink" : "" }, ratio ? ratio.toFixed(2) + "×" : "–"),
                element("td", { class: deltaClass(full.arena_bytes, r.arena_bytes) }, bytes(r.arena_bytes)),
                element("td", { class: deltaClass(full.steps, r.steps) }, String(r.steps)),
                element("td", {}, difference(r.max_abs_difference)));
    }
    table.append(tr);
  }
  box.append(table);
  box.append(element("p", {}, "A pass is worth its place where leaving it out makes runs slower (× above 1), the arena larger " +
    "or the plan longer. Times on a shared machine vary by a few percent from run to run."));
}

// ---- Tabs and start-up ---------------------------------------------------------------------

function showView(name) {
  for (const b of document.querySelectorAll("#tabs button")) b.classList.toggle("active", b.dataset.view === name);
  for (const v of document.querySelectorAll(".view")) v.hidden = v.id !== "view-" + name;
  if (name === "graph") fit();
}

function start() {
  const first = data.stages[0], last = data.stages[data.stages.length - 1];
  document.getElementById("title").textContent = data.title;
  document.getElementById("summary").textContent = data.passes.length + " passes (" +
    (data.pipeline.join(", ") || "none") + "): " + first.nodes + " → " + last.nodes + " nodes in " +
    ms(data.total_ms) + " ms" + (data.memory ? "; arena " + bytes(data.memory.arena_bytes) +
    ", lower bound " + bytes(data.memory.lower_bound_bytes) + ", naive " + bytes(data.memory.naive_bytes) : "");
  buildStageList();
  setUpPanZoom();
  setUpSearch();
  for (const b of document.querySelectorAll("#tabs button")) b.addEventListener("click", () => showView(b.dataset.view));
  document.getElementById("show-before").addEventListener("click", () => { state.side = "before"; state.page = 0; drawGraph(true); });
  document.getElementById("show-after").addEventListener("click", () => { state.side = "after"; state.page = 0; drawGraph(true); });
  document.getElementById("page-previous").addEventListener("click", () => { state.page--; drawGraph(true); });
  document.getElementById("page-next").addEventListener("click", () => { state.page++; drawGraph(true); });
  document.getElementById("region-up").addEventListener("click", () => {
    state.region.pop();
    state.page = 0;
    state.selected = null;
    drawGraph(true);
  });
  document.getElementById("ir-diff").addEventListener("change", drawIR);
  const time = document.getElementById("show-time");
  time.hidden = !data.profile;
  time.addEventListener("click", () => {
    state.time = !state.time;
    time.classList.toggle("active", state.time);
    drawGraph(false);
  });
  drawPasses();
  drawMemory();
  drawProfile();
  // Open on the last pass that changed the graph (the most telling picture), or where the
  // address says: report.html#stage=12&side=before&node=NAME&view=graph.
  let k = data.stages.length - 1;
  while (k > 0 && data.stages[k].same_as !== null) k--;
  const wanted = new URLSearchParams(location.hash.slice(1));
  const stage = Number(wanted.get("stage"));
  selectStage(wanted.has("stage") && stage >= 0 && stage < data.stages.length ? stage : k);
  if (wanted.get("side") === "before" && state.stage > 0) {
    state.side = "before";
    drawGraph(true);
  }
  if (wanted.get("node")) selectNode(wanted.get("node"), true);
  if (wanted.get("view") && wanted.get("view") !== "graph") showView(wanted.get("view"));
}

window.addEventListener("error", (event) => {
  const box = document.getElementById("error");
  box.hidden = false;
  box.textContent = "This page hit an error: " + event.message;
});
start();
