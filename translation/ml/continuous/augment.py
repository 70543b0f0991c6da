"""Augmentation of BOSTON tracks (T, 3, 2) before features: time warp, affine jitter, noise.

Working on the tracks (not on the features) keeps the body scale and the velocities consistent
with the warped positions. The per-clip body scale removes any isotropic scaling, so the
scaling drawn here is anisotropic (x and y apart), like a different camera or body shape.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mlcore.config import Config


@dataclass(frozen=True)
class AugmentSettings(Config):
    speed: tuple[float, float] = (0.8, 1.25)  # playback speed range (global time warp)
    warp: float = 0.15  # strength of a smooth non-linear time warp (0 = none)
    scale: tuple[float, float] = (0.85, 1.15)  # per-axis scale range
    rotate_deg: float = 8.0
    hand_shift: float = 0.05  # random offset of each hand, in body-scale units
    noise: float = 0.02  # Gaussian noise per frame, in body-scale units


NO_AUGMENT = AugmentSettings(speed=(1.0, 1.0), warp=0.0, scale=(1.0, 1.0), rotate_deg=0.0,
                             hand_shift=0.0, noise=0.0)


def time_warp(tracks: np.ndarray, speed: float, warp: float, rng: np.random.Generator
              ) -> tuple[np.ndarray, np.ndarray]:
    """Resample (T, 3, 2) tracks at speed `speed` through a smooth monotone warp.

    Returns (new tracks, source position of each new frame) so labels can follow if needed.
    """
    n = len(tracks)
    m = max(2, int(round(n / speed)))
    u = np.linspace(0.0, 1.0, m)
    if warp > 0:
        # A monotone warp: u + a sin(pi u) keeps the ends fixed; |a| < 1/pi stays monotone.
        a = rng.uniform(-warp, warp) / math.pi
        u = u + a * np.sin(np.pi * u)
    src = u * (n - 1)
    flat = tracks.reshape(n, -1)
    grid = np.arange(n)
    out = np.stack([np.interp(src, grid, flat[:, k]) for k in range(flat.shape[1])], axis=1)
    return out.reshape(m, 3, 2), src


def augment_tracks(tracks: np.ndarray, cfg: AugmentSettings, rng: np.random.Generator
                   ) -> tuple[np.ndarray, np.ndarray]:
    """One random draw of every augmentation; tracks are pixels, any units work.

    Returns (tracks (T', 3, 2), index of the source frame nearest each new frame (T',))."""
    tracks = np.asarray(tracks, dtype=np.float64)
    source = np.arange(len(tracks))
    if cfg.speed != (1.0, 1.0) or cfg.warp > 0:
        tracks, src = time_warp(tracks, rng.uniform(*cfg.speed), cfg.warp, rng)
        source = np.rint(src).astype(int)
    nose = tracks[:, 2:3]
    rel = tracks[:, :2] - nose
    unit = float(np.sqrt(np.mean(np.sum(rel**2, axis=-1)))) or 1.0
    theta = math.radians(rng.uniform(-cfg.rotate_deg, cfg.rotate_deg))
    rot = np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
    scale = rng.uniform(*cfg.scale, size=2)
    rel = rel @ rot.T * scale
    rel = rel + rng.normal(0.0, cfg.hand_shift * unit, size=(1, 2, 2))
    rel = rel + rng.normal(0.0, cfg.noise * unit, size=rel.shape)
    return np.concatenate([rel + nose, nose], axis=1), source
