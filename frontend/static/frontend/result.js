// Result view: video + skeleton overlay, a timeline of recognised signs (click or arrow keys to
// seek) with top-k confidence bars, the translation with uncertain words marked, the summary.
"use strict";
window.slrweb = window.slrweb || {};

slrweb.result = (function () {
  const t = slrweb.t;
  const $ = (id) => document.getElementById(id);
  const labels = JSON.parse(document.getElementById("job-labels").textContent);
  let video = null, segments = [], duration = 0, overlay = null;

  const pct = (p) => Math.round(100 * p) + "%";
  const secs = (s) => (Math.round(s * 10) / 10).toFixed(1);
  const el = (tag, props, children) => {
    const node = Object.assign(document.createElement(tag), props || {});
    (children || []).forEach((c) => node.append(c));
    return node;
  };

  function renderSummary(landmarks) {
    const list = $("landmark-summary");
    list.replaceChildren();
    if (!landmarks) return;
    const rows = [
      [t(gettext("Frames")), landmarks.frames],
      // Frames over seconds, not the container's nominal rate (WebM recordings declare none).
      [t(gettext("Frames per second")), landmarks.duration ? (landmarks.frames / landmarks.duration).toFixed(1) : landmarks.fps],
      [t(gettext("Duration")), landmarks.duration != null ? secs(landmarks.duration) + " s" : null],
      [t(gettext("Body found in")), landmarks.pose_detected_fraction != null ? pct(landmarks.pose_detected_fraction) : null],
      [t(gettext("Face found in")), landmarks.face_detected_fraction != null ? pct(landmarks.face_detected_fraction) : null],
      [t(gettext("A hand found in")), landmarks.hands_detected_fraction != null ? pct(landmarks.hands_detected_fraction) : null],
      [t(gettext("Warnings")), (landmarks.warnings || []).join(" ") || t(gettext("none"))],
    ];
    rows.filter(([, v]) => v != null).forEach(([k, v]) => list.append(el("dt", { textContent: k }), el("dd", { textContent: String(v) })));
  }

  function seekTo(index) {
    const segment = segments[index];
    if (!segment || !video) return;
    video.currentTime = segment.start + 0.001;
    markCurrent(segment.start + 0.001);
  }

  function timelineKeys(event) {
    const buttons = Array.from($("timeline").querySelectorAll("button"));
    const at = buttons.indexOf(document.activeElement);
    if (at < 0) return;
    const target = { ArrowRight: at + 1, ArrowDown: at + 1, ArrowLeft: at - 1, ArrowUp: at - 1, Home: 0, End: buttons.length - 1 }[event.key];
    if (target == null) return;
    event.preventDefault();
    const next = Math.max(0, Math.min(buttons.length - 1, target));
    buttons.forEach((b, i) => { b.tabIndex = i === next ? 0 : -1; });
    buttons[next].focus();
    seekTo(next);
  }

  function segmentName(segment) {
    const top = segment.topk[0] || { gloss: "?", prob: 0 };
    return t(gettext("%(gloss)s (%(percent)s), %(start)s to %(end)s s"), {
      gloss: top.gloss, percent: pct(top.prob), start: secs(segment.start), end: secs(segment.end),
    });
  }

  function renderSigns(recognition) {
    segments = ((recognition && recognition.segments) || []).filter((s) => s.topk && s.topk.length);
    const timeline = $("timeline"), list = $("segments");
    $("signs-empty").hidden = Boolean(recognition);
    timeline.hidden = $("timeline-help").hidden = !segments.length;
    timeline.querySelectorAll("button").forEach((b) => b.remove());
    list.replaceChildren();
    const span = duration || Math.max(...segments.map((s) => s.end), 1);
    segments.forEach(function (segment, i) {
      const button = el("button", { type: "button", className: "segment", tabIndex: i === 0 ? 0 : -1, textContent: segment.topk[0].gloss });
      button.setAttribute("aria-label", segmentName(segment));
      button.dataset.index = i;
      button.style.left = (100 * segment.start / span) + "%";
      button.style.width = Math.max(1.5, 100 * (segment.end - segment.start) / span) + "%";
      button.addEventListener("click", () => seekTo(i));
      timeline.append(button);
      const bars = el("ul", { className: "topk" }, segment.topk.map((option) => el("li", {}, [
        el("span", { className: "gloss", textContent: option.gloss }),
        el("span", { className: "bar", ariaHidden: "true" }, [el("span", { style: "width:" + pct(option.prob) })]),
        el("span", { className: "percent", textContent: pct(option.prob) }),
      ])));
      list.append(el("li", { id: "segment-" + i }, [
        el("p", { className: "segment-head" }, [
          el("span", { className: "segment-time", textContent: t(gettext("%(start)s–%(end)s s"), { start: secs(segment.start), end: secs(segment.end) }) }),
          el("span", { className: "now-marker", textContent: t(gettext("▶ now playing")), hidden: true }),
        ]),
        bars,
      ]));
    });
    timeline.onkeydown = timelineKeys;
  }

  // The segment under the playhead gets aria-current and a visible "now playing" marker.
  function markCurrent(time) {
    const now = time != null ? time : video.currentTime;
    const playhead = $("playhead");
    if (duration) playhead.style.left = Math.min(100, 100 * now / duration) + "%";
    segments.forEach(function (segment, i) {
      const current = now >= segment.start && now < segment.end;
      const item = $("segment-" + i), button = $("timeline").querySelector('button[data-index="' + i + '"]');
      item.classList.toggle("current", current);
      item.querySelector(".now-marker").hidden = !current;
      if (current) item.setAttribute("aria-current", "true"); else item.removeAttribute("aria-current");
      button.classList.toggle("current", current);
    });
  }

  // SentencePiece pieces -> words ("▁" starts one); a word is as sure as its least sure piece.
  // Control pieces (sentence start/end, padding) are not text: SentencePiece's decode drops them.
  const CONTROL = new Set(["<s>", "</s>", "<pad>"]);
  function words(tokens) {
    const out = [];
    tokens.forEach(function (token) {
      const piece = String(token.piece || ""), prob = Math.exp(Number(token.logprob || 0));
      if (CONTROL.has(piece)) return;
      if (piece.startsWith("\u2581") || !out.length) out.push({ text: piece.replace(/^\u2581+/, ""), prob });
      else { out[out.length - 1].text += piece; out[out.length - 1].prob = Math.min(out[out.length - 1].prob, prob); }
    });
    return out.filter((w) => w.text);
  }

  function renderTranslation(translation) {
    const text = $("translation-text");
    $("translation-empty").hidden = Boolean(translation);
    text.hidden = !translation;
    text.replaceChildren();
    if (!translation) return;
    const tokens = translation.tokens || [];
    let list = words(tokens);
    if (!list.length && translation.text) list = [{ text: translation.text, prob: 1 }];
    if (!list.length) {
      text.append(el("span", { className: "help", textContent: t(gettext("(The model produced no text for this clip.)")) }));
    }
    let marked = 0;
    list.forEach(function (word, i) {
      if (i) text.append(" ");
      if (word.prob >= labels.low_confidence) { text.append(word.text); return; }
      marked++;
      const note = t(gettext("low confidence: %(percent)s"), { percent: pct(word.prob) });
      text.append(el("mark", { className: "low", title: note }, [
        word.text, el("sup", { textContent: "?", ariaHidden: "true" }), el("span", { className: "visually-hidden", textContent: " (" + note + ")" }),
      ]));
    });
    $("translation-legend").hidden = !marked;
    if (translation.glosses && translation.glosses.length) {
      text.after(el("p", { className: "help glosses", textContent: t(gettext("Glosses: %(glosses)s"), { glosses: translation.glosses.join(" ") }) }));
    }
    renderGlossTimeline(translation.segments || []);
  }

  // Continuous glosses (with times) on a timeline of their own; a click seeks the video there.
  function renderGlossTimeline(glossSegments) {
    const timeline = $("gloss-timeline");
    if (!timeline) return;
    timeline.replaceChildren();
    const timed = glossSegments.filter((s) => s.gloss && s.end > s.start);
    timeline.hidden = !timed.length;
    const span = duration || Math.max(...timed.map((s) => s.end), 1);
    timed.forEach(function (segment) {
      const button = el("button", { type: "button", className: "segment", textContent: segment.gloss });
      button.setAttribute("aria-label", t(gettext("%(gloss)s, %(start)s to %(end)s s"), { gloss: segment.gloss, start: secs(segment.start), end: secs(segment.end) }));
      button.style.left = (100 * segment.start / span) + "%";
      button.style.width = Math.max(1.5, 100 * (segment.end - segment.start) / span) + "%";
      button.addEventListener("click", () => { if (video) { video.currentTime = segment.start + 0.001; markCurrent(segment.start + 0.001); } });
      timeline.append(button);
    });
  }

  async function startOverlay(jobId) {
    const status = $("overlay-status");
    try {
      overlay = await slrweb.Overlay.load(jobId, video, $("overlay"));
      status.textContent = t(gettext("Skeleton of %(frames)s frames."), { frames: overlay.data.frames });
    } catch (err) {
      status.textContent = t(gettext("The skeleton could not be loaded: %(reason)s"), { reason: err.message });
    }
    $("overlay-toggle").addEventListener("change", (e) => overlay && overlay.setEnabled(e.target.checked));
  }

  function show(state) {
    const result = state.result || {};
    $("result").hidden = false;
    video = $("result-video");
    duration = (result.landmarks && result.landmarks.duration) || (state.video && state.video.duration) || 0;
    renderSummary(result.landmarks);
    renderSigns(result.recognition);
    renderTranslation(result.translation);
    if (!video) return;  // a landmarks-only job: no player, no overlay (the page says why)
    ["timeupdate", "seeked"].forEach((type) => video.addEventListener(type, () => markCurrent()));
    startOverlay(state.id);
  }

  return { show, get overlay() { return overlay; }, words };
})();
