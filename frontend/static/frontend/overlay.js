// Draws the stored Holistic skeleton (pose, hands, face contours) over a <video>, frame-synced.
//
// Data: GET /api/v1/jobs/<id>/overlay.json (jobs.exports.overlay_landmarks): timestamps per frame,
// connections per part, and per frame a flat [x0, y0, x1, y1, ...] in 1/scale of the picture.
"use strict";
window.slrweb = window.slrweb || {};

slrweb.Overlay = (function () {
  const STYLE = {
    pose: { color: "#f8f8f8", width: 3 },
    face: { color: "#8fd3ff", width: 1.5 },
    left_hand: { color: "#ffb000", width: 2.5, dots: true },
    right_hand: { color: "#00d1a0", width: 2.5, dots: true },
  };

  // Index of the frame shown at `time`: the last one whose timestamp is <= time (with a small
  // tolerance for decoders that report a presentation time a hair before the stored one).
  function frameAt(timestamps, time) {
    let lo = 0, hi = timestamps.length - 1, found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (timestamps[mid] <= time + 0.002) { found = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    return found;
  }

  // The typical time between frames. Not 1/fps: a recording without a declared rate reports a
  // nominal one (WebM's 1000) while its frames come every ~33 ms.
  function medianStep(timestamps) {
    const steps = [];
    for (let i = 1; i < timestamps.length; i++) steps.push(timestamps[i] - timestamps[i - 1]);
    steps.sort((a, b) => a - b);
    return steps.length ? steps[steps.length >> 1] : 0;
  }

  // Where the picture sits inside the element (a <video> letterboxes it: object-fit contain).
  function pictureBox(video, width, height) {
    const vw = video.videoWidth || width, vh = video.videoHeight || height;
    const scale = Math.min(width / vw, height / vh);
    const w = vw * scale, h = vh * scale;
    return { x: (width - w) / 2, y: (height - h) / 2, w, h };
  }

  class Overlay {
    constructor(video, canvas, data) {
      this.video = video; this.canvas = canvas; this.data = data;
      this.enabled = true; this.lastFrame = null; this.drawnSegments = 0;
      this.frameDuration = medianStep(data.timestamps) || 1 / (data.fps || 30);
      new ResizeObserver(() => this.resize()).observe(video);
      ["loadeddata", "seeked", "pause", "play"].forEach((type) => video.addEventListener(type, () => this.draw()));
      this.resize();
      this.loop();
    }

    resize() {
      const ratio = window.devicePixelRatio || 1;
      this.canvas.width = Math.round(this.video.clientWidth * ratio);
      this.canvas.height = Math.round(this.video.clientHeight * ratio);
      this.canvas.style.width = this.video.clientWidth + "px";
      this.canvas.style.height = this.video.clientHeight + "px";
      this.draw();
    }

    // requestVideoFrameCallback runs once per presented frame with its exact media time.
    loop() {
      const video = this.video;
      if (video.requestVideoFrameCallback) {
        const onFrame = (now, meta) => { this.draw(meta.mediaTime); video.requestVideoFrameCallback(onFrame); };
        video.requestVideoFrameCallback(onFrame);
      } else {
        const tick = () => { if (!video.paused) this.draw(); requestAnimationFrame(tick); };
        requestAnimationFrame(tick);
      }
    }

    setEnabled(on) { this.enabled = on; this.draw(); }

    draw(mediaTime) {
      const ctx = this.canvas.getContext("2d");
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
      this.drawnSegments = 0;
      if (!this.enabled) return;
      const time = mediaTime != null ? mediaTime : this.video.currentTime;
      const index = frameAt(this.data.timestamps, time);
      // A frame shows until the next one; past the last frame by more than two frame lengths,
      // nothing was extracted (a clip decoded only in part).
      const last = this.data.timestamps.length - 1;
      if (index < 0 || (index === last && time - this.data.timestamps[last] > 2 * this.frameDuration)) {
        this.lastFrame = null;
        return;
      }
      this.lastFrame = index;
      const points = this.data.points[index];
      const box = pictureBox(this.video, this.canvas.width, this.canvas.height);
      const scale = this.data.scale, ratio = window.devicePixelRatio || 1;
      const at = (k) => (points[2 * k] == null ? null
        : [box.x + (points[2 * k] / scale) * box.w, box.y + (points[2 * k + 1] / scale) * box.h]);
      ctx.lineCap = "round";
      for (const [part, pairs] of Object.entries(this.data.connections)) {
        const style = STYLE[part] || STYLE.pose;
        const segments = [];
        for (const [a, b] of pairs) {
          const p = at(a), q = at(b);
          if (p && q) segments.push([p, q]);
        }
        if (!segments.length) continue;
        // A dark halo under every line keeps the skeleton visible on light and dark pictures.
        for (const [color, extra] of [["rgba(0,0,0,0.55)", 2], [style.color, 0]]) {
          ctx.strokeStyle = color;
          ctx.lineWidth = (style.width + extra) * ratio;
          ctx.beginPath();
          for (const [p, q] of segments) { ctx.moveTo(p[0], p[1]); ctx.lineTo(q[0], q[1]); }
          ctx.stroke();
        }
        if (style.dots) {
          ctx.fillStyle = style.color;
          for (const [p] of segments) { ctx.beginPath(); ctx.arc(p[0], p[1], 2.5 * ratio, 0, 2 * Math.PI); ctx.fill(); }
        }
        this.drawnSegments += segments.length;
      }
    }
  }

  Overlay.frameAt = frameAt;
  Overlay.load = async function (jobId, video, canvas) {
    const response = await fetch("/api/v1/jobs/" + jobId + "/overlay.json", { credentials: "same-origin" });
    if (!response.ok) throw new Error("HTTP " + response.status);
    return new Overlay(video, canvas, await response.json());
  };
  return Overlay;
})();
