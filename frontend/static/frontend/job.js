"use strict";
(function () {
  let state = JSON.parse(document.getElementById("job-state").textContent);
  const $ = (id) => document.getElementById(id);

  function renderStages() {
    $("stages").innerHTML = "";
    state.stages.forEach((s) => {
      const li = document.createElement("li");
      const eta = s.eta_seconds ? " · ~" + Math.ceil(s.eta_seconds) + " s left" : "";
      li.textContent = s.name + ": " + s.status + " (" + s.percent + "%)" + eta;
      $("stages").appendChild(li);
    });
  }
  function renderLandmarks() {
    const lm = (state.result || {}).landmarks;
    const dl = $("landmark-summary");
    dl.innerHTML = "";
    if (!lm) return;
    Object.entries(lm).forEach(([k, v]) => {
      const dt = document.createElement("dt"); dt.textContent = k.replace(/_/g, " ");
      const dd = document.createElement("dd"); dd.textContent = Array.isArray(v) ? v.join("; ") : v;
      dl.append(dt, dd);
    });
  }
  function render() {
    $("job-status").textContent = state.status;
    $("job-progress").textContent = state.progress;
    $("job-progress-bar").value = state.progress;
    $("job-error").hidden = !state.error;
    $("job-error").textContent = state.error || "";
    renderStages();
    renderLandmarks();
  }
  function onEvent(ev) {
    if (ev.type === "state" || ev.type === "result") { state = ev; }
    else if (ev.type === "progress") {
      const s = state.stages.find((x) => x.name === ev.stage);
      if (s) { s.percent = ev.percent; s.status = ev.percent >= 100 ? "done" : "running"; s.eta_seconds = ev.eta_seconds; }
      state.progress = ev.progress; state.status = "running";
      if (ev.partial && ev.partial.landmarks) { state.result = state.result || {}; state.result.landmarks = ev.partial.landmarks; }
      $("job-live").textContent = ev.stage + " " + ev.percent + "%";
    } else if (ev.type === "error") { state.status = "failed"; state.error = ev.message; }
    if (ev.type === "result") $("job-live").textContent = "Done.";
    render();
  }
  render();
  if (state.status !== "succeeded" && state.status !== "failed") slrweb.watchJob(state.id, onEvent);
})();
