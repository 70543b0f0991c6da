"""Spelled words from real SILFA landmarks that a letters bundle never trained on."""

from __future__ import annotations

from typing import Any

import numpy as np

from landmarks.layout import LEFT_HAND, RIGHT_HAND
from landmarks.sequence import LandmarkSequence


def held_out_letters(runs: list[Any], train_config: Any) -> dict[str, np.ndarray]:
    """Each letter's test-block frames under the bundle's own split (never trained on)."""
    from recognition.ml.data import split_runs

    return {r.label: r.points for r in split_runs(runs, train_config)["test"]}


def hands_out_of_view(frame: np.ndarray, frames: int = 10) -> np.ndarray:
    """`frames` copies of one frame with both hands missing: a rest between letters."""
    idle = np.repeat(frame[None], frames, axis=0).copy()
    idle[:, LEFT_HAND] = idle[:, RIGHT_HAND] = np.nan
    return idle


def spell(held: dict[str, np.ndarray], word: str, idle: np.ndarray,
          fps: float = 15.0) -> LandmarkSequence:
    """idle, then each letter's frames shown twice (a held letter) followed by idle."""
    pieces = [idle]
    for letter in word:
        pieces += [np.repeat(held[letter], 2, axis=0), idle]
    return LandmarkSequence.from_points(np.concatenate(pieces), fps=fps)
