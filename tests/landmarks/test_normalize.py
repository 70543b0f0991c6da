"""Normalisation and mirroring: property tests, and the handedness probe on real data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from landmarks.layout import (
    FACE,
    LEFT_HAND,
    LEFT_SHOULDER,
    POSE_POINT_NAMES,
    RIGHT_HAND,
    RIGHT_SHOULDER,
)
from landmarks.normalize import (
    ASL_ALPHABET_IS_MIRRORED,
    MIRROR_PERMUTATION,
    canonical_hand,
    dominant_hand,
    mirror_points,
    mirror_presence,
    normalize_by_shoulders,
    normalize_hand,
)
from landmarks.sequence import LandmarkSequence

coordinates = st.floats(0.0, 1.0, width=32)


@st.composite
def frames(draw: st.DrawFn, max_frames: int = 4) -> np.ndarray:
    """(T, 543, 3) image-space frames with shoulders apart and some parts missing (NaN)."""
    count = draw(st.integers(1, max_frames))
    points = draw(arrays(np.float32, (count, 543, 3), elements=coordinates))
    points[:, LEFT_SHOULDER, :2] = [0.65, 0.5]
    points[:, RIGHT_SHOULDER, :2] = [0.35, 0.5]
    points[:, LEFT_SHOULDER, :2] += draw(st.floats(-0.05, 0.05))
    for block in (FACE, LEFT_HAND, RIGHT_HAND):
        missing = draw(arrays(bool, (count,)))
        points[missing, block] = np.nan
    return points


@settings(max_examples=40, deadline=None)
@given(frames())
def test_mirror_twice_is_identity(points: np.ndarray) -> None:
    np.testing.assert_allclose(mirror_points(mirror_points(points)), points, atol=1e-6)
    centred = normalize_by_shoulders(points)
    np.testing.assert_array_equal(
        mirror_points(mirror_points(centred, centred=True), centred=True), centred
    )


@settings(max_examples=40, deadline=None)
@given(frames(), st.floats(-3, 3), st.floats(-3, 3), st.floats(0.2, 5))
def test_shoulder_normalisation_ignores_translation_and_scale(
    points: np.ndarray, dx: float, dy: float, scale: float
) -> None:
    moved = points * np.float32(scale) + np.array([dx, dy, 0], dtype=np.float32)
    np.testing.assert_allclose(
        normalize_by_shoulders(moved), normalize_by_shoulders(points), atol=2e-4, rtol=1e-3
    )


@settings(max_examples=40, deadline=None)
@given(frames())
def test_nan_is_preserved(points: np.ndarray) -> None:
    missing = np.isnan(points)
    assert np.array_equal(np.isnan(normalize_by_shoulders(points)), missing)
    assert np.array_equal(np.isnan(mirror_points(points)), missing[:, MIRROR_PERMUTATION])
    hand = points[:, RIGHT_HAND]
    hand[:, 9, :2] = hand[:, 0, :2] + 0.1  # a palm of real size (degenerate palms become NaN)
    hand_missing = np.isnan(hand)
    assert np.array_equal(np.isnan(normalize_hand(hand)), hand_missing)


@settings(max_examples=40, deadline=None)
@given(
    arrays(np.float32, (3, 21, 3), elements=coordinates),
    st.floats(-2, 2),
    st.floats(-2, 2),
    st.floats(-1, 1),
    st.floats(0.3, 4),
)
def test_hand_normalisation_ignores_translation_and_scale(
    hand: np.ndarray, dx: float, dy: float, dz: float, scale: float
) -> None:
    hand[:, 9, :2] = hand[:, 0, :2] + [0.1, -0.2]  # a real palm, not a point
    moved = hand * np.float32(scale) + np.array([dx, dy, dz], dtype=np.float32)
    np.testing.assert_allclose(normalize_hand(moved), normalize_hand(hand), atol=1e-3)
    assert np.allclose(normalize_hand(hand)[:, 0], 0)


def test_mirror_swaps_named_sides() -> None:
    points = np.zeros((1, 543, 3), dtype=np.float32)
    points[0, :, 0] = np.linspace(0, 1, 543)
    flipped = mirror_points(points)
    left_wrist, right_wrist = POSE_POINT_NAMES.index("LEFT_WRIST"), 16
    assert flipped[0, left_wrist, 0] == pytest.approx(1 - points[0, right_wrist, 0])
    assert flipped[0, POSE_POINT_NAMES.index("NOSE"), 0] == pytest.approx(1 - points[0, 0, 0])
    np.testing.assert_allclose(flipped[0, LEFT_HAND, 0], 1 - points[0, RIGHT_HAND, 0])
    presence = np.array([[True, False, True, False]])
    assert mirror_presence(presence).tolist() == [[True, False, False, True]]


def test_mirrored_real_signer_is_a_plausible_left_hander(
    pose_test_sequence: LandmarkSequence,
) -> None:
    seq = pose_test_sequence
    flipped = mirror_points(seq.points)
    presence = mirror_presence(seq.presence)
    # The hand that was the signer's right hand is now the left one and sits at the left wrist.
    rows = presence[:, 2]
    assert rows.sum() == seq.presence[:, 3].sum() > 0
    hand_wrist = flipped[rows, LEFT_HAND.start, :2]
    pose_left_wrist = flipped[rows, POSE_POINT_NAMES.index("LEFT_WRIST"), :2]
    assert np.median(np.linalg.norm(hand_wrist - pose_left_wrist, axis=-1)) < 0.1
    # Face left/right: the left eye's outer corner stays on the same side as the left shoulder.
    left_eye, left_shoulder = FACE.start + 263, POSE_POINT_NAMES.index("LEFT_SHOULDER")
    nose = FACE.start + 1
    same_side = np.sign(flipped[:, left_eye, 0] - flipped[:, nose, 0]) == np.sign(
        flipped[:, left_shoulder, 0] - flipped[:, RIGHT_SHOULDER, 0]
    )
    assert same_side.all()


def test_face_mirror_matches_mediapipe_named_regions() -> None:
    from mediapipe.python.solutions import face_mesh_connections as fm

    from landmarks.face_symmetry import FACE_MIRROR

    mirror = np.array(FACE_MIRROR)
    assert np.array_equal(mirror[mirror], np.arange(468))

    def points_of(edges: frozenset[tuple[int, int]]) -> list[int]:
        return sorted({p for edge in edges for p in edge})

    assert sorted(mirror[points_of(fm.FACEMESH_LEFT_EYE)]) == points_of(fm.FACEMESH_RIGHT_EYE)
    assert sorted(mirror[points_of(fm.FACEMESH_LEFT_EYEBROW)]) == points_of(
        fm.FACEMESH_RIGHT_EYEBROW
    )
    for region in (fm.FACEMESH_LIPS, fm.FACEMESH_FACE_OVAL):
        assert sorted(mirror[points_of(region)]) == points_of(region)
    edges = {tuple(sorted(e)) for e in fm.FACEMESH_TESSELATION}
    kept = {tuple(sorted((mirror[a], mirror[b]))) for a, b in edges} & edges
    assert len(kept) >= 0.99 * len(edges)


def test_face_mirror_is_reproduced_from_silfa(
    silfa_samples: list[tuple[LandmarkSequence, str]],
) -> None:
    from landmarks.face_symmetry import FACE_MIRROR, derive_face_mirror

    faces = np.array([seq.points[0, FACE] for seq, _ in silfa_samples], np.float64)
    assert np.array_equal(derive_face_mirror(faces), np.array(FACE_MIRROR))


def test_asl_alphabet_agrees_with_silfa_only_when_mirrored(
    shared_data: Path, silfa_samples: list[tuple[LandmarkSequence, str]]
) -> None:
    from sklearn.neighbors import NearestCentroid  # a linear probe that fits in milliseconds

    asl = np.load(shared_data / "isolated/asl_alphabet_hands/asl_alphabet_hands.npz")
    features = canonical_hand(asl["X"], mirror=ASL_ALPHABET_IS_MIRRORED)[..., :2]
    probe = NearestCentroid().fit(features.reshape(len(features), -1), asl["y"])
    signs = np.array([sign for _, sign in silfa_samples])
    chosen = [dominant_hand(seq.points) for seq, _ in silfa_samples]
    assert {side for _, side in chosen} == {"right"}
    hands = np.stack([hand[0] for hand, _ in chosen])
    accuracy = (probe.predict(hands[..., :2].reshape(len(hands), -1)) == signs).mean()
    unflipped = hands * np.array([-1.0, 1.0, 1.0], dtype=np.float32)
    accuracy_other = (probe.predict(unflipped[..., :2].reshape(len(hands), -1)) == signs).mean()
    assert accuracy > 0.3 and accuracy > accuracy_other + 0.2
