// Home page: the "keep my video on this device" switch (issue 14, privacy mode). When it is on,
// a chosen file or a recording is read by MediaPipe Holistic in this browser (holistic.js) and
// only its landmarks are uploaded, as the project's .npz (npz.js); the video never leaves.
"use strict";
(function () {
  const t = slrweb.t;
  const box = document.getElementById("privacy");
  const toggle = document.getElementById("privacy-switch");
  const KEY = "slrweb.keepVideoOnDevice";

  function active() { return !!(toggle && !toggle.disabled && toggle.checked); }

  if (toggle && !toggle.disabled) {
    try { toggle.checked = localStorage.getItem(KEY) === "1"; } catch (e) { /* private mode */ }
    toggle.addEventListener("change", () => {
      try { localStorage.setItem(KEY, toggle.checked ? "1" : "0"); } catch (e) { /* ignore */ }
    });
  }

  // The landmarks of a video Blob as an .npz File named after it; onProgress(done, total) frames.
  async function landmarksFile(video, name, onProgress, language) {
    const clip = await slrweb.holistic.extractVideo(video, {
      baseUrl: box.dataset.holisticUrl, fps: Number(box.dataset.fps) || 0, onProgress,  // 0: every frame
      // The hands Holistic lost, recovered as the server's jobs of this language do (if so).
      handsUrl: slrweb.hands.urlFor(box, language),
    });
    if (!clip.timestamps.length) throw new Error(t(gettext("no frame could be read")));
    const data = slrweb.npz.landmarksNpz(clip.points, clip.timestamps, clip.fps, clip.recovered);
    const base = (name || "video").replace(/\.[^./]*$/, "");
    return new File([data], base + ".npz", { type: "application/octet-stream" });
  }

  // Upload `file` as a job; with the switch on (and a video, not a landmarks file) only its
  // landmarks go. onStatus(text, percent) drives the form's progress bar and status line.
  slrweb.submitClip = async function (file, name, fields, onStatus) {
    let body = file, filename = name;
    if (active() && slrweb.uploadField(name) === "video") {
      onStatus(t(gettext("Finding body, hands and face on this device…")), 0);
      body = await landmarksFile(file, name, (done, total) => {
        const percent = Math.round(100 * done / total);
        onStatus(t(gettext("Finding landmarks on this device: frame %(done)s of %(total)s")
          , { done, total }), percent);
      }, fields.language);
      filename = body.name;
    }
    return slrweb.uploadVideo(body, filename, fields, (p) => {
      onStatus(filename === name
        ? t(gettext("Uploading… %(percent)s%"), { percent: p })
        : t(gettext("Uploading the landmarks only… %(percent)s%"), { percent: p }), p);
    });
  };
  slrweb.privacy = { active, landmarksFile };
})();
