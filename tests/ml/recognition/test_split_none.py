"""Split `none`: the final weights of a chosen configuration, every frame trained on."""

from __future__ import annotations

import dataclasses

from recognition.ml.card import render_card
from recognition.ml.config import TrainConfig
from recognition.ml.data import Run, split_runs
from recognition.ml.train import train_isolated
from tests.ml.recognition.conftest import tiny_config


def test_split_none_keeps_every_frame_in_training(silfa_runs: list[Run]) -> None:
    splits = split_runs(silfa_runs, TrainConfig(split="none"))
    assert splits["val"] == [] and splits["test"] == []
    assert sum(len(r) for r in splits["train"]) == sum(len(r) for r in silfa_runs)


def test_training_without_held_out_frames_keeps_the_last_epoch(silfa_runs: list[Run]) -> None:
    base = tiny_config()
    cfg = dataclasses.replace(base, train=dataclasses.replace(
        base.train, split="none", no_sign=True, labels=("A", "B", "C")))
    cfg, fitted, vocab, metrics = train_isolated(cfg, silfa_runs, device="cpu", progress=False,
                                                 log=lambda _: None)
    assert vocab == ["A", "B", "C", "_"]
    assert fitted.best_epoch == cfg.train.epochs
    assert metrics["test"] == {} and set(metrics["baseline"]) == {"train_seconds"}
    metrics.update(command="slrweb train-isolated --split none",
                   data={"path": "silfa", "format": "gislr", "frames": 0, "runs": 0})
    card = render_card(cfg, vocab, metrics)
    assert "No held-out split" in card and "the last: no validation split" in card
