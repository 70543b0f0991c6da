// A cheap in-browser check for "is a hand in the picture?" while recording.
//
// No model runs here: the frame is shrunk to 80x45, skin-coloured pixels are found with a
// YCbCr rule, and a hand is assumed when there are at least two separate skin regions (a face
// and a hand) or when skin-coloured pixels move between two checks (a hand in front of the face
// merges with it). It can be fooled by skin-coloured backgrounds or a moving head; it only
// drives a hint. The server's MediaPipe landmarks remain the source of truth.
"use strict";
window.slrweb = window.slrweb || {};

slrweb.handHint = (function () {
  const WIDTH = 80, HEIGHT = 45;
  const MIN_REGION = 0.0015;   // of the picture: smaller skin regions are noise
  const MIN_MOVING = 0.002;    // of the picture: moving skin pixels that count as a hand moving
  const MOTION_STEP = 24;      // luma change (0-255) that counts as movement

  function isSkin(r, g, b) {
    const y = 0.299 * r + 0.587 * g + 0.114 * b;
    const cb = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b;
    const cr = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b;
    return cr >= 138 && cr <= 175 && cb >= 80 && cb <= 125 && y > 50 && r > g && r > b && r - g > 15;
  }

  // Areas of the 4-connected regions of a mask, largest first.
  function regionAreas(mask, width, height) {
    const seen = new Uint8Array(mask.length), areas = [], stack = [];
    for (let start = 0; start < mask.length; start++) {
      if (!mask[start] || seen[start]) continue;
      let area = 0;
      stack.push(start); seen[start] = 1;
      while (stack.length) {
        const i = stack.pop(), x = i % width;
        area++;
        const next = [x > 0 ? i - 1 : -1, x < width - 1 ? i + 1 : -1, i - width, i + width];
        for (const j of next) {
          if (j >= 0 && j < mask.length && mask[j] && !seen[j]) { seen[j] = 1; stack.push(j); }
        }
      }
      areas.push(area);
    }
    return areas.sort((a, b) => b - a);
  }

  // rgba: ImageData.data of a WIDTH x HEIGHT picture; previousLuma: the last call's `luma`.
  function analyse(rgba, width, height, previousLuma) {
    const n = width * height, mask = new Uint8Array(n), luma = new Uint8Array(n);
    let moving = 0;
    for (let i = 0; i < n; i++) {
      const r = rgba[4 * i], g = rgba[4 * i + 1], b = rgba[4 * i + 2];
      luma[i] = (0.299 * r + 0.587 * g + 0.114 * b) | 0;
      mask[i] = isSkin(r, g, b) ? 1 : 0;
      if (mask[i] && previousLuma && Math.abs(luma[i] - previousLuma[i]) >= MOTION_STEP) moving++;
    }
    const regions = regionAreas(mask, width, height).filter((a) => a >= MIN_REGION * n);
    const movingFraction = moving / n;
    return {
      regions: regions.length,
      movingFraction,
      handLikely: regions.length >= 2 || movingFraction >= MIN_MOVING,
      luma,
    };
  }

  // Draw any image source (video, image, canvas) small and analyse it.
  function analyseSource(source, previousLuma) {
    const canvas = analyseSource.canvas || (analyseSource.canvas = document.createElement("canvas"));
    canvas.width = WIDTH; canvas.height = HEIGHT;
    const context = canvas.getContext("2d", { willReadFrequently: true });
    context.drawImage(source, 0, 0, WIDTH, HEIGHT);
    return analyse(context.getImageData(0, 0, WIDTH, HEIGHT).data, WIDTH, HEIGHT, previousLuma);
  }

  // Check `video` every `everyMs`; onChange(true) once no hand was seen for `graceMs`,
  // onChange(false) as soon as one is seen again. Returns a stop function.
  function watch(video, onChange, everyMs = 250, graceMs = 1500) {
    let previous = null, lastSeen = performance.now(), showing = false;
    const timer = setInterval(function () {
      if (video.readyState < 2) return;
      const result = analyseSource(video, previous);
      previous = result.luma;
      const now = performance.now();
      if (result.handLikely) lastSeen = now;
      const show = now - lastSeen > graceMs;
      if (show !== showing) { showing = show; onChange(show); }
    }, everyMs);
    return function stop() { clearInterval(timer); if (showing) onChange(false); };
  }

  return { analyse, analyseSource, watch, WIDTH, HEIGHT };
})();
