// Home page: record signing with the camera (preview, countdown, timer, hand hint) and upload it.
"use strict";
(function () {
  const t = slrweb.t;
  const $ = (id) => document.getElementById(id);
  const section = $("record");
  if (!section) return;
  const preview = $("camera-preview"), countdown = $("countdown"), status = $("record-status");
  const cameraButton = $("camera-button"), recordButton = $("record-button"), stopButton = $("stop-button");
  const indicator = $("rec-indicator"), timer = $("rec-timer"), hint = $("hand-hint");
  const recorded = $("recorded"), summary = $("recorded-summary"), bar = $("record-upload-progress");
  const countdownSeconds = Number(section.dataset.countdown || 3);
  const maxSeconds = Number(section.dataset.maxSeconds || 600);

  let stream = null, recorder = null, chunks = [], clip = null, startedAt = 0, ticker = null;
  let stopHint = null, countdownTimer = null;

  function formatClock(seconds) {
    const whole = Math.floor(seconds);
    return Math.floor(whole / 60) + ":" + String(whole % 60).padStart(2, "0");
  }

  function setButtons(state) {
    cameraButton.textContent = stream ? t(gettext("Turn camera off")) : t(gettext("Turn camera on"));
    cameraButton.disabled = state === "countdown" || state === "recording" || state === "uploading";
    recordButton.disabled = !stream || state !== "ready";
    stopButton.disabled = state !== "recording" && state !== "countdown";
    section.dataset.state = state;
  }

  async function cameraOn() {
    if (!slrweb.camera.canRecord()) {
      status.textContent = t(gettext("This browser cannot record video. Upload a file instead."));
      return;
    }
    try {
      stream = await slrweb.camera.open();
    } catch (err) {
      status.textContent = t(gettext("The camera could not be opened: %(reason)s"), { reason: err.message || err.name });
      return;
    }
    preview.srcObject = stream;
    await preview.play().catch(() => {});
    // Fit the preview box to the camera's picture (4:3, 16:9, portrait phones...).
    if (preview.videoWidth) preview.parentElement.style.aspectRatio = preview.videoWidth + " / " + preview.videoHeight;
    $("camera-off").hidden = true;
    stopHint = slrweb.handHint.watch(preview, (show) => { hint.hidden = !show; });
    status.textContent = t(gettext("Camera on. Press “Start recording” when you are ready."));
    setButtons("ready");
    recordButton.focus();
  }

  function cameraOff() {
    if (stopHint) { stopHint(); stopHint = null; }
    if (stream) stream.getTracks().forEach((track) => track.stop());
    stream = null;
    preview.srcObject = null;
    $("camera-off").hidden = false;
    hint.hidden = true;
    status.textContent = t(gettext("Camera off."));
    setButtons("off");
  }

  function startCountdown() {
    recorded.hidden = true;
    clip = null;
    let left = countdownSeconds;
    setButtons("countdown");
    stopButton.focus();
    const step = function () {
      if (left <= 0) { countdown.hidden = true; startRecording(); return; }
      countdown.hidden = false;
      countdown.textContent = String(left);
      status.textContent = t(gettext("Recording starts in %(seconds)s…"), { seconds: left });
      left -= 1;
      countdownTimer = setTimeout(step, 1000);
    };
    step();
  }

  function startRecording() {
    chunks = [];
    recorder = slrweb.camera.recorder(stream);
    recorder.ondataavailable = (e) => { if (e.data && e.data.size) chunks.push(e.data); };
    recorder.onstop = finishRecording;
    recorder.start(1000);
    startedAt = performance.now();
    indicator.hidden = false;
    timer.textContent = "0:00";
    ticker = setInterval(function () {
      const seconds = (performance.now() - startedAt) / 1000;
      timer.textContent = formatClock(seconds);
      if (seconds >= maxSeconds) stop();
    }, 250);
    status.textContent = t(gettext("Recording. Press “Stop” when you are done."));
    setButtons("recording");
  }

  function stop() {
    if (countdownTimer) { clearTimeout(countdownTimer); countdownTimer = null; }
    countdown.hidden = true;
    if (recorder && recorder.state !== "inactive") { recorder.stop(); return; }
    status.textContent = t(gettext("Recording cancelled."));
    setButtons("ready");
  }

  function finishRecording() {
    clearInterval(ticker);
    indicator.hidden = true;
    const seconds = (performance.now() - startedAt) / 1000;
    clip = new Blob(chunks, { type: recorder.mimeType || "video/webm" });
    summary.textContent = t(gettext("Recorded %(duration)s (%(size)s kB)."), {
      duration: formatClock(seconds), size: Math.max(1, Math.round(clip.size / 1024)),
    });
    recorded.hidden = false;
    status.textContent = t(gettext("Recording stopped."));
    setButtons("ready");
    $("recorded-upload").focus();
  }

  async function uploadClip() {
    if (!clip) return;
    const extension = clip.type.indexOf("mp4") >= 0 ? "mp4" : "webm";
    const name = "recording-" + new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19) + "." + extension;
    bar.hidden = false; bar.value = 0;
    setButtons("uploading");
    try {
      const job = await slrweb.submitClip(clip, name, { language: slrweb.chosenLanguage() }, (text, p) => {
        bar.value = p; status.textContent = text;
      });
      status.textContent = t(gettext("Uploaded. Opening the job…"));
      if (stream) cameraOff();
      location.href = "/jobs/" + job.id + "/";
    } catch (err) {
      status.textContent = t(gettext("Upload failed: %(reason)s"), { reason: err.message });
      setButtons("ready");
    }
  }

  cameraButton.addEventListener("click", () => (stream ? cameraOff() : cameraOn()));
  recordButton.addEventListener("click", startCountdown);
  stopButton.addEventListener("click", stop);
  $("recorded-upload").addEventListener("click", uploadClip);
  $("recorded-discard").addEventListener("click", function () {
    clip = null; recorded.hidden = true; status.textContent = t(gettext("Recording discarded."));
    (recordButton.disabled ? cameraButton : recordButton).focus();
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && !stopButton.disabled) stop();
  });
  setButtons("off");
})();
