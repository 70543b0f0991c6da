"""Training loop of the translator: warm-up, AMP on CUDA, checkpoints, resume, early stopping.

`fit` is data-agnostic: it takes a function giving the training examples of an epoch (fixed for
gloss->text, freshly synthesised for fingerspelling) and a fixed dev set scored by BLEU-4.
"""

from __future__ import annotations

import copy
import json
import math
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm

from translation.ml.config import TrainConfig
from translation.ml.data import Batch, Example, bucket_batches, collate
from translation.ml.evaluate import evaluate_examples
from translation.ml.model import Translator
from translation.ml.tokenizer import GlossVocab, TextTokenizer

EpochData = Callable[[int], Sequence[Example]]


@dataclass
class TrainState:
    """Everything --resume needs besides the model/optimiser tensors."""

    epoch: int = 0  # completed epochs
    step: int = 0
    best_score: float = float("-inf")  # dev BLEU-4, or minus CER (see TrainConfig.select_metric)
    best_epoch: int = 0
    bad_evals: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)  # every run that trained this model
    lr_scale: float = 1.0  # product of the plateau decays so far


def inverse_sqrt_schedule(warmup: int) -> Callable[[int], float]:
    """Linear warm-up to 1.0 over `warmup` steps, then decay with 1/sqrt(step)."""
    def factor(step: int) -> float:
        step = max(step, 1)
        return min(step / max(warmup, 1), math.sqrt(max(warmup, 1) / step))
    return factor


def _log(message: str) -> None:
    tqdm.write(message, file=sys.stderr)


class Trainer:
    """Owns the model, optimiser, scheduler, AMP scaler and checkpoint folder of one run."""

    def __init__(self, model: Translator, cfg: TrainConfig, ckpt_dir: Path, device: str) -> None:
        self.model, self.cfg, self.device = model.to(device), cfg, device
        self.ckpt_dir = ckpt_dir
        ckpt_dir.mkdir(parents=True, exist_ok=True)
        self.opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, betas=(0.9, 0.98), eps=1e-9,
                                     weight_decay=cfg.weight_decay)
        self.state = TrainState()
        schedule = inverse_sqrt_schedule(cfg.warmup_steps)
        # lr_scale is read at every step, so plateau decay applies to the schedule from then on.
        self.sched = torch.optim.lr_scheduler.LambdaLR(
            self.opt, lambda step: schedule(step) * self.state.lr_scale)
        self.use_amp = device.startswith("cuda")
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.use_amp)
        self.best_weights: dict[str, torch.Tensor] | None = None

    def train_step(self, batch: Batch) -> dict[str, float]:
        """One optimiser step on `batch`; returns the loss terms as floats."""
        self.model.train()
        batch = batch.to(self.device)
        with torch.autocast("cuda", dtype=torch.float16, enabled=self.use_amp):
            memory = self.model.encode(batch.src, batch.src_mask)
            logits = self.model.decode(batch.tgt_in, memory, batch.src_mask)
            terms = self.model.loss_terms(logits, batch.targets, memory, batch.src_mask,
                                          batch.ctc_targets)
        self.opt.zero_grad(set_to_none=True)
        self.scaler.scale(terms["loss"]).backward()
        self.scaler.unscale_(self.opt)
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.cfg.grad_clip)
        self.scaler.step(self.opt)
        self.scaler.update()
        self.sched.step()
        self.state.step += 1
        return {k: float(v.detach()) for k, v in terms.items()}

    def run_epoch(self, examples: Sequence[Example], rng: random.Random) -> dict[str, float]:
        # Bucket by the longer side: that is what sets the padded batch's cost.
        lengths = [max(e.src_len, len(e.tgt)) for e in examples]
        batches = bucket_batches(lengths, self.cfg.batch_size, True, rng)
        totals: dict[str, float] = {}
        bar = tqdm(batches, desc=f"epoch {self.state.epoch + 1}", file=sys.stderr, leave=False)
        for idx in bar:
            terms = self.train_step(collate([examples[i] for i in idx]))
            for k, v in terms.items():
                totals[k] = totals.get(k, 0.0) + v
            bar.set_postfix(loss=f"{terms['loss']:.3f}", lr=f"{self.sched.get_last_lr()[0]:.2e}")
        return {k: v / max(len(batches), 1) for k, v in totals.items()}

    def save_checkpoint(self) -> None:
        """last.pt: everything to resume; written atomically so a kill never corrupts it."""
        payload = {
            "model": self.model.state_dict(), "opt": self.opt.state_dict(),
            "sched": self.sched.state_dict(), "scaler": self.scaler.state_dict(),
            "state": self.state.__dict__, "best_weights": self.best_weights,
            "rng": random.getstate(), "torch_rng": torch.get_rng_state(),
        }
        tmp = self.ckpt_dir / "last.pt.tmp"
        torch.save(payload, tmp)
        tmp.replace(self.ckpt_dir / "last.pt")

    def load_checkpoint(self) -> bool:
        path = self.ckpt_dir / "last.pt"
        if not path.is_file():
            return False
        payload = torch.load(path, map_location=self.device, weights_only=False)
        self.model.load_state_dict(payload["model"])
        self.opt.load_state_dict(payload["opt"])
        self.sched.load_state_dict(payload["sched"])
        self.scaler.load_state_dict(payload["scaler"])
        saved = dict(payload["state"])
        if "best_bleu" in saved:  # checkpoints written before select_metric existed
            saved["best_score"] = saved.pop("best_bleu")
        self.state = TrainState(**saved)
        self.best_weights = payload["best_weights"]
        random.setstate(payload["rng"])
        torch.set_rng_state(payload["torch_rng"])
        return True

    def note_dev(self, metrics: dict[str, Any]) -> bool:
        """Record a dev evaluation; True when it is the best so far."""
        if self.cfg.select_metric == "cer":
            score = -float(metrics["cer"])
        else:
            score = float(metrics["bleu4"])
        if score > self.state.best_score:
            self.state.best_score, self.state.best_epoch, self.state.bad_evals = (
                score, self.state.epoch, 0)
            self.best_weights = copy.deepcopy({k: v.detach().cpu()
                                               for k, v in self.model.state_dict().items()})
            return True
        self.state.bad_evals += 1
        if self.cfg.plateau_factor < 1.0 and self.best_weights is not None:
            # Plateau: go back to the best weights and continue with a smaller step size.
            self.state.lr_scale *= self.cfg.plateau_factor
            self.model.load_state_dict(self.best_weights)
            _log(f"no dev improvement: back to epoch {self.state.best_epoch}, "
                 f"lr x{self.state.lr_scale:g}")
        return False


def _evaluate_dev(trainer: Trainer, dev: Sequence[Example], tokenizer: TextTokenizer,
                  gloss_vocab: GlossVocab | None) -> dict[str, Any]:
    """Greedy dev metrics for the epoch log; also keeps the best weights."""
    metrics, _ = evaluate_examples(trainer.model, dev, tokenizer, gloss_vocab,
                                   device=trainer.device)
    return {"dev_bleu": metrics["bleu4"], "dev_chrf": metrics["chrf"], "dev_cer": metrics["cer"],
            "dev_ctc_wer": metrics["ctc_gloss_wer"], "best": trainer.note_dev(metrics)}


def fit(
    model: Translator,
    train_data: EpochData,
    dev: Sequence[Example],
    tokenizer: TextTokenizer,
    cfg: TrainConfig,
    ckpt_dir: Path,
    gloss_vocab: GlossVocab | None = None,
    device: str = "cpu",
    resume: bool = False,
    command: str = "",
) -> tuple[Translator, TrainState]:
    """Train until cfg.epochs, early stopping or the time budget; return the best model."""
    torch.manual_seed(cfg.seed)
    random.seed(cfg.seed)
    trainer = Trainer(model, cfg, ckpt_dir, device)
    if resume and trainer.load_checkpoint():
        _log(f"resumed from {ckpt_dir / 'last.pt'} after epoch {trainer.state.epoch}")
    if command:
        trainer.state.commands.append(command)
    start = time.monotonic()
    while trainer.state.epoch < cfg.epochs and trainer.state.bad_evals < cfg.patience:
        rng = random.Random(cfg.seed * 1000 + trainer.state.epoch)
        t0 = time.monotonic()
        losses = trainer.run_epoch(train_data(trainer.state.epoch), rng)
        trainer.state.epoch += 1
        record: dict[str, Any] = {"epoch": trainer.state.epoch, "step": trainer.state.step,
                                  **losses}
        if trainer.state.epoch % cfg.eval_every == 0 or trainer.state.epoch == cfg.epochs:
            record.update(_evaluate_dev(trainer, dev, tokenizer, gloss_vocab))
        record["seconds"] = round(time.monotonic() - t0, 1)  # training + dev evaluation
        trainer.state.history.append(record)
        _log(json.dumps(record))
        trainer.save_checkpoint()
        if cfg.max_minutes and (time.monotonic() - start) / 60 > cfg.max_minutes:
            _log(f"time budget of {cfg.max_minutes} min reached")
            break
    if trainer.best_weights is not None:
        trainer.model.load_state_dict(trainer.best_weights)
    return trainer.model, trainer.state
