// MediaPipe Holistic in the browser (issue 14: privacy mode, live mode), in the project's layout.
//
// Needs the npm package @mediapipe/holistic served by the site (`slrweb vendor`, frontend/vendor.py;
// never a CDN): its holistic.js is loaded on demand from `baseUrl`, and so are its wasm and model
// files (locateFile). The settings match the server's extraction (landmarks/extract.py):
// model_complexity 1, smooth_landmarks on, refine_face_landmarks off (468 face points), no selfie
// flip, so "left hand" is the signer's own left hand as on the server.
//
// API (stable; live mode reuses it for the camera):
//   const holistic = await slrweb.holistic.createHolistic({baseUrl, cpuInference});
//     // cpuInference: run the models on the CPU (default: when WebGL is a software renderer)
//   const frame = await holistic.landmarksFromFrame(image, timestampMs);
//     // image: <video>, <canvas>, <img> or ImageBitmap. frame.points: Float32Array(543 * 3) in
//     // landmarks/layout.py order (pose 33, face 468, left hand 21, right hand 21; x, y
//     // image-normalised, z MediaPipe's depth; NaN where a part is missing), frame.presence:
//     // [pose, face, left hand, right hand] booleans, frame.visibility: the 33 pose points'
//     // visibility scores (null without a pose).
//   holistic.reset();  // a new clip: forget the tracked person and the smoothing filters
//   await holistic.close();
//   const clip = await slrweb.holistic.extractVideo(fileOrBlob,
//                                                   {holistic, fps, onProgress, handsUrl});
//     // clip.points: Float32Array(T * 543 * 3), clip.timestamps (s), clip.fps: npz.js's input.
//     // With handsUrl (or a `recovery` from handrecovery.js), the hands Holistic lost are
//     // recovered as the server does (landmarks/hands.py); clip.recovered: Uint8Array(T * 2),
//     // 1 where a frame's left / right hand was recovered (null without recovery).
(function (root) {
  "use strict";

  const NUM_POINTS = 543;
  // [results field, first point, point count]; the order of landmarks/layout.py.
  const PARTS = [
    ["poseLandmarks", 0, 33],
    ["faceLandmarks", 33, 468],
    ["leftHandLandmarks", 501, 21],
    ["rightHandLandmarks", 522, 21],
  ];
  // The server's Holistic (mediapipe.python.solution_base) stamps its n-th frame n * 33333 us,
  // whatever the video's rate: the smoothing filters see the same clock when we do the same.
  const SERVER_FRAME_MS = 33.333;
  const DEFAULT_BASE_URL = "/static/vendor/holistic/";

  // Load holistic.js once per page (a classic script setting window.Holistic).
  const scripts = {};
  function loadScript(url) {
    if (!scripts[url]) {
      scripts[url] = new Promise((resolve, reject) => {
        const tag = document.createElement("script");
        tag.src = url;
        tag.onload = () => resolve();
        tag.onerror = () => { delete scripts[url]; reject(new Error("could not load " + url)); };
        document.head.appendChild(tag);
      });
    }
    return scripts[url];
  }

  // One Holistic result -> {points, presence} in the project layout.
  function toLayout(results) {
    const points = new Float32Array(NUM_POINTS * 3).fill(NaN);
    const pose = results.poseLandmarks;
    const visibility = pose && pose.length >= 33
      ? Float32Array.from(pose.slice(0, 33), (p) => (p.visibility === undefined ? NaN : p.visibility))
      : null;
    const presence = PARTS.map(([field, first, count]) => {
      const part = results[field];
      if (!part || part.length < count) return false;
      for (let i = 0; i < count; i++) {
        const at = (first + i) * 3;
        points[at] = part[i].x; points[at + 1] = part[i].y; points[at + 2] = part[i].z;
      }
      return true;
    });
    return { points, presence, visibility };
  }

  // Whether this browser's WebGL is a software renderer (SwiftShader, llvmpipe: no GPU, or one
  // the browser will not use). The models then run on the CPU instead (TFLite in wasm,
  // `useCpuInference`): measured in headless Chromium here (bench/RESULTS.md, privacy mode),
  // 156 ms a frame against 1773 ms on SwiftShader's WebGL, the landmarks as close to the
  // server's. A real GPU keeps the package's default (WebGL).
  let software = null;
  function softwareWebGL() {
    if (software === null) {
      try {
        const gl = document.createElement("canvas").getContext("webgl");
        const info = gl && gl.getExtension("WEBGL_debug_renderer_info");
        const renderer = gl ? String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER)) : "";
        software = !gl || /swiftshader|llvmpipe|softpipe|software/i.test(renderer);
      } catch (err) {
        software = true;
      }
    }
    return software;
  }

  async function createHolistic(options) {
    const opts = options || {};
    const baseUrl = opts.baseUrl || DEFAULT_BASE_URL;
    await loadScript(baseUrl + "holistic.js");
    if (typeof root.Holistic !== "function") throw new Error("holistic.js did not define Holistic");
    const solution = new root.Holistic({ locateFile: (file) => baseUrl + file });
    const cpu = opts.cpuInference === undefined ? softwareWebGL() : !!opts.cpuInference;
    solution.setOptions({
      modelComplexity: opts.modelComplexity === undefined ? 1 : opts.modelComplexity,
      smoothLandmarks: true,
      refineFaceLandmarks: false,
      enableSegmentation: false,
      enableFaceGeometry: false,
      selfieMode: false,
      minDetectionConfidence: 0.5,
      minTrackingConfidence: 0.5,
      useCpuInference: cpu,
    });
    let pending = null;  // the frame in flight's resolve, taken by its results
    solution.onResults((results) => {
      const deliver = pending;
      pending = null;
      if (deliver) deliver(toLayout(results));
    });
    await solution.initialize();
    let sent = 0;
    // The solution's own send() stamps frames with performance.now(); its inner graph runner
    // (pinned package version) takes an explicit time, which gives the server's clock.
    const runner = solution.h && typeof solution.h.send === "function" ? solution.h : null;

    // One frame at a time: the next send() waits for both the previous frame's results and its
    // send() to finish, so a call made as soon as the previous one returns neither overlaps a
    // send still in progress nor has its results hook cleared by that send's completion.
    let queue = Promise.resolve();
    function landmarksFromFrame(image, timestampMs) {
      const at = timestampMs === undefined ? (sent + 1) * SERVER_FRAME_MS : timestampMs;
      sent += 1;
      const run = queue.then(() => {
        const results = new Promise((resolve) => { pending = resolve; });
        const done = runner ? runner.send({ image }, at) : solution.send({ image });
        return Promise.all([results, done]).then(([frame]) => frame, (err) => {
          pending = null;
          throw err;
        });
      });
      queue = run.catch(() => undefined);
      return run;
    }
    return {
      landmarksFromFrame,
      reset() { sent = 0; solution.reset(); },
      close() { return solution.close(); },
      timestampMode: runner ? "server-clock" : "wall-clock",
      inference: cpu ? "cpu" : "gpu",
    };
  }

  function once(target, type) {
    return new Promise((resolve, reject) => {
      const ok = () => { target.removeEventListener("error", fail); resolve(); };
      const fail = () => {
        target.removeEventListener(type, ok); reject(new Error("the video could not be read"));
      };
      target.addEventListener(type, ok, { once: true });
      target.addEventListener("error", fail, { once: true });
    });
  }

  // Media times of the frames a short muted play from `from` presents (a browser gives no frame
  // rate, and paused seeks report no frame time); at most `count`, or until the end.
  async function playedFrameTimes(video, from, count) {
    const times = [];
    if (typeof video.requestVideoFrameCallback !== "function") return times;
    await seek(video, from);
    await new Promise((resolve) => {
      const onFrame = (_, meta) => {
        times.push(meta.mediaTime);
        if (times.length < count) video.requestVideoFrameCallback(onFrame); else resolve();
      };
      video.requestVideoFrameCallback(onFrame);
      video.addEventListener("ended", resolve, { once: true });
      video.play().catch(resolve);
      setTimeout(resolve, 3000);
    });
    video.pause();
    return times;
  }

  // The video's frame grid: first frame time, frame duration, last frame time (s).
  async function frameGrid(video, duration) {
    const times = await playedFrameTimes(video, 0, 8);
    // The mean step between consecutive frames (ms time bases alternate 33 and 34 ms), leaving
    // out the gaps where playback skipped a frame. A variable-rate recording gets its mean rate.
    const steps = times.slice(1).map((t, i) => t - times[i]).filter((d) => d > 1e-4);
    const median = steps.slice().sort((a, b) => a - b)[Math.floor(steps.length / 2)];
    const even = steps.filter((d) => d < 1.5 * median);
    const frame = even.length ? even.reduce((a, b) => a + b, 0) / even.length : 1 / 30;
    // The first callback may come for the second frame (the first was shown before play).
    const first = times.length ? Math.max(0, times[0] - frame * Math.round(times[0] / frame)) : 0;
    // The last frame's time from playing the end (a recording's duration may be the last
    // frame's start or its end); else the duration, which covers the last frame's display.
    const tail = await playedFrameTimes(video, Math.max(0, duration - 4 * frame), 1000);
    const last = tail.length ? Math.max(...tail) : duration - frame / 2;
    return { first, frame, last };
  }

  async function seek(video, time) {
    const seeked = once(video, "seeked");
    video.currentTime = time;
    await seeked;
  }

  // The server's tracking segments (landmarks/extract.py segment_plan): the fewest segments of
  // at most SEGMENT_SECONDS, made even, of equal length in whole frames at the reading rate
  // (the last also takes the remainder); one segment when the clip is no longer than that.
  const SEGMENT_SECONDS = 2.0;
  function segmentPlan(duration, rate) {
    if (!(duration > SEGMENT_SECONDS)) return { length: SEGMENT_SECONDS, count: 1 };
    let count = Math.ceil(duration / SEGMENT_SECONDS - 1e-9);
    count += count % 2;
    const frames = Math.max(1, Math.floor(duration / count * rate + 1e-6));
    return { length: frames / rate, count };
  }

  // The frames the server reads from a constant-rate grid ({first, frame, last} in s) at `fps`,
  // with their tracking segment: in each segment, as the server's keep_frame, tick k/fps after
  // the segment's first frame takes the first frame at or after it (1 ms slack).
  function framePlan(grid, duration, fps) {
    const plan = segmentPlan(duration, fps);
    const segmentOf = (t) => Math.min(Math.floor((t + 1e-6) / plan.length), plan.count - 1);
    const time = (n) => grid.first + n * grid.frame;
    const frames = [];
    let segment = -1, first = 0, kept = 0;
    for (let n = 0; time(n) <= grid.last + grid.frame / 2; n++) {
      const t = time(n), s = segmentOf(t);
      if (s !== segment) { segment = s; first = t; kept = 0; }
      if (t >= first + kept / fps - 1e-3) { frames.push({ time: t, segment }); kept += 1; }
    }
    return frames;
  }

  // Holistic on a video file, frame by frame, at `fps` frames per second (the server's
  // SLRWEB_EXTRACT_FPS; 0 or none: every frame): the server's frames (framePlan), each shown by
  // seeking to the middle of its time, tracking restarted at each segment as on the server.
  async function extractVideo(file, options) {
    const opts = options || {};
    const holistic = opts.holistic || await createHolistic(opts);
    const video = document.createElement("video");
    video.muted = true; video.playsInline = true; video.preload = "auto";
    const url = URL.createObjectURL(file);
    let recovery = opts.recovery || null;
    try {
      // Hands loads after Holistic has initialised (handrecovery.js).
      if (!recovery && opts.handsUrl) {
        recovery = await root.slrweb.hands.createHandRecovery({ baseUrl: opts.handsUrl });
      }
      const loaded = once(video, "loadeddata");
      video.src = url;
      await loaded;
      // A MediaRecorder webm states no duration until the end has been read: seek past it.
      if (!isFinite(video.duration)) await seek(video, 1e9);
      const duration = video.duration;
      if (!isFinite(duration) || duration <= 0) throw new Error("the video has no duration");
      const grid = await frameGrid(video, duration);
      const fps = Math.min(opts.fps || 1 / grid.frame, 1 / grid.frame);
      const frames = framePlan(grid, duration, fps);
      const points = new Float32Array(frames.length * NUM_POINTS * 3);
      const recovered = recovery ? new Uint8Array(frames.length * 2) : null;
      for (let i = 0; i < frames.length; i++) {
        if (i === 0 || frames[i].segment !== frames[i - 1].segment) holistic.reset();
        await seek(video, frames[i].time + grid.frame / 2);
        const frame = await holistic.landmarksFromFrame(video);
        if (recovery) {
          const sides = await recovery.recover(video, frame, video.videoWidth, video.videoHeight);
          sides.forEach((side) => { recovered[i * 2 + (side === "left_hand" ? 0 : 1)] = 1; });
        }
        points.set(frame.points, i * NUM_POINTS * 3);
        if (opts.onProgress) opts.onProgress(i + 1, frames.length);
      }
      return { points, timestamps: frames.map((f) => Math.round(f.time * 1e6) / 1e6), fps,
               recovered };
    } finally {
      URL.revokeObjectURL(url);
      if (recovery && !opts.recovery) await recovery.close();
      if (!opts.holistic) await holistic.close();
    }
  }

  const api = { createHolistic, extractVideo, framePlan, segmentPlan, toLayout, loadScript, softwareWebGL,
                NUM_POINTS, SERVER_FRAME_MS };
  (root.slrweb = root.slrweb || {}).holistic = api;
})(this);
