"""Live sessions (recognition.live): the binary frames format and every limit on it, on real
landmarks (the shared .pose clip)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from landmarks.formats import read_landmarks
from landmarks.sequence import LandmarkSequence
from recognition.live import BYTES_PER_FRAME, LiveError, LiveLimits, LiveSession, encode_frames

FPS = 15.0


@pytest.fixture(scope="module")
def clip(shared_data: Path) -> LandmarkSequence:
    return read_landmarks(shared_data / "poses" / "pose_repo" / "mediapipe.pose")


def frames(clip: LandmarkSequence, first: int, count: int, fps: float = FPS) -> bytes:
    times = np.arange(first, first + count) / fps
    return encode_frames(times, clip.points[first:first + count])


def session(**limits: object) -> LiveSession:
    clock = iter(np.arange(0, 1000, 0.5))  # the wall clock: half a second a message
    return LiveSession(LiveLimits(fps=FPS, **limits), clock=lambda: float(next(clock)))  # type: ignore[arg-type]


def test_frames_come_back_as_sent(clip: LandmarkSequence) -> None:
    live = session()
    for first in range(0, 30, 6):
        assert live.add(frames(clip, first, 6)) == 6
    sequence = live.sequence()
    np.testing.assert_array_equal(sequence.points, clip.points[:30])  # NaNs included
    np.testing.assert_array_equal(sequence.timestamps, np.round(np.arange(30) / FPS * 1000) / 1000)
    assert sequence.fps == FPS
    assert sequence.presence.any(axis=0).tolist() == clip.presence[:30].any(axis=0).tolist()


def refused(live: LiveSession, data: bytes) -> str:
    with pytest.raises(LiveError) as caught:
        live.add(data)
    return caught.value.code


def test_bad_messages_are_refused_with_a_reason_and_change_nothing(clip) -> None:  # type: ignore[no-untyped-def]
    live = session()
    live.add(frames(clip, 0, 4))
    good = frames(clip, 4, 2)
    assert refused(live, good[:-4]) == "bad-shape"  # not whole frames
    assert refused(live, b"") == "bad-shape"
    rows = np.frombuffer(good, "<f4").reshape(2, -1).copy()
    rows[1, 10] = np.inf
    assert refused(live, rows.tobytes()) == "not-finite"
    rows = np.frombuffer(good, "<f4").reshape(2, -1).copy()
    rows[1, 0] = rows[0, 0]  # the same time twice
    assert refused(live, rows.tobytes()) == "bad-time"
    rows[1, 0] = np.nan
    assert refused(live, rows.tobytes()) == "bad-time"
    assert refused(live, frames(clip, 0, 2)) == "bad-time"  # back in time
    assert refused(live, frames(clip, 4, 65)) == "too-many-frames"
    assert refused(live, frames(clip, 20, 4, fps=60)) == "too-fast"  # 60 fps > 2 x 15
    assert live.frames == len(live.sequence()) == 4
    assert live.add(good) == 2  # the session goes on


def test_duration_and_clock_limits(clip) -> None:  # type: ignore[no-untyped-def]
    assert refused(session(max_seconds=1.0), frames(clip, 10, 6)) == "too-long"
    fast = session(clock_slack_seconds=1.0)  # the clock moves 0.5 s a message
    fast.add(frames(clip, 0, 8))  # the first message sets the clock: 0.47 s of frames
    assert refused(fast, frames(clip, 30, 8)) == "ahead-of-clock"  # 2.5 s of frames, 0.5 s later
    assert session(clock_slack_seconds=None).add(frames(clip, 30, 8)) == 8


def test_due_every_step_and_nothing_after_the_end(clip) -> None:  # type: ignore[no-untyped-def]
    live = session(step_seconds=0.5)  # 7.5 frames at 15 fps
    live.add(frames(clip, 0, 7))
    assert not live.due()
    live.add(frames(clip, 7, 1))
    assert live.due()
    assert len(live.take_prefix()) == 8 and not live.due()
    assert len(live.take_whole()) == 8
    assert refused(live, frames(clip, 8, 2)) == "stopped"
    assert len(encode_frames(np.zeros(1), clip.points[:1])) == BYTES_PER_FRAME


def test_recovered_hands_are_kept_as_meta_and_saved_with_the_session(clip) -> None:  # type: ignore[no-untyped-def]
    from landmarks.hands import RECOVERED_KEY, as_trained
    from landmarks.layout import PARTS
    from recognition.live import decode_frames

    right = ~np.isnan(clip.points[:12, PARTS["right_hand"], 0]).all(axis=1)
    assert right.sum() >= 2
    flags = np.zeros((12, 2), bool)
    flags[np.flatnonzero(right)[:2], 1] = True  # the page's Hands found these right hands
    times = np.arange(12) / FPS
    live = session()
    assert live.add(encode_frames(times[:6], clip.points[:6], flags[:6])) == 6
    assert live.add(encode_frames(times[6:], clip.points[6:12], flags[6:])) == 6
    sequence = live.sequence()
    assert sequence.meta[RECOVERED_KEY]["right_hand"] == [
        float(t) for t in sequence.timestamps[flags[:, 1]]]
    assert sequence.meta[RECOVERED_KEY]["left_hand"] == []
    alone = as_trained(sequence, False)  # a model trained on Holistic alone drops them
    assert np.isnan(alone.points[flags[:, 1]][:, PARTS["right_hand"]]).all()
    # saved as a job, the flags travel as the npz's recovered_hands array
    import io
    with np.load(io.BytesIO(live.npz_bytes())) as saved:
        np.testing.assert_array_equal(saved["recovered_hands"], flags)
    # frames without recovery carry no such meta
    plain = session()
    plain.add(encode_frames(times[:6], clip.points[:6]))
    assert RECOVERED_KEY not in plain.sequence().meta
    # a flag must be 0-3 and name a hand that is there
    bad = np.frombuffer(encode_frames(times[:1], clip.points[:1]), "<f4").copy()
    bad[1] = 4
    with pytest.raises(LiveError, match="0, 1 \\(left\\), 2 \\(right\\) or 3"):
        decode_frames(bad.tobytes(), 8)
    missing = clip.points[:1].copy()
    missing[0, PARTS["left_hand"]] = np.nan
    with pytest.raises(LiveError, match="left hand as recovered without its landmarks"):
        decode_frames(encode_frames(times[:1], missing, np.array([[True, False]])), 8)
