"""Retraining: base data plus accepted corrections -> a new candidate version with metrics.

Corrections come from corpus.dataset.export_dataset (the same export `slrweb
export-dataset` writes, which already leaves out the held-out clips of corpus.split that new
versions are evaluated on), minus glosses outside the language's vocabulary (a bundle with them
could not be registered). The new version starts from a registered version (the active one by
default) and keeps its name, so it becomes e.g. silfa-letters@2.

Isolated retrains fine-tune that version's weights by default (its vocabulary, a short schedule
at a quarter of its learning rate: seconds to a minute on a CPU, where training from scratch
takes its full schedule). Either way each correction clip stays whole in the split corpus.split
gave it (train, or dev -> validation), and the corrections of a class are drawn as often as that
class's base data (CORRECTION_SHARE): drawn by frames, a handful of corrected clips beside
thousands of base frames were hardly seen, and retraining did not change what the model read.
"""

from __future__ import annotations

import csv
import shlex
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from registry import selectors
from registry.models import ModelVersion, SignLanguage

Log = Callable[[str], None]
# The fine-tuning schedule (overrides of the base version's train config; lr: a quarter of it).
FINE_TUNE = {"epochs": 3, "steps_per_epoch": 20, "warmup_steps": 10}
FINE_TUNE_LR_FACTOR = 0.25
CORRECTION_SHARE = 0.5  # of a class's training draws, where base data has the class too


@dataclass
class CorrectionData:
    runs: list[Any] = field(default_factory=list)  # recognition.ml.data.Run
    held_out: int = 0  # segments left out because their clip is held out for evaluation
    unknown_glosses: list[str] = field(default_factory=list)  # left out: not in the vocabulary
    skipped: list[str] = field(default_factory=list)  # reasons the export gave


def correction_runs(language: SignLanguage, out_dir: Path,
                    since: datetime | None = None) -> CorrectionData:
    """Accepted corrected segments of the language as training runs (held-out jobs excluded),
    each fixed in the split corpus.split gave its clip (train; dev -> val)."""
    from corpus.dataset import export_dataset
    from recognition.ml.data import load_runs

    summary = export_dataset(language.code, out_dir, since=since)
    data = CorrectionData(held_out=summary.held_out_segments, skipped=list(summary.skipped))
    index = out_dir / "isolated" / "index.csv"
    with open(index, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    vocabulary = set(selectors.vocabulary(language))
    kept = []
    for row in rows:
        if row["sign"] not in vocabulary:
            data.unknown_glosses.append(row["sign"])
        else:
            kept.append(row)
    with open(index, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]) if rows else ["path", "sign"])
        writer.writeheader()
        writer.writerows(kept)
    if kept:
        split = {Path(row["path"]).name: "val" if row["split"] == "dev" else "train"
                 for row in kept}
        data.runs = [replace(run, split=split[run.ids[0]])
                     for run in load_runs("npz-dir", out_dir / "isolated")]
    data.unknown_glosses = sorted(set(data.unknown_glosses))
    return data


def base_version(language: SignLanguage, task: str, label: str | None) -> ModelVersion:
    """The version a retrain starts from: `label` (name@N) or the active one."""
    if label:
        name, _, number = label.rpartition("@")
        version = ModelVersion.objects.filter(
            language=language, task=task, name=name, version=int(number or 0)).first()
        if version is None:
            raise ValueError(f"no {task} version {label!r} of {language}")
        return version
    active = selectors.active_model(language.code, task)
    if active is None:
        raise ValueError(f"no active {task} model of {language} to start from; "
                         "activate one or pass --from-version NAME@N")
    return active


def recorded_base_data(version: ModelVersion) -> tuple[str, Path] | None:
    """(format, path) of the data a version was trained on, as `slrweb train-isolated` records
    it in metrics["data"] (path relative to the repository root), when it is on this machine."""
    from django.conf import settings

    data = version.metrics.get("data") or {}
    if not data.get("format") or not data.get("path"):
        return None
    path = Path(data["path"])
    path = path if path.is_absolute() else Path(settings.BASE_DIR) / path
    return (str(data["format"]), path) if path.exists() else None


def load_base_runs(config: dict[str, Any], fmt: str, path: str | Path) -> list[Any]:
    """A version's base data read as it was trained on it: with the hands its config recovers
    (features.hand_recovery) and, for video frames, its compressed copies (train.recoded)."""
    from recognition.ml.config import IsolatedConfig
    from recognition.ml.data import load_runs

    cfg = IsolatedConfig.from_dict(config)
    return load_runs(fmt, path, hand_recovery=cfg.features.hand_recovery,
                     recoded=cfg.train.recoded if fmt == "frames" else ())


def retrain_command(language: SignLanguage, task: str, base: ModelVersion,
                    since: datetime | None, *options: str) -> str:
    """The `slrweb retrain` line that repeats a retrain with the parameters it ran with, for
    its card: the same whether the CLI or the admin started it (sys.argv is the worker's
    command line when the admin did)."""
    words = ["slrweb", "retrain", "--language", language.code, "--task", task,
             "--from-version", base.label]
    if since is not None:
        words += ["--since", since.date().isoformat()]
    return shlex.join([*words, *options])


def retrain_isolated(
    language: SignLanguage, base: ModelVersion, base_runs: list[Any], *,
    since: datetime | None = None, train_overrides: dict[str, Any] | None = None,
    device: str = "auto", work_dir: Path | None = None, progress: bool = False,
    log: Log = print, from_scratch: bool = False,
    correction_share: float | None = CORRECTION_SHARE,
    base_source: tuple[str, Path] | None = None,
) -> ModelVersion:
    """Fine-tune the base version (or train its architecture from scratch) on base runs +
    corrections; register a candidate. correction_share None: corrections are drawn by their
    frames like base data (the behaviour before CORRECTION_SHARE; bench/bench_loop.py).
    base_source: (format, path) the base runs were read from, for the card's command (None:
    the data `base` records, or none when base_runs is empty)."""
    from recognition.ml.data import weigh_added_runs
    from mlcore.bundle import read_bundle, write_bundle
    from recognition.ml.config import IsolatedConfig
    from recognition.ml.train import train_isolated
    from registry.services import register_bundle

    with tempfile.TemporaryDirectory(prefix="slrweb-retrain-") as tmp:
        root = work_dir or Path(tmp)
        corrections = correction_runs(language, root / "corrections", since)
        log(f"corrections: {len(corrections.runs)} segments; {corrections.held_out} held out "
            f"for evaluation; not in the vocabulary: {corrections.unknown_glosses or 'none'}")
        added = (weigh_added_runs(base_runs, corrections.runs, correction_share)
                 if base_runs and corrections.runs and correction_share else corrections.runs)
        runs = list(base_runs) + added
        if not runs:
            raise ValueError("nothing to train on: no base data and no accepted corrections")
        start = read_bundle(base.bundle_dir)
        cfg = IsolatedConfig.from_dict(start.config)
        schedule: dict[str, Any] = {} if from_scratch else {
            **FINE_TUNE, "lr": cfg.train.lr * FINE_TUNE_LR_FACTOR}
        cfg = replace(cfg, train=replace(cfg.train, **{**schedule, **(train_overrides or {})}))
        cfg, fitted, vocab, metrics = train_isolated(
            cfg, runs, device=device, progress=progress, log=log,
            vocabulary=None if from_scratch else start.vocabulary,
            init_state=None if from_scratch else start.load_state_dict("cpu"))
        metrics["retrain"] = {
            "from_version": base.label, "base_runs": len(base_runs),
            "mode": "from scratch" if from_scratch else "fine-tune",
            "correction_share": correction_share,
            "correction_runs": len(corrections.runs), "held_out_segments": corrections.held_out,
            "unknown_glosses": corrections.unknown_glosses,
            "since": since.isoformat() if since else None,
        }
        bundle = write_bundle(
            root / "bundle", task="isolated", language=language.code, name=base.name,
            config=cfg.to_dict(), state_dict=fitted.model.state_dict(), metrics=metrics,
            card=_card(base, len(base_runs), corrections, since, metrics["retrain"]["mode"],
                       _isolated_command(language, base, since, base_runs, base_source,
                                         train_overrides, device, from_scratch)),
            vocabulary=vocab,
        )
        return register_bundle(bundle, language)


def _isolated_command(language: SignLanguage, base: ModelVersion, since: datetime | None,
                      base_runs: list[Any], base_source: tuple[str, Path] | None,
                      train_overrides: dict[str, Any] | None, device: str,
                      from_scratch: bool) -> str:
    options: list[str] = []
    if not base_runs:
        options.append("--no-base-data")
    elif base_source is not None:
        options += ["--base-data", str(base_source[1]), "--base-format", base_source[0]]
    if from_scratch:
        options.append("--from-scratch")
    overrides = train_overrides or {}
    for key in ("epochs", "steps_per_epoch"):
        if overrides.get(key):
            options += [f"--{key.replace('_', '-')}", str(overrides[key])]
    if device != "auto":
        options += ["--device", device]
    return retrain_command(language, "isolated", base, since, *options)


def _card(base: ModelVersion, base_runs: int, corrections: CorrectionData,
          since: datetime | None, mode: str, command: str) -> str:
    from mlcore.card import ModelCard

    return ModelCard(f"{base.name} (retrained from {base.label}: {mode})",
                     commands=[command]).add("Data", [
        f"- base data: {base_runs} runs (see the model card of {base.label} for the source and "
        "its licence)",
        f"- accepted corrections: {len(corrections.runs)} segments"
        + (f" reviewed since {since.date()}" if since else ""),
        f"- held out for evaluation, not trained on: {corrections.held_out} segments",
    ]).render()


def run_retrain(row: Any, report: Callable[[str, int], None]) -> dict[str, Any]:
    """registry.background runner of "retrain" tasks started in the admin (corpus.apps installs
    it): the same retrains as `slrweb retrain`, progress in the task row."""
    import re

    from registry.compat import stored_config

    params, language = row.params, row.language
    base = base_version(language, row.task, params.get("from_version") or None)
    epochs = int(params["epochs"]) if params.get("epochs") else None
    from_scratch = bool(params.get("from_scratch"))
    done = {"percent": 10}

    def log(line: str) -> None:  # "epoch N: ..." lines of the isolated trainer move the bar
        match = re.match(r"epoch (\d+)", line)
        planned = epochs or (None if from_scratch else FINE_TUNE["epochs"])
        if match and planned:
            done["percent"] = 10 + 80 * int(match.group(1)) // planned
        report(line, done["percent"])

    report(f"exporting the corrections of {language.code}", 5)
    if row.task == "translation":
        from corpus.retrain_translation import retrain_translation
        from registry.runtime import inference_device

        version = retrain_translation(
            language, base, epochs=epochs or 10, log=log, device=inference_device(),
            on_epoch=lambda e, n: report(f"fine-tuning: epoch {e + 1} of {n}", 10 + 80 * e // n))
    else:
        recorded = recorded_base_data(base) if params.get("base_data", True) else None
        runs = load_base_runs(stored_config(base), *recorded) if recorded else []
        overrides = {"epochs": epochs} if epochs else {}
        version = retrain_isolated(language, base, runs, train_overrides=overrides, log=log,
                                   from_scratch=from_scratch,
                                   correction_share=params.get("correction_share",
                                                               CORRECTION_SHARE),
                                   base_source=recorded)
    row.version = version
    return {"version": version.pk, "label": version.label, "from_version": base.label,
            "metrics": version.metrics.get("retrain", {}), "evaluation": version.evaluation}
