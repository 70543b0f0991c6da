"""The isolated-sign trainer on the core loop: a resumed run ends with the weights of an
uninterrupted one (sampler, augmentation and dropout generators all restored)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

import mlcore.train

from recognition.ml.data import Run, split_runs
from recognition.ml.train import complete_config, fit
from tests.ml.recognition.conftest import tiny_config


def test_resumed_fit_equals_uninterrupted(silfa_runs: list[Run], tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    runs = [r for r in silfa_runs if r.label in ("A", "B", "C")]
    vocab = ["A", "B", "C"]
    cfg = complete_config(tiny_config(dropout=0.2), vocab)  # dropout: torch RNG matters too
    splits = split_runs(runs, cfg.train)
    quiet = {"progress": False, "log": lambda _: None}
    whole = fit(cfg, splits, vocab, checkpoint=tmp_path / "whole.pt", **quiet)  # 2 epochs
    ckpt = tmp_path / "part.pt"
    save = mlcore.train.save_atomic

    def save_then_die(payload: Any, path: Path) -> None:  # killed right after epoch 1's save
        save(payload, path)
        raise KeyboardInterrupt

    monkeypatch.setattr(mlcore.train, "save_atomic", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        fit(cfg, splits, vocab, checkpoint=ckpt, **quiet)
    monkeypatch.undo()
    assert torch.load(ckpt, weights_only=False)["state"]["epoch"] == 1
    resumed = fit(cfg, splits, vocab, checkpoint=ckpt, resume=True, **quiet)
    assert [h["epoch"] for h in resumed.history] == [1, 2]
    assert resumed.best_epoch == whole.best_epoch and resumed.best_val == whole.best_val
    a, b = whole.model.state_dict(), resumed.model.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    last_a = torch.load(tmp_path / "whole.pt", weights_only=False)["model"]
    last_b = torch.load(ckpt, weights_only=False)["model"]
    assert all(torch.equal(last_a[k], last_b[k]) for k in last_a)
