// Annotation workspace: edit segments (gloss, boundaries, split, merge), translation and flags of
// one job; save drafts, submit, review. Talks to /api/v1/annotation/jobs/<id>/ (annotation.api);
// the server validates everything again. Texts go through Django's JavaScript catalog (gettext).
"use strict";
(function () {
  const _ = window.gettext || ((s) => s);
  const fmt = (s, obj) => (window.interpolate ? window.interpolate(s, obj, true) : s);
  const $ = (id) => document.getElementById(id);
  const video = $("ws-video");
  const MIN_LEN = 0.02;
  let server = JSON.parse($("ws-state").textContent);
  const jobId = server.job.id;
  const apiBase = "/api/v1/annotation/jobs/" + jobId + "/";
  let state = copyState(server);
  let selectedId = state.segments.length ? state.segments[0].id : null;
  let duration = server.job.duration || 0;
  let fps = 30;
  let counter = 0;
  let busy = false;

  // ---- state helpers ----
  function copySegment(s) { return { id: s.id, start: s.start, end: s.end, gloss: s.gloss || "", origin: s.origin ?? null }; }
  function copyState(s) { return { segments: s.segments.map(copySegment), translation: s.translation || "", flags: [...(s.flags || [])].sort() }; }
  function isDirty() { return JSON.stringify(copyState(server)) !== JSON.stringify(copyState(state)); }
  function index(id) { return state.segments.findIndex((s) => s.id === id); }
  function selected() { return state.segments[index(selectedId)] || null; }
  function round(t) { return Math.round(t * 1000) / 1000; }
  function snap(t) { return round(fps ? Math.round(t * fps) / fps : t); }
  function clipEnd() { return duration || video.duration || Math.max(0, ...state.segments.map((s) => s.end)); }
  function newId() { let id; do { id = "n" + (++counter); } while (index(id) >= 0); return id; }
  function modelSegment(origin) { return origin === null ? null : (server.model.segments[origin] || null); }
  function bestOrigin(start, end, fallback) {
    let best = fallback, most = 0;
    server.model.segments.forEach((m, i) => {
      const overlap = Math.min(end, m.end) - Math.max(start, m.start);
      if (overlap > most) { most = overlap; best = i; }
    });
    return best;
  }
  function say(text) { $("ws-status").textContent = text; }
  function fail(text) { const m = $("ws-message"); m.textContent = text; m.hidden = !text; }

  // ---- rendering ----
  function pct(t) { const end = clipEnd(); return end ? (100 * t / end) + "%" : "0%"; }
  function segLabel(seg, i) {
    return fmt(_("Segment %(n)s: %(gloss)s, %(start)s to %(end)s seconds"),
      { n: i + 1, gloss: seg.gloss || _("no gloss"), start: seg.start.toFixed(2), end: seg.end.toFixed(2) });
  }
  function renderTimeline() {
    const tl = $("ws-timeline");
    tl.querySelectorAll(".ws-seg, .ws-handle").forEach((el) => el.remove());
    state.segments.forEach((seg, i) => {
      const b = document.createElement("button");
      b.type = "button"; b.className = "ws-seg"; b.dataset.id = seg.id;
      b.addEventListener("click", () => { select(seg.id); video.currentTime = seg.start; });
      tl.appendChild(b);
      if (!server.can_edit) return;
      ["start", "end"].forEach((edge) => {
        const h = document.createElement("div");
        h.className = "ws-handle"; h.tabIndex = 0; h.dataset.id = seg.id; h.dataset.edge = edge;
        h.setAttribute("role", "slider");
        h.setAttribute("aria-label", fmt(edge === "start" ? _("Start of segment %(n)s") : _("End of segment %(n)s"), { n: i + 1 }));
        h.addEventListener("keydown", onHandleKey);
        h.addEventListener("pointerdown", onHandleDown);
        tl.appendChild(h);
      });
    });
    layoutTimeline();
  }
  function layoutTimeline() {
    const tl = $("ws-timeline");
    state.segments.forEach((seg, i) => {
      const b = tl.querySelector(`.ws-seg[data-id="${seg.id}"]`);
      if (!b) return;
      b.style.left = pct(seg.start); b.style.width = `calc(${pct(seg.end - seg.start)} - 1px)`;
      b.textContent = seg.gloss || "?";
      b.setAttribute("aria-label", segLabel(seg, i));
      b.classList.toggle("selected", seg.id === selectedId);
      b.setAttribute("aria-pressed", seg.id === selectedId ? "true" : "false");
      tl.querySelectorAll(`.ws-handle[data-id="${seg.id}"]`).forEach((h) => {
        const t = seg[h.dataset.edge];
        h.style.left = pct(t);
        h.setAttribute("aria-valuemin", "0"); h.setAttribute("aria-valuemax", clipEnd().toFixed(3));
        h.setAttribute("aria-valuenow", t.toFixed(3));
        h.setAttribute("aria-valuetext", fmt(_("%(t)s seconds"), { t: t.toFixed(2) }));
      });
    });
    $("ws-duration-label").textContent = clipEnd().toFixed(2) + " s";
  }
  function renderList() {
    const body = $("ws-segment-list");
    body.innerHTML = "";
    state.segments.forEach((seg, i) => {
      const tr = document.createElement("tr");
      tr.dataset.id = seg.id;
      tr.classList.toggle("selected", seg.id === selectedId);
      const first = (modelSegment(seg.origin)?.topk || [])[0];
      const cells = [seg.start.toFixed(2), seg.end.toFixed(2), seg.gloss || "—",
        first ? `${first.gloss} (${Math.round(first.prob * 100)}%)` : "—"];
      const pick = document.createElement("button");
      pick.type = "button"; pick.textContent = String(i + 1);
      pick.setAttribute("aria-label", segLabel(seg, i));
      pick.addEventListener("click", () => select(seg.id));
      const td0 = document.createElement("td"); td0.appendChild(pick); tr.appendChild(td0);
      cells.forEach((text) => { const td = document.createElement("td"); td.textContent = text; tr.appendChild(td); });
      body.appendChild(tr);
    });
  }
  function renderPanel() {
    const seg = selected();
    $("ws-no-segment").hidden = !!seg;
    $("ws-segment-editor").hidden = !seg;
    if (!seg) return;
    $("ws-segment-number").textContent = "#" + (index(seg.id) + 1);
    $("ws-seg-start").value = seg.start.toFixed(3); $("ws-seg-end").value = seg.end.toFixed(3);
    if (document.activeElement !== $("ws-gloss-input")) $("ws-gloss-input").value = seg.gloss;
    const box = $("ws-topk");
    box.innerHTML = "";
    const topk = modelSegment(seg.origin)?.topk || [];
    if (!topk.length) box.textContent = _("The model proposed nothing for this stretch.");
    topk.forEach((entry, k) => {
      const label = document.createElement("label");
      label.className = "ws-topk-option";
      const radio = document.createElement("input");
      radio.type = "radio"; radio.name = "topk"; radio.value = entry.gloss;
      radio.checked = entry.gloss === seg.gloss; radio.disabled = !server.can_edit;
      radio.addEventListener("change", () => setGloss(entry.gloss));
      const name = document.createElement("span"); name.textContent = `${k + 1}. ${entry.gloss}`;
      const bar = document.createElement("span"); bar.className = "ws-bar";
      bar.innerHTML = `<span style="width:${Math.round(entry.prob * 100)}%"></span>`;
      bar.setAttribute("aria-hidden", "true");
      const percent = document.createElement("span"); percent.textContent = Math.round(entry.prob * 100) + "%";
      label.append(radio, name, bar, percent);
      box.appendChild(label);
    });
  }
  function renderText() {
    $("ws-translation").value = state.translation;
    $("ws-model-translation").textContent = server.model.translation?.text || _("(no translation)");
    const flags = $("ws-flags");
    flags.innerHTML = "";
    Object.entries(server.flag_choices).forEach(([key, label]) => {
      const l = document.createElement("label"); const c = document.createElement("input");
      c.type = "checkbox"; c.name = "flag"; c.value = key; c.checked = state.flags.includes(key);
      c.addEventListener("change", () => { state.flags = [...document.querySelectorAll("input[name=flag]:checked")].map((x) => x.value).sort(); renderStatus(); });
      l.append(c, " " + label); flags.appendChild(l); flags.appendChild(document.createElement("br"));
    });
  }
  const STATUS = { new: _("not started"), draft: _("draft"), submitted: _("submitted, awaiting review"), accepted: _("accepted"), rejected: _("rejected") };
  function renderStatus() {
    const badge = $("ws-state-badge");
    badge.textContent = (STATUS[server.status] || server.status) + " · r" + server.revision;
    badge.className = "badge status-" + server.status;
    const edit = server.can_edit;
    document.querySelectorAll("#ws-seg-start, #ws-seg-end, #ws-gloss-input, #ws-split, #ws-merge, #ws-delete, #ws-add, #ws-translation, input[name=flag], #ws-save, #ws-submit, #ws-import-file, #ws-import-button")
      .forEach((el) => { el.disabled = !edit || busy; });
    $("ws-accept").disabled = $("ws-reject").disabled = busy;
    $("ws-review-panel").hidden = !server.can_review;
    $("ws-dirty").textContent = isDirty() ? _("Unsaved changes.") : _("All changes saved.");
    const list = $("ws-reviews"); list.innerHTML = "";
    server.reviews.forEach((r) => {
      const li = document.createElement("li");
      li.textContent = `${r.decision === "accept" ? _("Accepted") : _("Rejected")} — ${r.reviewer || "?"}: ${r.comment || ""}`;
      list.appendChild(li);
    });
  }
  function render() { renderTimeline(); renderList(); renderPanel(); renderStatus(); }
  function select(id) { selectedId = id; layoutTimeline(); renderList(); renderPanel(); }

  // ---- edits ----
  function changed() { layoutTimeline(); renderList(); renderPanel(); renderStatus(); }
  function setGloss(gloss) { const seg = selected(); if (!seg) return; seg.gloss = gloss.trim(); changed(); say(fmt(_("Gloss set to %(g)s."), { g: seg.gloss })); }
  // Move one boundary, clamped so segments keep MIN_LEN and never overlap. A boundary two
  // segments share (one ends where the next starts) moves for both.
  function moveEdge(id, edge, t) {
    const i = index(id), seg = state.segments[i];
    const prev = state.segments[i - 1], next = state.segments[i + 1];
    const other = edge === "start" ? prev : next;
    const joined = !!other && Math.abs((edge === "start" ? other.end : other.start) - seg[edge]) < 1e-6;
    let lo, hi;
    if (edge === "start") { lo = prev ? (joined ? prev.start + MIN_LEN : prev.end) : 0; hi = seg.end - MIN_LEN; }
    else { lo = seg.start + MIN_LEN; hi = next ? (joined ? next.end - MIN_LEN : next.start) : clipEnd(); }
    const value = round(Math.min(hi, Math.max(lo, snap(t))));
    seg[edge] = value;
    if (joined) other[edge === "start" ? "end" : "start"] = value;
    return value;
  }
  function split() {
    const seg = selected(), t = snap(video.currentTime);
    if (!seg || t <= seg.start + MIN_LEN || t >= seg.end - MIN_LEN) { fail(_("Move the playhead inside the selected segment to split it.")); return; }
    const second = { id: newId(), start: t, end: seg.end, gloss: seg.gloss, origin: bestOrigin(t, seg.end, seg.origin) };
    seg.end = t; seg.origin = bestOrigin(seg.start, t, seg.origin);
    state.segments.splice(index(seg.id) + 1, 0, second);
    fail(""); render(); say(_("Segment split at the playhead."));
  }
  function merge() {
    const i = index(selectedId), seg = state.segments[i], next = state.segments[i + 1];
    if (!seg || !next) { fail(_("There is no next segment to merge with.")); return; }
    seg.end = next.end; state.segments.splice(i + 1, 1);
    fail(""); render(); say(_("Segments merged."));
  }
  function remove() {
    const i = index(selectedId); if (i < 0) return;
    state.segments.splice(i, 1);
    selectedId = (state.segments[i] || state.segments[i - 1] || {}).id || null;
    render(); say(_("Segment deleted."));
  }
  function add() {
    const t = snap(video.currentTime);
    if (state.segments.some((s) => t >= s.start && t < s.end)) { fail(_("The playhead is inside a segment; split it instead.")); return; }
    const next = state.segments.find((s) => s.start > t);
    const end = round(Math.min(t + 1, next ? next.start : clipEnd()));
    if (end - t < MIN_LEN) { fail(_("No room for a segment here.")); return; }
    const seg = { id: newId(), start: t, end, gloss: "", origin: bestOrigin(t, end, null) };
    state.segments.push(seg); state.segments.sort((a, b) => a.start - b.start);
    selectedId = seg.id; fail(""); render();
  }

  // ---- boundary handles: drag with the pointer, or arrows on the focused handle ----
  function onHandleKey(e) {
    if (e.key !== "ArrowLeft" && e.key !== "ArrowRight") return;
    e.preventDefault();
    const step = (e.shiftKey ? 10 : 1) / (fps || 30) * (e.key === "ArrowLeft" ? -1 : 1);
    const { id, edge } = e.currentTarget.dataset, seg = state.segments[index(id)];
    video.currentTime = moveEdge(id, edge, seg[edge] + step);
    select(id); changed();
  }
  function onHandleDown(e) {
    const h = e.currentTarget, { id, edge } = h.dataset, rect = $("ws-timeline").getBoundingClientRect();
    h.setPointerCapture(e.pointerId); h.classList.add("dragging"); select(id);
    const move = (ev) => { video.currentTime = moveEdge(id, edge, (ev.clientX - rect.left) / rect.width * clipEnd()); layoutTimeline(); renderPanel(); };
    const up = () => { h.removeEventListener("pointermove", move); h.classList.remove("dragging"); changed(); };
    h.addEventListener("pointermove", move);
    h.addEventListener("pointerup", up, { once: true });
    e.preventDefault();
  }

  // ---- server ----
  async function call(method, url, body, isForm) {
    const headers = { "X-CSRFToken": slrweb.csrfToken() };
    if (!isForm) headers["Content-Type"] = "application/json";
    const r = await fetch(url, { method, headers, body: isForm ? body : JSON.stringify(body), credentials: "same-origin" });
    let data = {}; try { data = await r.json(); } catch (err) { /* empty body */ }
    if (!r.ok) {
      const detail = Array.isArray(data.detail) ? data.detail.map((d) => d.msg).join("; ") : data.detail;
      throw new Error(detail || ("HTTP " + r.status));
    }
    return data;
  }
  async function run(what, action) {
    if (busy) return;
    busy = true; fail(""); renderStatus();
    try {
      const data = await action();
      if (data) adopt(data);
      say(what());
    } catch (err) { fail(err.message); } finally { busy = false; renderStatus(); }
  }
  function adopt(data) {
    server = data; state = copyState(data);
    if (index(selectedId) < 0) selectedId = state.segments.length ? state.segments[0].id : null;
    render(); renderText();
  }
  const payload = () => ({ ...copyState(state), revision: server.revision });
  const save = () => run(() => fmt(_("Draft saved (revision %(r)s)."), { r: server.revision }),
    () => call("PUT", apiBase, payload()));
  const submit = () => run(() => _("Submitted for review."), async () => {
    if (isDirty() || server.status === "new") adopt(await call("PUT", apiBase, payload()));
    return call("POST", apiBase + "submit", { revision: server.revision });
  });
  const review = (decision) => run(() => (decision === "accept" ? _("Accepted.") : _("Rejected.")),
    () => call("POST", apiBase + "review", { decision, comment: $("ws-review-comment").value, revision: server.revision }));
  function importEaf(e) {
    e.preventDefault();
    const file = $("ws-import-file").files[0];
    if (!file) { fail(_("Choose an .eaf file first.")); return; }
    const form = new FormData(); form.append("file", file); form.append("revision", server.revision);
    run(() => _("Segments imported from the ELAN file."), () => call("POST", apiBase + "import-eaf", form, true));
  }

  // ---- vocabulary autocomplete ----
  let searchTimer = null;
  function searchVocabulary() {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(async () => {
      const q = $("ws-gloss-input").value.trim();
      const url = `/api/v1/annotation/glosses/?language=${encodeURIComponent(server.job.language)}&q=${encodeURIComponent(q)}`;
      try {
        const items = await call("GET", url);
        $("ws-vocab").innerHTML = "";
        items.forEach((g) => { const o = document.createElement("option"); o.value = g.gloss; o.label = g.description || ""; $("ws-vocab").appendChild(o); });
      } catch (err) { /* autocomplete is a convenience; the typed gloss still works */ }
    }, 150);
  }

  // ---- keyboard shortcuts ----
  function typing(el) { return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName)); }
  document.addEventListener("keydown", (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key === "s") { e.preventDefault(); if (server.can_edit) save(); return; }
    if (typing(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
    const i = index(selectedId);
    const keys = {
      k: () => (video.paused ? video.play() : video.pause()),
      j: () => { video.currentTime = Math.max(0, video.currentTime - 1 / fps); },
      l: () => { video.currentTime = Math.min(clipEnd(), video.currentTime + 1 / fps); },
      "[": () => { if (i > 0) select(state.segments[i - 1].id); },
      "]": () => { if (i + 1 < state.segments.length) select(state.segments[i + 1].id); },
      s: () => server.can_edit && split(),
      m: () => server.can_edit && merge(),
    };
    if (keys[e.key]) { e.preventDefault(); keys[e.key](); }
  });

  // ---- wiring ----
  $("ws-gloss-input").addEventListener("input", searchVocabulary);
  $("ws-gloss-input").addEventListener("change", (e) => { if (e.target.value.trim()) setGloss(e.target.value); });
  $("ws-gloss-input").addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); setGloss(e.target.value); } });
  ["start", "end"].forEach((edge) => $("ws-seg-" + edge).addEventListener("change", (e) => {
    const seg = selected(); if (seg) { moveEdge(seg.id, edge, parseFloat(e.target.value)); changed(); }
  }));
  $("ws-play-segment").addEventListener("click", () => {
    const seg = selected(); if (!seg) return;
    video.currentTime = seg.start; video.play();
    const stop = () => { if (video.currentTime >= seg.end) { video.pause(); video.removeEventListener("timeupdate", stop); } };
    video.addEventListener("timeupdate", stop);
  });
  $("ws-translation").addEventListener("input", (e) => { state.translation = e.target.value; renderStatus(); });
  $("ws-split").addEventListener("click", split);
  $("ws-merge").addEventListener("click", merge);
  $("ws-delete").addEventListener("click", remove);
  $("ws-add").addEventListener("click", add);
  $("ws-save").addEventListener("click", save);
  $("ws-submit").addEventListener("click", submit);
  $("ws-accept").addEventListener("click", () => review("accept"));
  $("ws-reject").addEventListener("click", () => review("reject"));
  $("ws-import-form").addEventListener("submit", importEaf);
  window.addEventListener("beforeunload", (e) => { if (isDirty()) { e.preventDefault(); e.returnValue = ""; } });
  video.addEventListener("loadedmetadata", () => { if (!duration) duration = video.duration; layoutTimeline(); });
  const playhead = () => { $("ws-playhead").style.left = pct(video.currentTime); };
  ["timeupdate", "seeked"].forEach((ev) => video.addEventListener(ev, playhead));

  // The skeleton overlay is the result page's (frontend/static/frontend/overlay.js).
  slrweb.Overlay.load(jobId, video, $("ws-overlay")).then((overlay) => {
    fps = overlay.data.fps || fps;
    $("ws-show-skeleton").addEventListener("change", (e) => overlay.setEnabled(e.target.checked));
    $("ws-overlay-status").textContent = fmt(_("Skeleton of %(n)s frames at %(fps)s fps."),
      { n: overlay.data.frames, fps: fps.toFixed(1) });
    window.slrwebOverlay = overlay;
  }).catch((err) => { $("ws-overlay-status").textContent = _("No skeleton: ") + err.message; });

  render(); renderText();
})();
