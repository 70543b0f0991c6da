"""Spelled words from real SILFA landmarks that a letters bundle never trained on."""

from __future__ import annotations

from typing import Any

import numpy as np

from landmarks.layout import LEFT_HAND, RIGHT_HAND
from landmarks.sequence import LandmarkSequence


def block_split(train_config: Any) -> Any:
    """The block split of a bundle's training config. A bundle trained on every frame (split
    `none`, the shipped letters) has no held-out blocks of its own: its blocks are those of
    the block-split run that chose and measured its configuration (same config otherwise), so
    its weights have seen them; accuracy on them is measured with the block-split bundle."""
    import dataclasses

    if train_config.split == "none":
        return dataclasses.replace(train_config, split="blocks")
    return train_config


def held_out_letters(runs: list[Any], train_config: Any) -> dict[str, np.ndarray]:
    """Each letter's test-block frames under the bundle's block split (block_split)."""
    from recognition.ml.data import split_runs

    return {r.label: r.points for r in split_runs(runs, block_split(train_config))["test"]}


def hands_out_of_view(frame: np.ndarray, frames: int = 10) -> np.ndarray:
    """`frames` copies of one frame with both hands missing and the signing arm lowered (the
    pose's hand points below the signing space, as in the synthetic no-sign frames of
    recognition.ml.transitions): a rest between letters. A raised arm whose hand the detector
    lost may still be signing (SILFA's N and Q), so the spotter does not call that a rest."""
    from recognition.ml.config import SpottingConfig
    from recognition.ml.transitions import rest_hand

    rested = rest_hand(frame, np.random.default_rng(0), SpottingConfig().rest_margin, hide=True)
    idle = np.repeat(rested[None], frames, axis=0)
    idle[:, LEFT_HAND] = idle[:, RIGHT_HAND] = np.nan
    return idle


def spell(held: dict[str, np.ndarray], word: str, idle: np.ndarray,
          fps: float = 15.0) -> LandmarkSequence:
    """idle, then each letter's frames shown twice (a held letter) followed by idle."""
    pieces = [idle]
    for letter in word:
        pieces += [np.repeat(held[letter], 2, axis=0), idle]
    return LandmarkSequence.from_points(np.concatenate(pieces), fps=fps)
