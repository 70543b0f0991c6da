"""spotting.fps: a clip read below the rate the windows were trained at is upsampled first, so
that `slrweb recognize`, jobs and the letters speller read a 15 fps clip as its 30 fps self."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from landmarks.sequence import LandmarkSequence
from recognition.ml.data import load_runs
from recognition.ml.infer import IsolatedPredictor
from tests.support.spelling import hands_out_of_view, held_out_letters

REPO = Path(__file__).resolve().parents[3]


def test_a_slower_clip_is_read_at_the_spotting_rate(shared_data: Path) -> None:
    letters = IsolatedPredictor.from_bundle(REPO / "models" / "silfa-letters")
    assert letters.config.spotting.fps == 30.0  # the rate of the letter videos it learnt

    def at_rate(fps: float) -> IsolatedPredictor:
        spotting = dataclasses.replace(letters.config.spotting, fps=fps)
        return IsolatedPredictor(letters.model, dataclasses.replace(letters.config,
                                                                    spotting=spotting),
                                 letters.vocabulary, letters.name)

    at_30, shipped = at_rate(30.0), at_rate(0.0)  # shipped: as a clip comes
    runs = load_runs("gislr", shared_data / "isolated" / "silfa_fingerspelling")
    held = held_out_letters(runs, shipped.config.train)
    rest = hands_out_of_view(held["B"][0], frames=8)
    seq = LandmarkSequence.from_points(
        np.concatenate([rest, *(held[c] for c in "WAX"), rest]), fps=15.0)
    upsampled = seq.upsampled(2)
    assert at_30.recognize(seq) == shipped.recognize(upsampled)  # same windows, same times
    assert at_30.recognize(upsampled) == shipped.recognize(upsampled)  # 30 fps: as it comes
    assert at_30.recognize(seq) != shipped.recognize(seq)  # (the rate does change the reading)
