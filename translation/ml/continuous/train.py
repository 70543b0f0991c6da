"""Training and decoding of the CTC recogniser on BOSTON-104 sentences.

The epoch with the best greedy gloss WER on a dev part of the training sentences is kept; the
decoder (greedy, or beam search with the bigram LM and its weights) is then chosen on the same
dev part. Test sentences are never looked at before the final scoring.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from mlcore.config import Config
from mlcore.train import LoopConfig, Task, fit
from translation.ml.continuous.augment import AugmentSettings, augment_tracks
from translation.ml.continuous.ctc import BeamSettings, beam_ids, greedy_ids
from translation.ml.continuous.data import Sentence
from translation.ml.continuous.features import FEATURE_DIM, track_features
from translation.ml.continuous.lm import BigramLM
from translation.ml.continuous.model import CTCModelConfig, CTCRecognizer
from translation.ml.evaluate import word_error_rate

BLANK_TOKEN = "<blank>"


@dataclass(frozen=True)
class TrainSettings(Config):
    epochs: int = 200
    batch_size: int = 16
    lr: float = 2e-3
    weight_decay: float = 0.05
    grad_clip: float = 1.0
    eval_every: int = 5
    seed: int = 1
    max_minutes: float = 0.0  # 0 = no wall-clock budget
    frame_weight: float = 0.0  # weight of the frame head's loss (needs CTCModelConfig.frame_head)
    augment: AugmentSettings = field(default_factory=AugmentSettings)


@dataclass(frozen=True)
class ContinuousFeatures(Config):
    set: str = ""  # translation.ml.continuous.features.FEATURE_SET
    dim: int = 0
    fps: float = 0.0  # the rate clips are resampled to


@dataclass(frozen=True)
class ContinuousDecode(Config):
    beam: BeamSettings | None = None  # None: greedy (best path)


@dataclass(frozen=True)
class ContinuousBundleConfig(Config):
    """config.json of a continuous-gloss bundle."""

    model: CTCModelConfig = field(default_factory=CTCModelConfig)
    train: TrainSettings = field(default_factory=TrainSettings)
    features: ContinuousFeatures = field(default_factory=ContinuousFeatures)
    decode: ContinuousDecode = field(default_factory=ContinuousDecode)


def gloss_vocab(sentences: Sequence[Sentence]) -> list[str]:
    """[<blank>, sorted training glosses]: id i names vocab[i]."""
    return [BLANK_TOKEN, *sorted({g for s in sentences for g in s.glosses})]


def _batch(feats: Sequence[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    longest = max(len(f) for f in feats)
    x = torch.zeros(len(feats), longest, feats[0].shape[1])
    mask = torch.zeros(len(feats), longest, dtype=torch.bool)
    for i, f in enumerate(feats):
        x[i, : len(f)] = torch.from_numpy(f)
        mask[i, : len(f)] = True
    return x, mask


@torch.no_grad()
def frame_log_probs(model: CTCRecognizer, feats: Sequence[np.ndarray], batch_size: int = 32
                    ) -> list[np.ndarray]:
    """(T_i, V) log-probabilities of each clip (eval mode)."""
    model.eval()
    out: list[np.ndarray] = []
    for a in range(0, len(feats), batch_size):
        chunk = feats[a : a + batch_size]
        x, mask = _batch(chunk)
        lp = model(x, mask).numpy()
        stride = model.cfg.frame_stride
        out.extend(lp[i, : -(-len(f) // stride)] for i, f in enumerate(chunk))
    return out


def decode_all(log_probs: Sequence[np.ndarray], vocab: Sequence[str], lm: BigramLM | None = None,
               beam: BeamSettings | None = None) -> list[list[str]]:
    """Gloss sequences: greedy when `beam` is None, else prefix beam search (with the LM)."""
    out = []
    for lp in log_probs:
        ids = greedy_ids(lp) if beam is None else beam_ids(lp, vocab, lm, beam)
        out.append([vocab[i] for i in ids])
    return out


def gloss_wer(hyps: Sequence[Sequence[str]], refs: Sequence[Sequence[str]]) -> float:
    return word_error_rate([" ".join(h) for h in hyps], [" ".join(r) for r in refs])


def frame_labels(sentence: Sentence, index: dict[str, int]) -> np.ndarray:
    """(T,) gloss id of every frame from the word segments, 0 (blank) between words; where
    words overlap by a frame or two the later word wins."""
    labels = np.zeros(len(sentence), dtype=np.int64)
    for w in sentence.words:
        labels[w.start : w.end + 1] = index[w.gloss]
    return labels


def _frame_batch(labels: Sequence[np.ndarray]) -> torch.Tensor:
    out = torch.full((len(labels), max(len(x) for x in labels)), -100, dtype=torch.long)
    for i, x in enumerate(labels):
        out[i, : len(x)] = torch.from_numpy(x)
    return out


def _targets(sentences: Sequence[Sentence], index: dict[str, int]
             ) -> tuple[torch.Tensor, torch.Tensor]:
    ids = [[index[g] for g in s.glosses] for s in sentences]
    longest = max(len(i) for i in ids)
    targets = torch.zeros(len(ids), longest, dtype=torch.long)
    for row, seq in enumerate(ids):
        targets[row, : len(seq)] = torch.tensor(seq)
    return targets, torch.tensor([len(i) for i in ids])


def loop_config(cfg: TrainSettings, steps: int) -> LoopConfig:
    """The recogniser's settings as the core loop's: warm-up over the first 10% of the steps,
    then cosine decay to zero (the learning-rate curve of a one-cycle schedule)."""
    return LoopConfig(epochs=cfg.epochs, lr=cfg.lr, weight_decay=cfg.weight_decay,
                      warmup_steps=max(1, round(0.1 * steps)), schedule="cosine",
                      total_steps=steps, final_lr_ratio=0.0, grad_clip=cfg.grad_clip,
                      seed=cfg.seed, eval_every=cfg.eval_every, ties="later",
                      max_minutes=cfg.max_minutes)


def train_ctc(train: Sequence[Sentence], dev: Sequence[Sentence], model_cfg: CTCModelConfig,
              cfg: TrainSettings, log: Any = None) -> tuple[CTCRecognizer, list[str],
                                                            dict[str, Any]]:
    """Train on `train`, keep the epoch with the best dev greedy WER (the last one without
    dev sentences): (model, vocab, info)."""
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    order_rng = random.Random(cfg.seed)
    vocab = gloss_vocab(train)
    index = {g: i for i, g in enumerate(vocab)}
    model = CTCRecognizer(CTCModelConfig(**{**model_cfg.to_dict(), "vocab_size": len(vocab),
                                            "input_dim": FEATURE_DIM}))
    stride = model.cfg.frame_stride  # a pooled step takes its first frame's label

    def batches(epoch: int) -> Iterator[tuple[torch.Tensor, ...]]:
        order = list(range(len(train)))
        order_rng.shuffle(order)
        for a in range(0, len(order), cfg.batch_size):
            chunk = [train[i] for i in order[a : a + cfg.batch_size]]
            drawn = [augment_tracks(s.tracks, cfg.augment, rng) for s in chunk]
            x, mask = _batch([track_features(tracks) for tracks, _ in drawn])
            targets, lengths = _targets(chunk, index)
            frames = _frame_batch([frame_labels(s, index)[src][::stride]
                                   for s, (_, src) in zip(chunk, drawn, strict=True)])
            yield x, mask, targets, lengths, frames

    def loss(model: CTCRecognizer, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
        x, mask, targets, lengths, frames = batch
        return model.loss(x, mask, targets, lengths, frames, cfg.frame_weight)

    dev_feats = [track_features(s.tracks) for s in dev]

    def dev_wer(model: CTCRecognizer) -> dict[str, Any]:
        return {"dev_wer": round(gloss_wer(decode_all(frame_log_probs(model, dev_feats), vocab),
                                           [s.glosses for s in dev]), 4)}

    steps = cfg.epochs * -(-len(train) // cfg.batch_size)
    task = Task(batches=batches, loss=loss, evaluate=dev_wer if dev else None,
                score=lambda m: -float(m["dev_wer"]), generators=[rng, order_rng])
    done = fit(model, task, loop_config(cfg, steps), progress=False,
               log=log if log is not None else lambda _: None)
    history = [{k: h[k] for k in ("epoch", "loss", "dev_wer") if k in h}
               for h in done.history if "dev_wer" in h or not dev]
    return done.model, vocab, {  # type: ignore[return-value]
        "best_epoch": done.best_epoch,
        "best_dev_wer": -done.state.best_score if dev else None,
        "history": history, "seconds": done.state.seconds}


DECODER_GRID = {"lm_weight": (0.0, 0.5, 1.0, 2.0), "insertion_bonus": (0.0, 1.0, 2.0)}


def choose_decoder(dev_log_probs: Sequence[np.ndarray], dev_refs: Sequence[Sequence[str]],
                   vocab: Sequence[str], lm: BigramLM, beam: int = 8
                   ) -> tuple[BeamSettings | None, list[dict[str, Any]]]:
    """Greedy or the beam/LM weights with the lowest dev WER (None = greedy)."""
    results: list[dict[str, Any]] = [
        {"decoder": "greedy", "dev_wer": gloss_wer(decode_all(dev_log_probs, vocab), dev_refs)}]
    best: BeamSettings | None = None
    best_wer = results[0]["dev_wer"]
    for w, bonus in itertools.product(DECODER_GRID["lm_weight"], DECODER_GRID["insertion_bonus"]):
        settings = BeamSettings(beam=beam, lm_weight=w, insertion_bonus=bonus)
        wer = gloss_wer(decode_all(dev_log_probs, vocab, lm, settings), dev_refs)
        results.append({"decoder": "beam", "lm_weight": w, "insertion_bonus": bonus,
                        "dev_wer": wer})
        if wer < best_wer:
            best, best_wer = settings, wer
    return best, results
