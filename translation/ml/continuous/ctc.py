"""CTC decoding of one clip's (T, V) log-probabilities: greedy, prefix beam search with a bigram
gloss LM, and the frame alignment of a decoded gloss sequence (for start/end times).

Ids: 0 is the blank, 1..V-1 glosses; `vocab[i]` names id i.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from translation.ml.continuous.lm import BOS, EOS, BigramLM

NEG = -1e30


def greedy_ids(log_probs: np.ndarray) -> list[int]:
    """Best path: argmax per frame, repeats merged, blanks dropped."""
    best = log_probs.argmax(axis=1)
    keep = (best != 0) & np.r_[True, best[1:] != best[:-1]]
    return [int(i) for i in best[keep]]


def _logaddexp(a: float, b: float) -> float:
    if a < b:
        a, b = b, a
    return a if b <= NEG else a + math.log1p(math.exp(b - a))


@dataclass(frozen=True)
class BeamSettings:
    beam: int = 8
    lm_weight: float = 0.0  # 0 = no LM
    insertion_bonus: float = 0.0  # added per emitted gloss (counters the LM's length bias)
    prune: float = -8.0  # only glosses with a frame log-prob above this are extended


def beam_ids(log_probs: np.ndarray, vocab: Sequence[str], lm: BigramLM | None,
             settings: BeamSettings) -> list[int]:
    """CTC prefix beam search (Hannun et al. 2014) with a bigram LM applied at each new gloss."""
    # prefix -> (log P ending in blank, log P ending in its last gloss)
    beams: dict[tuple[int, ...], tuple[float, float]] = {(): (0.0, NEG)}
    lm_score: dict[tuple[int, ...], float] = {(): 0.0}
    for frame in log_probs:
        candidates = [int(c) for c in np.nonzero(frame > settings.prune)[0] if c != 0]
        nxt: dict[tuple[int, ...], list[float]] = {}
        for prefix, (pb, pnb) in beams.items():
            total = _logaddexp(pb, pnb)
            entry = nxt.setdefault(prefix, [NEG, NEG])
            entry[0] = _logaddexp(entry[0], total + float(frame[0]))
            if prefix:  # the last gloss continues (no new emission)
                entry[1] = _logaddexp(entry[1], pnb + float(frame[prefix[-1]]))
            for c in candidates:
                new = (*prefix, c)
                # Repeating the last gloss needs a blank in between.
                base = pb if prefix and prefix[-1] == c else total
                e = nxt.setdefault(new, [NEG, NEG])
                e[1] = _logaddexp(e[1], base + float(frame[c]))
                if new not in lm_score:
                    lm_score[new] = lm_score[prefix] + _lm_step(prefix, c, vocab, lm, settings)
        ranked = sorted(nxt.items(), key=lambda kv: -(_logaddexp(*kv[1]) + lm_score[kv[0]]))
        beams = {k: (v[0], v[1]) for k, v in ranked[: settings.beam]}

    def final(prefix: tuple[int, ...]) -> float:
        end = 0.0
        if lm is not None and settings.lm_weight:
            last = vocab[prefix[-1]] if prefix else BOS
            end = settings.lm_weight * lm.logprob(last, EOS)
        return _logaddexp(*beams[prefix]) + lm_score[prefix] + end

    best: tuple[int, ...] = max(beams.keys(), key=final)
    return list(best)


def _lm_step(prefix: tuple[int, ...], c: int, vocab: Sequence[str], lm: BigramLM | None,
             settings: BeamSettings) -> float:
    score = settings.insertion_bonus
    if lm is not None and settings.lm_weight:
        prev = vocab[prefix[-1]] if prefix else BOS
        score += settings.lm_weight * lm.logprob(prev, vocab[c])
    return score


def align(log_probs: np.ndarray, ids: Sequence[int]) -> list[tuple[int, int]]:
    """Viterbi CTC alignment of `ids` to the frames: each id's (first, last) frame, inclusive.

    The frames a gloss owns are those where the best path through blank/gloss states is on it;
    with spiky CTC outputs that is often a single frame.
    """
    n_frames, n_ids = len(log_probs), len(ids)
    if n_ids == 0:
        return []
    states = np.zeros(2 * n_ids + 1, dtype=int)
    states[1::2] = ids  # blank, id1, blank, id2, ..., blank
    emit = log_probs[:, states]  # (T, S)
    n_states = len(states)
    score = np.full(n_states, NEG)
    score[0], score[1] = emit[0, 0], emit[0, 1]
    back = np.zeros((n_frames, n_states), dtype=int)
    skip_ok = np.zeros(n_states, dtype=bool)  # may jump over the blank before this gloss
    skip_ok[3::2] = states[3::2] != states[1:-2:2]
    for t in range(1, n_frames):
        stay, step = score, np.r_[NEG, score[:-1]]
        skip = np.where(skip_ok, np.r_[NEG, NEG, score[:-2]], NEG)
        options = np.stack([stay, step, skip])
        choice = options.argmax(axis=0)
        back[t] = np.arange(n_states) - choice
        score = options.max(axis=0) + emit[t]
    state = n_states - 1 if score[-1] >= score[-2] else n_states - 2
    path = np.zeros(n_frames, dtype=int)
    for t in range(n_frames - 1, -1, -1):
        path[t] = state
        state = back[t, state]
    spans = []
    for k in range(n_ids):
        frames = np.nonzero(path == 2 * k + 1)[0]
        spans.append((int(frames[0]), int(frames[-1])) if len(frames) else (0, 0))
    return spans
