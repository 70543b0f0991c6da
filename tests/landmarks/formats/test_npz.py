"""npz storage round trips (the web app's format)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from landmarks.formats import read_landmarks, write_landmarks
from landmarks.formats.npz import load_npz, save_npz
from landmarks.sequence import LandmarkSequence


def test_round_trip_of_real_extraction(
    pose_test_sequence: LandmarkSequence, tmp_path: Path
) -> None:
    path = tmp_path / "seq.npz"
    save_npz(pose_test_sequence, path)
    loaded = load_npz(path)
    np.testing.assert_array_equal(loaded.points, pose_test_sequence.points)  # NaN == NaN here
    np.testing.assert_array_equal(loaded.presence, pose_test_sequence.presence)
    np.testing.assert_array_equal(loaded.timestamps, pose_test_sequence.timestamps)
    assert loaded.fps == pose_test_sequence.fps
    assert loaded.meta == pose_test_sequence.meta


def test_file_object_round_trip(pose_test_sequence: LandmarkSequence, tmp_path: Path) -> None:
    buffer = io.BytesIO()
    save_npz(pose_test_sequence, buffer)
    assert not buffer.closed  # the caller's object stays open
    (tmp_path / "seq.npz").write_bytes(buffer.getvalue())
    loaded = load_npz(tmp_path / "seq.npz")
    np.testing.assert_array_equal(loaded.points, pose_test_sequence.points)
    np.testing.assert_array_equal(loaded.timestamps, pose_test_sequence.timestamps)
    assert loaded.meta == pose_test_sequence.meta


def test_dispatch_by_suffix(pose_test_sequence: LandmarkSequence, tmp_path: Path) -> None:
    write_landmarks(pose_test_sequence, tmp_path / "x.npz")
    assert len(read_landmarks(tmp_path / "x.npz")) == 58
    with pytest.raises(ValueError, match="unknown landmark format"):
        write_landmarks(pose_test_sequence, tmp_path / "x.csv")


def test_bare_points_array_is_accepted(tmp_path: Path) -> None:
    points = np.full((3, 543, 3), np.nan, dtype=np.float32)
    points[1, :33] = 0.5
    np.savez(tmp_path / "bare.npz", points=points)
    seq = load_npz(tmp_path / "bare.npz")
    assert seq.presence[:, 0].tolist() == [False, True, False]
