"""LandmarkSequence.upsampled: each frame shown `factor` times, never a blend of two frames."""

from __future__ import annotations

import numpy as np

from landmarks.hands import RECOVERED_KEY
from landmarks.layout import PARTS
from landmarks.sequence import LandmarkSequence


def test_frames_are_repeated_over_their_own_interval() -> None:
    points = np.zeros((3, 543, 3), dtype=np.float32)
    points[1], points[2] = 1.0, 2.0
    points[1, 0] = np.nan  # one point lost in the middle frame
    points[:, PARTS["left_hand"]] = np.nan  # the left hand never seen
    seq = LandmarkSequence.from_points(points, fps=15.0, timestamps=np.array([0.0, 0.1, 0.2]))
    seq.meta[RECOVERED_KEY] = {"right": [0.1]}
    up = seq.upsampled(2)
    assert len(up) == 6 and up.fps == 30.0
    # Each frame's copies share its interval (a VFR gap stays a gap); the last one its 1/fps.
    np.testing.assert_allclose(up.timestamps, [0, 0.05, 0.1, 0.15, 0.2, 0.2 + 1 / 30])
    np.testing.assert_array_equal(up.points[:, 1, 0], [0, 0, 1, 1, 2, 2])  # no blends
    assert np.isnan(up.points[2:4, 0]).all() and not np.isnan(up.points[[0, 1, 4, 5], 0]).any()
    assert np.isnan(up.points[:, PARTS["left_hand"]]).all() and not up.presence[:, 2].any()
    np.testing.assert_array_equal(up.points[::2], seq.points)  # the original frames stay
    np.testing.assert_array_equal(up.timestamps[::2], seq.timestamps)  # at their own times
    assert up.meta == seq.meta and up.meta is not seq.meta
    assert seq.upsampled(1) is seq and len(seq.upsampled(3)) == 9
