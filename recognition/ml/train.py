"""Training of the isolated-sign transformer: resumable loop, baseline, ablations, bundle.

`train_isolated` is what `slrweb train-isolated` runs: split the runs, train the configured model
(best epoch by validation top-1), train a logistic-regression baseline on the same frames,
optionally train the seed-003/motion ablation variants with the same split and seed, and write
one bundle with every number measured in this run.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from recognition.ml.config import IsolatedConfig
from recognition.ml.data import Run, TrainClips, collate, split_runs
from recognition.ml.baseline import make_baseline
from recognition.ml.evaluate import evaluate_model, summarize
from recognition.ml.features import feature_widths
from recognition.ml.model import CROSS_MODAL_PARTS, IsolatedSignTransformer
from recognition.ml.participants import prepare_for_config

Log = Callable[[str], None]
# Seed 003 (cross-modal attention) x motion (velocity features): every combination is trained.
ABLATIONS = [(cross, vel) for cross in (True, False) for vel in (True, False)]


def complete_config(cfg: IsolatedConfig, vocab: list[str]) -> IsolatedConfig:
    """Fill the model's part names/widths and class count from the features and vocabulary."""
    model = dataclasses.replace(
        cfg.model, part_names=cfg.features.parts, part_dims=feature_widths(cfg.features),
        num_classes=len(vocab),
    )
    return dataclasses.replace(cfg, model=model)


def pick_device(requested: str = "auto") -> str:
    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return requested


def _schedule(step: int, warmup: int, total: int) -> float:
    """Linear warm-up, then cosine decay to 5% of the peak learning rate."""
    if step < warmup:
        return (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * progress))


def _save_atomic(state: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


@dataclasses.dataclass
class FitResult:
    model: IsolatedSignTransformer
    best_epoch: int
    best_val: float
    history: list[dict[str, float]]
    seconds: float


def fit(cfg: IsolatedConfig, splits: dict[str, list[Run]], vocab: list[str], *,
        device: str = "cpu", checkpoint: Path | None = None, resume: bool = False,
        progress: bool = True, log: Log = print) -> FitResult:
    """Train cfg's model on splits['train'], keeping the epoch with the best val top-1."""
    tcfg = cfg.train
    torch.manual_seed(tcfg.seed)
    model = IsolatedSignTransformer(cfg.model, tcfg.label_smoothing).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=tcfg.lr, weight_decay=tcfg.weight_decay)
    total = tcfg.epochs * tcfg.steps_per_epoch
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: _schedule(s, tcfg.warmup_steps, total))
    use_amp = device.startswith("cuda")
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
    clips = TrainClips(splits["train"], vocab, cfg.features, cfg.augment, tcfg,
                       size=tcfg.steps_per_epoch * tcfg.batch_size)
    parts: dict[str, Any] = {"model": model, "optimizer": opt, "scheduler": sched,
                             "scaler": scaler}
    state: dict[str, Any] = {"epoch": 0, "best_val": -1.0, "best_epoch": 0, "best_model": None, "history": []}
    if resume and checkpoint is not None and checkpoint.is_file():
        state = _restore(checkpoint, cfg, parts, clips, device)
        log(f"resumed from {checkpoint} after epoch {state['epoch']}")
    started = time.perf_counter() - state.get("seconds", 0.0)  # resumed: time so far counts
    for epoch in range(state["epoch"] + 1, tcfg.epochs + 1):
        loss = _train_epoch(model, clips, opt, sched, scaler, tcfg.batch_size, device, use_amp,
                            desc=f"epoch {epoch}/{tcfg.epochs}" if progress else None)
        val = evaluate_model(model, splits["val"], vocab, cfg.features,
                             tcfg.eval_clip_lens[0], device)["top1"] if splits["val"] else 0.0
        state["history"].append({"epoch": epoch, "loss": round(loss, 4), "val_top1": val})
        if val >= state["best_val"]:  # ties: the later, better-converged epoch
            state.update(best_val=val, best_epoch=epoch,
                         best_model={k: v.detach().cpu().clone()
                                     for k, v in model.state_dict().items()})
        state["epoch"] = epoch
        state["seconds"] = time.perf_counter() - started
        log(f"epoch {epoch}: loss {loss:.4f}  val top-1 {val:.4f}")
        if checkpoint is not None:
            _save_atomic({"config": cfg.to_dict(), "rng": clips.rng.bit_generator.state,
                          "state": state, **{k: v.state_dict() for k, v in parts.items()}},
                         checkpoint)
    if state["best_model"] is not None:
        model.load_state_dict(state["best_model"])
    return FitResult(model.eval(), state["best_epoch"], state["best_val"], state["history"],
                     round(time.perf_counter() - started, 1))


def _restore(checkpoint: Path, cfg: IsolatedConfig, parts: dict[str, Any], clips: TrainClips,
             device: str) -> dict[str, Any]:
    """Load model/optimizer/scheduler/scaler/sampler state; returns the loop state."""
    saved = torch.load(checkpoint, map_location=device, weights_only=False)
    if _resumable(saved["config"]) != _resumable(cfg.to_dict()):
        raise ValueError(f"{checkpoint} was written by a different config; not resuming")
    for key, part in parts.items():
        part.load_state_dict(saved[key])
    clips.rng.bit_generator.state = saved["rng"]
    return saved["state"]


def _resumable(config: dict[str, Any]) -> dict[str, Any]:
    """The config a checkpoint must share to be resumed: all but the number of epochs, the
    inference-only spotting rules, and fields at their default value (a field added to the code
    later does not block resuming)."""
    default = json.loads(json.dumps(IsolatedConfig().to_dict()))
    config = {**config, "train": {k: v for k, v in config["train"].items() if k != "epochs"},
              "spotting": default["spotting"]}
    return {section: ({k: v for k, v in values.items() if default[section].get(k) != v}
                      if isinstance(values, dict) and isinstance(default.get(section), dict)
                      else values)
            for section, values in json.loads(json.dumps(config)).items()
            if values != default.get(section)}


def _train_epoch(model: IsolatedSignTransformer, clips: TrainClips, opt: torch.optim.Optimizer,
                 sched: Any, scaler: torch.amp.GradScaler, batch_size: int, device: str,
                 use_amp: bool, desc: str | None) -> float:
    from tqdm import tqdm

    model.train()
    loader = torch.utils.data.DataLoader(clips, batch_size=batch_size, collate_fn=collate)
    bar = tqdm(loader, desc=desc, leave=False, disable=desc is None)
    losses = []
    for x, mask, y in bar:
        x, mask, y = x.to(device), mask.to(device), y.to(device)
        with torch.autocast("cuda", dtype=torch.float16, enabled=use_amp):
            _, loss = model(x, mask, y)
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.unscale_(opt)
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        scaler.step(opt)
        scaler.update()
        sched.step()
        losses.append(loss.item())
        bar.set_postfix(loss=f"{np.mean(losses[-20:]):.3f}")
    return float(np.mean(losses))


def test_metrics(model: IsolatedSignTransformer, cfg: IsolatedConfig, runs: list[Run],
                 vocab: list[str], device: str) -> dict[str, dict]:
    """Metrics per evaluation clip length, keyed 'clip<N>'."""
    return {f"clip{n}": evaluate_model(model, runs, vocab, cfg.features, n, device)
            for n in cfg.train.eval_clip_lens}


def train_isolated(cfg: IsolatedConfig, runs: list[Run], *, device: str = "auto",
                   checkpoint_dir: Path | None = None, resume: bool = False,
                   ablate: bool = False, progress: bool = True, log: Log = print,
                   extra_eval: dict[str, list[Run]] | None = None,
                   cross_validation: bool = False,
                   ) -> tuple[IsolatedConfig, FitResult, list[str], dict]:
    """Train the model (+ baseline, + ablations); returns config, fit, vocab and metrics.

    extra_eval: other data sets (name -> runs, all frames, never trained on) on which the model
    and the baseline are scored too, e.g. another signer; labels outside the vocabulary are
    left out. cross_validation (split "participants"): also k-fold by participant (with
    ablate, the ablation variants are trained on the fixed split's fold, cached like the folds)."""
    device = pick_device(device)
    runs = prepare_for_config(runs, cfg)
    if cfg.train.labels:
        runs = [r for r in runs if r.label in cfg.train.labels]
    vocab = sorted({r.label for r in runs})
    cfg = complete_config(cfg, vocab)
    splits = split_runs(runs, cfg.train)
    if cfg.train.no_sign:
        from recognition.ml.transitions import with_no_sign

        cfg, vocab, splits = with_no_sign(cfg, runs, splits, vocab)
    sizes = {k: {"runs": len(v), "frames": int(sum(len(r) for r in v))} for k, v in splits.items()}
    log(f"vocabulary {len(vocab)}; split {sizes}; device {device}")
    ckpt = checkpoint_dir / "last.pt" if checkpoint_dir else None
    result = fit(cfg, splits, vocab, device=device, checkpoint=ckpt, resume=resume,
                 progress=progress, log=log)
    metrics: dict[str, Any] = {
        "split": sizes, "best_epoch": result.best_epoch, "val_top1": result.best_val,
        "train_seconds": result.seconds, "history": result.history,
        "parameters": sum(p.numel() for p in result.model.parameters()),
        "test": test_metrics(result.model, cfg, splits["test"], vocab, device),
    }
    if cfg.train.split == "participants":
        metrics["participants"] = {k: sorted({r.participant for r in v}) for k, v in splits.items()}
    started = time.perf_counter()
    baseline = make_baseline(cfg, vocab).fit(splits["train"])
    metrics["baseline"] = {f"clip{n}": baseline.evaluate(splits["test"], n)
                           for n in cfg.train.eval_clip_lens}
    metrics["baseline"]["train_seconds"] = round(time.perf_counter() - started, 1)
    for name, extra in (extra_eval or {}).items():
        known = [r for r in extra if r.label in vocab]
        metrics.setdefault("extra_eval", {})[name] = {
            "model": summarize(evaluate_model(result.model, known, vocab, cfg.features, 1,
                                              device)),
            "baseline": summarize(baseline.evaluate(known, 1)),
            "labels": sorted({r.label for r in known}),
        }
    if cross_validation:
        from recognition.ml.crossval import participant_cv

        metrics["cross_validation"] = participant_cv(
            cfg, runs, vocab, result, metrics["test"], ablate=ablate, device=device, log=log,
            cache_dir=checkpoint_dir / "cv" if checkpoint_dir else None)
    elif ablate:
        metrics["ablation"] = run_ablations(cfg, splits, vocab, device, result, metrics, log)
    return cfg, result, vocab, metrics


def run_ablations(cfg: IsolatedConfig, splits: dict[str, list[Run]], vocab: list[str],
                  device: str, main: FitResult, main_metrics: dict, log: Log) -> dict:
    """Seed 003 (cross-modal) and motion (velocity) on/off, same split, seed and schedule."""
    applies = sum(p in CROSS_MODAL_PARTS for p in cfg.model.part_names) >= 2
    table = {_variant_name(cfg.model.cross_modal and applies, cfg.model.velocity):
             _ablation_row(main, main_metrics["test"])}
    for cross, vel in ABLATIONS:
        name = _variant_name(cross, vel)
        if name in table or (cross and not applies):
            continue  # already trained, or no two of hands/body to attend between
        log(f"ablation: {name}")
        variant = dataclasses.replace(
            cfg, model=dataclasses.replace(cfg.model, cross_modal=cross, velocity=vel))
        fitted = fit(variant, splits, vocab, device=device, progress=False, log=lambda _: None)
        table[name] = _ablation_row(fitted, test_metrics(fitted.model, variant, splits["test"],
                                                         vocab, device))
    return table


def _variant_name(cross_modal: bool, velocity: bool) -> str:
    return f"cross_modal={'on' if cross_modal else 'off'},velocity={'on' if velocity else 'off'}"


def _ablation_row(fitted: FitResult, test: dict[str, dict]) -> dict[str, Any]:
    row: dict[str, Any] = {"val_top1": fitted.best_val, "best_epoch": fitted.best_epoch,
                           "train_seconds": fitted.seconds,
                           "parameters": sum(p.numel() for p in fitted.model.parameters())}
    row.update({k: summarize(v) for k, v in test.items()})
    return row
