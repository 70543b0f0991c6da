"""Normalisation and mirroring of landmark arrays for the models (numpy, NaN-preserving).

All functions take arrays whose last two axes are (points, 3) and leave NaN (missing) points NaN.

- `normalize_by_shoulders`: x, y centred on the shoulders' midpoint and divided by the shoulder
  width, per frame; z divided by the same width (not centred: MediaPipe's z of each part has its
  own origin). Frames without both shoulders use the median centre and width of the frames that
  have them; a clip with no shoulders at all falls back to the centroid and spread of its points.
  The result does not change when the image is shifted in x/y or scaled.
- `normalize_hand`: one hand (..., 21, 3) moved to its wrist and divided by its palm size (wrist to
  middle-finger knuckle, in x/y).
- `mirror_points`: a left/right flip of whole 543-point frames: x -> 1 - x (image coordinates) or
  -x (centred), left and right hand blocks swapped, and the left/right pose and face points swapped
  (pose by name, face by landmarks.face_symmetry.FACE_MIRROR), so a mirrored right-handed signer
  looks like a real left-handed one.

Handedness of the single-hand data (see `canonical_hand`): Holistic names hands after the signer
on an unmirrored camera image, and SILFA's signer signs with the right hand. The ASL alphabet set
(MediaPipe Hands on still images) looks mirrored relative to that view. Linear probes trained on
all 10508 ASL alphabet hands (`canonical_hand`, x/y only) and tested on SILFA's 558 dominant
(right) hands, 24 shared letters, chance about 4%:
    logistic regression:  46.4% with the ASL hands mirrored, 12.4% as they are;
    nearest centroid:     48.0% mirrored, 20.6% as they are.
So ASL alphabet samples are mirrored (ASL_ALPHABET_IS_MIRRORED) to bring them into our
convention: the dominant hand seen as a right hand on an unmirrored camera.
tests/landmarks/test_normalize.py repeats the nearest-centroid probe.
"""

from __future__ import annotations

from typing import Final

import numpy as np

from landmarks.face_symmetry import FACE_MIRROR
from landmarks.layout import (
    FACE,
    LEFT_HAND,
    LEFT_SHOULDER,
    NUM_POINTS,
    POSE,
    POSE_POINT_NAMES,
    RIGHT_HAND,
    RIGHT_SHOULDER,
)

ASL_ALPHABET_IS_MIRRORED: Final = True
HAND_WRIST: Final = 0
HAND_MIDDLE_MCP: Final = 9
_EPS: Final = 1e-6


def _pose_mirror() -> np.ndarray:
    """Pose index permutation swapping LEFT_* with RIGHT_* (and MOUTH_LEFT with MOUTH_RIGHT)."""
    index = {name: i for i, name in enumerate(POSE_POINT_NAMES)}
    swap = {"LEFT": "RIGHT", "RIGHT": "LEFT"}
    result = []
    for name in POSE_POINT_NAMES:
        parts = [swap.get(word, word) for word in name.split("_")]
        result.append(index["_".join(parts)])
    return np.array(result)


def mirror_permutation() -> np.ndarray:
    """(543,) point permutation of a left/right flip: out[:, i] = in[:, permutation[i]]."""
    permutation = np.arange(NUM_POINTS)
    permutation[POSE] = POSE.start + _pose_mirror()
    permutation[FACE] = FACE.start + np.array(FACE_MIRROR)
    permutation[LEFT_HAND] = np.arange(RIGHT_HAND.start, RIGHT_HAND.stop)
    permutation[RIGHT_HAND] = np.arange(LEFT_HAND.start, LEFT_HAND.stop)
    return permutation


MIRROR_PERMUTATION: Final = mirror_permutation()


def mirror_points(points: np.ndarray, *, centred: bool = False) -> np.ndarray:
    """Flip (..., 543, 3) frames left/right, swapping left/right points (see module docstring)."""
    flipped = points[..., MIRROR_PERMUTATION, :].copy()
    flipped[..., 0] = -flipped[..., 0] if centred else 1.0 - flipped[..., 0]
    return flipped


def mirror_presence(presence: np.ndarray) -> np.ndarray:
    """Presence mask (..., 4) after mirror_points: the two hand columns swap."""
    return presence[..., [0, 1, 3, 2]]


def _nan_median(values: np.ndarray) -> np.ndarray:
    valid = ~np.isnan(values).any(axis=-1)
    return np.median(values[valid], axis=0)


def normalize_by_shoulders(points: np.ndarray) -> np.ndarray:
    """Centre and scale (T, 543, 3) frames on the shoulders (see module docstring)."""
    points = np.asarray(points, dtype=np.float32)
    left, right = points[:, LEFT_SHOULDER, :2], points[:, RIGHT_SHOULDER, :2]
    centre = (left + right) / 2  # (T, 2)
    width = np.linalg.norm(left - right, axis=-1, keepdims=True)  # (T, 1)
    known = ~np.isnan(centre).any(-1) & (width[:, 0] > _EPS)
    if known.any():
        centre[~known] = _nan_median(centre[known])
        width[~known] = np.median(width[known])
    else:
        xy = points[..., :2].reshape(-1, 2)
        centre[:] = np.nanmean(xy, axis=0) if not np.isnan(xy).all() else 0.0
        spread = float(np.nanstd(xy)) if not np.isnan(xy).all() else 1.0
        width[:] = spread if spread > _EPS else 1.0
    out = points.copy()
    out[..., :2] = (points[..., :2] - centre[:, None, :]) / width[:, None, :]
    out[..., 2] = points[..., 2] / width
    return out


def normalize_hand(hand: np.ndarray) -> np.ndarray:
    """Move (..., 21, 3) hands to the wrist and divide by the palm size; NaN stays NaN."""
    hand = np.asarray(hand, dtype=np.float32)
    origin = hand[..., HAND_WRIST : HAND_WRIST + 1, :]
    palm = np.linalg.norm(hand[..., HAND_MIDDLE_MCP, :2] - hand[..., HAND_WRIST, :2], axis=-1)
    palm = np.where(palm > _EPS, palm, np.nan)[..., None, None]
    return (hand - origin) / palm


def canonical_hand(hand: np.ndarray, *, mirror: bool) -> np.ndarray:
    """One hand (..., 21, 3) in the dominant-hand convention: normalised, x flipped if `mirror`.

    Use mirror=True for a signer's left hand from Holistic, and for ASL alphabet samples
    (ASL_ALPHABET_IS_MIRRORED); mirror=False for a Holistic right hand.
    """
    normalised = normalize_hand(hand)
    if mirror:
        normalised = normalised * np.array([-1.0, 1.0, 1.0], dtype=np.float32)
    return normalised


def dominant_hand(points: np.ndarray) -> tuple[np.ndarray, str]:
    """The more often present hand of (T, 543, 3) frames in the dominant convention, and its side.

    Ties go to the right hand. Returns ((T, 21, 3) canonical hand, "left" | "right").
    """
    right_seen = (~np.isnan(points[:, RIGHT_HAND, 0]).all(-1)).sum()
    left_seen = (~np.isnan(points[:, LEFT_HAND, 0]).all(-1)).sum()
    if left_seen > right_seen:
        return canonical_hand(points[:, LEFT_HAND], mirror=True), "left"
    return canonical_hand(points[:, RIGHT_HAND], mirror=False), "right"
