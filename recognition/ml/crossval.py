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
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from recognition.ml.baseline import make_baseline
from recognition.ml.config import IsolatedConfig
from recognition.ml.data import Run
from recognition.ml.evaluate import evaluate_runs, per_participant
from recognition.ml.participants import fold_configs, split_by_participant

Log = Callable[[str], None]
Variant = tuple[bool, bool]  # (cross_modal, velocity)


def variant_name(variant: Variant) -> str:
    cross, vel = variant
    return f"cross_modal={'on' if cross else 'off'},velocity={'on' if vel else 'off'}"


def _people(runs: list[Run]) -> list[str]:
    return sorted({r.participant for r in runs})


def _changed(values: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """The entries of a config dict that differ from the defaults (recursively)."""
    out = {}
    for key, value in values.items():
        base = defaults.get(key)
        if isinstance(value, dict) and isinstance(base, dict) and base:
            value = _changed(value, base)
            if value:
                out[key] = value
        elif key not in defaults or value != base:
            out[key] = value
    return out


def fold_key(cfg: IsolatedConfig, people: dict[str, list[str]], vocab: list[str]
             ) -> dict[str, Any]:
    """What a fold's result depends on: the config as its difference from the defaults (so a
    new config field with a default does not invalidate finished folds; the inference-only
    spotting rules left out), people and vocab."""
    config = json.loads(json.dumps(cfg.to_dict()))
    defaults = json.loads(json.dumps(IsolatedConfig().to_dict()))
    config["spotting"] = defaults["spotting"]
    return {"config": _changed(config, defaults), "people": people, "vocab": vocab}


def _cache_path(cache_dir: Path, key: dict[str, Any]) -> Path:
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    return cache_dir / f"{digest}.json"


def store(cache_dir: Path, key: dict[str, Any], result: dict[str, Any]) -> None:
    """Write one fold's result atomically (also used to enter the main model's own fold)."""
    path = _cache_path(cache_dir, key)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"key": key, "result": result}))
    tmp.replace(path)


def _cached(cache_dir: Path | None, key: dict[str, Any], compute: Callable[[], dict]) -> dict:
    if cache_dir is None:
        return compute()
    path = _cache_path(cache_dir, key)
    if path.is_file():
        return json.loads(path.read_text())["result"]
    result = compute()
    store(cache_dir, key, result)
    return result


def fold_people(runs: list[Run], cfg: IsolatedConfig) -> dict[str, list[str]]:
    """Sorted participants of train, val and test under cfg's participant split."""
    splits = split_by_participant(runs, cfg.train)
    return {part: _people(splits[part]) for part in ("train", "val", "test")}


def cached_folds(cfg: IsolatedConfig, runs: list[Run], vocab: list[str], cache_dir: Path
                 ) -> list[int]:
    """The folds of cfg's own variant that cache_dir already holds."""
    found = []
    for k, tcfg in enumerate(fold_configs(cfg.train)):
        fold_cfg = dataclasses.replace(cfg, train=tcfg)
        key = fold_key(fold_cfg, fold_people(runs, fold_cfg), vocab)
        if _cache_path(cache_dir, key).is_file():
            found.append(k)
    return found


def fold_row(top1: float, n: int, **extra: Any) -> dict[str, Any]:
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
        people = fold_people(runs, fold_cfg)
        fold: dict[str, Any] = {"fold": k, "test_participants": people["test"],
                                "val_participants": people["val"],
                                "train_participants": len(people["train"]), "variants": {}}
        baseline = make_baseline(fold_cfg, vocab).fit(splits["train"])
        base = baseline.evaluate(splits["test"], clip)
        fold["baseline"] = fold_row(base["top1"], base["n"],
                                    per_participant=_baseline_people(baseline, splits["test"],
                                                                     vocab))
        for variant in variants:
            name = variant_name(variant)
            vcfg = dataclasses.replace(fold_cfg, model=dataclasses.replace(
                cfg.model, cross_modal=variant[0], velocity=variant[1]))

            def train_one(vcfg: IsolatedConfig = vcfg) -> dict[str, Any]:
                fitted = fit(vcfg, splits, vocab, device=device, progress=False,
                             log=lambda _: None)
                m = evaluate_runs(fitted.model, splits["test"], vocab, vcfg.features, clip,
                                  device)
                return fold_row(m["top1"], m["n"], val_top1=fitted.best_val,
                                best_epoch=fitted.best_epoch, train_seconds=fitted.seconds,
                                per_participant=m["per_participant"])

            key = fold_key(vcfg, people, vocab)
            fold["variants"][name] = _cached(cache_dir, key, train_one)
            log(f"fold {k} {name}: top-1 {fold['variants'][name]['top1']:.4f} "
                f"(baseline {base['top1']:.4f}, n {base['n']})")
        folds.append(fold)
    return {"folds": folds, "pooled": pooled(folds), "clip_len": clip,
            "n_folds": cfg.train.n_blocks}


def _baseline_people(baseline: Any, runs: list[Run], vocab: list[str]) -> dict[str, dict]:
    """Top-1 per test participant of a fitted baseline (one prediction a run)."""
    if not hasattr(baseline, "probabilities"):
        return {}  # a per-frame baseline scores clips, not runs
    known = [r for r in runs if r.label in vocab]
    best = baseline.probabilities(known).argmax(axis=1) if known else []
    return per_participant([{"participant": r.participant, "label": r.label,
                             "predicted": vocab[b]} for r, b in zip(known, best, strict=True)])


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


def participant_cv(cfg: IsolatedConfig, runs: list[Run], vocab: list[str], main: Any,
                   main_test: dict[str, dict], *, ablate: bool = False, device: str = "cpu",
                   cache_dir: Path | None = None, log: Log = print) -> dict[str, Any]:
    """k-fold of cfg's own variant, whose fold `test_block` is the main model (main: its
    FitResult, main_test: its test metrics; entered into the cache, not trained again); with
    ablate, every cross-modal x velocity variant on that same fold."""
    from recognition.ml.train import ABLATIONS

    variant = (cfg.model.cross_modal, cfg.model.velocity)
    if cache_dir is not None:
        key = fold_key(cfg, fold_people(runs, cfg), vocab)
        if not _cache_path(cache_dir, key).is_file():
            clip = cfg.train.eval_clip_lens[0]
            m = main_test[f"clip{clip}"]
            people = evaluate_runs(main.model, split_by_participant(runs, cfg.train)["test"],
                                   vocab, cfg.features, clip, device)["per_participant"]
            store(cache_dir, key, fold_row(m["top1"], m["n"], val_top1=main.best_val,
                                           best_epoch=main.best_epoch,
                                           train_seconds=main.seconds, per_participant=people))
    out = cross_validate(cfg, runs, vocab, [variant], device=device, cache_dir=cache_dir,
                         log=log)
    if ablate:
        out["ablation"] = cross_validate(cfg, runs, vocab, ABLATIONS, device=device,
                                         cache_dir=cache_dir, log=log,
                                         only_folds=[cfg.train.test_block])["folds"][0]
    return out
