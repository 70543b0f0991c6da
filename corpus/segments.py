"""The one segment cutter: the frames an annotated [start, end) span covers.

Exports (training data) and evaluations on held-out corrections both cut with `cut_segment`,
so a model is scored on exactly the frames it would have been trained on.
"""

from __future__ import annotations

from landmarks.sequence import LandmarkSequence

# Segment boundaries are stored in whole milliseconds, so a frame starting within half a
# millisecond of a boundary is on the boundary (at 24 fps frame k starts at k/24 s, not a whole
# millisecond): without the tolerance the frame would fall to the wrong side of it.
HALF_MS = 0.0005


def cut_segment(sequence: LandmarkSequence, start: float, end: float) -> LandmarkSequence:
    """The frames shown in [start, end) seconds, timestamps rebased to the first kept frame."""
    keep = (sequence.timestamps >= start - HALF_MS) & (sequence.timestamps < end - HALF_MS)
    timestamps = sequence.timestamps[keep]
    return LandmarkSequence(
        points=sequence.points[keep], presence=sequence.presence[keep],
        timestamps=timestamps - (timestamps[0] if len(timestamps) else 0.0),
        fps=sequence.fps, meta={"cut": [float(start), float(end)]},
    )
