"""Per-frame features shared by BOSTON-104 hand tracks and MediaPipe Holistic landmarks.

"hands-nose-v1", 8 values a frame at 30 fps: the signer's right hand, then left hand, as (x, y)
relative to the nose and divided by a body scale, then the velocities of those 4 values.

- Hand position: BOSTON gives a tracked hand position; from MediaPipe we take the mean of the
  hand's 21 points (its centroid). Missing MediaPipe hands fall back to the pose wrist moved by
  the clip's median wrist->centroid offset, then to linear interpolation in time.
- Body scale: BOSTON has no shoulders and no head outline, only the nose, so shoulder width and
  head size are not available. We use the same per-clip statistic for both sources: the RMS
  distance of the two hands from the nose over the clip, sqrt(mean_t,h |hand - nose|^2). On
  BOSTON it is far steadier within a signer than the alternatives (coefficient of variation
  across one signer's videos 8.6-9.2%; per-video std of the nose-relative coordinates: 17-22%;
  median hand-nose distance: 21%), while it still differs between signers (man-1 139 px,
  women 92 and 102 px), which is what a body scale must remove.
- Coordinates must be isotropic before the scale is applied: MediaPipe x is divided by the image
  width and y by the height, so x is multiplied by width / height (from the sequence's
  meta["source"]; a square image is assumed when it is unknown).
- Velocities: central differences per 1/30 s, times VEL_GAIN so that their spread is of the
  order of the positions' (on BOSTON: position std ~0.5, raw velocity std ~0.04).
"""

from __future__ import annotations

import numpy as np

from landmarks.layout import FACE, LEFT_HAND, POSE, RIGHT_HAND
from landmarks.sequence import LandmarkSequence

FEATURE_SET = "hands-nose-v1"
FEATURE_DIM = 8
TRAIN_FPS = 30.0  # BOSTON's frame rate; MediaPipe clips are resampled to it
VEL_GAIN = 10.0
NOSE = 0  # pose index
FACE_NOSE_TIP = 1  # face-mesh index, the nose when the pose is missing
POSE_WRIST = {"left": 15, "right": 16}
EPS = 1e-6


def body_scale(rel: np.ndarray) -> float:
    """RMS hand-nose distance of a clip: rel (T, 2, 2) hand positions minus the nose."""
    value = float(np.sqrt(np.mean(np.sum(rel.astype(np.float64) ** 2, axis=-1))))
    return value if value > EPS else 1.0


def track_features(tracks: np.ndarray) -> np.ndarray:
    """(T, 3, 2) [right hand, left hand, nose] isotropic positions at 30 fps -> (T, 8) float32."""
    tracks = np.asarray(tracks, dtype=np.float64)
    rel = tracks[:, :2] - tracks[:, 2:3]  # (T, 2, 2)
    pos = (rel / body_scale(rel)).reshape(len(tracks), 4)
    vel = np.gradient(pos, axis=0) if len(pos) > 1 else np.zeros_like(pos)
    return np.concatenate([pos, VEL_GAIN * vel], axis=1).astype(np.float32)


def _fill_in_time(values: np.ndarray) -> np.ndarray:
    """(T, 2) with NaN rows -> linearly interpolated (edges hold the nearest known value)."""
    known = ~np.isnan(values).any(axis=1)
    if known.all() or not known.any():
        return values
    t = np.arange(len(values))
    return np.stack([np.interp(t, t[known], values[known, k]) for k in range(2)], axis=1)


def _hand_track(points: np.ndarray, side: str) -> np.ndarray:
    """(T, 2) hand centroid of one side; pose-wrist fallback, then interpolation."""
    sl = LEFT_HAND if side == "left" else RIGHT_HAND
    centroid = points[:, sl, :2].mean(axis=1)  # NaN where the hand was not detected
    wrist = points[:, POSE.start + POSE_WRIST[side], :2]
    both = ~np.isnan(centroid).any(1) & ~np.isnan(wrist).any(1)
    offset = np.median(centroid[both] - wrist[both], axis=0) if both.any() else np.zeros(2)
    missing = np.isnan(centroid).any(1)
    centroid[missing] = wrist[missing] + offset
    return _fill_in_time(centroid)


def _nose_track(points: np.ndarray) -> np.ndarray:
    nose = points[:, POSE.start + NOSE, :2].copy()
    missing = np.isnan(nose).any(1)
    nose[missing] = points[missing, FACE.start + FACE_NOSE_TIP, :2]
    return _fill_in_time(nose)


def landmark_tracks(points: np.ndarray, aspect: float = 1.0) -> np.ndarray:
    """(T, 543, 3) Holistic points (image-normalised) -> (T, 3, 2) isotropic tracks.

    aspect: image width / height. A hand never seen (neither hand nor pose wrist) takes the
    other hand's track; when nothing is ever seen the tracks are all zeros.
    """
    points = np.asarray(points, dtype=np.float64).copy()
    points[..., 0] *= aspect
    right, left, nose = _hand_track(points, "right"), _hand_track(points, "left"), \
        _nose_track(points)
    if np.isnan(right).all():
        right = left
    if np.isnan(left).all():
        left = right
    tracks = np.stack([right, left, nose], axis=1)
    return np.nan_to_num(tracks, nan=0.0)


def resample_tracks(tracks: np.ndarray, timestamps: np.ndarray,
                    fps: float = TRAIN_FPS) -> tuple[np.ndarray, np.ndarray]:
    """Linearly resample (T, 3, 2) tracks at real `timestamps` to a regular `fps` grid.

    Returns (tracks (T', 3, 2), grid times (T',)): T' = round(duration * fps), at least 1.
    """
    timestamps = np.asarray(timestamps, dtype=np.float64)
    if len(tracks) == 0:
        return tracks.reshape(0, 3, 2), np.zeros(0)
    span = float(timestamps[-1] - timestamps[0]) if len(timestamps) > 1 else 0.0
    n = max(1, int(round(span * fps)) + 1)
    grid = timestamps[0] + np.arange(n) / fps
    flat = tracks.reshape(len(tracks), -1)
    out = np.stack([np.interp(grid, timestamps, flat[:, k]) for k in range(flat.shape[1])], 1)
    return out.reshape(n, 3, 2), grid


def source_aspect(seq: LandmarkSequence) -> float:
    """Image width / height from the sequence's meta (1.0 when unknown)."""
    source = seq.meta.get("source") or {}
    width, height = source.get("width"), source.get("height")
    # Extraction records the size of the frames as decoded (after any rotation).
    return float(width) / float(height) if width and height else 1.0


def sequence_features(seq: LandmarkSequence, feature_set: str = FEATURE_SET
                      ) -> tuple[np.ndarray, np.ndarray]:
    """(features (T', 8) at TRAIN_FPS, grid times (T',) in seconds) of a MediaPipe clip."""
    if feature_set != FEATURE_SET:
        raise ValueError(f"unknown feature set {feature_set!r}; this build knows {FEATURE_SET!r}")
    if len(seq) == 0:
        return np.zeros((0, FEATURE_DIM), np.float32), np.zeros(0)
    tracks = landmark_tracks(seq.points, source_aspect(seq))
    tracks, grid = resample_tracks(tracks, seq.timestamps)
    return track_features(tracks), grid
