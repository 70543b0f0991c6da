"""The same features from BOSTON-style pixel tracks and from MediaPipe Holistic landmarks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from landmarks.layout import LEFT_HAND, NUM_POINTS, RIGHT_HAND
from landmarks.sequence import LandmarkSequence
from translation.ml.continuous.data import Sentence
from translation.ml.continuous.features import (
    FEATURE_DIM,
    TRAIN_FPS,
    body_scale,
    sequence_features,
    track_features,
)

W, H = 640, 480


def synthetic_clip(fps: float, seconds: float = 2.0, seed: int = 0
                   ) -> tuple[LandmarkSequence, np.ndarray]:
    """A skeleton signing with both hands: (Holistic sequence, pixel tracks (T, 3, 2))."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(round(seconds * fps))) / fps
    nose = np.stack([320 + 4 * np.sin(t), 120 + 2 * np.cos(t)], 1)
    right = np.stack([250 + 60 * np.sin(2 * np.pi * t), 300 - 120 * np.sin(np.pi * t)], 1)
    left = np.stack([400 + 10 * np.sin(3 * t), 380 + 5 * t], 1)
    points = np.full((len(t), NUM_POINTS, 3), np.nan, dtype=np.float32)
    points[:, 0, :2] = nose / (W, H)
    for sl, centre, wrist in ((RIGHT_HAND, right, 16), (LEFT_HAND, left, 15)):
        offsets = rng.normal(0, 15, size=(21, 2))
        offsets -= offsets.mean(0)  # so the 21 points' mean is the hand position exactly
        points[:, sl, :2] = (centre[:, None] + offsets) / (W, H)
        points[:, sl, 2] = 0.0
        points[:, wrist, :2] = (centre + (0, 25)) / (W, H)  # wrist a bit below the centroid
    points[:, 0, 2] = points[:, 15, 2] = points[:, 16, 2] = 0.0
    seq = LandmarkSequence.from_points(points, fps=fps, timestamps=t)
    seq.meta["source"] = {"width": W, "height": H}
    return seq, np.stack([right, left, nose], 1)


def test_mediapipe_and_pixel_tracks_give_the_same_features() -> None:
    seq, tracks = synthetic_clip(TRAIN_FPS)
    feats, times = sequence_features(seq)
    expected = track_features(tracks)
    assert feats.shape == expected.shape == (len(seq), FEATURE_DIM)
    np.testing.assert_allclose(feats, expected, atol=1e-4)
    np.testing.assert_allclose(times, seq.timestamps, atol=1e-9)


def test_features_ignore_image_scale_and_position() -> None:
    _, tracks = synthetic_clip(TRAIN_FPS)
    moved = tracks * 1.7 + np.array([35.0, -12.0])
    np.testing.assert_allclose(track_features(moved), track_features(tracks), atol=1e-5)
    rel = tracks[:, :2] - tracks[:, 2:3]
    assert body_scale(rel * 1.7) == pytest.approx(1.7 * body_scale(rel))


def test_the_aspect_ratio_makes_coordinates_isotropic() -> None:
    seq, tracks = synthetic_clip(TRAIN_FPS)
    seq.meta["source"] = {}  # unknown size: x would be squeezed by 480/640
    assert not np.allclose(sequence_features(seq)[0], track_features(tracks), atol=1e-2)


def test_missing_hands_fall_back_to_the_pose_wrist() -> None:
    seq, tracks = synthetic_clip(TRAIN_FPS)
    seq.points[10:20, RIGHT_HAND] = np.nan  # hand lost; the pose wrist is still there
    seq.points[30:33, LEFT_HAND] = np.nan
    seq.points[30:33, 15] = np.nan  # lost entirely: interpolated in time
    feats, _ = sequence_features(seq)
    np.testing.assert_allclose(feats[:, :4], track_features(tracks)[:, :4], atol=0.02)


def test_other_frame_rates_are_resampled_to_the_training_rate() -> None:
    seq25, _ = synthetic_clip(25.0)
    _, tracks30 = synthetic_clip(TRAIN_FPS)
    feats, times = sequence_features(seq25)
    assert np.allclose(np.diff(times), 1 / TRAIN_FPS)
    assert abs(len(feats) - len(tracks30)) <= 1
    n = min(len(feats), len(tracks30)) - 1  # the clips' last frames differ (1.96 s vs 1.97 s)
    # Same motion, same clock: positions and (per-1/30 s) velocities agree up to interpolation.
    np.testing.assert_allclose(feats[:n, :4], track_features(tracks30)[:n, :4], atol=0.02)
    np.testing.assert_allclose(feats[1 : n - 1, 4:], track_features(tracks30)[1 : n - 1, 4:],
                               atol=0.08)


GROUPS = {"position x": [0, 2], "position y": [1, 3], "velocity x": [4, 6],
          "velocity y": [5, 7]}


def _group_stats(feats: np.ndarray) -> dict[str, tuple[float, float]]:
    return {g: (float(feats[:, i].mean()), float(feats[:, i].std())) for g, i in GROUPS.items()}


def test_a_real_mediapipe_clip_has_boston_scale_features(boston: list[Sentence],
                                                         shared_data: Path) -> None:
    """Real signing (pose-format's example clip: 25 fps, 320x240, both hands) lands inside the
    spread of BOSTON's videos: each feature group's clip mean and std within BOSTON's 1st-99th
    percentile of per-video values, widened by a quarter of that range (means) or 1.5x (stds).
    A flipped axis, a missing nose reference or a missing body scale would leave these ranges."""
    from landmarks.formats import read_landmarks

    seq = read_landmarks(shared_data / "poses" / "pose_repo" / "example_viewer.pose")
    clip = _group_stats(sequence_features(seq)[0])
    videos = [_group_stats(track_features(s.tracks)) for s in boston]
    for group, (mean, std) in clip.items():
        means = np.array([v[group][0] for v in videos])
        stds = np.array([v[group][1] for v in videos])
        lo, hi = np.percentile(means, [1, 99])
        margin = 0.25 * (hi - lo)
        assert lo - margin <= mean <= hi + margin, (group, mean, lo, hi)
        s_lo, s_hi = np.percentile(stds, [1, 99])
        assert s_lo / 1.5 <= std <= s_hi * 1.5, (group, std, s_lo, s_hi)
