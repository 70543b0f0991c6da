"""The one training loop of every model in the project.

A task supplies what differs: the batches of an epoch, the loss of a batch and (optionally) a
dev evaluation with its score; `fit` does the rest the same way for all of them: AdamW, linear
warm-up then a cosine or inverse-square-root schedule, float16 autocast with gradient scaling
on CUDA, gradient-norm clipping, a tqdm progress bar, evaluation every `eval_every` epochs that
keeps the best weights (early stopping after `patience` evaluations without improvement, and
optionally a restart from the best weights with a smaller step on a plateau), a wall-clock
budget, and after every epoch an atomic checkpoint (written beside the target, then renamed
over it, so a kill mid-write leaves the previous checkpoint intact) holding the model,
optimiser, scheduler, scaler, best weights, loop state and every random generator (torch,
python, numpy, and the task's own), from which `resume` continues exactly: at one thread a
resumed run ends with the same weights as one that was never interrupted.
"""

from __future__ import annotations

import math
import os
import random
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from mlcore.config import Config
from mlcore.device import uses_amp

Log = Callable[[str], None]
Generator = np.random.Generator | random.Random
SCHEDULES = ("cosine", "inverse_sqrt", "constant")


@dataclass(frozen=True)
class LoopConfig(Config):
    """Optimisation settings of one run (each trainer maps its own config onto these)."""

    epochs: int = 10
    lr: float = 1e-3  # peak learning rate, reached after warm-up
    weight_decay: float = 0.0
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    warmup_steps: int = 0  # linear warm-up from lr/warmup_steps to lr
    # After warm-up: "cosine" decay to final_lr_ratio * lr at total_steps, "inverse_sqrt"
    # (lr * sqrt(warmup / step)) or "constant".
    schedule: str = "cosine"
    total_steps: int = 0  # cosine: the step where the decay ends (0: epochs never known)
    final_lr_ratio: float = 0.05
    grad_clip: float = 1.0  # max global gradient norm; 0 = no clipping
    seed: int = 0
    eval_every: int = 1  # epochs between dev evaluations (the last epoch is always evaluated)
    patience: int = 0  # evaluations without improvement before stopping; 0 = never stop early
    plateau_factor: float = 1.0  # < 1: on no improvement, back to the best weights, lr x this
    ties: str = "later"  # an equal dev score replaces the best ("later") or not ("earlier")
    max_minutes: float = 0.0  # wall-clock budget checked after each epoch; 0 = none

    def __post_init__(self) -> None:
        if self.schedule not in SCHEDULES:
            raise ValueError(f"LoopConfig.schedule must be one of {SCHEDULES}")
        if self.ties not in ("later", "earlier"):
            raise ValueError("LoopConfig.ties must be one of ('later', 'earlier')")


def lr_factor(cfg: LoopConfig, step: int) -> float:
    """Multiplier of the peak learning rate at optimiser step `step` (0-based)."""
    warmup = max(cfg.warmup_steps, 0)
    if step < warmup:
        return (step + 1) / warmup
    if cfg.schedule == "inverse_sqrt":
        return math.sqrt(max(warmup, 1) / max(step + 1, 1))
    if cfg.schedule == "cosine" and cfg.total_steps > warmup:
        progress = min(1.0, (step - warmup) / (cfg.total_steps - warmup))
        floor = cfg.final_lr_ratio
        return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress))
    return 1.0


# Typed with Any: each task passes its own module class (and batch type).
Loss = Callable[[Any, Any], "torch.Tensor | Mapping[str, torch.Tensor]"]


@dataclass
class Task:
    """What one trainer supplies to `fit`.

    batches(epoch): the training batches of epoch `epoch` (0-based), each moved to the device
      by `to_device` and passed to loss(model, batch), which returns the loss or a dict of
      loss terms with the total under "loss" (every term is averaged into the epoch's record).
    evaluate(model): dev metrics (model in eval mode, no gradients); score(metrics) turns them
      into one number where higher is better. Without evaluate the last epoch is kept.
    generators: the task's own random generators (data sampling, augmentation); their states
      are checkpointed and restored with the loop's.
    after_epoch(model, epoch): called after each epoch's training (epoch: 1-based, completed
      epochs), before its dev evaluation, with the weights that epoch ended with (e.g. to keep
      them for checkpoint averaging).
    """

    batches: Callable[[int], Iterable[Any]]
    loss: Loss
    evaluate: Callable[[Any], dict[str, Any]] | None = None
    score: Callable[[dict[str, Any]], float] | None = None
    generators: Sequence[Generator] = ()
    to_device: Callable[[Any, str], Any] | None = None
    after_epoch: Callable[[Any, int], None] | None = None


@dataclass
class LoopState:
    """Everything a resume needs besides the tensors (saved in the checkpoint as a dict)."""

    epoch: int = 0  # completed epochs
    step: int = 0
    best_score: float = float("-inf")
    best_epoch: int = 0
    bad_evals: int = 0
    lr_scale: float = 1.0  # product of the plateau decays so far
    seconds: float = 0.0  # training time of every run so far
    history: list[dict[str, Any]] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)  # every run that trained this model


@dataclass
class FitResult:
    model: nn.Module  # holding the best weights, in eval mode
    state: LoopState

    @property
    def best_epoch(self) -> int:
        return self.state.best_epoch

    @property
    def history(self) -> list[dict[str, Any]]:
        return self.state.history


def move_to(batch: Any, device: str) -> Any:
    """Tensors of a batch (a tensor, tuple/list/dict of them, or an object with .to) on device."""
    if isinstance(batch, torch.Tensor) or hasattr(batch, "to"):
        return batch.to(device)
    if isinstance(batch, tuple | list):
        return type(batch)(move_to(b, device) for b in batch)
    if isinstance(batch, dict):
        return {k: move_to(v, device) for k, v in batch.items()}
    return batch


def save_atomic(payload: dict[str, Any], path: Path) -> None:
    """torch.save to a temporary file beside `path`, flushed to disk, then renamed over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as out:
        torch.save(payload, out)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)


def _log_stderr(message: str) -> None:
    from tqdm import tqdm

    tqdm.write(message, file=sys.stderr)


class _Loop:
    """The parts of one run: model, AdamW, schedule, scaler, state and best weights."""

    def __init__(self, model: nn.Module, task: Task, cfg: LoopConfig, device: str) -> None:
        self.model, self.task, self.cfg, self.device = model.to(device), task, cfg, device
        self.opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, betas=cfg.betas,
                                     eps=cfg.eps, weight_decay=cfg.weight_decay)
        self.state = LoopState()
        # lr_scale is read at every step, so a plateau decay applies from then on.
        self.sched = torch.optim.lr_scheduler.LambdaLR(
            self.opt, lambda step: lr_factor(cfg, step) * self.state.lr_scale)
        self.amp = uses_amp(device)
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp)
        self.best_weights: dict[str, torch.Tensor] | None = None

    def train_epoch(self, progress: bool) -> dict[str, float]:
        from tqdm import tqdm

        self.model.train()
        totals: dict[str, float] = {}
        count = 0
        desc = f"epoch {self.state.epoch + 1}/{self.cfg.epochs}"
        bar = tqdm(self.task.batches(self.state.epoch), desc=desc, file=sys.stderr,
                   leave=False, disable=not progress)
        for batch in bar:
            batch = (self.task.to_device or move_to)(batch, self.device)
            with torch.autocast("cuda", dtype=torch.float16, enabled=self.amp):
                out = self.task.loss(self.model, batch)
            terms = dict(out) if isinstance(out, Mapping) else {"loss": out}
            self.opt.zero_grad(set_to_none=True)
            self.scaler.scale(terms["loss"]).backward()
            self.scaler.unscale_(self.opt)
            if self.cfg.grad_clip > 0:
                torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.cfg.grad_clip)
            self.scaler.step(self.opt)
            self.scaler.update()
            self.sched.step()
            self.state.step += 1
            count += 1
            for k, v in terms.items():
                totals[k] = totals.get(k, 0.0) + float(v.detach())
            bar.set_postfix(loss=f"{float(terms['loss'].detach()):.3f}",
                            lr=f"{self.sched.get_last_lr()[0]:.2e}")
        return {k: round(v / max(count, 1), 4) for k, v in totals.items()}

    def evaluate(self, log: Log) -> dict[str, Any]:
        """Dev metrics and whether they are the best so far (keeping the weights if so)."""
        if self.task.evaluate is None:  # nothing to select by: the last epoch is the result
            self.state.best_epoch = self.state.epoch
            return {}
        self.model.eval()
        with torch.no_grad():
            metrics = dict(self.task.evaluate(self.model))
        score = self.task.score(metrics) if self.task.score else float(metrics["score"])
        best = score > self.state.best_score or (
            self.cfg.ties == "later" and score == self.state.best_score)
        if best:
            self.keep_best(score)
        else:
            self.state.bad_evals += 1
            if self.cfg.plateau_factor < 1.0 and self.best_weights is not None:
                self.state.lr_scale *= self.cfg.plateau_factor
                self.model.load_state_dict(self.best_weights)
                log(f"no dev improvement: back to epoch {self.state.best_epoch}, "
                    f"lr x{self.state.lr_scale:g}")
        return {**metrics, "best": best}

    def keep_best(self, score: float) -> None:
        self.state.best_score, self.state.best_epoch, self.state.bad_evals = (
            score, self.state.epoch, 0)
        self.best_weights = {k: v.detach().cpu().clone()
                             for k, v in self.model.state_dict().items()}

    def payload(self, fingerprint: Any) -> dict[str, Any]:
        return {
            "model": self.model.state_dict(), "optimizer": self.opt.state_dict(),
            "scheduler": self.sched.state_dict(), "scaler": self.scaler.state_dict(),
            "state": asdict(self.state), "best_weights": self.best_weights,
            "fingerprint": fingerprint, "rng": _rng_states(self.task.generators),
        }

    def restore(self, path: Path, fingerprint: Any) -> None:
        saved = torch.load(path, map_location=self.device, weights_only=False)
        if not isinstance(saved, dict) or "optimizer" not in saved or "state" not in saved:
            raise ValueError(f"{path} is not a checkpoint of this training loop (written by an "
                             "older version?); start without resuming or remove it")
        if fingerprint is not None and saved.get("fingerprint") != fingerprint:
            raise ValueError(f"{path} was written by a different config; not resuming")
        self.model.load_state_dict(saved["model"])
        self.opt.load_state_dict(saved["optimizer"])
        self.sched.load_state_dict(saved["scheduler"])
        self.scaler.load_state_dict(saved["scaler"])
        self.state = LoopState(**saved["state"])
        self.best_weights = saved["best_weights"]
        _set_rng_states(saved["rng"], self.task.generators)


def _rng_states(generators: Sequence[Generator]) -> dict[str, Any]:
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "python": random.getstate(), "numpy": np.random.get_state(),
        "task": [g.bit_generator.state if isinstance(g, np.random.Generator) else g.getstate()
                 for g in generators],
    }


def _set_rng_states(states: dict[str, Any], generators: Sequence[Generator]) -> None:
    torch.set_rng_state(states["torch"].cpu())
    if states["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([state.cpu() for state in states["cuda"]])
    random.setstate(states["python"])
    np.random.set_state(states["numpy"])
    if len(states["task"]) != len(generators):
        raise ValueError("the checkpoint holds a different number of task generators")
    for g, state in zip(generators, states["task"], strict=True):
        if isinstance(g, np.random.Generator):
            g.bit_generator.state = state
        else:
            g.setstate(state)


def fit(model: nn.Module, task: Task, cfg: LoopConfig, *, device: str = "cpu",
        checkpoint: Path | None = None, resume: bool = False, fingerprint: Any = None,
        command: str = "", progress: bool = True, log: Log = _log_stderr) -> FitResult:
    """Train `model` on `task` (see the module docstring); returns it with the best weights.

    checkpoint: the file written after every epoch (None: none); resume: continue from it when
    it exists. fingerprint: anything picklable that must equal the checkpoint's for a resume
    (e.g. the config without its epoch count). command: appended to state.commands.
    Seed the model's initialisation before building it; the loop seeds torch, python and numpy
    with cfg.seed for what happens in training.
    """
    torch.manual_seed(cfg.seed)
    random.seed(cfg.seed)
    np.random.seed(cfg.seed % 2**32)
    loop = _Loop(model, task, cfg, device)
    if resume and checkpoint is not None and checkpoint.is_file():
        loop.restore(checkpoint, fingerprint)
        log(f"resumed from {checkpoint} after epoch {loop.state.epoch}")
    if command:
        loop.state.commands.append(command)
    started = time.monotonic()
    while loop.state.epoch < cfg.epochs and not (
            cfg.patience and loop.state.bad_evals >= cfg.patience):
        t0 = time.monotonic()
        record: dict[str, Any] = {"epoch": loop.state.epoch + 1,
                                  **loop.train_epoch(progress)}
        loop.state.epoch += 1
        record["step"] = loop.state.step
        if task.after_epoch is not None:
            task.after_epoch(loop.model, loop.state.epoch)
        if loop.state.epoch % max(cfg.eval_every, 1) == 0 or loop.state.epoch == cfg.epochs:
            record.update(loop.evaluate(log))
        record["seconds"] = round(time.monotonic() - t0, 1)  # training + dev evaluation
        loop.state.seconds = round(loop.state.seconds + record["seconds"], 1)
        loop.state.history.append(record)
        # "epoch N/M: key value ...": progress readers (corpus.retrain) match "epoch N".
        log(f"epoch {record['epoch']}/{cfg.epochs}: " + " ".join(
            f"{k} {v}" for k, v in record.items() if k != "epoch"))
        if checkpoint is not None:
            save_atomic(loop.payload(fingerprint), checkpoint)
        if cfg.max_minutes and (time.monotonic() - started) / 60 > cfg.max_minutes:
            log(f"time budget of {cfg.max_minutes} min reached")
            break
    if loop.best_weights is not None:
        loop.model.load_state_dict(loop.best_weights)
    return FitResult(loop.model.eval(), loop.state)
