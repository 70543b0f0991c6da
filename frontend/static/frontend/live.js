// Live mode: camera -> MediaPipe Holistic in this browser (holistic.js) -> landmark frames over
// the WebSocket /ws/live/<language>/ -> signs drawn on the timeline as the server settles them.
// "Stop" asks for the result of everything sent; "Save as a job" makes a landmarks-only job (or,
// with "Also keep the video", uploads the recording made meanwhile as an ordinary video job).
//
// A frame is one binary message: Float32Array [time in ms since the first frame, the hands
// recovered (0-3: 1 left, 2 right), then 543 points x, y, z] (recognition/live.py). For a
// language whose jobs recover the hands Holistic lost, the camera path recovers them too
// (handrecovery.js). `slrweb.live.replay(clip)` sends recorded landmarks through
// the same path at their own pace (benchmarks, browsers without Holistic); `slrweb.live.log`
// lists each sign with the page time it was drawn at (ms from the first frame), and counts the
// frames sent (`sent`) and those with a hand in them (`hands`, camera only).
"use strict";
window.slrweb = window.slrweb || {};

slrweb.live = (function () {
  const t = slrweb.t;
  const $ = (id) => document.getElementById(id);
  const card = $("live");
  const preview = $("live-preview"), status = $("live-status"), timeline = $("live-timeline");
  const startButton = $("live-start"), stopButton = $("live-stop"), saveButton = $("live-save");
  const keepVideo = $("live-keep-video"), glosses = $("live-glosses");
  const VALUES = 2 + 543 * 3;
  const MAX_BUFFERED = 1 << 20;  // bytes waiting in the socket: beyond this, frames are skipped
  const log = [];
  let socket = null, ready = null, loading = null, running = false, t0 = null, lastMs = -Infinity;
  let stream = null, recorder = null, chunks = [], video = null, holistic = null, ended = false;
  let recovery = null, recoveryUrl = "";

  const say = (text) => { status.textContent = text; };

  function setButtons(state) {
    card.dataset.state = state;
    startButton.disabled = state === "starting" || state === "live" || state === "saving";
    stopButton.disabled = state !== "live";
    saveButton.disabled = state !== "stopped" || !log.sent;
  }

  // Resolves once the server has the sign model in memory ("loaded"), after "ready".
  function connect(language) {
    return new Promise(function (resolve, reject) {
      loading = { resolve, reject };
      const proto = location.protocol === "https:" ? "wss" : "ws";
      socket = new WebSocket(proto + "://" + location.host + "/ws/live/" + encodeURIComponent(language) + "/");
      socket.binaryType = "arraybuffer";
      socket.onmessage = (m) => onMessage(JSON.parse(m.data));
      socket.onclose = function (e) {
        const reason = e.code === 4403 ? t(gettext("Log in to use live mode."))
          : e.code === 4404 ? t(gettext("No sign model is active for this language."))
          : t(gettext("The connection to the server was lost."));
        if (loading) { loading.reject(new Error(reason)); loading = null; }
        else if (running || !ended) { say(reason); halt(); setButtons(log.sent ? "stopped" : "off"); }
        socket = null;
      };
    });
  }

  function onMessage(message) {
    if (message.type === "ready") { ready = message; say(t(gettext("Loading the sign model…"))); return; }
    if (message.type === "loaded") { if (loading) loading.resolve(ready); loading = null; return; }
    if (message.type === "segment") { draw(message); return; }
    if (message.type === "result") { finished(message.recognition); return; }
    if (message.type === "saved") { say(t(gettext("Saved. Opening the job…"))); location.href = message.url; return; }
    if (message.type === "error") {
      if (loading && message.code === "model") { loading.reject(new Error(message.message)); loading = null; return; }
      say(t(gettext("The server refused: %(reason)s"), { reason: message.message }));
      if (message.code === "too-long" && running) stop();
      if (card.dataset.state === "saving") setButtons("stopped");
    }
  }

  function now() { return performance.now() - t0; }

  // A settled sign: on the timeline, in the running text, and in the log with the time it shows.
  function draw(segment) {
    const span = Math.max(10, t0 === null ? 0 : now() / 1000, segment.end);
    slrweb.timeline.addSegment(timeline, segment, span);
    slrweb.timeline.relayout(timeline, span);
    glosses.textContent = (glosses.textContent + " " + segment.topk[0].gloss).trim();
    const entry = { gloss: segment.topk[0].gloss, start: segment.start, end: segment.end, received_ms: now() };
    log.push(entry);
    requestAnimationFrame(() => { entry.shown_ms = now(); });
  }

  function finished(recognition) {
    ended = true;
    const signs = (recognition.segments || []).map((s) => s.topk[0].gloss);
    say(signs.length ? t(gettext("Stopped. Signs: %(signs)s"), { signs: signs.join(" ") })
      : t(gettext("Stopped. No sign was recognised.")));
    log.result = recognition;
    setButtons("stopped");
  }

  function send(ms, points, recovered) {
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    if (socket.bufferedAmount > MAX_BUFFERED || ms <= lastMs + 1000 / (2 * ready.fps)) return false;
    const frame = new Float32Array(VALUES);
    frame[0] = ms;
    frame[1] = recovered || 0;
    frame.set(points, 2);
    socket.send(frame.buffer);
    lastMs = ms;
    log.sent = (log.sent || 0) + 1;
    if (ms / 1000 >= ready.max_seconds - 1) stop();
    return true;
  }

  async function begin() {
    log.length = 0; log.sent = 0; log.hands = 0; log.result = null;
    timeline.querySelectorAll(".segment").forEach((b) => b.remove());
    timeline.hidden = true; glosses.textContent = ""; ended = false; ready = null;
    lastMs = -Infinity; t0 = null;
    setButtons("starting");
    await connect(slrweb.chosenLanguage());
    running = true;
    setButtons("live");
  }

  // Camera frames at the server's rate, each through Holistic, as fast as it keeps up.
  async function pumpCamera() {
    const gap = 1000 / ready.fps;
    while (running) {
      const ms = t0 === null ? 0 : Math.round(now());
      if (t0 === null) t0 = performance.now();
      const frame = await holistic.landmarksFromFrame(preview);
      const sides = recovery
        ? await recovery.recover(preview, frame, preview.videoWidth, preview.videoHeight) : [];
      if (!running) break;
      const recovered = (sides.includes("left_hand") ? 1 : 0) + (sides.includes("right_hand") ? 2 : 0);
      if (send(ms, frame.points, recovered) && (frame.presence[2] || frame.presence[3])) log.hands += 1;
      // Always through a timer, even when late: Holistic settles in promise callbacks alone, and
      // a loop of them would keep the page's events (Stop, socket messages) waiting.
      await new Promise((r) => setTimeout(r, Math.max(0, gap - (now() - ms))));
    }
  }

  async function startCamera() {
    try {
      await begin();
      if (!slrweb.holistic) throw new Error(t(gettext("MediaPipe Holistic is not available in this page.")));
      say(t(gettext("Loading the landmark model…")));
      holistic = holistic || await slrweb.holistic.createHolistic({ baseUrl: card.dataset.vendor });
      holistic.reset();
      // After Holistic (two MediaPipe solutions must not load at once): the hands it loses,
      // recovered as this language's jobs do.
      const url = slrweb.hands ? slrweb.hands.urlFor(card, slrweb.chosenLanguage()) : "";
      if (url !== recoveryUrl) {
        if (recovery) await recovery.close();
        recovery = url ? await slrweb.hands.createHandRecovery({ baseUrl: url, staticImages: false }) : null;
        recoveryUrl = url;
      }
      stream = await slrweb.camera.open();
      preview.srcObject = stream;
      await preview.play();
      $("live-camera-off").hidden = true;
      if (keepVideo.checked && slrweb.camera.canRecord()) {
        chunks = [];
        recorder = slrweb.camera.recorder(stream);
        recorder.ondataavailable = (e) => { if (e.data && e.data.size) chunks.push(e.data); };
        recorder.start(1000);
      }
      // One frame first, not sent: Holistic's first frame also loads its models (seconds), and
      // frame times must keep pace with the server's clock (recognition/live.py).
      await holistic.landmarksFromFrame(preview);
      say(t(gettext("Live: sign now. Signs appear below as they are recognised.")));
      pumpCamera().catch((err) => { say(t(gettext("Live mode stopped: %(reason)s"), { reason: err.message })); stop(); });
    } catch (err) {
      say(t(gettext("Live mode could not start: %(reason)s"), { reason: err.message || err.name }));
      halt();
      if (socket) socket.close();
      setButtons("off");
    }
  }

  // Recorded landmarks {points: (T * 1629 numbers), timestamps: seconds} sent at their own pace.
  async function replay(clip) {
    await begin();
    const values = 543 * 3;
    t0 = performance.now();
    for (let i = 0; i < clip.timestamps.length && running; i++) {
      const due = clip.timestamps[i] * 1000 - now();
      if (due > 0) await new Promise((r) => setTimeout(r, due));
      send(Math.round(clip.timestamps[i] * 1000), clip.points.slice(i * values, (i + 1) * values));
    }
    return log;
  }

  function halt() {
    running = false;
    if (recorder && recorder.state !== "inactive") {
      recorder.onstop = () => { video = new Blob(chunks, { type: recorder.mimeType || "video/webm" }); };
      recorder.stop();
    }
    if (stream) stream.getTracks().forEach((track) => track.stop());
    stream = null;
    preview.srcObject = null;
    $("live-camera-off").hidden = false;
  }

  function stop() {
    if (!running) return;
    halt();
    say(t(gettext("Stopping: reading the last signs…")));
    socket.send(JSON.stringify({ type: "stop" }));
    setButtons("stopping");
  }

  async function save() {
    setButtons("saving");
    if (video) {  // the user kept the video: an ordinary video job of the recording
      try {
        const job = await slrweb.uploadVideo(video, "live-recording.webm", { language: slrweb.chosenLanguage() },
          (p) => say(t(gettext("Uploading… %(percent)s%"), { percent: p })));
        location.href = "/jobs/" + job.id + "/";
      } catch (err) {
        say(t(gettext("Upload failed: %(reason)s"), { reason: err.message }));
        setButtons("stopped");
      }
      return;
    }
    say(t(gettext("Saving the landmarks as a job…")));
    socket.send(JSON.stringify({ type: "save" }));
  }

  if (card) {
    startButton.addEventListener("click", startCamera);
    stopButton.addEventListener("click", stop);
    saveButton.addEventListener("click", save);
    setButtons("off");
  }
  return { replay, stop, save, log };
})();
