"""Classic baseline: one left-to-right Gaussian HMM per gloss (hmmlearn) + a bigram gloss LM.

Training (word segments are given by BOSTON): each gloss's HMM starts from a flat segmentation
of its segments into `n_states` equal parts, then hmmlearn re-estimates means and diagonal
variances by Baum-Welch with the transitions held fixed. Transitions follow the gloss's mean
duration D: self-loop 1 - n/D per state (a state lasts D/n frames on average). A silence unit
<sil> is trained the same way on the unlabelled frames before, between and after words, and is a
token of the LM (it appears where the training sentences have a gap), so the LM sees it as a word.

Decoding: Viterbi through one network of every unit's states; leaving a unit's last state for
the first state of unit v costs log P_exit + lm_weight * log P_LM(v | u) + insertion_penalty.
The recognised sentence is the units entered, <sil> dropped. Variances are floored at
`var_floor` times the global feature variance (31 training glosses have a single example).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from translation.ml.continuous.data import Sentence
from translation.ml.continuous.features import track_features
from translation.ml.continuous.lm import BOS, EOS, BigramLM

SIL = "<sil>"
NEG = -1e30


@dataclass(frozen=True)
class HMMSettings:
    n_states: int = 3
    n_iter: int = 10
    var_floor: float = 0.05
    lm_weight: float = 1.0
    insertion_penalty: float = 0.0
    seed: int = 1


def unit_sequences(sentences: Sequence[Sentence]) -> list[list[str]]:
    """Each sentence's glosses with <sil> wherever frames go unlabelled (LM training text)."""
    out = []
    for s in sentences:
        units, cursor = [], 0
        for w in s.words:
            if w.start > cursor:
                units.append(SIL)
            units.append(w.gloss)
            cursor = max(cursor, w.end + 1)
        if cursor < len(s):
            units.append(SIL)
        out.append(units)
    return out


def unit_segments(sentences: Sequence[Sentence]) -> dict[str, list[np.ndarray]]:
    """unit -> feature segments (gloss words, and the unlabelled gaps as <sil>)."""
    segments: dict[str, list[np.ndarray]] = {}
    for s in sentences:
        feats = track_features(s.tracks)
        labelled = np.zeros(len(s), dtype=bool)
        for w in s.words:
            segments.setdefault(w.gloss, []).append(feats[w.start : w.end + 1])
            labelled[w.start : w.end + 1] = True
        edges = np.flatnonzero(np.diff(np.r_[0, (~labelled).astype(int), 0]))
        for a, b in zip(edges[::2], edges[1::2], strict=True):
            segments.setdefault(SIL, []).append(feats[a:b])
    return segments


class GlossHMMRecognizer:
    """Per-unit Gaussian HMMs, a bigram LM over units, and Viterbi decoding of whole clips."""

    def __init__(self, settings: HMMSettings) -> None:
        self.settings = settings
        self.units: list[str] = []
        self.means = np.zeros((0, 0))
        self.vars = np.zeros((0, 0))
        self.self_loop = np.zeros(0)  # per unit
        self.lm: BigramLM | None = None

    def fit(self, sentences: Sequence[Sentence]) -> GlossHMMRecognizer:
        segments = unit_segments(sentences)
        all_frames = np.concatenate([f for segs in segments.values() for f in segs])
        floor = self.settings.var_floor * all_frames.var(axis=0)
        self.units = sorted(segments)
        means, variances, loops = [], [], []
        for unit in self.units:
            m, v = self._fit_unit(segments[unit], floor)
            means.append(m)
            variances.append(v)
            duration = float(np.mean([len(x) for x in segments[unit]]))
            loops.append(float(np.clip(1.0 - self.settings.n_states / duration, 0.0, 0.95)))
        self.means, self.vars = np.concatenate(means), np.concatenate(variances)
        self.self_loop = np.asarray(loops)
        self.lm = BigramLM(unit_sequences(sentences))
        return self

    def _fit_unit(self, segs: list[np.ndarray], floor: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
        """(n_states, D) means and variances of one unit's left-to-right HMM."""
        from hmmlearn.hmm import GaussianHMM

        n = self.settings.n_states
        parts: list[list[np.ndarray]] = [[] for _ in range(n)]
        for x in segs:  # flat start: each segment cut into n equal parts
            for k, chunk in enumerate(np.array_split(x, n)):
                parts[k].append(chunk if len(chunk) else x[-1:])
        means = np.stack([np.concatenate(p).mean(0) for p in parts])
        variances = np.maximum(np.stack([np.concatenate(p).var(0) for p in parts]), floor)
        model = GaussianHMM(n, covariance_type="diag", n_iter=self.settings.n_iter,
                            init_params="", params="mc", random_state=self.settings.seed,
                            min_covar=1e-4)
        model.startprob_ = np.eye(n)[0]
        model.transmat_ = _left_right(n, 0.5)
        model.means_, model.covars_ = means, variances
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # hmmlearn warns about degenerate tiny segments
            model.fit(np.concatenate(segs), [len(x) for x in segs])
        return np.asarray(model.means_), np.maximum(np.diagonal(model.covars_, 0, 1, 2), floor)

    def _emissions(self, feats: np.ndarray) -> np.ndarray:
        """(T, S) log N(x_t; mean_s, diag var_s)."""
        diff = feats[:, None, :] - self.means[None]
        return -0.5 * (np.sum(diff**2 / self.vars, axis=-1)
                       + np.sum(np.log(2 * np.pi * self.vars), axis=-1))

    def _network(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(S, S) log transitions, (S,) log start, (S,) log end of the composite network."""
        assert self.lm is not None
        n, u = self.settings.n_states, len(self.units)
        w, pen = self.settings.lm_weight, self.settings.insertion_penalty
        trans = np.full((u * n, u * n), NEG)
        start, end = np.full(u * n, NEG), np.full(u * n, NEG)
        for i, unit in enumerate(self.units):
            a = self.self_loop[i]
            block = np.log(np.maximum(_left_right(n, a), 1e-300))
            trans[i * n : (i + 1) * n, i * n : (i + 1) * n] = np.where(block < -600, NEG, block)
            last = i * n + n - 1
            trans[last, last] = np.log(a) if a > 0 else NEG
            exit_lp = np.log(1.0 - a)
            for j, nxt in enumerate(self.units):
                trans[last, j * n] = exit_lp + w * self.lm.logprob(unit, nxt) + pen
            start[i * n] = w * self.lm.logprob(BOS, unit) + pen
            end[last] = w * self.lm.logprob(unit, EOS)
        return trans, start, end

    def decode(self, feats: np.ndarray) -> list[str]:
        """Glosses of one clip's (T, D) features."""
        trans, start, end = self._network()
        return self._viterbi(self._emissions(feats), trans, start, end)

    def decode_all(self, sentences: Sequence[Sentence]) -> list[list[str]]:
        trans, start, end = self._network()
        return [self._viterbi(self._emissions(track_features(s.tracks)), trans, start, end)
                for s in sentences]

    def _viterbi(self, emit: np.ndarray, trans: np.ndarray, start: np.ndarray,
                 end: np.ndarray) -> list[str]:
        n_frames, n = len(emit), self.settings.n_states
        score = start + emit[0]
        back = np.zeros((n_frames, len(start)), dtype=np.int32)
        for t in range(1, n_frames):
            cand = score[:, None] + trans  # (from, to)
            back[t] = cand.argmax(axis=0)
            score = cand[back[t], np.arange(len(start))] + emit[t]
        state = int(np.argmax(score + end))
        path = [state]
        for t in range(n_frames - 1, 0, -1):
            state = int(back[t, state])
            path.append(state)
        path.reverse()
        units = [self.units[path[0] // n]]
        for prev, cur in zip(path, path[1:], strict=False):
            if cur % n == 0 and prev != cur:  # a first state entered from elsewhere: new unit
                units.append(self.units[cur // n])
        return [x for x in units if x != SIL]


def _left_right(n: int, self_loop: float) -> np.ndarray:
    """(n, n) left-to-right transitions; the last state keeps all its mass (exit is added by the
    network)."""
    trans = np.zeros((n, n))
    for k in range(n - 1):
        trans[k, k], trans[k, k + 1] = self_loop, 1.0 - self_loop
    trans[n - 1, n - 1] = 1.0
    return trans
