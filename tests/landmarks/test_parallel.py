"""Chunked extraction over processes: exact borders, order, progress."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from landmarks.parallel import chunk_bounds, extract_landmarks_parallel
from landmarks.sequence import LandmarkSequence


def test_chunk_bounds_cover_the_clip() -> None:
    assert chunk_bounds(10.0, 2) == [(0.0, 5.0), (5.0, None)]
    assert chunk_bounds(9.0, 3) == [(0.0, 3.0), (3.0, 6.0), (6.0, None)]


@pytest.mark.slow
def test_two_workers_match_one_process(
    pose_test_video: Path, pose_test_sequence: LandmarkSequence
) -> None:
    calls: list[tuple[int, int | None]] = []
    seq = extract_landmarks_parallel(
        pose_test_video, workers=2, progress=lambda d, t: calls.append((d, t))
    )
    np.testing.assert_array_equal(seq.timestamps, pose_test_sequence.timestamps)
    assert [c["frames"] for c in seq.meta["chunks"]] == [29, 29]
    assert seq.presence[:, :2].all()  # pose and face on every frame, as in one process
    hands = seq.presence[:, 2] | seq.presence[:, 3]
    assert abs(int(hands.sum()) - int((pose_test_sequence.presence[:, 3]).sum())) <= 3
    # Away from the border the two runs see the same body (tracking differs only near it).
    body = np.nanmedian(np.abs(seq.points[:, :33] - pose_test_sequence.points[:, :33]))
    assert body < 0.02
    assert calls[-1] == (58, 58)
    assert seq.meta["warnings"] == []
