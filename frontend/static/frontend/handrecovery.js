// Hands that Holistic lost, found again by MediaPipe Hands in the browser (privacy mode), as the
// server's landmarks/hands.py does for languages whose models were trained on such landmarks.
//
// Holistic looks for a hand only where its pose model puts the wrist; on some handshapes (a
// fist over the thumb: N, M, Q) that crop misses the hand on most frames. Hands detects palms
// on the whole frame. The rules are the server's (landmarks/hands.py: missing_sides, assign,
// handedness_side), with the same constants; tests/browser/test_hand_recovery_browser.py
// checks this port against the Python functions on the same cases and against the server's
// recovery on a real clip. Hands restarts before every frame (reset), which is the server's
// static-image mode: a frame's result depends on that frame alone.
//
// Needs the npm package @mediapipe/hands served by the site (`slrweb vendor`), loaded after
// Holistic has initialised (two MediaPipe solutions loading at once mix up their wasm).
//
// API:
//   const recovery = await slrweb.hands.createHandRecovery({baseUrl, staticImages});
//   const sides = await recovery.recover(image, frame, width, height);
//     // frame: holistic.landmarksFromFrame's result (points changed in place, presence
//     // updated); returns the sides filled, e.g. ["right_hand"]
//   await recovery.close();
//   slrweb.hands.urlFor(element, language);  // the Hands folder for this language's jobs, or ""
(function (root) {
  "use strict";

  // landmarks/hands.py's constants.
  const MIN_WRIST_VISIBILITY = 0.5;
  const FRAME_MARGIN = 0.02;
  const MAX_WRIST_DISTANCE = 0.6;
  const LABELLED_WRIST_DISTANCE = 1.5;
  const MIN_DETECTION_CONFIDENCE = 0.5;
  // landmarks/layout.py: the pose points and each hand's first point and presence slot.
  const LEFT_SHOULDER = 11, RIGHT_SHOULDER = 12;
  const SIDES = ["left_hand", "right_hand"];
  const POSE_WRIST = { left_hand: 15, right_hand: 16 };
  const HAND_FIRST = { left_hand: 501, right_hand: 522 };
  const PRESENCE = { left_hand: 2, right_hand: 3 };
  const HAND_POINTS = 21;
  const DEFAULT_BASE_URL = "/static/vendor/hands/";

  function handMissing(points, side) {
    for (let i = 0; i < HAND_POINTS; i++) {
      if (!Number.isNaN(points[(HAND_FIRST[side] + i) * 3])) return false;
    }
    return true;
  }

  function xy(points, index) { return [points[index * 3], points[index * 3 + 1]]; }

  // The hands absent from `points` whose pose wrist is visible inside the frame
  // (visibility: the pose points' visibility scores, index as the pose's 33 points).
  function missingSides(points, visibility) {
    if (!visibility) return [];
    return SIDES.filter((side) => {
      const [x, y] = xy(points, POSE_WRIST[side]);
      const inside = x >= FRAME_MARGIN && x <= 1 - FRAME_MARGIN
        && y >= FRAME_MARGIN && y <= 1 - FRAME_MARGIN;
      return handMissing(points, side) && inside && visibility[POSE_WRIST[side]] >= MIN_WRIST_VISIBILITY;
    });
  }

  // Which detected hand (index into `detected`: {points: 21 [x, y, z], side: the side Hands'
  // handedness names, or null}) fills which missing side: landmarks/hands.py assign.
  function assign(points, poseXY, detected, sides, scale, shoulderWidth) {
    const distance = (a, b) =>
      Math.hypot((a[0] - b[0]) * scale[0], (a[1] - b[1]) * scale[1]) / shoulderWidth;
    const kept = SIDES.filter((side) => !sides.includes(side) && !handMissing(points, side))
      .map((side) => xy(points, HAND_FIRST[side]));
    const free = detected.map((_, i) => i).filter((i) =>
      kept.every((wrist) => distance(detected[i].points[0], wrist) > MAX_WRIST_DISTANCE));
    const pairs = [];
    for (const side of sides) {
      for (const i of free) pairs.push([distance(detected[i].points[0], poseXY[side]), side, i]);
    }
    // Python's tuple order: distance, then side name, then index.
    pairs.sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0) || a[2] - b[2]);
    const chosen = {};
    for (const [d, side, i] of pairs) {
      const near = d <= MAX_WRIST_DISTANCE;
      const named = detected[i].side === side && d <= LABELLED_WRIST_DISTANCE;
      if ((near || named) && !(side in chosen) && !Object.values(chosen).includes(i)) {
        chosen[side] = i;
      }
    }
    return chosen;
  }

  // Hands' handedness assumes a mirrored (selfie) image; it reads the unmirrored frame, so its
  // "Left" is the signer's right hand.
  function handednessSide(label) {
    return { Left: "right_hand", Right: "left_hand" }[label] || null;
  }

  async function createHandRecovery(options) {
    const opts = options || {};
    const baseUrl = opts.baseUrl || DEFAULT_BASE_URL;
    await root.slrweb.holistic.loadScript(baseUrl + "hands.js");
    if (typeof root.Hands !== "function") throw new Error("hands.js did not define Hands");
    const solution = new root.Hands({ locateFile: (file) => baseUrl + file });
    solution.setOptions({
      maxNumHands: 2,
      modelComplexity: 1,
      minDetectionConfidence: MIN_DETECTION_CONFIDENCE,
      minTrackingConfidence: 0.5,
      selfieMode: false,
      // As Holistic's (holistic.js softwareWebGL): on the CPU where WebGL is software.
      useCpuInference: opts.cpuInference === undefined
        ? root.slrweb.holistic.softwareWebGL() : !!opts.cpuInference,
    });
    let pending = null;
    solution.onResults((results) => {
      const deliver = pending;
      pending = null;
      if (deliver) deliver(results);
    });
    await solution.initialize();

    // staticImages (default): no tracking from one frame to the next, the server's static-image
    // mode (a clip's landmarks must not depend on how it is read); false: Hands tracks the hand
    // it found on the previous frame it read, as in a video (live mode).
    const restart = opts.staticImages === undefined ? true : !!opts.staticImages;
    async function detect(image) {
      if (restart) solution.reset();
      const results = new Promise((resolve) => { pending = resolve; });
      await solution.send({ image });
      const found = await results;
      const hands = found.multiHandLandmarks || [], labels = found.multiHandedness || [];
      return hands.map((hand, i) => ({
        points: hand.map((p) => [p.x, p.y, p.z]),
        side: handednessSide(labels[i] && labels[i].label),
      }));
    }

    // Fill the hands Holistic missed in frame.points from Hands on `image` (the picture
    // Holistic read, width x height pixels); the sides filled.
    async function recover(image, frame, width, height) {
      const sides = missingSides(frame.points, frame.visibility);
      if (!sides.length) return [];
      const scale = [width, height];
      const [lx, ly] = xy(frame.points, LEFT_SHOULDER), [rx, ry] = xy(frame.points, RIGHT_SHOULDER);
      const shoulderWidth = Math.hypot((lx - rx) * width, (ly - ry) * height);
      if (!(shoulderWidth > 1)) return [];
      const detected = await detect(image);
      const poseXY = {};
      for (const side of SIDES) poseXY[side] = xy(frame.points, POSE_WRIST[side]);
      const chosen = assign(frame.points, poseXY, detected, sides, scale, shoulderWidth);
      for (const [side, i] of Object.entries(chosen)) {
        detected[i].points.forEach((p, k) => frame.points.set(p, (HAND_FIRST[side] + k) * 3));
        frame.presence[PRESENCE[side]] = true;
      }
      return SIDES.filter((side) => side in chosen);
    }

    return { recover, close() { return solution.close(); } };
  }

  // The Hands folder to recover with for a job of `language`, or "" (no recovery): an element's
  // data-hands-url (empty when the site does not serve Hands) and data-recover-languages (the
  // languages whose jobs recover hands: registry.selectors.hand_recovery_languages).
  function urlFor(element, language) {
    const codes = (element.dataset.recoverLanguages || "").split(" ").filter(Boolean);
    return codes.includes(language) ? element.dataset.handsUrl || "" : "";
  }

  (root.slrweb = root.slrweb || {}).hands = {
    createHandRecovery, missingSides, assign, handednessSide, urlFor, SIDES,
  };
})(this);
