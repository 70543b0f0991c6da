"""Signs while a clip is still being read: spotting on the growing prefix of its landmarks.

    spotter = StreamingSpotter(predictor, top_k=5)
    for prefix in chunks:                 # every ~2 s of video, the frames read so far
        for segment in spotter.feed(prefix):
            publish(segment)              # {"start", "end", "topk"} as soon as it is settled
    for segment in spotter.finish(whole): # what the non-streaming run has and was not yet sent
        publish(segment)

A segment is published once it ends at least `guard` seconds before the end of the prefix
(later frames can no longer change the windows that decided it; each window spans the spotting
window, and the Viterbi path may still revise a decision near the prefix end, hence twice that)
and the previous prefix had it too: a segment that two prefixes agree on is rarely revised.

Each prefix is read only from `context_seconds` before the previous prefix's settled horizon
(a tail of bounded length, so a long clip costs linear, not quadratic, time), and a segment
counts only when it starts at least `guard` after the tail's cut, where the cut cannot have
changed it; a sign longer than that context is left to `finish`.
`finish` runs the ordinary, non-streaming `recognize` on the whole clip, so the job's final
result is exactly what a non-streaming run gives; it returns the final segments that no
published one matches, so nothing is lost at a chunk edge, and a segment already published is
never sent twice.
"""

from __future__ import annotations

from typing import Any

from landmarks.sequence import LandmarkSequence


def same_segment(a: dict[str, Any], b: dict[str, Any], tolerance: float) -> bool:
    """Same top-1 gloss and both ends within `tolerance` seconds."""
    return (a["topk"][0]["gloss"] == b["topk"][0]["gloss"]
            and abs(a["start"] - b["start"]) <= tolerance
            and abs(a["end"] - b["end"]) <= tolerance)


class StreamingSpotter:
    """Provisional segments from prefixes of one clip; the final result from the whole clip."""

    def __init__(self, predictor: Any, top_k: int = 5, guard_windows: float = 2.0,
                 context_seconds: float = 6.0) -> None:
        self.predictor, self.top_k = predictor, top_k
        spot = predictor.config.spotting
        self.guard_windows = guard_windows
        self.context_seconds = context_seconds
        self.window_frames = int(spot.window)
        self.published: list[dict[str, Any]] = []
        self._previous: list[dict[str, Any]] = []  # settled segments of the previous prefix
        self._horizon = 0.0  # the previous prefix's settled horizon

    def guard_seconds(self, seq: LandmarkSequence) -> float:
        fps = seq.fps or 30.0
        return self.guard_windows * self.window_frames / fps

    def tolerance(self, seq: LandmarkSequence) -> float:
        """Two segments closer than one window's duration are the same sign read twice."""
        return self.window_frames / (seq.fps or 30.0)

    def feed(self, prefix: LandmarkSequence) -> list[dict[str, Any]]:
        """Segments of the prefix that are settled and not yet published (publish them)."""
        if len(prefix) == 0:
            return []
        guard = self.guard_seconds(prefix)
        horizon = prefix.duration - guard
        if horizon <= 0:
            return []
        cut = self._horizon - self.context_seconds
        tail = prefix.slice_time(cut, float("inf")) if cut > prefix.timestamps[0] else prefix
        self._horizon = horizon
        result = self.predictor.recognize(tail, top_k=self.top_k)
        settled = [s for s in result["segments"] if s["end"] <= horizon
                   and (tail is prefix or s["start"] >= cut + guard)]
        tol = self.tolerance(prefix)
        agreed = [s for s in settled if any(same_segment(s, p, tol) for p in self._previous)]
        self._previous = settled
        return self._new(agreed, prefix)

    def finish(self, whole: LandmarkSequence) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """(the non-streaming result of the whole clip, its segments not yet published)."""
        result = self.predictor.recognize(whole, top_k=self.top_k)
        return result, self._new(result["segments"], whole)

    def _new(self, segments: list[dict[str, Any]], seq: LandmarkSequence) -> list[dict[str, Any]]:
        tol = self.tolerance(seq)
        fresh = [s for s in segments
                 if not any(same_segment(s, p, tol) for p in self.published)]
        self.published.extend(fresh)
        return fresh

