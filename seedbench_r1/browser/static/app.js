// The sample browser's page: reads window.SBR1_META and window.SBR1_INDEX (site/data/*.js), loads one
// site/data/chunk_NNNN.js per opened sample group, and renders three views from the URL's hash:
//   #/                      overview: run headers, Tables 2 and 3 (cells link to their samples), charts
//   #/samples?FILTERS       the filtered, sorted sample list (100 per page), export of the ids
//   #/sample/LEVEL/ID?FILTERS  one sample: frames, image, question, each run's response and verdicts
// Every text from a data file is untrusted (a model's response, a logged prompt): it only ever reaches the
// page as a text node or an attribute value set by the DOM API, never as HTML.
(function () {
  "use strict";

  const META = window.SBR1_META;
  const ROWS = window.SBR1_INDEX;
  const app = document.getElementById("app");
  if (!META || !ROWS) {
    app.textContent = "The data files site/data/meta.js and site/data/index.js did not load: rebuild the site " +
      "with seedbench-r1 report ... --html.";
    return;
  }
  const RUNS = META.runs;
  // Index row fields (meta.index_fields) and per-run fields (meta.run_fields).
  const LEVEL = 0, ID = 1, DOMAIN = 2, DUR = 3, LVBL = 4, TEXT = 5, CHUNK = 6, GOLD = 7, PER_RUN = 8;
  const CORRECT = 0, PRED = 1, FORMATTED = 2, WORDS = 3;
  const PAGE = 100;
  const CUT = 3000; // characters of a response shown before "show all"
  const MEDIA_URL = /^site\/media\/[A-Za-z0-9_.-]+$/;
  const keyOf = (row) => row[LEVEL] + "/" + row[ID];
  const rowByKey = new Map(ROWS.map((row, i) => [keyOf(row), i]));
  let lowered = null; // search texts in lower case, made on the first search
  const chunks = new Map();
  window.SBR1_TIMING = { renders: 0, firstRender: null, lastRender: null };

  // ------------------------------------------------------------------------------------------- DOM helpers

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(props || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") node.className = value;
      else if (name === "on") for (const [ev, fn] of Object.entries(value)) node.addEventListener(ev, fn);
      else if (name in node && name !== "list") node[name] = value;
      else node.setAttribute(name, value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function mediaImg(url, alt) {
    return MEDIA_URL.test(url || "") ? el("img", { src: url, alt: alt, loading: "lazy" }) : null;
  }

  const plural = (n, word) => n + " " + word + (n === 1 ? "" : "s");
  const fmtPct = (x) => (x === null || x === undefined ? "n/a" : x.toFixed(2));

  // ------------------------------------------------------------------------------------------- state <-> URL

  const FILTER_KEYS = ["level", "domain", "dur", "lvl", "disagree", "q", "lenrun", "minw", "maxw", "sort", "page",
    ...RUNS.map((_, i) => "r" + i)];

  function parseHash() {
    const hash = location.hash.replace(/^#/, "") || "/";
    const [path, query] = hash.split("?");
    const params = new URLSearchParams(query || "");
    const state = {};
    for (const k of FILTER_KEYS) if (params.get(k)) state[k] = params.get(k);
    const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
    return { view: parts[0] || "overview", level: parts[1], id: parts.slice(2).join("/"), state };
  }

  function query(state, changes) {
    const params = new URLSearchParams();
    const merged = Object.assign({}, state, changes || {});
    for (const k of FILTER_KEYS) if (merged[k]) params.set(k, merged[k]);
    const text = params.toString();
    return text ? "?" + text : "";
  }

  const listHref = (state, changes) => "#/samples" + query(state, changes);
  const sampleHref = (row, state) =>
    "#/sample/" + encodeURIComponent(row[LEVEL]) + "/" + encodeURIComponent(row[ID]) + query(state, { page: "" });

  // ------------------------------------------------------------------------------------------- filtering

  function outcome(entry) {
    // The filter value a run's entry matches: right / wrong, and noanswer / badformat besides wrong.
    if (!entry) return ["absent"];
    const out = [entry[CORRECT] ? "right" : "wrong"];
    if (!entry[PRED]) out.push("noanswer");
    if (entry[FORMATTED] === 0) out.push("badformat");
    return out;
  }

  function filtered(state) {
    const needle = (state.q || "").trim().toLowerCase();
    if (needle && !lowered) lowered = ROWS.map((row) => row[TEXT].toLowerCase());
    const lenRun = state.lenrun ? Number(state.lenrun) : 0;
    const minW = state.minw ? Number(state.minw) : null;
    const maxW = state.maxw ? Number(state.maxw) : null;
    const perRun = RUNS.map((_, i) => state["r" + i] || "");
    const out = [];
    for (let i = 0; i < ROWS.length; i++) {
      const row = ROWS[i];
      if (state.level && row[LEVEL] !== state.level) continue;
      if (state.domain && row[DOMAIN] !== state.domain) continue;
      if (state.dur && row[DUR] !== state.dur) continue;
      if (state.lvl && row[LVBL] !== state.lvl) continue;
      const runs = row[PER_RUN];
      let keep = true;
      for (let r = 0; r < perRun.length && keep; r++) if (perRun[r]) keep = outcome(runs[r]).includes(perRun[r]);
      if (!keep) continue;
      if (state.disagree) {
        const seen = runs.filter(Boolean).map((e) => e[CORRECT]);
        if (!(seen.includes(1) && seen.includes(0))) continue;
      }
      if (minW !== null || maxW !== null) {
        const words = runs[lenRun] ? runs[lenRun][WORDS] : null;
        if (words === null || words === undefined) continue;
        if (minW !== null && words < minW) continue;
        if (maxW !== null && words > maxW) continue;
      }
      if (needle && !lowered[i].includes(needle)) continue;
      out.push(i);
    }
    if (state.sort === "len" || state.sort === "lenasc") {
      const words = (i) => {
        const e = ROWS[i][PER_RUN][lenRun];
        return e && e[WORDS] !== null ? e[WORDS] : -1;
      };
      const sign = state.sort === "len" ? -1 : 1;
      out.sort((a, b) => sign * (words(a) - words(b)) || a - b);
    }
    return out;
  }

  // ------------------------------------------------------------------------------------------- overview

  function runHeader(run) {
    // One line when every task ran with the same settings (the usual case), else one per task.
    const settings = Object.entries(run.generation || {}).map(([task, kw]) => [task, JSON.stringify(kw)]);
    const same = settings.length > 0 && settings.every(([, kw]) => kw === settings[0][1]);
    const generation = same ? ["all tasks: " + settings[0][1]] : settings.map(([task, kw]) => task + ": " + kw);
    const versions = Object.entries(run.versions || {}).map(([t, v]) => t + " " + v).join(", ");
    const dl = el("dl", { class: "header" });
    const add = (name, value) => { if (value) dl.append(el("dt", {}, name), el("dd", {}, value)); };
    add("model", run.model + (run.model_args ? "  (" + run.model_args + ")" : ""));
    add("generation", generation.join("; "));
    add("--gen_kwargs", run.cli_gen_kwargs);
    add("date", run.date);
    add("task versions", versions);
    const commit = run.git_hash && !run.lmms_eval_version.includes(run.git_hash) ? " @ " + run.git_hash : "";
    add("lmms-eval", run.lmms_eval_version + commit);
    add("logged samples", String(run.samples));
    add("results file", run.results_file);
    return el("section", { class: "run" }, el("h3", {}, run.name), dl);
  }

  function tableView(title, table) {
    const head = el("tr", {}, el("th", {}, "row"), table.columns.map((c) => el("th", {}, c.label)));
    const body = table.rows.map((row) => {
      const runIndex = row.kind === "run" ? RUNS.findIndex((r) => r.name === row.label) : -1;
      return el("tr", { class: row.kind },
        el("th", {}, row.label),
        table.columns.map((c) => {
          const cell = row.cells[c.key];
          const text = cell.pct === null ? "n/a" : fmtPct(cell.pct);
          const counts = cell.total === null ? "" : " (" + cell.correct + "/" + cell.total + ")";
          const ci = cell.lo === null ? "" : "[" + cell.lo.toFixed(1) + ", " + cell.hi.toFixed(1) + "]";
          const content = runIndex >= 0 && cell.total
            ? el("a", { href: listHref({}, c.filter), title: "the samples of this column" }, text)
            : text;
          return el("td", { "data-column": c.label, "data-row": row.label, title: cell.note || "" },
            content, el("span", { class: "counts" }, counts), el("br"), el("span", { class: "ci" }, ci));
        }));
    });
    return el("section", {}, el("h2", {}, title), el("table", { class: "scores" }, el("thead", {}, head),
      el("tbody", {}, body)));
  }

  function overview() {
    const parts = [el("h1", {}, "Overview"), el("p", {}, ROWS.length + " samples from " + RUNS.length +
      " run(s). Percent correct (correct/total) with the 95% Wilson interval, as in the report's table.csv; " +
      "a cell links to its samples.")];
    const notes = [...META.notes, ...META.problems];
    if (notes.length) parts.push(el("section", { class: "notes" }, el("h2", {}, "Notes"),
      el("ul", {}, notes.map((n) => el("li", {}, n)))));
    parts.push(el("section", {}, el("h2", {}, "Runs"), el("div", { class: "runcards" }, RUNS.map(runHeader))));
    for (const [title, table] of Object.entries(META.tables)) parts.push(tableView(title, table));
    if (META.charts.length) parts.push(el("section", {}, el("h2", {}, "Charts"),
      META.charts.filter((c) => /^[A-Za-z0-9_.-]+\.png$/.test(c)).map((c) => el("img", { src: c, alt: c, class: "chart" }))));
    return parts;
  }

  // ------------------------------------------------------------------------------------------- sample list

  function distinct(field) {
    return [...new Set(ROWS.map((row) => row[field]).filter(Boolean))].sort();
  }

  function select(name, state, options, label) {
    const node = el("select", { name: name, "aria-label": label },
      options.map(([value, text]) => el("option", { value: value, selected: (state[name] || "") === value }, text)));
    node.addEventListener("change", () => go(state, { [name]: node.value, page: "" }));
    return el("label", {}, label + " ", node);
  }

  function filterForm(state) {
    const any = [["", "any"]];
    const runOptions = [["", "any"], ["right", "right"], ["wrong", "wrong"], ["noanswer", "no answer"],
      ["badformat", "bad format"], ["absent", "not in run"]];
    const search = el("input", { type: "search", name: "q", value: state.q || "", placeholder: "question or option text" });
    let timer = null;
    search.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => go(state, { q: search.value, page: "" }), 200);
    });
    const number = (name, label) => {
      const node = el("input", { type: "number", name: name, min: "0", value: state[name] || "", class: "num" });
      node.addEventListener("change", () => go(state, { [name]: node.value, page: "" }));
      return el("label", {}, label + " ", node);
    };
    const disagree = el("input", { type: "checkbox", name: "disagree", checked: !!state.disagree });
    disagree.addEventListener("change", () => go(state, { disagree: disagree.checked ? "1" : "", page: "" }));
    const runNames = RUNS.map((r, i) => [String(i), r.name]);
    return el("form", { class: "filters", on: { submit: (e) => e.preventDefault() } },
      select("level", state, any.concat(distinct(LEVEL).map((v) => [v, v === "LVB" ? "LongVideoBench" : v])), "level"),
      select("domain", state, any.concat(distinct(DOMAIN).map((v) => [v, v])), "L3 domain"),
      select("dur", state, any.concat(distinct(DUR).map((v) => [v, "duration group " + v + " s"])), "LVB duration"),
      select("lvl", state, any.concat(distinct(LVBL).map((v) => [v, v])), "LVB level"),
      RUNS.map((r, i) => select("r" + i, state, runOptions, r.name)),
      el("label", {}, disagree, " runs disagree (one right, one wrong)"),
      el("label", {}, "search ", search),
      select("lenrun", state, runNames.map(([v, t]) => [v === "0" ? "" : v, t]), "length of"),
      number("minw", "words ≥"), number("maxw", "words ≤"),
      select("sort", state, [["", "sample order"], ["len", "longest first"], ["lenasc", "shortest first"]], "sort"));
  }

  function exportIds(indices) {
    const text = indices.map((i) => keyOf(ROWS[i])).join("\n") + "\n";
    const box = document.getElementById("export");
    box.hidden = false;
    box.value = text;
    const link = el("a", { href: URL.createObjectURL(new Blob([text], { type: "text/plain" })),
      download: "sample_ids.txt" });
    document.body.append(link);
    link.click();
    link.remove();
  }

  function runCell(entry, gold) {
    if (!entry) return el("td", { class: "absent" }, "—");
    const pred = entry[PRED] || "none";
    return el("td", { class: entry[CORRECT] ? "right" : "wrong" },
      (entry[CORRECT] ? "✓ " : "✗ ") + pred, el("span", { class: "words" },
        entry[WORDS] === null ? "" : " " + entry[WORDS] + "w"));
  }

  function sampleList(state) {
    const indices = filtered(state);
    const pages = Math.max(1, Math.ceil(indices.length / PAGE));
    const page = Math.min(pages, Math.max(1, Number(state.page) || 1));
    const shown = indices.slice((page - 1) * PAGE, page * PAGE);
    const head = el("tr", {}, ["sample", "level", "group", "question", "gold"].map((h) => el("th", {}, h)),
      RUNS.map((r) => el("th", {}, r.name)));
    const body = shown.map((i) => {
      const row = ROWS[i];
      const text = row[TEXT].length > 140 ? row[TEXT].slice(0, 140) + "…" : row[TEXT];
      return el("tr", { "data-key": keyOf(row) },
        el("td", {}, el("a", { href: sampleHref(row, state) }, row[ID])),
        el("td", {}, row[LEVEL]),
        el("td", {}, row[DOMAIN] || [row[DUR], row[LVBL]].filter(Boolean).join(" / ")),
        el("td", { class: "qtext" }, text),
        el("td", {}, row[GOLD]),
        row[PER_RUN].map((e) => runCell(e, row[GOLD])));
    });
    const pager = el("p", { class: "pager" },
      page > 1 ? el("a", { href: listHref(state, { page: String(page - 1) }) }, "‹ previous page") : "",
      " page " + page + " of " + pages + " ",
      page < pages ? el("a", { href: listHref(state, { page: String(page + 1) }) }, "next page ›") : "");
    return [
      el("h1", {}, "Samples"),
      filterForm(state),
      el("p", {}, el("span", { id: "count" }, indices.length + " of " + ROWS.length + " samples"), " ",
        el("button", { type: "button", id: "export-button", on: { click: () => exportIds(indices) } },
          "export these ids"),
        " ", el("a", { href: "#/samples" }, "clear filters")),
      el("textarea", { id: "export", hidden: true, readOnly: true, rows: 6, "aria-label": "exported sample ids" }),
      pager,
      el("table", { class: "list" }, el("thead", {}, head), el("tbody", {}, body)),
    ];
  }

  // ------------------------------------------------------------------------------------------- one sample

  function loadChunk(n, done) {
    if (chunks.has(n)) return done(chunks.get(n));
    const name = "site/data/chunk_" + String(n).padStart(4, "0") + ".js";
    const script = el("script", { src: name });
    script.addEventListener("load", () => done(chunks.get(n) || null));
    script.addEventListener("error", () => done(null));
    document.body.append(script);
  }
  window.SBR1_CHUNK = (n, data) => chunks.set(n, data);

  function responseView(text) {
    // <think> blocks folded, <answer> blocks highlighted; the tags are shown as text, like the rest.
    const box = el("div", { class: "response" });
    const parts = text.split(/(<think>|<\/think>|<answer>|<\/answer>)/);
    let inThink = null, inAnswer = null;
    for (const part of parts) {
      if (part === "<think>" && !inThink) {
        inThink = el("pre", {});
        const words = el("span", { class: "tagnote" });
        box.append(el("details", { class: "think" }, el("summary", {}, "<think> ", words), inThink));
        inThink.words = words;
      } else if (part === "</think>" && inThink) {
        inThink.words.textContent = "(" + plural(inThink.textContent.split(/\s+/).filter(Boolean).length, "word") + ") </think>";
        inThink = null;
      } else if (part === "<answer>" && !inAnswer && !inThink) {
        inAnswer = el("mark", { class: "answer" });
        box.append(el("span", { class: "tag" }, "<answer>"), inAnswer);
      } else if (part === "</answer>" && inAnswer) {
        box.append(el("span", { class: "tag" }, "</answer>"));
        inAnswer = null;
      } else if (part) {
        (inThink || inAnswer || box).append(document.createTextNode(part));
      }
    }
    if (inThink) inThink.words.textContent = "(not closed)";
    return box;
  }

  function responseBlock(text) {
    if (text === null || text === undefined) return el("p", { class: "missing" }, "no response in the log");
    const holder = el("div", {});
    const show = (all) => {
      holder.replaceChildren(responseView(all ? text : text.slice(0, CUT)));
      if (!all) holder.append(el("p", {}, "… cut at " + CUT + " of " + text.length + " characters ",
        el("button", { type: "button", class: "show-all", on: { click: () => show(true) } }, "show all")));
    };
    show(text.length <= CUT);
    return holder;
  }

  function picture(p, alt, caption) {
    if (p === null) return el("div", { class: "placeholder" }, "no clip: this question has only the image");
    if (!p || !p.url) return el("div", { class: "placeholder" }, "media missing: " + ((p && p.missing) || "none"));
    return el("figure", {}, mediaImg(p.url, alt), el("figcaption", {}, caption));
  }

  function runPanel(run, entry, detail, gold) {
    const panel = el("section", { class: "runpanel" }, el("h3", {}, run.name));
    if (!entry) return panel.append(el("p", { class: "absent" }, "this run has no such sample")), panel;
    const verdict = entry[CORRECT] ? "right" : (entry[PRED] ? "wrong" : "wrong (no answer)");
    panel.append(el("p", { class: "verdict " + (entry[CORRECT] ? "right" : "wrong") },
      verdict + ": parsed ", el("b", { class: "pred" }, entry[PRED] || "none"), ", gold ", el("b", {}, gold),
      entry[FORMATTED] === 0 ? " · bad format" : "", entry[WORDS] === null ? "" : " · " + entry[WORDS] + (entry[WORDS] === 1 ? " word" : " words")));
    for (const c of detail.consistency || []) {
      const said = c.verdict ? "judged " + (c.verdict === "yes" ? "consistent" : "inconsistent") :
        (c.status === "judged" ? "verdict unparsable" : "not judged (" + c.status + ")");
      panel.append(el("p", { class: "consistency" }, "consistency: " + said + " — " + c.judge + " ",
        c.reply !== null && c.reply !== undefined ? el("q", {}, c.reply) : ""));
    }
    if (detail.prompt) panel.append(el("details", { class: "warn" }, el("summary", {}, "the prompt this run got " +
      "differs from the one shown with the question"), el("pre", { class: "prompt" }, detail.prompt)));
    panel.append(responseBlock(detail.response));
    return panel;
  }

  function sampleView(route) {
    const key = route.level + "/" + route.id;
    const index = rowByKey.get(key);
    if (index === undefined) return [el("h1", {}, "No sample " + key), el("a", { href: listHref(route.state) }, "back")];
    const row = ROWS[index];
    const list = filtered(route.state);
    const at = list.indexOf(index);
    const nav = el("p", { class: "nav" },
      at > 0 ? el("a", { href: sampleHref(ROWS[list[at - 1]], route.state), id: "prev" }, "‹ previous") : "",
      " " + (at >= 0 ? (at + 1) + " of " + list.length + " in the filter" : "not in the filter") + " ",
      at >= 0 && at < list.length - 1 ? el("a", { href: sampleHref(ROWS[list[at + 1]], route.state), id: "next" }, "next ›") : "",
      " · ", el("a", { href: listHref(route.state) }, "back to the list"));
    const holder = el("div", { id: "detail" }, el("p", {}, "loading…"));
    loadChunk(row[CHUNK], (chunk) => {
      const detail = chunk && chunk[key];
      if (!detail) return holder.replaceChildren(el("p", { class: "missing" }, "data file of this sample did not load"));
      const gold = row[GOLD];
      const options = (detail.options || []).map((text, i) => {
        const letter = String.fromCharCode(65 + i);
        const picks = RUNS.filter((_, r) => row[PER_RUN][r] && row[PER_RUN][r][PRED] === letter).map((r) => r.name);
        return el("li", { class: letter === gold ? "gold" : "" }, el("b", {}, letter + ". "), text,
          letter === gold ? el("span", { class: "tagnote" }, " (gold)") : "",
          picks.length ? el("span", { class: "picks" }, " ← " + picks.join(", ")) : "");
      });
      const sheet = detail.sheet;
      const caption = sheet && sheet.frames ? sheet.frames + " frames (indices " + sheet.indices.join(", ") + ")" : "";
      const attention = (detail.attention || []).map((a) => el("div", { class: "attention" },
        picture(a.picture, "attention map", "attention: " + a.label + " (" + a.model + "), parsed " +
          (a.pred || "none") + ", gold " + a.gold)));
      holder.replaceChildren(
        el("div", { class: "media" },
          el("section", {}, el("h2", {}, "Frames the model saw"), picture(sheet, "contact sheet of the clip's frames", caption)),
          detail.image !== null || route.level !== "LVB"
            ? el("section", {}, el("h2", {}, "Current observation"), picture(detail.image, "observation image", "252 × 252"))
            : ""),
        el("section", {}, el("h2", {}, "Question"),
          detail.question !== null ? el("p", { class: "question" }, detail.question) : el("p", { class: "missing" },
            "not in the dataset under the given root"),
          el("ul", { class: "options" }, options),
          detail.prompt !== null ? el("details", {}, el("summary", {}, "the prompt as the model got it" +
            (RUNS.length > 1 ? " (the first run's; a run with another says so)" : "")),
            el("pre", { class: "prompt" }, detail.prompt)) : ""),
        attention.length ? el("section", {}, el("h2", {}, "Attention"), attention) : "",
        el("div", { class: "runs" }, RUNS.map((run, r) => runPanel(run, row[PER_RUN][r], detail.runs[r] || {}, gold))));
      rendered();
    });
    return [el("h1", {}, (row[LEVEL] === "LVB" ? "LongVideoBench" : row[LEVEL]) + " sample " + row[ID]),
      el("p", {}, [row[DOMAIN], row[DUR] && "duration group " + row[DUR] + " s", row[LVBL]].filter(Boolean).join(" · ")),
      nav, holder];
  }

  // ------------------------------------------------------------------------------------------- routing

  function go(state, changes) {
    const merged = Object.assign({}, state, changes);
    location.hash = listHref(merged).slice(1);
  }

  function rendered() {
    const t = window.SBR1_TIMING;
    t.renders += 1;
    t.lastRender = performance.now();
    if (t.firstRender === null) t.firstRender = t.lastRender;
  }

  function render() {
    const route = parseHash();
    const start = performance.now();
    let parts;
    if (route.view === "samples") parts = sampleList(route.state);
    else if (route.view === "sample") parts = sampleView(route);
    else parts = overview();
    app.replaceChildren(...parts);
    document.body.dataset.view = route.view;
    window.SBR1_TIMING.lastRenderMs = performance.now() - start;
    if (route.view !== "sample") rendered();
  }

  window.addEventListener("hashchange", render);
  render();
})();
