"""Landmarks (T, 543, 3) -> per-part model features (T, F), NaN where a part is absent.

Each part is normalised in its own frame of reference so that the classifier sees hand shape
independent of where the hand is and how far the signer stands from the camera:
hands relative to the wrist and scaled by palm size, pose relative to the shoulder centre and
scaled by shoulder width, face relative to its centre and scaled by the eye distance. The
wrist's place relative to the shoulders is kept as two extra hand features (hand_location).

Normalisation and mirroring come from landmarks.normalize (one implementation for every
model); what is specific to this classifier's input lives here.
"""

from __future__ import annotations

import numpy as np

from landmarks.layout import FACE, LEFT_HAND, LEFT_SHOULDER, POSE, RIGHT_HAND, RIGHT_SHOULDER
from landmarks.normalize import mirror_points, normalize_by_shoulders, normalize_hand
from recognition.ml.config import FeatureConfig

__all__ = ["active_hand_mask", "build_features", "canonical_handedness", "dominant_hand",
           "feature_widths", "keep_dominant_hand", "mirror_points"]

HAND_POINTS = 21
EYE_OUTER = (33, 263)  # face-mesh outer eye corners
EPS = 1e-6


def feature_widths(cfg: FeatureConfig) -> tuple[int, ...]:
    """Number of static features of each part, in cfg.parts order."""
    widths = {
        "pose": len(cfg.pose_points) * 3,
        "face": len(cfg.face_points) * 3,
        "left_hand": HAND_POINTS * 3 + (2 if cfg.hand_location else 0),
        "right_hand": HAND_POINTS * 3 + (2 if cfg.hand_location else 0),
    }
    unknown = set(cfg.parts) - set(widths)
    if unknown:
        raise ValueError(f"unknown parts {sorted(unknown)}; use {sorted(widths)}")
    return tuple(widths[p] for p in cfg.parts)


def build_features(points: np.ndarray, cfg: FeatureConfig) -> np.ndarray:
    """(T, 543, 3) image-normalised landmarks -> (T, F) float32, a part's block NaN when absent."""
    points = np.asarray(points, dtype=np.float32)
    if cfg.dominant_hand:
        points = keep_dominant_hand(points)
    elif cfg.canonical_hand:
        points = canonical_handedness(points)
    body = normalize_by_shoulders(points)  # (T, 543, 3) about the shoulders
    has_shoulders = bool((~np.isnan(points[:, [LEFT_SHOULDER, RIGHT_SHOULDER], 0])).all(1).any())
    blocks = []
    for part in cfg.parts:
        if part == "pose":
            blocks.append(body[:, POSE][:, list(cfg.pose_points)].reshape(len(points), -1))
        elif part == "face":
            blocks.append(_face_features(points[:, FACE], cfg.face_points))
        else:
            sl = LEFT_HAND if part == "left_hand" else RIGHT_HAND
            shape = normalize_hand(points[:, sl]).reshape(len(points), -1)  # (T, 63)
            if cfg.hand_location:
                # Without any pose the place is unknown, not absent: 0 keeps the hand usable.
                where = body[:, sl.start, :2] if has_shoulders else np.zeros((len(points), 2))
                where = np.where(np.isnan(shape[:, :1]), np.nan, np.nan_to_num(where))
                shape = np.concatenate([shape, where], axis=1)
            blocks.append(shape)
    return np.concatenate(blocks, axis=1).astype(np.float32)


def _relative(pts: np.ndarray, centre: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """(T, n, 3) points about a per-frame centre (T, 3) and scale (T,) -> (T, n*3)."""
    rel = (pts - centre[:, None, :]) / np.maximum(scale, EPS)[:, None, None]
    return rel.reshape(len(pts), -1)


def _shoulders(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    left, right = points[:, LEFT_SHOULDER], points[:, RIGHT_SHOULDER]
    centre = (left + right) / 2
    width = np.linalg.norm((left - right)[:, :2], axis=-1)
    return centre, width


def _face_features(face: np.ndarray, indices: tuple[int, ...]) -> np.ndarray:
    eyes = np.linalg.norm((face[:, EYE_OUTER[0]] - face[:, EYE_OUTER[1]])[:, :2], axis=-1)
    subset = face[:, list(indices)]
    return _relative(subset, subset.mean(axis=1), eyes)


def active_hand_mask(points: np.ndarray, rest_margin: float) -> np.ndarray:
    """(T, 2) bool per [left, right] hand: detected and not resting below the signing space.

    Without a pose the body is unknown and a detected hand counts as active.
    """
    centre, width = _shoulders(points)
    limit = centre[:, 1] + rest_margin * width  # y grows downwards
    active = []
    for sl in (LEFT_HAND, RIGHT_HAND):
        wrist_y = points[:, sl.start, 1]
        present = ~np.isnan(wrist_y)
        resting = ~np.isnan(limit) & (np.nan_to_num(wrist_y) > np.nan_to_num(limit))
        active.append(present & ~resting)
    return np.stack(active, axis=1)


def dominant_hand(points: np.ndarray, rest_margin: float = 1.6) -> str:
    """'left_hand' or 'right_hand': the hand active in more frames; ties go to the higher one."""
    active = active_hand_mask(points, rest_margin).sum(axis=0)
    if active[0] != active[1]:
        return "left_hand" if active[0] > active[1] else "right_hand"
    heights = [np.nanmean(y) if np.isfinite(y := points[:, sl.start, 1]).any() else np.nan
               for sl in (LEFT_HAND, RIGHT_HAND)]
    if np.isnan(heights[0]) or (not np.isnan(heights[1]) and heights[1] <= heights[0]):
        return "right_hand"
    return "left_hand"


def canonical_handedness(points: np.ndarray) -> np.ndarray:
    """The clip as a right-handed signer would show it: mirrored (hands and left/right points
    swapped) when the left hand signs, unchanged otherwise."""
    return mirror_points(points) if dominant_hand(points) == "left_hand" else points


def keep_dominant_hand(points: np.ndarray) -> np.ndarray:
    """Put the signing hand in the right-hand slot (mirroring if it was the left), drop the other."""
    out = mirror_points(points) if dominant_hand(points) == "left_hand" else points.copy()
    out[:, LEFT_HAND] = np.nan
    return out
