"""LandmarkSequence: the one in-memory form of extracted landmarks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from landmarks.hands import RECOVERED_KEY
from landmarks.layout import NUM_POINTS, PART_NAMES, PARTS


@dataclass
class LandmarkSequence:
    """Holistic landmarks of one clip.

    points:     (T, 543, 3) float32, NaN where a part was not detected
    presence:   (T, 4) bool, one column per part in PART_NAMES order
    timestamps: (T,) float64 seconds from the start of the clip (real, VFR-safe)
    fps:        nominal frames per second
    """

    points: np.ndarray
    presence: np.ndarray
    timestamps: np.ndarray
    fps: float
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.points = np.asarray(self.points, dtype=np.float32).reshape(-1, NUM_POINTS, 3)
        self.presence = np.asarray(self.presence, dtype=bool).reshape(-1, len(PART_NAMES))
        self.timestamps = np.asarray(self.timestamps, dtype=np.float64).reshape(-1)
        if not (len(self.points) == len(self.presence) == len(self.timestamps)):
            raise ValueError(
                f"length mismatch: points {len(self.points)}, presence {len(self.presence)}, "
                f"timestamps {len(self.timestamps)}"
            )

    @classmethod
    def from_points(
        cls, points: np.ndarray, fps: float, timestamps: np.ndarray | None = None
    ) -> LandmarkSequence:
        """Build a sequence from (T, 543, 3) points, deriving presence from NaNs."""
        points = np.asarray(points, dtype=np.float32)
        presence = np.stack(
            [~np.isnan(points[:, sl]).all(axis=(1, 2)) for sl in PARTS.values()], axis=1
        )
        if timestamps is None:
            timestamps = np.arange(len(points), dtype=np.float64) / float(fps or 1.0)
        return cls(points=points, presence=presence, timestamps=timestamps, fps=float(fps))

    def __len__(self) -> int:
        return int(self.points.shape[0])

    @property
    def duration(self) -> float:
        if len(self) == 0:
            return 0.0
        return float(self.timestamps[-1] + 1.0 / (self.fps or 30.0))

    def slice_time(self, start: float, end: float) -> LandmarkSequence:
        """The frames whose timestamps lie in [start, end), timestamps kept as they were."""
        keep = (self.timestamps >= start) & (self.timestamps < end)
        return LandmarkSequence(points=self.points[keep], presence=self.presence[keep],
                                timestamps=self.timestamps[keep], fps=self.fps,
                                meta=dict(self.meta))

    def upsampled(self, factor: int) -> LandmarkSequence:
        """The clip at `factor` times its frame rate, each frame shown `factor` times (at
        timestamps spread over its frame interval), meta kept (recovered hands stay marked by
        the frames' own timestamps). Repeated frames, not blended ones: a model trained with
        speed augmentation by nearest frames (recognition.ml.augment.resample_time) has seen
        repeats, never blends of two handshapes; on the letters' tuning words blends cost
        double letters and read real-speed words worse (bench/RESULTS.md, 2026-11-27). For a
        model whose windows count frames at a higher rate than the clip was read at."""
        if factor <= 1 or len(self) == 0:
            return self
        step = np.diff(self.timestamps, append=self.timestamps[-1] + 1.0 / (self.fps or 30.0))
        offsets = np.arange(factor) / factor
        times = (self.timestamps[:, None] + step[:, None] * offsets[None, :]).reshape(-1)
        return LandmarkSequence(points=np.repeat(self.points, factor, axis=0),
                                presence=np.repeat(self.presence, factor, axis=0),
                                timestamps=times, fps=self.fps * factor, meta=dict(self.meta))

    def part(self, name: str) -> np.ndarray:
        """(T, n_points, 3) view of one part."""
        return self.points[:, PARTS[name]]

    def summary(self) -> dict[str, Any]:
        """The JSON summary the job result shows (result.landmarks)."""
        n = len(self)

        def frac(column: np.ndarray) -> float:
            return float(column.mean()) if n else 0.0

        either_hand = self.presence[:, 2] | self.presence[:, 3]
        recovered = self.meta.get(RECOVERED_KEY)
        extra = {} if recovered is None else {  # only when extraction recovered lost hands
            "hands_recovered_frames": len(set().union(*map(set, recovered.values())))}
        return {
            "frames": n,
            "fps": round(float(self.fps), 3),
            "duration": round(self.duration, 3),
            "pose_detected_fraction": round(frac(self.presence[:, 0]), 4),
            "face_detected_fraction": round(frac(self.presence[:, 1]), 4),
            "left_hand_detected_fraction": round(frac(self.presence[:, 2]), 4),
            "right_hand_detected_fraction": round(frac(self.presence[:, 3]), 4),
            "hands_detected_fraction": round(frac(either_hand), 4),
            "hands_detected_frames": int(either_hand.sum()),
            **extra,
        }
