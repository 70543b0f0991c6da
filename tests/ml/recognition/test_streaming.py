"""Streaming spotting: prefixes of a real spelled clip, fed in chunks of every size, publish each
final segment exactly once (none lost or doubled at a chunk edge) and the final result is the
non-streaming one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from landmarks.sequence import LandmarkSequence
from recognition.ml.data import Run
from recognition.ml.infer import IsolatedPredictor
from recognition.ml.streaming import StreamingSpotter, same_segment
from tests.support.spelling import hands_out_of_view, held_out_letters, spell

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def predictor() -> IsolatedPredictor:
    return IsolatedPredictor.from_bundle(REPO / "models" / "silfa-letters")


@pytest.fixture(scope="module")
def clip(silfa_runs: list[Run], predictor: IsolatedPredictor) -> LandmarkSequence:
    """Held-out SILFA frames spelling CUBA, each letter held, hands out of view between."""
    held = held_out_letters(silfa_runs, predictor.config.train)
    return spell(held, "CUBA", hands_out_of_view(held["B"][0]))


def prefix(seq: LandmarkSequence, n: int) -> LandmarkSequence:
    return LandmarkSequence.from_points(seq.points[:n], fps=seq.fps, timestamps=seq.timestamps[:n])


@pytest.mark.parametrize("chunk", [7, 16, 30, 45])
def test_every_segment_is_published_once_whatever_the_chunk_size(
        predictor: IsolatedPredictor, clip: LandmarkSequence, chunk: int) -> None:
    spotter = StreamingSpotter(predictor, top_k=3)
    streamed = []
    for n in range(chunk, len(clip), chunk):
        streamed += spotter.feed(prefix(clip, n))
    final, rest = spotter.finish(clip)
    assert final == predictor.recognize(clip, top_k=3)  # the non-streaming result, exactly
    published = streamed + rest
    tol = spotter.tolerance(clip)
    assert len(final["segments"]) >= 3  # a clip with signs to stream (accuracy: test_infer.py)
    for seg in final["segments"]:  # none lost
        assert sum(same_segment(seg, p, tol) for p in published) == 1, (seg, published)
    for p in published:  # none doubled, none that the final result does not have
        assert sum(same_segment(p, seg, tol) for seg in final["segments"]) == 1, (p, final)
    if chunk <= 16:  # small chunks: most signs are out before the clip ends
        assert len(streamed) >= 2


def test_nothing_is_published_before_a_guard_of_frames(predictor, clip) -> None:  # type: ignore[no-untyped-def]
    spotter = StreamingSpotter(predictor)
    short = prefix(clip, int(spotter.guard_seconds(clip) * clip.fps))
    assert spotter.feed(short) == []


class _Counting:
    """The real predictor, recording how many frames each recognize() call reads."""

    def __init__(self, predictor: IsolatedPredictor) -> None:
        self.predictor, self.config, self.frames = predictor, predictor.config, []

    def recognize(self, seq: LandmarkSequence, **kwargs):  # type: ignore[no-untyped-def]
        self.frames.append(len(seq))
        return self.predictor.recognize(seq, **kwargs)


def test_a_long_clip_is_read_in_tails_of_bounded_length_and_still_published_once(
        predictor: IsolatedPredictor, clip: LandmarkSequence) -> None:
    long = LandmarkSequence.from_points(np.concatenate([clip.points] * 4), fps=clip.fps)
    counting = _Counting(predictor)
    spotter = StreamingSpotter(counting, top_k=3, context_seconds=3.0)
    streamed, chunk = [], 16
    for n in range(chunk, len(long), chunk):
        streamed += spotter.feed(prefix(long, n))
    fed = counting.frames[:]
    final, rest = spotter.finish(long)
    assert final == predictor.recognize(long, top_k=3)
    # Each prefix is read from shortly before the previous horizon: bounded, not the whole prefix.
    bound = (3.0 + spotter.guard_seconds(long)) * long.fps + 2 * chunk
    assert max(fed) <= bound < len(long) - chunk, (fed, bound)
    published, tol = streamed + rest, spotter.tolerance(long)
    assert len(final["segments"]) >= 12 and len(streamed) >= 6
    for seg in final["segments"]:
        assert sum(same_segment(seg, p, tol) for p in published) == 1, (seg, published)
    for p in published:
        assert sum(same_segment(p, seg, tol) for seg in final["segments"]) == 1, (p, final)
