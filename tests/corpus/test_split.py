"""corpus.split decides train/dev/held-out; corpus.segments cuts segments for training and
evaluation alike."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from corpus import dataset, evaluation
from corpus.segments import cut_segment
from corpus.split import DEV_SHARE, HELD_OUT_SHARE, is_held_out, split_of
from landmarks.sequence import LandmarkSequence

KEYS = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(5000)]


def test_shares_are_as_documented_and_stable():
    splits = [split_of(k) for k in KEYS]
    assert abs(splits.count("held_out") / len(KEYS) - HELD_OUT_SHARE) < 0.02
    assert abs(splits.count("dev") / len(KEYS) - DEV_SHARE) < 0.015
    assert splits == [split_of(k) for k in KEYS]
    assert [is_held_out(k) for k in KEYS] == [s == "held_out" for s in splits]


@pytest.mark.parametrize("dev_share", [0.0, 0.05, 0.3])
def test_the_dev_share_never_moves_a_clip_in_or_out_of_held_out(dev_share):
    default = [split_of(k) for k in KEYS]
    other = [split_of(k, dev_share) for k in KEYS]
    assert [s == "held_out" for s in other] == [s == "held_out" for s in default]
    if dev_share == 0.0:
        assert "dev" not in other
    # A larger dev share only takes clips from train.
    moved = {(a, b) for a, b in zip(default, other, strict=True) if a != b}
    assert moved <= {("train", "dev"), ("dev", "train")}


def test_a_dev_share_that_would_eat_the_held_out_split_is_refused():
    with pytest.raises(ValueError, match="dev_share"):
        split_of(KEYS[0], 1.0 - HELD_OUT_SHARE)


def test_one_cutter_for_exports_and_evaluation():
    assert dataset.cut_segment is cut_segment and evaluation.cut_segment is cut_segment


def test_adjacent_segments_share_no_frame_and_miss_none_at_24_fps():
    """Boundaries in whole milliseconds (as annotations store them) split 24 fps frames exactly:
    frame k starts at k/24 s, which is not a whole millisecond."""
    frames = 48
    points = np.arange(frames * 543 * 3, dtype=np.float32).reshape(frames, 543, 3)
    sequence = LandmarkSequence.from_points(points, fps=24.0)
    bounds = [round(k / 24, 3) for k in range(0, frames + 1, 5)] + [2.0]
    cuts = [cut_segment(sequence, a, b) for a, b in zip(bounds, bounds[1:], strict=False)]
    kept = np.concatenate([c.points[:, 0, 0] for c in cuts])
    np.testing.assert_array_equal(kept, points[:, 0, 0])
    assert [len(c) for c in cuts[:-1]] == [5] * (len(cuts) - 1)
    assert all(c.timestamps[0] == 0.0 for c in cuts if len(c))
