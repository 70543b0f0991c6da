// Job page: stage-by-stage progress, live over the WebSocket; then hands the result to result.js.
"use strict";
(function () {
  const t = slrweb.t;
  const $ = (id) => document.getElementById(id);
  let state = JSON.parse($("job-state").textContent);
  const labels = JSON.parse($("job-labels").textContent);
  const live = $("job-live");
  const pieces = [];
  let announced = { stages: {}, bucket: -1 };
  let resultShown = false;

  const statusLabel = (status) => labels.statuses[status] || status;
  const stageLabel = (name) => labels.stages[name] || name;

  function formatEta(seconds) {
    if (seconds == null) return "";
    if (seconds < 60) return t(gettext("about %(seconds)s s left"), { seconds: Math.max(1, Math.ceil(seconds)) });
    return t(gettext("about %(minutes)s min left"), { minutes: Math.ceil(seconds / 60) });
  }

  function renderStages() {
    state.stages.forEach(function (stage) {
      const item = document.querySelector('#stages li[data-stage="' + stage.name + '"]');
      if (!item) return;
      item.dataset.status = stage.status;
      item.querySelector(".stage-status").textContent = statusLabel(stage.status);
      item.querySelector("progress").value = stage.percent;
      item.querySelector(".stage-percent").textContent = stage.percent + "%";
      item.querySelector(".stage-eta").textContent = stage.status === "running" ? formatEta(stage.eta_seconds) : "";
    });
  }

  function render() {
    const statusEl = $("job-status");
    statusEl.textContent = statusLabel(state.status);
    statusEl.className = "status status-" + state.status;
    $("job-progress").textContent = state.progress;
    $("job-progress-bar").value = state.progress;
    $("job-error").hidden = !state.error;
    $("job-error").textContent = state.error || "";
    renderStages();
    if (state.status === "succeeded" && !resultShown) {
      resultShown = true;
      $("partial-translation").hidden = true;
      if ($("live-timeline")) $("live-timeline").hidden = true;
      slrweb.result.show(state);
    }
  }

  // Say what changed through the live region: a stage starting or ending, each quarter of the
  // overall progress, the end. Not every percent: a screen reader would never stop talking.
  function announce() {
    const messages = [];
    state.stages.forEach(function (stage) {
      if (announced.stages[stage.name] !== stage.status && stage.status !== "pending") {
        announced.stages[stage.name] = stage.status;
        messages.push(stageLabel(stage.name) + ": " + statusLabel(stage.status));
      }
    });
    const bucket = Math.floor(state.progress / 25);
    if (bucket !== announced.bucket && state.status === "running") {
      announced.bucket = bucket;
      messages.push(t(gettext("%(percent)s% done"), { percent: state.progress }));
    }
    if (state.status === "succeeded") messages.push(t(gettext("Finished: 100%. The result is shown below.")));
    if (state.status === "failed") messages.push(t(gettext("Failed: %(reason)s"), { reason: state.error || "" }));
    if (messages.length) live.textContent = messages.join(". ");
  }

  function onProgress(event) {
    const stage = state.stages.find((s) => s.name === event.stage);
    if (stage) {
      stage.percent = event.percent;
      stage.status = event.percent >= 100 ? "done" : "running";
      stage.eta_seconds = event.eta_seconds;
    }
    if (typeof event.progress === "number") state.progress = event.progress;
    state.status = "running";
    if (event.partial && event.partial.landmarks) {
      state.result = Object.assign({}, state.result, { landmarks: event.partial.landmarks });
    }
  }

  function onToken(event) {
    pieces[event.index != null ? event.index : pieces.length] = event.piece || "";
    const text = pieces.join("").replace(/\u2581/g, " ").trim();
    const partial = $("partial-translation");
    partial.hidden = !text;
    partial.textContent = t(gettext("Translating: %(text)s"), { text });
  }

  // A sign recognised while the video is still being read: drawn on the live timeline at once.
  function onSegment(event) {
    const span = (state.video && state.video.duration) || Math.max(event.end, 1);
    if (slrweb.timeline.addSegment($("live-timeline"), event, span)) {
      live.textContent = t(gettext("Sign: %(gloss)s"), { gloss: event.topk[0].gloss });
    }
  }

  function onEvent(event) {
    if (event.type === "state" || event.type === "result") state = event;
    else if (event.type === "progress") onProgress(event);
    else if (event.type === "token") { onToken(event); return; }
    else if (event.type === "segment") { onSegment(event); return; }
    else if (event.type === "error") { state.status = "failed"; state.error = event.message; }
    render();
    announce();
    if (state.status === "succeeded" || state.status === "failed") watcher.close();
  }

  function onConnection(what, delay) {
    const el = $("connection");
    el.hidden = what === "open";
    if (what === "retrying") el.textContent = t(gettext("Connection lost; reconnecting in %(seconds)s s…"), { seconds: Math.ceil(delay / 1000) });
    if (what === "refused") el.textContent = t(gettext("Live updates are not available for this job."));
  }

  let watcher = { close() {}, drop() {} };
  render();
  announce();
  if (state.status !== "succeeded" && state.status !== "failed") {
    watcher = slrweb.watchJob(state.id, onEvent, onConnection);
  }
  slrweb.jobWatcher = watcher; // lets tests drop the connection to check reconnection
})();
