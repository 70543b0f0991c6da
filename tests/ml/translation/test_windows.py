"""Reading long inputs in overlapping windows: spans, and merging without losing or doubling
letters at window edges (synthetic frame-label strings stand in for the CTC head)."""

from __future__ import annotations

import random
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import torch

from translation.ml.tokenizer import GlossVocab
from translation.ml.windows import (
    Emission,
    emissions_of,
    labels_text,
    merge_emissions,
    read_letters,
    read_windows,
    upsample,
    window_spans,
)

VOCAB = GlossVocab([*"ABCDEFGHIJKLMNOPQRSTUVWXYZ", "_"])
EDGE_NOISE = VOCAB.stoi["Z"]  # never in the spelled strings below


def test_spans_cover_every_frame_with_the_overlap() -> None:
    assert window_spans(50, 192, 64) == [(0, 50)]
    spans = window_spans(1000, 192, 64)
    assert spans[0][0] == 0 and spans[-1][1] == 1000
    assert all(e - s == 192 for s, e in spans)
    for (s0, e0), (s1, _e1) in zip(spans, spans[1:], strict=False):
        assert s0 < s1 and e0 - s1 >= 64  # neighbours share at least the overlap
    with pytest.raises(ValueError):
        window_spans(1000, 64, 64)


def _frame_labels(text: str, rng: random.Random) -> list[int]:
    """Per-frame best labels of a spelled string: each letter fires for 1-3 frames somewhere in
    its hold, blanks (0) elsewhere, as a CTC head's best path does."""
    frames: list[int] = [0] * 4  # the clip starts and ends with a few frames of nothing
    for ch in text:
        label = VOCAB.stoi["_" if ch == " " else ch.upper()]
        hold = rng.randint(8, 20)
        fire = rng.randint(1, 3)
        at = rng.randint(1, hold - fire - 1)  # blanks around it: doubled letters stay two
        frames += [0] * at + [label] * fire + [0] * (hold - fire - at)
    return frames + [0] * 4


def _window_log_probs(labels: list[int], spans: list[tuple[int, int]], rng: random.Random,
                      edge: int) -> list[np.ndarray]:
    """One-hot log-probs per window; each window reads the peaks up to 2 frames off (its own
    context; letters fire at least 8 frames apart) and sees spurious letters within `edge`
    frames of its inner edges."""
    out = []
    n = len(labels)
    for s, e in spans:
        shift = rng.randint(-2, 2)
        lab = [labels[min(max(t - shift, 0), n - 1)] for t in range(s, e)]
        for t in range(len(lab)):
            inner_edge = (t < edge and s > 0) or (t >= len(lab) - edge and e < n)
            if inner_edge and lab[t] == 0 and rng.random() < 0.3:
                lab[t] = EDGE_NOISE
        lp = np.full((len(lab), len(VOCAB)), np.log(0.01), dtype=np.float32)
        lp[np.arange(len(lab)), lab] = np.log(0.9)
        out.append(lp)
    return out


@pytest.mark.parametrize("seed", range(40))
def test_windowed_reading_loses_and_doubles_no_letter(seed: int) -> None:
    rng = random.Random(seed)
    words = ["hello", "balloon", "coffee", "mississippi", "street", "ok", "wood"]
    text = " ".join(rng.sample(words, 5))
    labels = _frame_labels(text, rng)
    window, overlap = rng.choice([(48, 16), (64, 24), (96, 32)])
    spans = window_spans(len(labels), window, overlap)
    assert len(spans) > 3
    emitted = read_windows(_window_log_probs(labels, spans, rng, overlap // 4), spans, 12)
    assert labels_text([VOCAB.itos[e.label] for e in emitted]) == text
    frames = [e.frame for e in emitted]
    assert frames == sorted(frames)


def test_merge_keeps_aligned_letters_once_and_lone_letters_on_their_side() -> None:
    a = [Emission(2, 10, -0.1), Emission(3, 52, -0.1), Emission(4, 70, -0.2)]  # ends at 80
    b = [Emission(3, 55, -0.1), Emission(5, 62, -0.3), Emission(6, 90, -0.1)]  # starts at 48
    merged = merge_emissions(a, b, lo=48, hi=80, tolerance=12)
    # 3: seen by both, kept once. 5: only b saw it, left of the middle (64), where a is trusted
    # and saw nothing: dropped. 4: only a saw it, right of the middle, where b is trusted: dropped.
    assert [e.label for e in merged] == [2, 3, 6]
    assert merge_emissions(a, [], lo=48, hi=80, tolerance=12) == a[:2]


class _OneHotModel:
    """Stands in for a Translator: features are per-frame one-hot labels, read back as CTC."""

    cfg = SimpleNamespace(input_kind="landmarks")

    def encode(self, src: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return src

    def ctc_log_probs(self, memory: torch.Tensor) -> torch.Tensor:
        return torch.log_softmax(memory * 8.0, dim=-1)


def test_read_letters_matches_one_long_read() -> None:
    rng = random.Random(3)
    labels = _frame_labels("jump over the brown fox", rng)
    feats = np.eye(len(VOCAB), dtype=np.float32)[labels]
    model: Any = _OneHotModel()
    streamed: list[str] = []
    reading = read_letters(model, feats, VOCAB, {"window": 40, "overlap": 16},
                           on_emission=lambda e, g: streamed.append(g))
    whole = emissions_of(np.log(np.eye(len(VOCAB))[labels] * 0.98 + 0.001))
    assert reading.text == "jump over the brown fox"
    assert [e.label for e in reading.emissions] == [e.label for e in whole]
    assert streamed == reading.labels


def test_upsample_interpolates_where_a_hand_is_seen_on_both_sides() -> None:
    feats = np.zeros((3, 128), np.float32)
    feats[:, :63] = np.array([[0.0], [2.0], [4.0]])
    feats[:, 126] = [1, 1, 0]  # right hand seen in frames 0 and 1 only
    feats[2, :63] = 0.0  # (a missing hand is zeros)
    up = upsample(feats, 2)
    assert up.shape == (6, 128)
    np.testing.assert_allclose(up[::2], feats)  # frame t -> t * 2
    np.testing.assert_allclose(up[1, :63], 1.0)  # halfway between two seen hands
    np.testing.assert_allclose(up[3], feats[1])  # next frame has no hand: repeated
    np.testing.assert_allclose(upsample(feats, 1), feats)


def test_a_clip_below_the_readers_rate_is_read_upsampled_in_its_own_frames() -> None:
    rng = random.Random(5)
    labels = _frame_labels("fox", rng)
    feats = np.eye(len(VOCAB), dtype=np.float32)[labels]
    model: Any = _OneHotModel()
    reader = {"window": 40, "overlap": 16, "fps": 30.0}
    at_rate = read_letters(model, feats, VOCAB, reader, fps=30.0)
    half = read_letters(model, feats, VOCAB, reader, fps=15.0)  # read at twice its length
    assert at_rate.text == half.text == "fox"
    assert [e.frame for e in half.emissions] == [e.frame for e in at_rate.emissions]
