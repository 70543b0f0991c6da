// Signs as blocks on a timeline while they are recognised: the job page's streamed segments and
// live mode's. A block keeps its times, so a timeline whose span grows is laid out again.
"use strict";
window.slrweb = window.slrweb || {};

slrweb.timeline = (function () {
  const t = slrweb.t;

  function place(block, span) {
    const start = Number(block.dataset.start), end = Number(block.dataset.end);
    block.style.left = (100 * start / span) + "%";
    block.style.width = Math.max(1.5, 100 * (end - start) / span) + "%";
  }

  // Append a {start, end, topk} segment to `timeline`, spanning `span` seconds; its block, or
  // null for a segment without a gloss.
  function addSegment(timeline, segment, span) {
    const top = (segment.topk || [])[0];
    if (!timeline || !top) return null;
    const block = document.createElement("span");
    block.className = "segment";
    block.setAttribute("role", "listitem");
    block.textContent = top.gloss;
    block.title = t(gettext("%(gloss)s, %(start)s to %(end)s s"), { gloss: top.gloss, start: segment.start.toFixed(1), end: segment.end.toFixed(1) });
    block.dataset.start = segment.start;
    block.dataset.end = segment.end;
    place(block, span);
    timeline.append(block);
    timeline.hidden = false;
    return block;
  }

  // Lay every block out again over a new span (seconds).
  function relayout(timeline, span) {
    timeline.querySelectorAll(".segment").forEach((block) => place(block, span));
  }

  return { addSegment, relayout };
})();
