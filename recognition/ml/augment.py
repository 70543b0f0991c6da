"""Augmentation of raw landmark clips (T, 543, 3), before feature building.

Working on raw image coordinates keeps every transform honest for every part at once (a
rotation moves hands and shoulders together), and NaN (absent parts) passes through untouched.
"""

from __future__ import annotations

import math

import numpy as np

from recognition.ml.config import AugmentConfig
from recognition.ml.features import mirror_points

__all__ = [
    "augment_clip",
    "drop_frames",
    "mirror_points",
    "resample_time",
    "rotate_scale_shift",
]


def resample_time(points: np.ndarray, factor: float) -> np.ndarray:
    """Play the clip `factor` times faster (nearest frames, so NaN never blends into values)."""
    length = len(points)
    new_length = max(1, int(round(length / factor)))
    index = np.rint(np.linspace(0, length - 1, new_length)).astype(int)
    return points[index]


def drop_frames(points: np.ndarray, p: float, rng: np.random.Generator) -> np.ndarray:
    """Drop each frame with probability p, keeping at least one."""
    keep = rng.random(len(points)) >= p
    if not keep.any():
        keep[rng.integers(len(points))] = True
    return points[keep]


def rotate_scale_shift(
    points: np.ndarray, degrees: float, scale: tuple[float, float], shift: tuple[float, float]
) -> np.ndarray:
    """Rotate about the image centre, scale x and y independently, then translate."""
    theta = math.radians(degrees)
    rot = np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
    out = points.copy()
    xy = (points[..., :2] - 0.5) @ rot.T * np.asarray(scale) + 0.5 + np.asarray(shift)
    out[..., :2] = xy
    out[..., 2] = points[..., 2] * float(np.mean(scale))
    return out


def augment_clip(points: np.ndarray, cfg: AugmentConfig, rng: np.random.Generator) -> np.ndarray:
    """One random draw of every augmentation in cfg; returns a new (T', 543, 3) array."""
    out = resample_time(points, rng.uniform(*cfg.speed))
    if cfg.frame_drop > 0 and len(out) > 1:
        out = drop_frames(out, cfg.frame_drop, rng)
    if rng.random() < cfg.mirror:
        out = mirror_points(out)
    out = rotate_scale_shift(
        out,
        degrees=rng.uniform(-cfg.rotate_deg, cfg.rotate_deg),
        scale=(rng.uniform(*cfg.scale), rng.uniform(*cfg.scale)),
        shift=(rng.uniform(-cfg.shift, cfg.shift), rng.uniform(-cfg.shift, cfg.shift)),
    )
    if cfg.noise > 0:
        out = out + rng.normal(0.0, cfg.noise, size=out.shape).astype(np.float32)
    return out.astype(np.float32)
