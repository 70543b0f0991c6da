"""The Gaussian-HMM + bigram LM baseline on synthetic signing and on a tiny real subset."""

from __future__ import annotations

import numpy as np

from translation.ml.continuous.data import Sentence, Word
from translation.ml.continuous.hmm_baseline import (
    SIL,
    GlossHMMRecognizer,
    HMMSettings,
    unit_sequences,
)
from translation.ml.continuous.train import gloss_wer

# Where the right hand goes (pixels) for each synthetic gloss; the left hand rests.
PLACES = {"HIGH": (150.0, 80.0), "LOW": (150.0, 260.0), "SIDE": (60.0, 170.0)}
REST = (160.0, 330.0)
NOSE = (170.0, 60.0)


def synthetic_sentence(glosses: list[str], rng: np.random.Generator, video: int) -> Sentence:
    """Rest, then each gloss held ~10 frames with 4-frame rests between, then rest."""
    frames, words = [], []
    def hold(place: tuple[float, float], n: int) -> None:
        for _ in range(n):
            right = np.array(place) + rng.normal(0, 3, 2)
            frames.append([right, np.array(REST) + rng.normal(0, 2, 2), np.array(NOSE)])
    hold(REST, 5)
    for gloss in glosses:
        n = int(rng.integers(8, 13))
        words.append(Word(gloss, len(frames), len(frames) + n - 1))
        hold(PLACES[gloss], n)
        hold(REST, 4)
    return Sentence(video, "synthetic", "train", np.asarray(frames, dtype=np.float32), words)


def test_silence_units_mark_the_gaps() -> None:
    s = synthetic_sentence(["HIGH", "LOW"], np.random.default_rng(0), 1)
    assert unit_sequences([s]) == [[SIL, "HIGH", SIL, "LOW", SIL]]


def test_recovers_synthetic_gloss_sequences() -> None:
    rng = np.random.default_rng(1)
    vocab = list(PLACES)
    train = [synthetic_sentence(list(rng.choice(vocab, size=rng.integers(1, 4))), rng, i)
             for i in range(30)]
    test = [synthetic_sentence(list(rng.choice(vocab, size=rng.integers(1, 4))), rng, 100 + i)
            for i in range(8)]
    hmm = GlossHMMRecognizer(HMMSettings(n_iter=3)).fit(train)
    hyps = hmm.decode_all(test)
    assert hyps == [s.glosses for s in test]


def test_fits_a_tiny_real_subset(boston: list[Sentence]) -> None:
    """20 real training sentences: decoding them again beats a recogniser that says nothing
    (WER 1.0) by far; a broken network or emission model does not."""
    subset = [s for s in boston if s.split == "train"][:20]
    hmm = GlossHMMRecognizer(HMMSettings(n_iter=3)).fit(subset)
    wer = gloss_wer(hmm.decode_all(subset), [s.glosses for s in subset])
    assert wer < 0.5
