"""Features, handedness and mirroring on real landmarks (SILFA Holistic, ASL alphabet hands)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from landmarks.layout import LEFT_HAND, NUM_POINTS, RIGHT_HAND
from landmarks.normalize import mirror_points
from recognition.ml.config import FeatureConfig
from recognition.ml.data import Run, load_asl_npz
from recognition.ml.features import (
    active_hand_mask,
    build_features,
    dominant_hand,
    feature_widths,
    keep_dominant_hand,
)

HANDS_ONLY = FeatureConfig(parts=("right_hand",), dominant_hand=True, hand_location=False)


@pytest.fixture(scope="module")
def asl_path(shared_data: Path) -> Path:
    return shared_data / "isolated" / "asl_alphabet_hands" / "asl_alphabet_hands.npz"


def frame(silfa_runs: list[Run], letter: str) -> np.ndarray:
    return next(r for r in silfa_runs if r.label == letter).points[:1].copy()


def test_widths_and_nan_blocks(silfa_runs: list[Run]) -> None:
    cfg = FeatureConfig()
    points = np.concatenate([frame(silfa_runs, "C")] * 2)
    points[1, LEFT_HAND] = np.nan
    feats = build_features(points, cfg)
    widths = feature_widths(cfg)
    assert feats.shape == (2, sum(widths))
    left = slice(widths[0] + widths[1], widths[0] + widths[1] + widths[2])
    assert not np.isnan(feats[0]).any()
    assert np.isnan(feats[1, left]).all() and not np.isnan(np.delete(feats[1], left)).any()


def test_features_ignore_camera_position_and_distance(silfa_runs: list[Run]) -> None:
    points = frame(silfa_runs, "B")
    moved = points.copy()
    moved[..., :2] = (points[..., :2] - 0.5) * 0.7 + 0.5 + np.array([0.08, -0.05])
    moved[..., 2] *= 0.7
    np.testing.assert_allclose(build_features(moved, FeatureConfig()),
                               build_features(points, FeatureConfig()), atol=1e-4)


def test_signing_hand_is_active_and_resting_hand_is_not(silfa_runs: list[Run]) -> None:
    points = frame(silfa_runs, "A")  # SILFA: right hand signs, left hand rests by the hip
    assert active_hand_mask(points, rest_margin=1.6).tolist() == [[False, True]]
    assert dominant_hand(points) == "right_hand"
    assert dominant_hand(mirror_points(points)) == "left_hand"  # a left-handed signer


def test_dominant_hand_of_a_left_handed_signer_lands_in_the_right_slot(
    silfa_runs: list[Run],
) -> None:
    points = frame(silfa_runs, "L")
    lefty = mirror_points(points)
    kept = keep_dominant_hand(lefty)
    assert np.isnan(kept[:, LEFT_HAND]).all()
    np.testing.assert_allclose(kept[:, RIGHT_HAND], points[:, RIGHT_HAND], atol=1e-6)
    np.testing.assert_allclose(build_features(lefty, HANDS_ONLY),
                               build_features(points, HANDS_ONLY), atol=1e-5)


def test_canonical_hand_shows_a_left_handed_signer_as_a_right_handed_one(
    silfa_runs: list[Run],
) -> None:
    """Both hands and the body are kept (unlike dominant_hand): the left-handed clip is
    mirrored as a whole, a right-handed one is left alone."""
    points = next(r for r in silfa_runs if r.label == "L").points[:6].copy()
    canonical = FeatureConfig(canonical_hand=True)
    lefty = mirror_points(points)
    assert not np.allclose(build_features(lefty, FeatureConfig()),
                           build_features(points, FeatureConfig()), equal_nan=True)
    np.testing.assert_allclose(build_features(lefty, canonical),
                               build_features(points, FeatureConfig()), atol=1e-5)
    np.testing.assert_array_equal(build_features(points, canonical),
                                  build_features(points, FeatureConfig()))


def test_asl_hands_are_mirrored_into_the_right_hand_slot(asl_path: Path) -> None:
    data = np.load(asl_path)
    raw = data["X"]
    k = int(np.flatnonzero((data["y"] == "A") & (data["filename"] == "frame_0.npy"))[0])
    runs = load_asl_npz(asl_path, mirror=True)
    first = next(r for r in runs if r.label == "A")
    assert first.points.shape[1:] == (NUM_POINTS, 3) and first.ids[0] == "A/frame_0.npy"
    np.testing.assert_allclose(first.points[0, RIGHT_HAND, 0], 1.0 - raw[k, :, 0], atol=1e-6)
    np.testing.assert_allclose(first.points[0, RIGHT_HAND, 1:], raw[k, :, 1:], atol=1e-6)
    assert np.isnan(first.points[:, LEFT_HAND]).all()
    as_stored = next(r for r in load_asl_npz(asl_path, mirror=False) if r.label == "A")
    np.testing.assert_allclose(as_stored.points[0, RIGHT_HAND], raw[k], atol=1e-6)


def test_mirrored_asl_hands_match_silfa_signers_hands(asl_path: Path,
                                                      silfa_runs: list[Run]) -> None:
    """Nearest class centroid of ASL hands, scored on SILFA's right hands (24 shared letters):
    the mirrored convention must agree far better than the stored one."""
    silfa = np.concatenate([build_features(r.points, HANDS_ONLY) for r in silfa_runs])
    truth = np.concatenate([[r.label] * len(r) for r in silfa_runs])

    def accuracy(mirror: bool) -> float:
        runs = load_asl_npz(asl_path, mirror=mirror)
        letters = sorted({r.label for r in runs} & set(truth))
        centroids = np.stack([
            np.concatenate([build_features(r.points, HANDS_ONLY) for r in runs
                            if r.label == letter]).mean(axis=0) for letter in letters])
        guess = np.linalg.norm(silfa[:, None] - centroids[None], axis=-1).argmin(axis=1)
        return float((np.array(letters)[guess] == truth).mean())

    mirrored, stored = accuracy(True), accuracy(False)
    assert mirrored > 0.3 and mirrored > stored + 0.15, (mirrored, stored)
