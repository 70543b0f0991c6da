"""The evaluation protocol: CTC recogniser and HMM baseline trained in the same run, per fold.

For each fold (the database split, then each signer held out) a seeded 15% of the training
sentences is the dev part: it picks the CTC epoch, the CTC decoder (greedy or beam + LM weights)
and the HMM's LM weight / insertion penalty. Only then are the test sentences decoded and scored
by gloss WER (jiwer). OOV = test gloss tokens never seen in training (no model can get them).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from translation.ml.continuous.ctc import BeamSettings
from translation.ml.continuous.data import Fold, Sentence, dev_split
from translation.ml.continuous.features import track_features
from translation.ml.continuous.hmm_baseline import GlossHMMRecognizer, HMMSettings
from translation.ml.continuous.lm import BigramLM
from translation.ml.continuous.model import CTCModelConfig, CTCRecognizer
from translation.ml.continuous.train import (
    TrainSettings,
    choose_decoder,
    decode_all,
    frame_log_probs,
    gloss_wer,
    train_ctc,
)

HMM_GRID = {"lm_weight": (1.0, 2.0, 4.0), "insertion_penalty": (-4.0, 0.0)}
# A wider grid for checking that the baseline is not held back by the grid's edge.
HMM_WIDE_GRID = {"lm_weight": (1.0, 2.0, 4.0, 8.0, 16.0), "insertion_penalty": (-8.0, -4.0, 0.0)}


@dataclass(frozen=True)
class ProtocolSettings:
    dev_fraction: float = 0.15
    seed: int = 1
    beam: int = 8
    model: CTCModelConfig = field(default_factory=CTCModelConfig)
    train: TrainSettings = field(default_factory=TrainSettings)
    hmm: HMMSettings = field(default_factory=HMMSettings)
    run_hmm: bool = True
    run_ctc: bool = True
    hmm_wide_grid: bool = False


@dataclass
class CTCResult:
    model: CTCRecognizer
    vocab: list[str]
    lm: BigramLM
    decoder: BeamSettings | None
    metrics: dict[str, Any]
    lm_sentences: list[list[str]]  # the LM's training text (stored in the bundle)


def _refs(sentences: Sequence[Sentence]) -> list[list[str]]:
    return [s.glosses for s in sentences]


def oov_rate(train: Sequence[Sentence], test: Sequence[Sentence]) -> float:
    known = {g for s in train for g in s.glosses}
    tokens = [g for s in test for g in s.glosses]
    return sum(g not in known for g in tokens) / max(len(tokens), 1)


def run_ctc(train: Sequence[Sentence], dev: Sequence[Sentence], test: Sequence[Sentence],
            settings: ProtocolSettings, log: Callable[[Any], None] | None = None) -> CTCResult:
    """Train the CTC model, choose its decoder on dev, score test greedy and with that decoder."""
    model, vocab, info = train_ctc(train, dev, settings.model, settings.train, log)
    lm = BigramLM(_refs(train))
    dev_lp = frame_log_probs(model, [track_features(s.tracks) for s in dev])
    decoder, grid = choose_decoder(dev_lp, _refs(dev), vocab, lm, settings.beam)
    test_lp = frame_log_probs(model, [track_features(s.tracks) for s in test])
    greedy = decode_all(test_lp, vocab)
    chosen = greedy if decoder is None else decode_all(test_lp, vocab, lm, decoder)
    metrics = {
        "ctc_greedy_wer": round(gloss_wer(greedy, _refs(test)), 4),
        "ctc_wer": round(gloss_wer(chosen, _refs(test)), 4),
        "ctc_decoder": "greedy" if decoder is None else dataclasses.asdict(decoder),
        "ctc_dev_wer": round(min(r["dev_wer"] for r in grid), 4),
        "ctc_best_epoch": info["best_epoch"], "ctc_train_seconds": info["seconds"],
        "ctc_dev_history": info["history"],
        "ctc_examples": [{"ref": " ".join(r), "hyp": " ".join(h)}
                         for r, h in zip(_refs(test)[:5], chosen[:5], strict=True)],
    }
    return CTCResult(model, vocab, lm, decoder, metrics, _refs(train))


def run_hmm(train: Sequence[Sentence], dev: Sequence[Sentence], test: Sequence[Sentence],
            settings: HMMSettings, grid: dict[str, tuple[float, ...]] = HMM_GRID
            ) -> tuple[GlossHMMRecognizer, dict[str, Any]]:
    """Fit the HMM baseline, choose LM weight / insertion penalty on dev, score test."""
    logging.getLogger("hmmlearn").setLevel(logging.ERROR)  # "not converging" on tiny segments
    start = time.monotonic()
    hmm = GlossHMMRecognizer(settings).fit(train)
    best: tuple[float, HMMSettings] = (float("inf"), settings)
    for w in grid["lm_weight"]:
        for pen in grid["insertion_penalty"]:
            hmm.settings = dataclasses.replace(settings, lm_weight=w, insertion_penalty=pen)
            wer = gloss_wer(hmm.decode_all(dev), _refs(dev))
            if wer < best[0]:
                best = (wer, hmm.settings)
    hmm.settings = best[1]
    hyps = hmm.decode_all(test)
    return hmm, {
        "hmm_wer": round(gloss_wer(hyps, _refs(test)), 4),
        "hmm_dev_wer": round(best[0], 4),
        "hmm_lm_weight": best[1].lm_weight, "hmm_insertion_penalty": best[1].insertion_penalty,
        "hmm_seconds": round(time.monotonic() - start, 1),
    }


def run_fold(fold: Fold, settings: ProtocolSettings,
             log: Callable[[Any], None] | None = None) -> tuple[CTCResult | None, dict[str, Any]]:
    """Both systems on one fold: (the CTC result, the fold's metrics row)."""
    train, dev = dev_split(fold.train, settings.dev_fraction, settings.seed)
    row: dict[str, Any] = {
        "fold": fold.name, "train_sentences": len(train), "dev_sentences": len(dev),
        "test_sentences": len(fold.test), "test_words": sum(len(s.words) for s in fold.test),
        "test_oov_rate": round(oov_rate(fold.train, fold.test), 4),
    }
    ctc = run_ctc(train, dev, fold.test, settings, log) if settings.run_ctc else None
    if ctc is not None:
        row.update(ctc.metrics)
    if settings.run_hmm:
        grid = HMM_WIDE_GRID if settings.hmm_wide_grid else HMM_GRID
        row.update(run_hmm(train, dev, fold.test, settings.hmm, grid)[1])
    return ctc, row


def timing_hit_rate(sentences: Sequence[Sentence], timed: Sequence[Sequence[dict[str, Any]]],
                    fps: float, slack: int = 2) -> float:
    """Share of recognised glosses that occur in the reference and whose aligned centre lies
    inside one of that gloss's word segments (+- `slack` frames); timed: infer's gloss dicts."""
    hits = total = 0
    for s, glosses in zip(sentences, timed, strict=True):
        for g in glosses:
            spans = [(w.start, w.end) for w in s.words if w.gloss == g["gloss"]]
            if not spans:
                continue
            total += 1
            centre = 0.5 * (g["start"] + g["end"]) * fps
            hits += any(a - slack <= centre <= b + 1 + slack for a, b in spans)
    return hits / total if total else float("nan")

