"""LandmarkSequence.upsampled: more frames between the same ones, never blending into NaN."""

from __future__ import annotations

import numpy as np

from landmarks.hands import RECOVERED_KEY
from landmarks.layout import PARTS
from landmarks.sequence import LandmarkSequence


def test_points_and_times_are_interpolated_and_missing_points_never_blend() -> None:
    points = np.zeros((3, 543, 3), dtype=np.float32)
    points[1], points[2] = 1.0, 2.0
    points[1, 0] = np.nan  # one point lost in the middle frame
    points[:, PARTS["left_hand"]] = np.nan  # the left hand never seen
    seq = LandmarkSequence.from_points(points, fps=15.0)
    seq.meta[RECOVERED_KEY] = {"right": [1 / 15]}
    up = seq.upsampled(2)
    assert len(up) == 5 and up.fps == 30.0
    np.testing.assert_allclose(up.timestamps, [0, 1 / 30, 2 / 30, 3 / 30, 4 / 30])
    np.testing.assert_allclose(up.points[:, 1, 0], [0, 0.5, 1, 1.5, 2])
    assert up.points[1, 0, 0] == 0 and np.isnan(up.points[2:4, 0, 0]).all()  # earlier frame's
    assert up.points[4, 0, 0] == 2
    assert np.isnan(up.points[:, PARTS["left_hand"]]).all() and not up.presence[:, 2].any()
    np.testing.assert_array_equal(up.points[::2], seq.points)  # the original frames stay
    assert up.meta == seq.meta and up.meta is not seq.meta
    assert seq.upsampled(1) is seq and len(seq.upsampled(3)) == 7
