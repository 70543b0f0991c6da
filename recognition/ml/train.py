"""Training of the isolated-sign transformer: resumable loop, baseline, ablations, bundle.

`train_isolated` is what `slrweb train-isolated` runs: split the runs, train the configured model
(best epoch by validation top-1), train a logistic-regression baseline on the same frames,
optionally train the seed-003/motion ablation variants with the same split and seed, and write
one bundle with every number measured in this run.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from mlcore.device import choose_device
from mlcore.train import LoopConfig, Task
from mlcore.train import fit as core_fit
from recognition.ml.config import IsolatedConfig, TrainConfig
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


def loop_config(tcfg: TrainConfig, total_steps: int) -> LoopConfig:
    """The training settings of an isolated-sign config as the core loop's."""
    return LoopConfig(epochs=tcfg.epochs, lr=tcfg.lr, weight_decay=tcfg.weight_decay,
                      warmup_steps=tcfg.warmup_steps, schedule="cosine",
                      total_steps=total_steps, final_lr_ratio=0.05, grad_clip=1.0,
                      seed=tcfg.seed, ties="later")


@dataclasses.dataclass
class FitResult:
    model: IsolatedSignTransformer
    best_epoch: int
    best_val: float
    history: list[dict[str, Any]]
    seconds: float


def fit(cfg: IsolatedConfig, splits: dict[str, list[Run]], vocab: list[str], *,
        device: str = "cpu", checkpoint: Path | None = None, resume: bool = False,
        progress: bool = True, log: Log = print,
        init_state: dict[str, torch.Tensor] | None = None) -> FitResult:
    """Train cfg's model on splits['train'], keeping the epoch with the best val top-1;
    from `init_state` (a trained model's weights, same config and vocabulary) when given."""
    tcfg = cfg.train
    torch.manual_seed(tcfg.seed)
    model = IsolatedSignTransformer(cfg.model, tcfg.label_smoothing)
    if init_state is not None:
        model.load_state_dict(init_state)
    clips = TrainClips(splits["train"], vocab, cfg.features, cfg.augment, tcfg,
                       size=tcfg.steps_per_epoch * tcfg.batch_size)

    def batches(epoch: int) -> Any:
        return torch.utils.data.DataLoader(clips, batch_size=tcfg.batch_size, collate_fn=collate)

    def loss(model: IsolatedSignTransformer, batch: Any) -> torch.Tensor:
        x, mask, y = batch
        return model(x, mask, y)[1]

    def val_top1(model: IsolatedSignTransformer) -> dict[str, Any]:
        top1 = evaluate_model(model, splits["val"], vocab, cfg.features,
                              tcfg.eval_clip_lens[0], device)["top1"]
        return {"val_top1": top1}

    task = Task(batches=batches, loss=loss, evaluate=val_top1 if splits["val"] else None,
                score=lambda m: float(m["val_top1"]), generators=[clips.rng])
    done = core_fit(model, task, loop_config(tcfg, tcfg.epochs * tcfg.steps_per_epoch),
                    device=device, checkpoint=checkpoint, resume=resume,
                    fingerprint=_resumable(cfg.to_dict()), progress=progress, log=log)
    best_val = done.state.best_score if splits["val"] else 0.0
    return FitResult(done.model, done.best_epoch, best_val,  # type: ignore[arg-type]
                     done.history, done.state.seconds)


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


def test_metrics(model: IsolatedSignTransformer, cfg: IsolatedConfig, runs: list[Run],
                 vocab: list[str], device: str) -> dict[str, dict]:
    """Metrics per evaluation clip length, keyed 'clip<N>' (none without test runs)."""
    return {f"clip{n}": evaluate_model(model, runs, vocab, cfg.features, n, device)
            for n in cfg.train.eval_clip_lens if runs}


def train_isolated(cfg: IsolatedConfig, runs: list[Run], *, device: str = "auto",
                   checkpoint_dir: Path | None = None, resume: bool = False,
                   ablate: bool = False, progress: bool = True, log: Log = print,
                   extra_eval: dict[str, list[Run]] | None = None,
                   cross_validation: bool = False,
                   vocabulary: list[str] | None = None,
                   init_state: dict[str, torch.Tensor] | None = None,
                   ) -> tuple[IsolatedConfig, FitResult, list[str], dict]:
    """Train the model (+ baseline, + ablations); returns config, fit, vocab and metrics.

    extra_eval: other data sets (name -> runs, all frames, never trained on) on which the model
    and the baseline are scored too, e.g. another signer; labels outside the vocabulary are
    left out. cross_validation (split "participants"): also k-fold by participant (with
    ablate, the ablation variants are trained on the fixed split's fold, cached like the folds).
    vocabulary + init_state: fine-tune a trained model (its vocabulary, in its order, and its
    weights); runs of other labels are left out."""
    device = choose_device(device)
    runs = prepare_for_config(runs, cfg)
    if cfg.train.labels:
        runs = [r for r in runs if r.label in cfg.train.labels]
    if vocabulary is not None:
        runs = [r for r in runs if r.label in vocabulary]
    vocab = list(vocabulary) if vocabulary is not None else sorted({r.label for r in runs})
    cfg = complete_config(cfg, vocab)
    splits = split_runs(runs, cfg.train)
    if cfg.train.no_sign:
        from recognition.ml.transitions import with_no_sign

        originals = [r for r in runs if not r.augmented]  # whose frames decide transitions
        cfg, vocab, splits = with_no_sign(cfg, originals, splits, vocab)
    sizes = {k: {"runs": len(v), "frames": int(sum(len(r) for r in v))} for k, v in splits.items()}
    log(f"vocabulary {len(vocab)}; split {sizes}; device {device}")
    ckpt = checkpoint_dir / "last.pt" if checkpoint_dir else None
    result = fit(cfg, splits, vocab, device=device, checkpoint=ckpt, resume=resume,
                 progress=progress, log=log, init_state=init_state)
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
                           for n in cfg.train.eval_clip_lens if splits["test"]}
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
