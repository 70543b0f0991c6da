"""npz storage: the format the web app keeps extracted landmarks in.

Arrays: points (T, 543, 3) float32 NaN-for-missing, presence (T, 4) bool, timestamps (T,) float64,
fps () float64, meta_json () str (JSON of LandmarkSequence.meta), and recovered_hands (T, 2) bool
when MediaPipe Hands filled some hands (landmarks/hands.py: the same as meta's list of
timestamps, as an array: a landmarks upload reads the arrays, never an upload's meta). No
pickles: safe to load from untrusted uploads.
"""

from __future__ import annotations

import json
import os
from typing import BinaryIO

import numpy as np

from landmarks.hands import recovered_flags
from landmarks.sequence import LandmarkSequence

FORMAT_VERSION = 1


def save_npz(sequence: LandmarkSequence, path: str | os.PathLike[str] | BinaryIO) -> None:
    """Write `sequence` compressed to `path` (which should end in .npz) or to a binary file
    object open for writing (e.g. io.BytesIO; left open)."""
    if isinstance(path, (str, os.PathLike)):
        with open(path, "wb") as handle:
            save_npz(sequence, handle)
        return
    flags = recovered_flags(sequence)
    extra = {} if flags is None else {"recovered_hands": flags}
    np.savez_compressed(
        path,
        points=sequence.points.astype(np.float32, copy=False),
        presence=sequence.presence.astype(bool, copy=False),
        timestamps=sequence.timestamps.astype(np.float64, copy=False),
        fps=np.float64(sequence.fps),
        meta_json=np.array(json.dumps(sequence.meta, default=str)),
        format_version=np.int64(FORMAT_VERSION),
        **extra,
    )


def load_npz(path: str | os.PathLike[str]) -> LandmarkSequence:
    """Read a file written by save_npz; a bare `points` array (T, 543, 3) is accepted too."""
    with np.load(path, allow_pickle=False) as data:
        points = data["points"]
        fps = float(data["fps"]) if "fps" in data else 30.0
        if "presence" not in data:
            return LandmarkSequence.from_points(points, fps=fps)
        meta = json.loads(str(data["meta_json"])) if "meta_json" in data else {}
        return LandmarkSequence(
            points=points,
            presence=data["presence"],
            timestamps=data["timestamps"],
            fps=fps,
            meta=meta,
        )
