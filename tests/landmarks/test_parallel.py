"""Extraction shared by processes (issue 14 item 2): the same landmarks as one process, frame for
frame, with ordered prefixes streamed while the helpers read; chunk edges lose or double nothing."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest

from landmarks.decode import iter_frames
from landmarks.extract import (
    SEGMENT_SECONDS,
    Assembler,
    ExtractionPlan,
    extract_landmarks,
    segment_index,
    segment_plan,
)
from landmarks.layout import NUM_POINTS
from landmarks.parallel import chunk_bounds, extract_landmarks_parallel
from landmarks.sequence import LandmarkSequence
from tests.support.videos import make_silfa_video


def test_chunk_bounds_cover_the_clip() -> None:
    assert chunk_bounds(10.0, 2) == [(0.0, 5.0), (5.0, None)]
    assert chunk_bounds(9.0, 3) == [(0.0, 3.0), (3.0, 6.0), (6.0, None)]


def test_segment_borders_are_multiples_of_the_segment_length() -> None:
    s = SEGMENT_SECONDS
    assert [segment_index(t, s) for t in (0.0, s - 1e-3, s, s - 1e-7, 2 * s + 0.5)] == [0, 0, 1, 1, 2]
    assert segment_index(100.0, s, last=7) == 7  # the last segment takes the remainder


@pytest.mark.parametrize("duration, rate, length, count", [
    (14.53, 15.0, 1.8, 8),   # 7.3 segments of 2 s -> 8 of 27 frames (not 7 of 30 and one of 8)
    (5.5, 15.0, 4 / 3, 4),   # 3 -> 4: two processes read two each
    (4.0, 30.0, 2.0, 2),     # already even
    (1.5, 15.0, SEGMENT_SECONDS, 1),
    (0.0, 15.0, SEGMENT_SECONDS, None),  # duration unknown: segments of SEGMENT_SECONDS
])
def test_segments_are_an_even_number_of_equal_whole_frame_lengths(
        duration: float, rate: float, length: float, count: int | None) -> None:
    got_length, got_count = segment_plan(duration, rate)
    assert got_count == count and got_length == pytest.approx(length)
    assert got_length <= SEGMENT_SECONDS
    assert got_length * rate == pytest.approx(round(got_length * rate))  # whole frames


@pytest.fixture(scope="module")
def spelled_clip(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real 30 fps clip of the SILFA signer spelling KLMNOP (about 5.5 s: 4 segments)."""
    return make_silfa_video(shared_data, "KLMNOP", tmp_path_factory.mktemp("split") / "c.mp4",
                            size=(426, 240))


@pytest.fixture(scope="module")
def one_process(spelled_clip: Path) -> tuple[LandmarkSequence, list[LandmarkSequence]]:
    prefixes: list[LandmarkSequence] = []
    whole = extract_landmarks(spelled_clip, sample_fps=15, on_chunk=lambda p: prefixes.append(
        LandmarkSequence(p.points.copy(), p.presence.copy(), p.timestamps.copy(), p.fps)))
    return whole, prefixes


def _assert_same(a: LandmarkSequence, b: LandmarkSequence) -> None:
    np.testing.assert_array_equal(a.timestamps, b.timestamps)
    np.testing.assert_array_equal(a.presence, b.presence)
    np.testing.assert_array_equal(a.points, b.points)  # NaN where NaN, else bit for bit


@pytest.mark.slow
def test_two_processes_give_exactly_the_one_process_landmarks(
    spelled_clip: Path, one_process: tuple[LandmarkSequence, list[LandmarkSequence]]
) -> None:
    whole, _ = one_process
    prefixes: list[tuple[np.ndarray, np.ndarray]] = []
    split = extract_landmarks_parallel(
        spelled_clip, workers=2, sample_fps=15,
        on_chunk=lambda p: prefixes.append((p.timestamps.copy(), p.points.copy())))
    assert split.meta["segments"] == 4 and split.meta["workers"] == 2
    _assert_same(split, whole)
    # No frame lost or doubled at a segment edge: every other frame of the 30 fps clip, each once.
    every_frame = np.array([f.timestamp for f in iter_frames(spelled_clip)])
    np.testing.assert_array_equal(whole.timestamps, every_frame[::2])
    # The prefixes handed on while the helper read are the final landmarks' first frames, at the
    # same lengths as one process hands them on.
    assert [len(t) for t, _ in prefixes] == [len(p) for p in one_process[1]]
    for timestamps, points in prefixes:
        np.testing.assert_array_equal(timestamps, whole.timestamps[:len(timestamps)])
        np.testing.assert_array_equal(points, whole.points[:len(points)])


@pytest.mark.slow
def test_a_helper_killed_mid_clip_is_replaced_by_the_caller(
    spelled_clip: Path, one_process: tuple[LandmarkSequence, list[LandmarkSequence]]
) -> None:
    import psutil

    killed: list[int] = []

    def helper_pids() -> list[int]:
        pids = []
        for child in psutil.Process().children():
            try:
                if "helper_main" in " ".join(child.cmdline()):
                    pids.append(child.pid)
            except (psutil.NoSuchProcess, psutil.ZombieProcess):
                continue  # a helper that just ended
        return pids

    chunks: list[int] = []

    def kill_helper(_prefix: LandmarkSequence) -> None:
        # At the first chunk, wait (bounded) for the helper: on a loaded machine it may still be
        # starting when the caller has read its first 2 s; then kill it mid-clip.
        chunks.append(1)
        deadline = time.monotonic() + 30
        while len(chunks) == 1 and not killed and time.monotonic() < deadline:
            pids = helper_pids()
            if pids:
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])
            else:
                time.sleep(0.05)

    split = extract_landmarks_parallel(spelled_clip, workers=2, sample_fps=15,
                                       on_chunk=kill_helper)
    assert killed
    _assert_same(split, one_process[0])


def _plan(segments: tuple[int, ...], rate: float = 10.0) -> ExtractionPlan:
    from landmarks.decode import VideoInfo

    info = VideoInfo(duration=len(segments) * SEGMENT_SECONDS, fps=rate, frame_count=None,
                     width=4, height=4)
    return ExtractionPlan("x.mp4", info, 0.0, None, None, rate, None, segments)


def _frames(segment: int, rate: float = 10.0) -> tuple[list[float], np.ndarray]:
    n = int(SEGMENT_SECONDS * rate)
    times = [segment * SEGMENT_SECONDS + i / rate for i in range(n)]
    points = np.full((n, NUM_POINTS, 3), float(segment), np.float32)
    points[:, 0, 0] = times
    return times, points


def test_assembler_joins_segments_arriving_out_of_order_without_loss_or_doubling() -> None:
    prefixes: list[np.ndarray] = []
    received: list[int] = []
    plan = _plan((0, 1, 2))
    asm = Assembler(plan, on_chunk=lambda p: prefixes.append(p.timestamps.copy()),
                    progress=lambda done, _total: received.append(done), chunk_seconds=1.0)
    t2, p2 = _frames(2)
    asm.add(2, t2[:7], p2[:7])  # a helper far ahead
    asm.add(2, t2[7:], p2[7:])
    asm.finish(2)
    assert prefixes == []  # nothing in order yet
    t1, p1 = _frames(1)
    asm.add(1, t1[:5], p1[:5])
    asm.drop(1)  # its reader died: read again from the start
    t0, p0 = _frames(0)
    for i in range(len(t0)):  # the caller, frame by frame
        asm.add(0, [t0[i]], p0[i:i + 1])
    asm.finish(0)
    assert [len(p) for p in prefixes] == [10, 20]
    asm.add(1, t1, p1)
    asm.finish(1)
    assert asm.complete
    seq = asm.sequence(model_complexity=1)
    expected = np.concatenate([t0, t1, t2])
    np.testing.assert_array_equal(seq.timestamps, expected)
    np.testing.assert_array_equal(seq.points[:, 0, 0], expected.astype(np.float32))
    # Segment 1 arrives at once, then 2 is joined: still one prefix per chunk (10 frames), the
    # same prefixes as one reader growing it frame by frame.
    assert [len(p) for p in prefixes] == [10, 20, 30, 40, 50, 60]
    assert received[-1] == 60 and seq.meta["segments"] == 3
    with pytest.raises(ValueError):
        asm.add(1, t1[:1], p1[:1])  # a complete segment takes no more frames


def _idle_helpers() -> list[int]:
    from landmarks.parallel import POOL

    return [h.process.pid for h in POOL._idle if h.alive]


@pytest.mark.slow
def test_helpers_are_kept_between_jobs_and_a_dead_one_is_replaced(
    spelled_clip: Path, one_process: tuple[LandmarkSequence, list[LandmarkSequence]]
) -> None:
    from landmarks.parallel import POOL, start_helpers

    start_helpers(1)
    (warm,) = _idle_helpers()[:1]
    split = extract_landmarks_parallel(spelled_clip, workers=2, sample_fps=15)
    _assert_same(split, one_process[0])
    assert warm in _idle_helpers()  # lent to the job, given back idle
    # One dies while idle (e.g. killed for memory): the next job reads without it, the pool
    # starts a new one, and the result is the same.
    os.kill(warm, signal.SIGKILL)
    POOL._idle[0].process.wait(timeout=30)
    split = extract_landmarks_parallel(spelled_clip, workers=2, sample_fps=15)
    _assert_same(split, one_process[0])
    idle = _idle_helpers()
    assert idle and warm not in idle and len(idle) == POOL.size


def test_a_helper_lent_after_it_died_reports_its_exit() -> None:
    import queue

    from landmarks.parallel import _Helper

    helper = _Helper(None)
    helper.process.kill()
    helper.process.wait(timeout=30)
    sink: queue.Queue[tuple[object, ...]] = queue.Queue()
    helper.lend(("job",), 1, sink)
    assert sink.get(timeout=30) == ("exit", 1)


def test_assembler_lists_the_recovered_hands_by_time_whatever_the_arrival_order() -> None:
    import dataclasses

    from landmarks.hands import RECOVERED_KEY

    metas: list[dict] = []
    plan = dataclasses.replace(_plan((0, 1)), hand_recovery=True)
    asm = Assembler(plan, on_chunk=lambda p: metas.append(p.meta[RECOVERED_KEY]),
                    chunk_seconds=SEGMENT_SECONDS)
    t1, p1 = _frames(1)
    flags1 = np.zeros((len(t1), 2), bool)
    flags1[3, 1] = True  # a helper's segment: right hand recovered on its 4th frame
    asm.add(1, t1, p1, flags1)
    asm.finish(1)
    t0, p0 = _frames(0)
    for i in range(len(t0)):
        asm.add(0, [t0[i]], p0[i:i + 1], np.array([[i == 2, False]]))
    asm.finish(0)
    seq = asm.sequence(model_complexity=1)
    assert seq.meta[RECOVERED_KEY] == {"left_hand": [t0[2]], "right_hand": [t1[3]]}
    assert metas == [{"left_hand": [t0[2]], "right_hand": []}, seq.meta[RECOVERED_KEY]]
    # Without recovery nothing is listed (and the meta stays what it was before it existed).
    plain = Assembler(_plan((0,)))
    plain.add(0, t0, p0)
    plain.finish(0)
    assert RECOVERED_KEY not in plain.sequence(model_complexity=1).meta
