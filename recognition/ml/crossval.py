"""k-fold cross-validation by participant: every signer is a test signer exactly once.

For fold k the participant group k is test and group k+1 validation (participants.fold_configs);
the transformer variants and the baseline are trained on the remaining groups with the same seed
and schedule, so each fold's numbers are on people the fold's models never saw. Results are
reported per fold and pooled (correct / clips over all folds: folds differ in size).

Each finished (fold, variant) is stored as JSON under `cache_dir`, keyed by a hash of the config
and the fold's participants, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from recognition.ml.baseline import make_baseline
from recognition.ml.config import IsolatedConfig
from recognition.ml.data import Run
from recognition.ml.evaluate import evaluate_model
from recognition.ml.participants import fold_configs, split_by_participant

Log = Callable[[str], None]
Variant = tuple[bool, bool]  # (cross_modal, velocity)


def variant_name(variant: Variant) -> str:
    cross, vel = variant
    return f"cross_modal={'on' if cross else 'off'},velocity={'on' if vel else 'off'}"


def _people(runs: list[Run]) -> list[str]:
    return sorted({r.participant for r in runs})


def _cached(cache_dir: Path | None, key: dict[str, Any], compute: Callable[[], dict]) -> dict:
    if cache_dir is None:
        return compute()
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    path = cache_dir / f"{digest}.json"
    if path.is_file():
        return json.loads(path.read_text())["result"]
    result = compute()
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"key": key, "result": result}))
    tmp.replace(path)
    return result


def _row(top1: float, n: int, **extra: Any) -> dict[str, Any]:
    return {"top1": top1, "n": n, "correct": int(round(top1 * n)), **extra}


def cross_validate(cfg: IsolatedConfig, runs: list[Run], vocab: list[str],
                   variants: list[Variant], *, device: str = "cpu",
                   cache_dir: Path | None = None, log: Log = print,
                   only_folds: list[int] | None = None) -> dict[str, Any]:
    """Per-fold and pooled top-1 of each variant and the baseline (runs already prepared,
    cfg already completed for vocab). only_folds: run just these folds, in this order (a second
    process can fill the cache from the other end while the first runs them all)."""
    from recognition.ml.train import fit  # train imports this module's callers

    clip = cfg.train.eval_clip_lens[0]
    folds = []
    configs = fold_configs(cfg.train)
    for k in only_folds if only_folds is not None else range(len(configs)):
        tcfg = configs[k]
        fold_cfg = dataclasses.replace(cfg, train=tcfg)
        splits = split_by_participant(runs, tcfg)
        people = {part: _people(splits[part]) for part in ("train", "val", "test")}
        fold: dict[str, Any] = {"fold": k, "test_participants": people["test"],
                                "val_participants": people["val"],
                                "train_participants": len(people["train"]), "variants": {}}
        base = make_baseline(fold_cfg, vocab).fit(splits["train"]).evaluate(splits["test"], clip)
        fold["baseline"] = _row(base["top1"], base["n"])
        for variant in variants:
            name = variant_name(variant)
            vcfg = dataclasses.replace(fold_cfg, model=dataclasses.replace(
                cfg.model, cross_modal=variant[0], velocity=variant[1]))

            def train_one(vcfg: IsolatedConfig = vcfg) -> dict[str, Any]:
                fitted = fit(vcfg, splits, vocab, device=device, progress=False,
                             log=lambda _: None)
                m = evaluate_model(fitted.model, splits["test"], vocab, vcfg.features, clip,
                                   device)
                return _row(m["top1"], m["n"], val_top1=fitted.best_val,
                            best_epoch=fitted.best_epoch, train_seconds=fitted.seconds)

            key = {"config": vcfg.to_dict(), "people": people, "vocab": vocab}
            fold["variants"][name] = _cached(cache_dir, key, train_one)
            log(f"fold {k} {name}: top-1 {fold['variants'][name]['top1']:.4f} "
                f"(baseline {base['top1']:.4f}, n {base['n']})")
        folds.append(fold)
    return {"folds": folds, "pooled": pooled(folds), "clip_len": clip,
            "n_folds": cfg.train.n_blocks}


def pooled(folds: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Correct/total over all folds, plus the mean and range of the per-fold top-1."""
    series: dict[str, list[dict[str, Any]]] = {"baseline": [f["baseline"] for f in folds]}
    for fold in folds:
        for name, row in fold["variants"].items():
            series.setdefault(name, []).append(row)
    out = {}
    for name, rows in series.items():
        n = sum(r["n"] for r in rows)
        per_fold = [r["top1"] for r in rows]
        out[name] = {"top1": round(sum(r["correct"] for r in rows) / max(1, n), 4), "n": n,
                     "mean_fold_top1": round(sum(per_fold) / len(per_fold), 4),
                     "min_fold_top1": min(per_fold), "max_fold_top1": max(per_fold)}
    return out
