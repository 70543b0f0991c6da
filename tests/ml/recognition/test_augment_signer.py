"""Signer-variation augmentation: hand proportions, 3-D camera rotation, image aspect, chirality,
mirroring."""

from __future__ import annotations

import dataclasses

import numpy as np

from landmarks.layout import LEFT_HAND, RIGHT_HAND
from landmarks.normalize import normalize_hand
from recognition.ml.augment import (
    HAND_PARENT,
    augment_clip,
    flip_chirality,
    hand_proportions,
    mirror_points,
    rotate_3d,
    stretch_x,
)
from recognition.ml.config import AugmentConfig
from recognition.ml.data import Run


def _clip(silfa_runs: list[Run], letter: str = "L") -> np.ndarray:
    return next(r for r in silfa_runs if r.label == letter).points[:6]


def _bones(hand: np.ndarray) -> np.ndarray:
    """(..., 20) bone lengths, child minus parent, in x/y/z."""
    return np.linalg.norm(hand[..., 1:, :] - hand[..., list(HAND_PARENT[1:]), :], axis=-1)


def test_hand_proportions_scale_bones_and_keep_joint_directions(silfa_runs: list[Run]) -> None:
    hand = _clip(silfa_runs)[:, RIGHT_HAND]
    fingers = np.array([1.1, 0.9, 1.0, 1.2, 0.8])
    out = hand_proportions(hand, palm=1.2, fingers=fingers)
    assert out.shape == hand.shape
    np.testing.assert_allclose(out[:, 0], hand[:, 0])  # the wrist stays
    ratio = _bones(out) / _bones(hand)
    np.testing.assert_allclose(ratio[:, 4], 1.2, rtol=1e-4)  # wrist -> index knuckle (palm)
    np.testing.assert_allclose(ratio[:, 5], 0.9, rtol=1e-4)  # index finger bone
    np.testing.assert_allclose(ratio[:, 17], 0.8, rtol=1e-4)  # pinky bone
    # Every bone points the same way as before: joint angles are kept.
    child = out[:, 1:] - out[:, list(HAND_PARENT[1:])]
    before = hand[:, 1:] - hand[:, list(HAND_PARENT[1:])]
    cos = (child * before).sum(-1) / (np.linalg.norm(child, axis=-1) *
                                      np.linalg.norm(before, axis=-1))
    np.testing.assert_allclose(cos, 1.0, atol=1e-4)


def test_rotate_3d_is_rigid_and_zero_is_identity(silfa_runs: list[Run]) -> None:
    clip = _clip(silfa_runs)
    np.testing.assert_allclose(rotate_3d(clip, 0.0, 0.0), clip, atol=1e-6, equal_nan=True)
    turned = rotate_3d(clip, 25.0, -15.0, 5.0)
    assert turned.shape == clip.shape
    assert np.array_equal(np.isnan(turned), np.isnan(clip))  # absent parts stay absent
    hand, moved = clip[:, RIGHT_HAND], turned[:, RIGHT_HAND]
    np.testing.assert_allclose(_bones(moved), _bones(hand), rtol=1e-4)  # lengths kept in 3-D
    assert np.abs(moved[..., 0] - hand[..., 0]).max() > 0.01  # and the view did change


def test_chirality_flip_keeps_slots_and_is_its_own_inverse(silfa_runs: list[Run]) -> None:
    clip = _clip(silfa_runs)
    flipped = flip_chirality(clip)
    np.testing.assert_allclose(flip_chirality(flipped), clip, atol=1e-6, equal_nan=True)
    np.testing.assert_allclose(flipped[:, RIGHT_HAND.start], clip[:, RIGHT_HAND.start])  # wrist
    # Shape features: x mirrored in the hand's own frame, y unchanged.
    a, b = normalize_hand(clip[:, RIGHT_HAND]), normalize_hand(flipped[:, RIGHT_HAND])
    np.testing.assert_allclose(b[..., 0], -a[..., 0], atol=1e-5)
    np.testing.assert_allclose(b[..., 1], a[..., 1], atol=1e-5)


def test_mirroring_swaps_hands_and_the_hand_shape_is_mirrored(silfa_runs: list[Run]) -> None:
    clip = _clip(silfa_runs)
    mirrored = mirror_points(clip)
    np.testing.assert_allclose(mirrored[:, LEFT_HAND, 0], 1 - clip[:, RIGHT_HAND, 0])
    np.testing.assert_allclose(mirrored[:, LEFT_HAND, 1], clip[:, RIGHT_HAND, 1])
    # Mirroring = chirality flip + moving the hand: the shape features agree.
    np.testing.assert_allclose(normalize_hand(mirrored[:, LEFT_HAND]),
                               normalize_hand(flip_chirality(clip)[:, RIGHT_HAND]), atol=1e-5)


def test_augment_clip_with_signer_variation_is_seeded_and_keeps_absent_parts(
        silfa_runs: list[Run]) -> None:
    clip = _clip(silfa_runs)
    clip[:, LEFT_HAND] = np.nan
    cfg = AugmentConfig(frame_drop=0.0, speed=(1.0, 1.0), mirror=0.0, palm_scale=(0.8, 1.2),
                        finger_scale=0.15, rotate3d_deg=30.0, chirality=0.5)
    one = augment_clip(clip, cfg, np.random.default_rng(7))
    two = augment_clip(clip, cfg, np.random.default_rng(7))
    assert one.shape == clip.shape and one.dtype == np.float32
    np.testing.assert_array_equal(one, two)  # same seed, same draw
    assert np.isnan(one[:, LEFT_HAND]).all() and not np.isnan(one[:, RIGHT_HAND]).any()
    other = augment_clip(clip, cfg, np.random.default_rng(8))
    assert not np.allclose(other, one, equal_nan=True)


def test_stretch_x_is_an_aspect_change_about_the_image_centre(silfa_runs: list[Run]) -> None:
    clip = _clip(silfa_runs)
    wide = stretch_x(clip, 16 / 9)
    np.testing.assert_allclose(wide[..., 1:], clip[..., 1:], equal_nan=True)  # y, z kept
    np.testing.assert_allclose(wide[..., 0] - 0.5, (clip[..., 0] - 0.5) * 16 / 9, atol=1e-6)
    assert np.array_equal(np.isnan(wide), np.isnan(clip))
    # The hand's shape (wrist-relative, palm-scaled) changes: the camera's aspect is not a
    # translation or a uniform scale, so normalisation alone cannot remove it.
    a, b = normalize_hand(clip[:, RIGHT_HAND]), normalize_hand(wide[:, RIGHT_HAND])
    assert np.nanmax(np.abs(a - b)) > 0.1


def test_augment_clip_draws_the_aspect_log_uniformly_in_its_range(silfa_runs: list[Run]) -> None:
    clip = _clip(silfa_runs)
    fixed = AugmentConfig(frame_drop=0.0, speed=(1.0, 1.0), mirror=0.0, noise=0.0, rotate_deg=0.0,
                          scale=(1.0, 1.0), shift=0.0)
    np.testing.assert_allclose(  # a one-point range is exactly that stretch
        augment_clip(clip, dataclasses.replace(fixed, aspect=(2.0, 2.0)),
                     np.random.default_rng(0)), stretch_x(clip, 2.0), atol=1e-6, equal_nan=True)
    ranged = dataclasses.replace(fixed, aspect=(0.5, 2.0))
    wrist = RIGHT_HAND.start
    factors = [(augment_clip(clip, ranged, np.random.default_rng(s))[0, wrist, 0] - 0.5)
               / (clip[0, wrist, 0] - 0.5) for s in range(200)]
    assert 0.5 - 1e-4 <= min(factors) and max(factors) <= 2.0 + 1e-4
    assert abs(float(np.median(np.log(factors)))) < 0.2  # log-uniform: median near 1
