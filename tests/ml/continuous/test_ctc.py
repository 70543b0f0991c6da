"""CTC decoding and the frame alignment that gives each recognised gloss its times."""

from __future__ import annotations

import numpy as np
import pytest

from translation.ml.continuous.ctc import BeamSettings, align, beam_ids, greedy_ids
from translation.ml.continuous.infer import glosses_with_times
from translation.ml.continuous.lm import EOS, BigramLM

VOCAB = ["<blank>", "JOHN", "MARY", "LOVE", "SEE"]


def spiky(n_frames: int, spikes: dict[int, dict[int, float]]) -> np.ndarray:
    """(T, V) log-probs: blank everywhere except the given frame -> {id: prob} spikes."""
    probs = np.full((n_frames, len(VOCAB)), 0.01)
    probs[:, 0] = 0.96
    for frame, dist in spikes.items():
        probs[frame] = 0.01
        for gid, p in dist.items():
            probs[frame, gid] = p
        probs[frame, 0] = max(0.01, 1 - sum(dist.values()))
    probs /= probs.sum(1, keepdims=True)
    return np.log(probs)


def test_greedy_merges_repeats_and_drops_blanks() -> None:
    lp = spiky(12, {2: {1: 0.9}, 3: {1: 0.9}, 6: {3: 0.9}, 8: {1: 0.9}})
    assert greedy_ids(lp) == [1, 3, 1]


def test_alignment_gives_each_gloss_its_frames_and_times() -> None:
    lp = spiky(20, {4: {1: 0.9}, 5: {1: 0.9}, 11: {3: 0.95}, 16: {2: 0.9}})
    ids = greedy_ids(lp)
    assert align(lp, ids) == [(4, 5), (11, 11), (16, 16)]
    times = 0.5 + np.arange(20) / 30.0  # the clip's clock may start anywhere
    out = glosses_with_times(lp, ids, VOCAB, times, 1 / 30)
    assert [g["gloss"] for g in out] == ["JOHN", "LOVE", "MARY"]
    assert out[0]["start"] == pytest.approx(0.5 + 4 / 30, abs=1e-3)
    assert out[0]["end"] == pytest.approx(0.5 + 6 / 30, abs=1e-3)
    assert out[1]["start"] == pytest.approx(0.5 + 11 / 30, abs=1e-3)
    assert all(a["end"] <= b["start"] for a, b in zip(out, out[1:], strict=False))
    assert out[1]["prob"] == pytest.approx(float(np.exp(lp[11, 3])), abs=1e-4)


def test_alignment_of_a_repeated_gloss_needs_the_blank_between() -> None:
    lp = spiky(10, {2: {4: 0.9}, 6: {4: 0.9}})
    assert greedy_ids(lp) == [4, 4]
    assert align(lp, [4, 4]) == [(2, 2), (6, 6)]


def test_beam_without_lm_agrees_with_greedy_on_clear_input() -> None:
    lp = spiky(15, {3: {1: 0.9}, 8: {3: 0.9}, 12: {2: 0.9}})
    assert beam_ids(lp, VOCAB, None, BeamSettings(beam=4)) == greedy_ids(lp)


def test_the_lm_decides_between_acoustically_equal_glosses() -> None:
    lm = BigramLM([["JOHN", "LOVE"]] * 5 + [["JOHN", "SEE", "MARY"]])
    lp = spiky(12, {2: {1: 0.9}, 7: {3: 0.45, 4: 0.46}})  # LOVE or SEE after JOHN?
    assert [VOCAB[i] for i in greedy_ids(lp)] == ["JOHN", "SEE"]
    with_lm = beam_ids(lp, VOCAB, lm, BeamSettings(beam=4, lm_weight=1.0))
    assert [VOCAB[i] for i in with_lm] == ["JOHN", "LOVE"]


def test_bigram_lm_is_a_distribution_that_prefers_seen_pairs() -> None:
    lm = BigramLM([["JOHN", "LOVE", "MARY"], ["MARY", "SEE", "JOHN"]])
    words = ["JOHN", "LOVE", "MARY", "SEE", EOS]
    total = sum(np.exp(lm.logprob("JOHN", w)) for w in words)
    assert 0.85 < total <= 1.0  # the rest is the mass of unseen words
    assert lm.logprob("JOHN", "LOVE") > lm.logprob("JOHN", "SEE")
    assert np.isfinite(lm.logprob("JOHN", "NEVER-SEEN"))


def test_timing_hit_rate_counts_glosses_inside_their_true_words() -> None:
    from translation.ml.continuous.data import Sentence, Word
    from translation.ml.continuous.evaluate import timing_hit_rate

    s = Sentence(1, "x", "test", np.zeros((60, 3, 2), np.float32),
                 [Word("JOHN", 5, 15), Word("LOVE", 20, 30)])
    timed = [[{"gloss": "JOHN", "start": 9 / 30, "end": 10 / 30},  # inside JOHN: hit
              {"gloss": "LOVE", "start": 45 / 30, "end": 46 / 30},  # far from LOVE: miss
              {"gloss": "MARY", "start": 0.0, "end": 0.1}]]  # not in the reference: ignored
    assert timing_hit_rate([s], timed, fps=30.0) == pytest.approx(0.5)
