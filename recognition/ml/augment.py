"""Augmentation of raw landmark clips (T, 543, 3), before feature building.

Working on raw image coordinates keeps every transform honest for every part at once (a
rotation moves hands and shoulders together), and NaN (absent parts) passes through untouched.
"""

from __future__ import annotations

import math

import numpy as np

from landmarks.layout import LEFT_HAND, RIGHT_HAND
from recognition.ml.config import AugmentConfig
from recognition.ml.features import mirror_points

__all__ = [
    "augment_clip",
    "drop_frames",
    "flip_chirality",
    "hand_proportions",
    "mirror_points",
    "resample_time",
    "rotate_3d",
    "stretch_x",
    "rotate_scale_shift",
]

# MediaPipe hand topology: the parent of each of the 21 points (the wrist, 0, is the root).
HAND_PARENT = (0, 0, 1, 2, 3, 0, 5, 6, 7, 0, 9, 10, 11, 0, 13, 14, 15, 0, 17, 18, 19)
FINGERS = ((1, 2, 3, 4), (5, 6, 7, 8), (9, 10, 11, 12), (13, 14, 15, 16), (17, 18, 19, 20))


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


def rotate_3d(points: np.ndarray, yaw: float, pitch: float, roll: float = 0.0) -> np.ndarray:
    """Rotate (T, 543, 3) landmarks in 3-D (degrees) about the clip's centroid: a camera seen
    from another angle. x, y and z are treated as one unit, as MediaPipe's z roughly is."""
    a, b, c = (math.radians(v) for v in (yaw, pitch, roll))
    ry = np.array([[math.cos(a), 0, math.sin(a)], [0, 1, 0], [-math.sin(a), 0, math.cos(a)]])
    rx = np.array([[1, 0, 0], [0, math.cos(b), -math.sin(b)], [0, math.sin(b), math.cos(b)]])
    rz = np.array([[math.cos(c), -math.sin(c), 0], [math.sin(c), math.cos(c), 0], [0, 0, 1]])
    centre = np.nanmean(points.reshape(-1, 3), axis=0) if np.isfinite(points).any() else 0.0
    return ((points - centre) @ (rz @ rx @ ry).T + centre).astype(points.dtype)


def hand_proportions(hand: np.ndarray, palm: float, fingers: np.ndarray) -> np.ndarray:
    """Another hand's proportions: (..., 21, 3) with the palm bones (wrist to each finger's first
    joint) scaled by `palm` and each finger's bones by fingers[k] (5 factors, thumb first).
    Bones are rebuilt from the wrist outwards, so joint angles are kept."""
    scale = np.ones(21)
    for k, finger in enumerate(FINGERS):
        scale[finger[0]] = palm
        scale[list(finger[1:])] = fingers[k]
    out = hand.copy()
    for i in range(1, 21):
        parent = HAND_PARENT[i]
        out[..., i, :] = out[..., parent, :] + scale[i] * (hand[..., i, :] - hand[..., parent, :])
    return out


def stretch_x(points: np.ndarray, factor: float) -> np.ndarray:
    """The same scene filmed with another image aspect ratio: image-normalised x (x / width) is
    stretched by `factor` about the image centre (1.78 takes a 16:9 frame to a square one)."""
    out = points.copy()
    out[..., 0] = (points[..., 0] - 0.5) * factor + 0.5
    return out


def flip_chirality(points: np.ndarray) -> np.ndarray:
    """Mirror each hand's x about its own wrist without swapping the slots: a detector that
    called a left hand right (and vice versa) keeps the place but shows the other chirality."""
    out = points.copy()
    for sl in (LEFT_HAND, RIGHT_HAND):
        wrist_x = points[:, sl.start : sl.start + 1, 0]
        out[:, sl, 0] = 2 * wrist_x - points[:, sl, 0]
    return out


def _signer_variation(out: np.ndarray, cfg: AugmentConfig, rng: np.random.Generator
                      ) -> np.ndarray:
    """Hand size and proportions, 3-D camera angle, image aspect ratio and detector chirality
    errors (item: new signers look like this signer seen through another body and another
    camera)."""
    if cfg.finger_scale > 0 or cfg.palm_scale != (1.0, 1.0):
        for sl in (LEFT_HAND, RIGHT_HAND):
            fingers = 1 + rng.uniform(-cfg.finger_scale, cfg.finger_scale, size=5)
            out[:, sl] = hand_proportions(out[:, sl], rng.uniform(*cfg.palm_scale), fingers)
    if cfg.rotate3d_deg > 0:
        yaw, pitch = rng.uniform(-cfg.rotate3d_deg, cfg.rotate3d_deg, size=2)
        out = rotate_3d(out, float(yaw), float(pitch))
    if cfg.aspect != (1.0, 1.0):  # after the 3-D view: the aspect is the image's sampling
        out = stretch_x(out, float(np.exp(rng.uniform(*np.log(cfg.aspect)))))
    if rng.random() < cfg.chirality:
        out = flip_chirality(out)
    return out


def augment_clip(points: np.ndarray, cfg: AugmentConfig, rng: np.random.Generator) -> np.ndarray:
    """One random draw of every augmentation in cfg; returns a new (T', 543, 3) array."""
    out = resample_time(points, rng.uniform(*cfg.speed))
    if cfg.frame_drop > 0 and len(out) > 1:
        out = drop_frames(out, cfg.frame_drop, rng)
    if rng.random() < cfg.mirror:
        out = mirror_points(out)
    out = _signer_variation(out, cfg, rng)
    out = rotate_scale_shift(
        out,
        degrees=rng.uniform(-cfg.rotate_deg, cfg.rotate_deg),
        scale=(rng.uniform(*cfg.scale), rng.uniform(*cfg.scale)),
        shift=(rng.uniform(-cfg.shift, cfg.shift), rng.uniform(-cfg.shift, cfg.shift)),
    )
    if cfg.noise > 0:
        out = out + rng.normal(0.0, cfg.noise, size=out.shape).astype(np.float32)
    return out.astype(np.float32)
