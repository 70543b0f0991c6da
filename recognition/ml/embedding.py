"""Sign embeddings: the seed-000 ST-Transformer trunk trained with supervised contrastive loss.

The trunk is IsolatedSignTransformer unchanged; its classification head (LayerNorm, Dropout,
Linear) becomes a projection to `dim` values (ModelConfig.num_classes = dim), and the output is
L2-normalised. Training draws class-balanced batches (P classes x M clips, augmented) and
minimises the supervised contrastive loss (Khosla et al. 2020): clips of one sign pull together,
clips of other signs push apart. Nothing in the model depends on the vocabulary, so a sign it
never saw can be enrolled from a few reference clips (recognition.ml.enroll).

A bundle has the task "embedding" (older ones: "isolated" with metrics["embedding"]); its
model.num_classes is the embedding size and its vocab.txt lists the labels it was *trained* on,
which are not outputs; metrics.json["embedding"] names the participants and labels that were
held out of training. The registry activates one per language: its enrolled reference clips
(recognition.enrollment) are what it recognises.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from mlcore.config import Config
from mlcore.train import LoopConfig, Task, fit
from recognition.ml.augment import augment_clip
from recognition.ml.config import IsolatedConfig
from recognition.ml.data import Run, collate
from recognition.ml.features import build_features, feature_widths
from recognition.ml.model import IsolatedSignTransformer

Log = Callable[[str], None]


@dataclasses.dataclass(frozen=True)
class EmbeddingTrainConfig(Config):
    """What the metric-learning loop adds to IsolatedConfig.train (kept in metrics.json)."""

    dim: int = 64  # embedding size
    temperature: float = 0.1  # SupCon temperature
    classes_per_batch: int = 8  # P
    clips_per_class: int = 4  # M
    steps: int = 300
    sign_classes_always: bool = True  # every batch holds every multi-frame sign class
    # Weight of an instance-level contrast (two augmented views of each clip are the only
    # positives): keeps what tells clips apart beyond the trained signs, against collapse.
    instance_weight: float = 0.0


def embedding_config(cfg: IsolatedConfig, dim: int) -> IsolatedConfig:
    """cfg with the model's part widths filled and its head turned into a dim-wide projection."""
    model = dataclasses.replace(cfg.model, part_names=cfg.features.parts,
                                part_dims=feature_widths(cfg.features), num_classes=dim)
    return dataclasses.replace(cfg, model=model)


def supcon_loss(z: torch.Tensor, y: torch.Tensor, temperature: float) -> torch.Tensor:
    """Supervised contrastive loss of L2-normalised z (B, D) with labels y (B,)."""
    sim = (z @ z.T).float() / temperature  # (B, B)
    eye = torch.eye(len(y), dtype=torch.bool, device=z.device)
    sim = sim.masked_fill(eye, float("-inf"))
    log_prob = sim - torch.logsumexp(sim, dim=1, keepdim=True)
    positive = (y[:, None] == y[None, :]) & ~eye
    counts = positive.sum(1)
    has = counts > 0  # an anchor without a positive contributes nothing
    per_anchor = -(log_prob.masked_fill(~positive, 0.0).sum(1)[has] / counts[has])
    return per_anchor.mean()


class EpisodeBatches:
    """Class-balanced augmented batches: P classes x M clips of at most max_frames frames."""

    def __init__(self, runs: list[Run], cfg: IsolatedConfig, ecfg: EmbeddingTrainConfig,
                 seed: int) -> None:
        self.cfg, self.ecfg = cfg, ecfg
        self.by_label: dict[str, list[Run]] = defaultdict(list)
        for run in runs:
            self.by_label[run.label].append(run)
        self.labels = sorted(self.by_label)
        # Signs (several participants) are what matters; letters only add classes to contrast.
        self.signs = [g for g in self.labels
                      if len({r.participant for r in self.by_label[g]} - {""}) > 1]
        self.rng = np.random.default_rng(seed)

    def _clip(self, run: Run) -> np.ndarray:
        n = self.cfg.model.max_frames
        start = int(self.rng.integers(0, max(1, len(run) - n + 1)))
        points = run.points[start : start + n]
        return augment_clip(points, self.cfg.augment, self.rng)

    def batch(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """x (B, T, F), mask (B, T), y (B,) with y indexing self.labels; with an instance
        weight, every clip twice (two augmentations), the views of clip i at i and i + B/2."""
        chosen = list(self.signs) if self.ecfg.sign_classes_always else []
        others = [g for g in self.labels if g not in chosen]
        extra = max(0, self.ecfg.classes_per_batch - len(chosen))
        if others and extra:
            chosen += list(self.rng.choice(others, size=min(extra, len(others)), replace=False))
        picked = [(runs[k], self.labels.index(label)) for label in chosen
                  for runs in [self.by_label[label]]
                  for k in self.rng.choice(len(runs), size=self.ecfg.clips_per_class)]
        views = 2 if self.ecfg.instance_weight > 0 else 1
        items = [(build_features(self._clip(run), self.cfg.features), y)
                 for _ in range(views) for run, y in picked]
        return collate(items)


STEPS_PER_EPOCH = 50  # steps between two log lines and checkpoints of the core loop


def train_embedding(cfg: IsolatedConfig, runs: list[Run], ecfg: EmbeddingTrainConfig, *,
                    device: str = "cpu", log: Log = print) -> tuple[IsolatedSignTransformer,
                                                                   dict[str, Any]]:
    """Train the trunk + projection with SupCon on runs (already prepared); fixed step count
    (no validation people are needed, so every person outside training stays unseen)."""
    cfg = embedding_config(cfg, ecfg.dim)
    tcfg = cfg.train
    torch.manual_seed(tcfg.seed)
    model = IsolatedSignTransformer(cfg.model)
    episodes = EpisodeBatches(runs, cfg, ecfg, tcfg.seed)

    def batches(epoch: int) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        first = epoch * STEPS_PER_EPOCH
        for _ in range(first, min(first + STEPS_PER_EPOCH, ecfg.steps)):
            yield episodes.batch()

    def loss(model: nn.Module, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
        x, mask, y = batch
        z = F.normalize(model(x, mask)[0].float(), dim=-1)
        total = supcon_loss(z, y, ecfg.temperature)
        if ecfg.instance_weight > 0:
            views = torch.arange(len(y) // 2, device=z.device).repeat(2)
            total = total + ecfg.instance_weight * supcon_loss(z, views, ecfg.temperature)
        return total

    loop = LoopConfig(epochs=-(-ecfg.steps // STEPS_PER_EPOCH), lr=tcfg.lr,
                      weight_decay=tcfg.weight_decay, schedule="cosine",
                      warmup_steps=min(tcfg.warmup_steps, ecfg.steps // 5),
                      total_steps=ecfg.steps, grad_clip=1.0, seed=tcfg.seed)
    done = fit(model, Task(batches=batches, loss=loss, generators=[episodes.rng]), loop,
               device=device, progress=False, log=log)
    history = [{"step": h["step"], "loss": h["loss"]} for h in done.history]
    info = {"history": history, "train_seconds": done.state.seconds,
            "labels": episodes.labels, "sign_labels": episodes.signs,
            "parameters": sum(p.numel() for p in model.parameters()),
            "settings": ecfg.to_dict()}
    return done.model, info  # type: ignore[return-value]


@torch.no_grad()
def embed_features(model: IsolatedSignTransformer, clips: list[np.ndarray],
                   device: str = "cpu", batch_size: int = 64) -> np.ndarray:
    """(N, D) L2-normalised float32 embeddings of feature clips (T_i, F)."""
    model.eval()
    out = []
    for a in range(0, len(clips), batch_size):
        x, mask, _ = collate([(c, 0) for c in clips[a : a + batch_size]])
        z = model(x.to(device), mask.to(device))[0].float()
        out.append(F.normalize(z, dim=-1).cpu().numpy())
    width = model.cfg.num_classes
    return np.concatenate(out).astype(np.float32) if out else np.zeros((0, width), np.float32)


def embed_runs(model: IsolatedSignTransformer, cfg: IsolatedConfig, runs: list[Run],
               device: str = "cpu") -> np.ndarray:
    """Embeddings of whole prepared runs (participants.prepare_for_config already applied)."""
    return embed_features(model, [build_features(r.points, cfg.features) for r in runs], device)


def load_embedder(path: str | Path, device: str = "cpu"
                  ) -> tuple[IsolatedSignTransformer, IsolatedConfig, dict[str, Any]]:
    """An embedding bundle -> (model, config, metrics['embedding'])."""
    from mlcore.bundle import read_bundle

    bundle = read_bundle(path)
    info = bundle.metrics.get("embedding")
    if bundle.task not in ("embedding", "isolated") or not info:
        raise ValueError(f"{path} is not an embedding bundle (no metrics['embedding'])")
    cfg = IsolatedConfig.from_dict(bundle.config)
    model = IsolatedSignTransformer(cfg.model)
    model.load_state_dict(bundle.load_state_dict(device))
    return model.to(device).eval(), cfg, info
