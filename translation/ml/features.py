"""Per-frame landmark features of the landmarks->text translator (kept minimal on purpose).

"hands-v1": for each hand (the signer's right, then left), landmarks.normalize.canonical_hand
(21 points relative to the wrist, divided by the palm size, the left hand mirrored in x so that
both hands share one handshape space); missing hands are zeros plus a presence flag. The result is
invariant to where the hand is in the image and to its size, which is what lets real
single-letter samples from different recordings be joined into continuous sequences.
Frame-to-frame velocity is added inside the model (ModelConfig.velocity).
"""

from __future__ import annotations

import numpy as np

from landmarks.layout import LEFT_HAND, RIGHT_HAND
from landmarks.normalize import canonical_hand
from landmarks.sequence import LandmarkSequence

FEATURE_SET = "hands-v1"
HAND_POINTS = 21
FEATURE_DIM = 2 * HAND_POINTS * 3 + 2  # 128


def _hand_block(hand: np.ndarray, mirror: bool) -> tuple[np.ndarray, np.ndarray]:
    """(T, 21, 3) hand -> (features (T, 63), present (T,)); missing hands become zeros."""
    canon = canonical_hand(hand, mirror=mirror).reshape(len(hand), HAND_POINTS * 3)
    present = ~np.isnan(canon).any(axis=1)
    return np.where(present[:, None], canon, 0.0).astype(np.float32), present


def hand_features(points: np.ndarray) -> np.ndarray:
    """(T, 543, 3) Holistic points (NaN = missing) -> (T, 128) float32 features."""
    right, r_ok = _hand_block(points[:, RIGHT_HAND], mirror=False)
    left, l_ok = _hand_block(points[:, LEFT_HAND], mirror=True)
    flags = np.stack([r_ok, l_ok], axis=1).astype(np.float32)
    return np.concatenate([right, left, flags], axis=1)


def sequence_features(seq: LandmarkSequence, feature_set: str = FEATURE_SET) -> np.ndarray:
    """Features of a LandmarkSequence for a bundle trained on `feature_set`."""
    if feature_set != FEATURE_SET:
        raise ValueError(f"unknown feature set {feature_set!r}; this build knows {FEATURE_SET!r}")
    return hand_features(seq.points)
